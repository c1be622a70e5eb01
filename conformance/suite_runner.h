// conformance/suite_runner.h — runs one conformance binary for the report
// and turns what happened into one outcome per catalogued test, telling a
// test that failed or hung (evidence about the OS) from a binary that could
// not run at all (an error of the setup).
//
//   SuiteRunner runner(config, catalog);
//   SuiteStats s = runner.run("/…/pipe_test", {"PipeOs.X", …}, outcomes);
//
// Each attempt runs the binary with --gtest_output=json and a result stream
// (conformance/testing/result_stream.h), in its own temporary directory
// ($TEST_TMPDIR) that is removed, with every process it left, when the
// attempt ends. If the binary does not finish, the tests that ended keep
// their results from the stream, the test that was running fails ("did not
// finish", with the watchdog's or the crash's words), and the tests that did
// not start run again in a new attempt. A binary that is missing, cannot be
// executed, or dies before its first test gives its remaining tests the
// outcome kError.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "conformance/catalog.h"
#include "conformance/process.h"
#include "conformance/verdict.h"

namespace conformance {

struct SuiteRunConfig {
  Isolation isolation = Isolation::kNone;
  Containment containment = Containment::kNone;
  std::chrono::seconds suite_timeout{1800};  // per attempt
  int test_timeout_s = 60;                   // IPCT_TEST_TIMEOUT
  // "NAME=value" for the suites, on top of the sanitised environment.
  std::vector<std::string> env;
  bool verbose = false;  // the suites' output to our stderr
  // An existing private directory for attempts' files; each attempt's
  // temporary directory is made (and removed) under it.
  std::string work_dir;
};

struct SuiteStats {
  int passed = 0, failed = 0, skipped = 0, errors = 0;
  int attempts = 0;
  int leftovers_killed = 0;  // processes the binary left behind, killed
  double seconds = 0;
};

class SuiteRunner {
 public:
  SuiteRunner(SuiteRunConfig config, const Catalog& catalog)
      : config_(std::move(config)), catalog_(catalog) {}

  // Runs binary `path` for the GoogleTest names `tests` (empty: all its
  // catalogued tests, in one run without a filter) and adds an outcome for
  // each. `index`/`total` only label the progress lines on stderr.
  SuiteStats run(const std::string& path, const std::set<std::string>& tests,
                 int index, int total, Outcomes& outcomes);

 private:
  struct Attempt {
    Outcomes outcomes;       // from the JSON, or else from the stream
    bool completed = false;  // exited 0/1 and wrote its JSON
    bool timed_out = false;  // killed at the suite's time limit
    StreamSummary stream;
    bool stream_seen = false;  // the binary opened its result stream
    std::string why;           // why it did not complete
    double seconds = 0;
    int leftovers_killed = 0;
  };

  Attempt attempt(const std::string& path, const std::set<std::string>& tests);
  std::set<std::string> catalogued_tests(const std::string& binary) const;

  SuiteRunConfig config_;
  const Catalog& catalog_;
  int serial_ = 0;
};

// Removes a directory tree (no symlinks followed); quiet.
void remove_tree(const std::string& path);

}  // namespace conformance
