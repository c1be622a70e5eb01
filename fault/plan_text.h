// fault/plan_text.h — the cursor over a plan's text that the plan parser
// (plan.cc) and the effects' parsers (effect.cc) read with: words, numbers,
// punctuation, and errors that name the offending token and its column.
//
// Internal to the plan language; not part of its API.
#pragma once

#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/quote.h"
#include "ipc/result.h"

namespace fault {

class PlanText {
 public:
  explicit PlanText(std::string_view text) : s_(text) {}

  std::size_t pos() const { return pos_; }
  void set_pos(std::size_t pos) { pos_ = pos; }
  std::string_view rest() const { return s_.substr(pos_); }
  bool at_end() const { return pos_ >= s_.size(); }
  bool at_digit() const {
    return !at_end() && s_[pos_] >= '0' && s_[pos_] <= '9';
  }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  bool starts_with(std::string_view prefix) const {
    return s_.substr(pos_, prefix.size()) == prefix;
  }

  void skip(std::size_t n) { pos_ += n; }
  void skip_blanks() {
    while (!at_end() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n'))
      ++pos_;
  }
  bool eat(char c) {
    if (at_end() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // The word (letters, digits, '_') at the cursor, possibly empty: a view into
  // the text, no allocation per token.
  std::string_view word() {
    std::size_t start = pos_;
    while (!at_end() && is_word_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  // An unsigned decimal 64-bit number; `what` names it in errors.
  ipc::Result<std::uint64_t> number(const char* what) {
    std::size_t col = pos_;
    if (!at_digit())
      return fail(col, std::string("expected a number for ") + what +
                           ", found " + token_at(col));
    std::uint64_t v = 0;
    auto [end, ec] =
        std::from_chars(s_.data() + pos_, s_.data() + s_.size(), v);
    pos_ = static_cast<std::size_t>(end - s_.data());
    if (ec != std::errc()) {
      while (at_digit()) ++pos_;
      return fail(col, std::string(what) + " number out of range");
    }
    return v;
  }

  // The token starting at `col`, quoted, for messages; "end of plan" at the
  // end.
  std::string token_at(std::size_t col) const {
    if (col >= s_.size()) return "end of plan";
    std::size_t end = col;
    while (end < s_.size() && is_word_char(s_[end])) ++end;
    if (end == col) end = col + 1;
    return cli::quote(s_.substr(col, end - col), kTokenBytes);
  }

  // EINVAL from parse_plan: `what` and the 1-based column, with the plan text
  // (its first 80 characters) as the context.
  ipc::Error fail(std::size_t col, const std::string& what) const {
    return ipc::Error(EINVAL, "parse_plan", cli::quote(s_, 80),
                      what + " at column " + std::to_string(col + 1));
  }

  // How much of a token an error message shows (cli::quote).
  static constexpr std::size_t kTokenBytes = 40;

  static bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace fault
