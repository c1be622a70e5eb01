// conformance/markdown.cc — see markdown.h.
#include "conformance/markdown.h"

#include "conformance/json.h"

namespace conformance {

std::string md_cell(std::string_view text) {
  std::string utf8 = valid_utf8(text);
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    char c = utf8[i];
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\r':
        if (i + 1 < utf8.size() && utf8[i + 1] == '\n') break;  // CRLF
        [[fallthrough]];
      case '\n':
        out += "<br>";
        break;
      default:
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
    }
  }
  return out;
}

}  // namespace conformance
