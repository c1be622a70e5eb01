// sanitizers/selftest_util.h — helpers for the sanitizer self-tests: which
// sanitizer the Bazel config promises ($IPCT_SANITIZER), where
// //sanitizers:broken is in the runfiles, and running it in a child with its
// output captured.
//
//   class AsanSelfTest : public SanitizerSelfTest {
//     AsanSelfTest() : SanitizerSelfTest("asan", {"asan", "fuzz"}) {}
//   };
//   ChildRun run = RunBroken("heap_overflow", "16");
//   EXPECT_TRUE(FailedWithReport(run, "ERROR: AddressSanitizer:
//   heap-buffer-overflow"));
//   ChildRun shimmed;  ExpectPreloadShimReached(&shimmed);
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace sanitizers {

// $IPCT_SANITIZER, or "" when unset (the default config).
std::string ActiveSanitizer();

// Finds a file of this workspace in the runfiles tree ("sanitizers/broken"):
// $TEST_SRCDIR/$TEST_WORKSPACE/..., the current directory (bazel test runs
// tests from the runfiles root), then <this binary>.runfiles/ipctorture/...
// Returns the first that exists as an absolute path, "" if none does.
std::string FindRunfile(const std::string& workspace_path);

struct ChildRun {
  int status = -1;     // raw waitpid status; -1 if the child could not be run
  std::string output;  // everything the child wrote to stdout and stderr
};

// Runs `path args...` in a child with stdout+stderr captured through a file
// (no pipe, so a long report cannot block the child). `extra_env` entries
// ("NAME=value") are added to a copy of this process's environment.
ChildRun RunCaptured(const std::string& path,
                     const std::vector<std::string>& args,
                     const std::vector<std::string>& extra_env = {});

// RunCaptured on //sanitizers:broken with arguments `snippet number`.
ChildRun RunBroken(const std::string& snippet, const std::string& number,
                   const std::vector<std::string>& extra_env = {});

// The way fault/ and conformance/ use LD_PRELOAD, under this sanitizer:
// RunBroken("pipe2") without and with LD_PRELOAD=sanitizers/libpreload_shim.so
// (from the runfiles). Expects the plain run's pipe2 to succeed, and the shim
// to load and its pipe2 (which fails with EDOM) to be reached through the
// sanitizer's interceptor. `shimmed` gets the run with the shim.
void ExpectPreloadShimReached(ChildRun* shimmed);

// Success when the child exited non-zero or was killed AND its output contains
// `report`; otherwise a failure that shows the status and the output.
::testing::AssertionResult FailedWithReport(const ChildRun& run,
                                            std::string_view report);

// Fixture base: skips every test unless $IPCT_SANITIZER is one of `live_in`,
// with the reason "run with --config=<config>".
class SanitizerSelfTest : public ::testing::Test {
 protected:
  SanitizerSelfTest(std::string config,
                    std::initializer_list<std::string_view> live_in);
  void SetUp() override;

 private:
  std::string config_;
  std::vector<std::string> live_in_;
};

}  // namespace sanitizers
