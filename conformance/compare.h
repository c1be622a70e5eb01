// conformance/compare.h — merges report JSON files (report --json) from
// several runs (kernels, libcs, sandboxes, a run under a deviation shim) into
// one Markdown table of the behaviours whose verdicts differ.
//
//   bazel run //conformance:compare -- r1.json r2.json [--all]
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "ipc/result.h"

namespace conformance {

// The largest report compare reads (a full report is a few hundred KB).
inline constexpr std::size_t kReportMaxBytes = 16 << 20;

struct ReportFile {
  std::string label;  // column heading, e.g. the file name
  std::string text;   // the JSON document
};

struct Comparison {
  std::string markdown;  // all of the parts below, with a heading
  // The parts, for programs that arrange them otherwise (matrix/):
  std::string facts;        // host facts and verdict counts, one column each
  std::string differences;  // "N behaviours…; M differ." and the table
  std::string details;      // "- ID in label: observed" lines
  int behaviours = 0;       // distinct IDs in any report
  int differing = 0;        // IDs whose verdict is not the same in every report
};

// EINVAL naming the label if a document is not a report (malformed JSON, a
// key twice in an object, a behaviour without an ID, the same ID twice);
// EFBIG for one larger than kReportMaxBytes. With `all`, every behaviour gets
// a row, not only the differing ones. Every text taken from a report is
// escaped for Markdown (markdown.h). Time and memory are linear in the size
// of the reports (times log n for the ID order).
ipc::Result<Comparison> compare_reports(const std::vector<ReportFile>& reports,
                                        bool all);

}  // namespace conformance
