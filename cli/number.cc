// cli/number.cc — see number.h.
#include "cli/number.h"

#include <cerrno>
#include <string>

#include "cli/quote.h"

namespace cli {
namespace {

ipc::Error bad(int code, std::string_view what, std::string_view text,
               std::string detail) {
  return ipc::Error(code, std::string(what), quote(text), std::move(detail));
}

template <typename T>
std::string range_of(T min, T max) {
  return "expected " + std::to_string(min) + " to " + std::to_string(max);
}

// The value of `digits`, which must be all of `text` after an optional sign:
// one or more decimal digits, at most UINT64_MAX.
ipc::Result<std::uint64_t> magnitude(std::string_view what,
                                     std::string_view text,
                                     std::string_view digits,
                                     const std::string& range) {
  if (text.empty()) {
    return bad(EINVAL, what, text, "empty, expected a decimal number");
  }
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < digits.size() && digits[i] >= '0' && digits[i] <= '9'; ++i) {
    unsigned d = static_cast<unsigned>(digits[i] - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return bad(ERANGE, what, text, "out of range: " + range);
    }
    v = v * 10 + d;
  }
  if (i == 0) return bad(EINVAL, what, text, "not a decimal number");
  if (i < digits.size()) {
    return bad(EINVAL, what, text,
               "not a decimal number: " + quote(digits.substr(i), 16) +
                   " after the digits");
  }
  return v;
}

}  // namespace

ipc::Result<std::int64_t> parse_signed(std::string_view what,
                                       std::string_view text, std::int64_t min,
                                       std::int64_t max) {
  std::string range = range_of(min, max);
  bool negative = !text.empty() && text[0] == '-';
  if (negative && min >= 0) {
    return bad(ERANGE, what, text, "must not be negative: " + range);
  }
  auto m = magnitude(what, text, negative ? text.substr(1) : text, range);
  if (!m) return std::move(m).error();
  constexpr std::uint64_t kMaxNegative =
      static_cast<std::uint64_t>(INT64_MAX) + 1;
  if (*m > (negative ? kMaxNegative : static_cast<std::uint64_t>(INT64_MAX))) {
    return bad(ERANGE, what, text, "out of range: " + range);
  }
  std::int64_t v = !negative            ? static_cast<std::int64_t>(*m)
                   : *m == kMaxNegative ? INT64_MIN
                                        : -static_cast<std::int64_t>(*m);
  if (v < min || v > max) {
    return bad(ERANGE, what, text, "out of range: " + range);
  }
  return v;
}

ipc::Result<std::uint64_t> parse_unsigned(std::string_view what,
                                          std::string_view text,
                                          std::uint64_t min,
                                          std::uint64_t max) {
  std::string range = range_of(min, max);
  if (!text.empty() && text[0] == '-') {
    return bad(ERANGE, what, text, "must not be negative: " + range);
  }
  auto m = magnitude(what, text, text, range);
  if (!m) return std::move(m).error();
  if (*m < min || *m > max) {
    return bad(ERANGE, what, text, "out of range: " + range);
  }
  return m;
}

}  // namespace cli
