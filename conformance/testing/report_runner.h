// conformance/testing/report_runner.h — runs the report binary from a test:
//
//   ReportRun r = RunReport({"--only", "PIPE-001", "--json", path});
//   EXPECT_EQ(r.status, 0) << r.output;  ... ReadWholeFile(path) ...
//
// Shared by report_test and report_files_test.
#pragma once

#include <string>
#include <vector>

namespace conformance::testing {

struct ReportRun {
  int status = -1;     // raw wait status; -1 if the report could not run
  std::string output;  // stdout + stderr, or why it could not run
};

// Runs //conformance:report (from the runfiles) with `args` and the extra
// "NAME=value" entries `env`; kills it after 10 minutes.
ReportRun RunReport(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {});

// The content of `path` ("" if it cannot be read).
std::string ReadWholeFile(const std::string& path);

}  // namespace conformance::testing
