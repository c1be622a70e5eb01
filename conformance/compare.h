// conformance/compare.h — merges report JSON files (report --json) from
// several runs (kernels, libcs, sandboxes, a run under a deviation shim) into
// one Markdown table of the behaviours whose verdicts differ.
//
//   bazel run //conformance:compare -- r1.json r2.json [--all]
#pragma once

#include <string>
#include <vector>

#include "ipc/result.h"

namespace conformance {

struct ReportFile {
  std::string label;  // column heading, e.g. the file name
  std::string text;   // the JSON document
};

struct Comparison {
  std::string markdown;
  int behaviours = 0;  // distinct IDs in any report
  int differing = 0;   // IDs whose verdict is not the same in every report
};

// EINVAL naming the label if a document is not a report. With `all`, every
// behaviour gets a row, not only the differing ones.
ipc::Result<Comparison> compare_reports(const std::vector<ReportFile>& reports, bool all);

}  // namespace conformance
