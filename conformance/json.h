// conformance/json.h — a tiny JSON value, reader and writer (no dependency):
// the report reads GoogleTest's --gtest_output=json files and writes its own.
//
//   auto doc = parse_json(text);                 // Result<Json>
//   const Json* suites = doc->get("testsuites"); // nullptr if absent
//   Json out = Json::object();  out.set("id", "PIPE-004");
//   std::string text = out.dump(2);
//
// The writer always produces valid UTF-8: control characters become \u00XX and
// bytes that are not valid UTF-8 become U+FFFD.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ipc/result.h"

namespace conformance {

class Json {
 public:
  using Array = std::vector<Json>;
  using Object =
      std::vector<std::pair<std::string, Json>>;  // keeps insertion order

  Json() = default;  // null
  Json(std::nullptr_t) {}
  Json(bool b) : v_(b) {}
  Json(double d) : v_(d) {}
  Json(int i) : v_(static_cast<double>(i)) {}
  Json(long i) : v_(static_cast<double>(i)) {}
  Json(std::size_t i) : v_(static_cast<double>(i)) {}
  Json(std::string s) : v_(std::move(s)) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(Array a) : v_(std::move(a)) {}

  static Json object() {
    Json j;
    j.v_ = Object{};
    return j;
  }
  static Json array() { return Json(Array{}); }

  bool is_null() const { return v_.index() == 0; }
  bool is_bool() const { return v_.index() == 1; }
  bool is_number() const { return v_.index() == 2; }
  bool is_string() const { return v_.index() == 3; }
  bool is_array() const { return v_.index() == 4; }
  bool is_object() const { return v_.index() == 5; }

  bool as_bool() const { return std::get<1>(v_); }
  double as_number() const { return std::get<2>(v_); }
  const std::string& as_string() const { return std::get<3>(v_); }
  const Array& as_array() const { return std::get<4>(v_); }
  Array& as_array() { return std::get<4>(v_); }
  const Object& as_object() const { return std::get<5>(v_); }
  Object& as_object() { return std::get<5>(v_); }

  // Object member or nullptr (also for non-objects).
  const Json* get(std::string_view key) const;
  // The string member, or `fallback` if absent or not a string.
  std::string get_string(std::string_view key, std::string fallback = {}) const;
  // Sets (replacing) an object member; turns null into an object.
  Json& set(std::string key, Json value);
  // Appends to an array; turns null into an array.
  Json& push(Json value);

  // Serialises; indent 0 = one line.
  std::string dump(int indent = 0) const;

 private:
  void dump_to(std::string& out, int indent, int depth) const;
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> v_;
};

// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

// `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

// The largest text parse_json reads unless told otherwise. A parsed value
// takes at most ~50 bytes of memory per byte of text (a one-digit number in
// an array: 2 bytes of text, a 40-byte value, twice while the array grows).
inline constexpr std::size_t kJsonMaxBytes = 64 << 20;

// Parses a complete JSON text (RFC 8259) in time and memory linear in its
// size. EINVAL with the byte offset on malformed text, including an object
// with the same key twice (RFC 8259 leaves their meaning open: a report with
// two "verdict"s is refused, not read one way or the other); EFBIG for text
// longer than `max_bytes`.
ipc::Result<Json> parse_json(std::string_view text,
                             std::size_t max_bytes = kJsonMaxBytes);

}  // namespace conformance
