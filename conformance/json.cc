// conformance/json.cc — JSON reader and writer.
#include "conformance/json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <unordered_set>

namespace conformance {
namespace {

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n;
  unsigned long cp;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    n = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid.
  static const unsigned long kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return n;
}

// The keys of one object being read, for the duplicate check: indices into
// the object, hashed by the key they name (indices stay valid as it grows).
class KeyIndex {
 public:
  explicit KeyIndex(const Json::Object& obj)
      : obj_(obj), set_(8, Hash{&obj_}, Equal{&obj_}) {}
  // False if obj[i]'s key is already among the indexed ones; else indexes i.
  bool insert(std::size_t i) {
    if (obj_.size() <= kLinear) {
      for (std::size_t k = 0; k < i; ++k) {
        if (obj_[k].first == obj_[i].first) return false;
      }
      return true;
    }
    if (set_.empty()) {
      for (std::size_t k = 0; k < i; ++k) set_.insert(k);
    }
    return set_.insert(i).second;
  }

 private:
  // Up to this many keys a scan is cheaper than hashing.
  static constexpr std::size_t kLinear = 16;
  struct Hash {
    const Json::Object* obj;
    std::size_t operator()(std::size_t i) const {
      return std::hash<std::string>()((*obj)[i].first);
    }
  };
  struct Equal {
    const Json::Object* obj;
    bool operator()(std::size_t a, std::size_t b) const {
      return (*obj)[a].first == (*obj)[b].first;
    }
  };
  const Json::Object& obj_;
  std::unordered_set<std::size_t, Hash, Equal> set_;
};

class Reader {
 public:
  explicit Reader(std::string_view t) : t_(t) {}

  ipc::Result<Json> document() {
    Json v;
    if (!value(v, 0)) return fail();
    ws();
    if (pos_ != t_.size()) {
      err_ = "trailing characters";
      return fail();
    }
    return v;
  }

 private:
  ipc::Error fail() const {
    return ipc::Error(EINVAL, "parse_json", "offset " + std::to_string(pos_),
                      err_);
  }
  void ws() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' ||
                                t_[pos_] == '\n' || t_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool expect(char c) {
    ws();
    if (pos_ < t_.size() && t_[pos_] == c) {
      ++pos_;
      return true;
    }
    err_ = std::string("expected '") + c + "'";
    return false;
  }
  bool literal(std::string_view word) {
    if (t_.substr(pos_, word.size()) != word) {
      err_ = "invalid literal";
      return false;
    }
    pos_ += word.size();
    return true;
  }

  bool value(Json& out, int depth) {
    if (depth > 200) {
      err_ = "nested too deeply";
      return false;
    }
    ws();
    if (pos_ >= t_.size()) {
      err_ = "unexpected end";
      return false;
    }
    char c = t_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      std::string s;
      if (!string(s)) return false;
      out = Json(std::move(s));
      return true;
    }
    if (c == 't') return literal("true") && (out = Json(true), true);
    if (c == 'f') return literal("false") && (out = Json(false), true);
    if (c == 'n') return literal("null") && (out = Json(), true);
    return number(out);
  }

  bool number(Json& out) {
    std::size_t start = pos_;
    if (pos_ < t_.size() && t_[pos_] == '-') ++pos_;
    auto digits = [&] {
      std::size_t s = pos_;
      while (pos_ < t_.size() && t_[pos_] >= '0' && t_[pos_] <= '9') ++pos_;
      return pos_ > s;
    };
    if (!digits()) {
      err_ = "invalid value";
      return false;
    }
    if (pos_ < t_.size() && t_[pos_] == '.') {
      ++pos_;
      if (!digits()) {
        err_ = "digits expected after '.'";
        return false;
      }
    }
    if (pos_ < t_.size() && (t_[pos_] == 'e' || t_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < t_.size() && (t_[pos_] == '+' || t_[pos_] == '-')) ++pos_;
      if (!digits()) {
        err_ = "digits expected in exponent";
        return false;
      }
    }
    out = Json(std::strtod(std::string(t_.substr(start, pos_ - start)).c_str(),
                           nullptr));
    return true;
  }

  bool hex4(unsigned long& cp) {
    if (pos_ + 4 > t_.size()) {
      err_ = "short \\u escape";
      return false;
    }
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      char h = t_[pos_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') {
        cp |= static_cast<unsigned long>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        cp |= static_cast<unsigned long>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        cp |= static_cast<unsigned long>(h - 'A' + 10);
      } else {
        err_ = "bad hex digit in \\u escape";
        return false;
      }
    }
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < t_.size()) {
      // The run of bytes that stand for themselves, copied at once.
      std::size_t run = pos_;
      while (run < t_.size() && t_[run] != '"' && t_[run] != '\\' &&
             static_cast<unsigned char>(t_[run]) >= 0x20) {
        ++run;
      }
      out.append(t_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= t_.size()) break;
      char c = t_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) {
        err_ = "control character in string";
        return false;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= t_.size()) break;
      char e = t_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned long cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && t_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            unsigned long lo;
            if (!hex4(lo)) return false;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              append_utf8(out, 0xFFFD);
              cp = lo;
            }
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // lone surrogate
          append_utf8(out, cp);
          break;
        }
        default:
          err_ = "bad escape";
          return false;
      }
    }
    err_ = "unterminated string";
    return false;
  }

  bool array(Json& out, int depth) {
    ++pos_;
    out = Json::array();
    ws();
    if (pos_ < t_.size() && t_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      Json v;
      if (!value(v, depth + 1)) return false;
      out.push(std::move(v));
      ws();
      if (pos_ < t_.size() && t_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return expect(']');
    }
  }

  bool object(Json& out, int depth) {
    ++pos_;
    out = Json::object();
    KeyIndex keys(out.as_object());
    ws();
    if (pos_ < t_.size() && t_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      ws();
      if (pos_ >= t_.size() || t_[pos_] != '"') {
        err_ = "expected a string key";
        return false;
      }
      std::size_t key_at = pos_;
      std::string key;
      if (!string(key)) return false;
      if (!expect(':')) return false;
      Json v;
      if (!value(v, depth + 1)) return false;
      Json::Object& obj = out.as_object();
      obj.emplace_back(std::move(key), std::move(v));
      if (!keys.insert(obj.size() - 1)) {
        pos_ = key_at;
        err_ = "duplicate key " + json_quote(shorten_key(obj.back().first));
        return false;
      }
      ws();
      if (pos_ < t_.size() && t_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return expect('}');
    }
  }

  static std::string shorten_key(const std::string& key) {
    return key.size() <= 64 ? key : key.substr(0, 64) + "...";
  }

  std::string_view t_;
  std::size_t pos_ = 0;
  std::string err_;
};

}  // namespace

const Json* Json::get(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object()) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string Json::get_string(std::string_view key, std::string fallback) const {
  const Json* v = get(key);
  return v != nullptr && v->is_string() ? v->as_string() : fallback;
}

Json& Json::set(std::string key, Json value) {
  if (is_null()) v_ = Object{};
  auto& obj = std::get<5>(v_);
  for (auto& [k, v] : obj) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  obj.emplace_back(std::move(key), std::move(value));
  return *this;
}

Json& Json::push(Json value) {
  if (is_null()) v_ = Array{};
  std::get<4>(v_).push_back(std::move(value));
  return *this;
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c >= 0x80) {
      std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
        ++i;
        continue;
      }
      out.append(s.substr(i, n));
      i += n;
      continue;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out + "\"";
}

void Json::dump_to(std::string& out, int indent, int depth) const {
  auto newline = [&](int d) {
    if (indent <= 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(indent * d), ' ');
  };
  switch (v_.index()) {
    case 0:
      out += "null";
      break;
    case 1:
      out += as_bool() ? "true" : "false";
      break;
    case 2: {
      double d = as_number();
      char buf[32];
      if (!std::isfinite(d)) {
        out += "null";
      } else if (d == std::floor(d) && std::fabs(d) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", d);
        out += buf;
      } else {
        std::snprintf(buf, sizeof buf, "%.17g", d);
        out += buf;
      }
      break;
    }
    case 3:
      out += json_quote(as_string());
      break;
    case 4: {
      const Array& a = as_array();
      out += '[';
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i > 0) out += ',';
        newline(depth + 1);
        a[i].dump_to(out, indent, depth + 1);
      }
      if (!a.empty()) newline(depth);
      out += ']';
      break;
    }
    case 5: {
      const Object& o = as_object();
      out += '{';
      for (std::size_t i = 0; i < o.size(); ++i) {
        if (i > 0) out += ',';
        newline(depth + 1);
        out += json_quote(o[i].first);
        out += indent > 0 ? ": " : ":";
        o[i].second.dump_to(out, indent, depth + 1);
      }
      if (!o.empty()) newline(depth);
      out += '}';
      break;
    }
  }
}

std::string Json::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

ipc::Result<Json> parse_json(std::string_view text, std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return ipc::Error(
        EFBIG, "parse_json", std::to_string(text.size()) + " bytes",
        "larger than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  return Reader(text).document();
}

}  // namespace conformance
