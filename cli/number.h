// cli/number.h — the one strict number parser of the command-line programs.
//
//   auto t = cli::parse_number<int>("--timeout", argv[i], 1, 86400);
//   auto s = cli::parse_number<std::uint64_t>("IPCFAULT_SEED", getenv(...));
//   if (!t) { fprintf(stderr, "report: %s\n", t.error().message().c_str()); }
//
// Flags and environment variables follow the same rules: the whole text is
// an optional '-' (signed types only) and decimal digits, nothing else. Empty
// text, blanks anywhere ("' 5'", "5 "), a '+', trailing characters ("10abc"),
// a '-' for an unsigned type ("-5") and values outside [min, max] or outside
// the type are errors (EINVAL for the form, ERANGE for the value). The error
// names the option and quotes what it got (cli/quote.h), e.g.
//   --timeout('10abc'): Invalid argument (not a decimal number: 'abc' after 10)
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

#include "ipc/result.h"

namespace cli {

// The two widths everything is parsed in; parse_number narrows.
ipc::Result<std::int64_t> parse_signed(std::string_view what,
                                       std::string_view text, std::int64_t min,
                                       std::int64_t max);
ipc::Result<std::uint64_t> parse_unsigned(std::string_view what,
                                          std::string_view text,
                                          std::uint64_t min, std::uint64_t max);

// Parses `text`, the value of option or variable `what`, as a T in [min, max].
template <typename T>
ipc::Result<T> parse_number(std::string_view what, std::string_view text,
                            T min = std::numeric_limits<T>::min(),
                            T max = std::numeric_limits<T>::max()) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if constexpr (std::is_signed_v<T>) {
    auto v = parse_signed(what, text, min, max);
    if (!v) return std::move(v).error();
    return static_cast<T>(*v);
  } else {
    auto v = parse_unsigned(what, text, min, max);
    if (!v) return std::move(v).error();
    return static_cast<T>(*v);
  }
}

}  // namespace cli
