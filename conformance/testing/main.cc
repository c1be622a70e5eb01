// conformance/testing/main.cc — the GoogleTest main of every conformance test
// binary.
//
//  - Gives the binary a private temp root: $TEST_TMPDIR under Bazel, otherwise
//    a fresh directory (exported as TEST_TMPDIR, so ipc::testing::TempDir uses
//    it) that is removed at exit. So a binary runs the same from bazel-bin/.
//  - Installs the leak listener (conformance/testing/leak_listener.h).
//  - Arms the per-test watchdog when $IPCT_TEST_TIMEOUT is set (watchdog.h),
//    and the result stream when $IPCT_RESULTS_STREAM is (result_stream.h).
//  - Records each GTEST_SKIP message as the test property "skip_reason", which
//    the report reads from --gtest_output=json (GoogleTest's JSON has no field
//    for it).
#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "conformance/testing/leak_listener.h"
#include "conformance/testing/result_stream.h"
#include "conformance/testing/watchdog.h"
#include "conformance/verdict.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}

// $TEST_TMPDIR if set, else a private directory removed on destruction.
class TempRoot {
 public:
  TempRoot() {
    const char* t = std::getenv("TEST_TMPDIR");
    if (t != nullptr && *t != '\0') {
      path_ = t;
      return;
    }
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/ipct-conformance-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      std::fprintf(stderr, "ipct: mkdtemp(%s): %s\n", templ.c_str(),
                   std::strerror(errno));
      std::exit(2);
    }
    path_ = templ;
    owned_ = true;
    ::setenv("TEST_TMPDIR", path_.c_str(), 1);
  }
  ~TempRoot() {
    if (owned_) ::nftw(path_.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

class SkipReasonRecorder : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo& info) override {
    const ::testing::TestResult& result = *info.result();
    if (!result.Skipped()) return;
    std::string reason;
    for (int i = 0; i < result.total_part_count(); ++i) {
      const ::testing::TestPartResult& part = result.GetTestPartResult(i);
      if (part.skipped() && part.message() != nullptr &&
          *part.message() != '\0') {
        reason += (reason.empty() ? "" : "; ") + std::string(part.message());
      }
    }
    if (!reason.empty())
      ::testing::Test::RecordProperty(conformance::kSkipReasonProperty, reason);
  }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  TempRoot temp_root;
  int rc;
  {
    conformance::testing::start_recording_forks();
    ::testing::TestEventListeners& listeners =
        ::testing::UnitTest::GetInstance()->listeners();
    if (!GTEST_FLAG_GET(list_tests)) {
      conformance::testing::LeakRules rules =
          conformance::testing::detect_rules(temp_root.path());
      std::fprintf(stderr, "[ipct] leak check: %s\n",
                   rules.description.c_str());
      // OnTestEnd runs in reverse order of appending: skip reasons are recorded
      // first, then leaks are checked, then the result stream and the default
      // printer report.
      if (auto* stream = conformance::testing::make_result_stream_from_env())
        listeners.Append(stream);
      listeners.Append(
          new conformance::testing::LeakListener(std::move(rules)));
      listeners.Append(new SkipReasonRecorder);
      if (auto* watchdog = conformance::testing::make_watchdog_from_env())
        listeners.Append(watchdog);
    }
    rc = RUN_ALL_TESTS();
  }
  return rc;
}
