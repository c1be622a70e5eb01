// cli/quote.h — user input made safe to echo in one line of an error message.
//
//   quote("10abc")         -> '10abc'
//   quote("a\rb")          -> 'a\rb'       (control bytes escaped)
//   quote(120 KB word, 40) -> 'first 40 bytes'... (122880 bytes)
//
// A message that echoes what it rejected must not be forged by it (a '\r' or
// '\n' rewriting the terminal line or the log) nor grow with it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cli {

// `text` in single quotes, with every byte outside printable ASCII and the
// characters '\'' and '\\' escaped (\n, \r, \t, \\, \', \xHH), cut after
// `max_bytes` input bytes; a cut text is followed by "... (N bytes)".
std::string quote(std::string_view text, std::size_t max_bytes = 64);

}  // namespace cli
