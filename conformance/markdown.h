// conformance/markdown.h — text from a report made safe inside Markdown.
//
//   md += "| " + md_cell(id) + " | " + md_cell(verdict) + " |\n";
//
// A report read by compare may come from anywhere (another machine, a file a
// user edited): its IDs, verdicts, labels and messages must not add rows,
// cells, headings or HTML to the Markdown they are printed into.
#pragma once

#include <string>
#include <string_view>

namespace conformance {

// `text` for one table cell or one list item: '|' and '\' are backslash-
// escaped (no cell boundary can be forged), '<', '>' and '&' become entities
// (no HTML), a line break becomes "<br>" (no new row or heading), other
// control characters a space, and bytes that are not UTF-8 U+FFFD.
std::string md_cell(std::string_view text);

}  // namespace conformance
