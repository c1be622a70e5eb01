// conformance/report_files_test.cc — the report's command line as an attacker
// or a typo sees it: a symbolic link planted at the --json path in a sticky,
// world-writable directory leaves its target untouched, an unwritable output
// is reported before any suite runs, numbers are parsed strictly, and a crash
// during the run leaves no half-written file. Runs outside the sandbox: giving
// the link to another user (lchown to uid 65534) needs the real root.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/report_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace conformance {
namespace {

using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

using ::conformance::testing::ReportRun;
using ::conformance::testing::RunReport;

std::string Slurp(const std::string& path) {
  return ::conformance::testing::ReadWholeFile(path);
}

bool ExitedWith(const ReportRun& r, int code) {
  return WIFEXITED(r.status) && WEXITSTATUS(r.status) == code;
}

// A one-behaviour catalogue over leaky_suite's Leaky.Clean (it passes).
class ReportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.file("catalog.txt"))
        << "id: TEST-001\ntitle: clean\nexpected: passes\nspec: none\n"
           "scope: P\ntests: leaky_suite:Leaky.Clean\n";
    auto leaky = runfile("conformance/testing/leaky_suite");
    ASSERT_TRUE(leaky.ok()) << leaky.error().message();
    base_ = {"--catalog", dir_.file("catalog.txt"), "--suite", *leaky};
  }
  std::vector<std::string> Args(std::vector<std::string> more) const {
    std::vector<std::string> a = base_;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  TempDir dir_;
  std::vector<std::string> base_;
};

TEST_F(ReportFiles, APlantedLinkAtTheJsonPathLeavesItsTargetUntouched) {
  std::string sticky = dir_.file("tmp");
  ASSERT_EQ(::mkdir(sticky.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(sticky.c_str(), 01777), 0);  // like /tmp
  std::string target = dir_.file("precious");
  std::ofstream(target) << "precious data";
  std::string link = sticky + "/r.json";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  if (::lchown(link.c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "cannot give the link to uid 65534 (not the real root)";
  }
  ReportRun r = RunReport(Args({"--json", link}));
  EXPECT_TRUE(ExitedWith(r, 2)) << DescribeWaitStatus(r.status) << r.output;
  EXPECT_THAT(r.output, HasSubstr("a symbolic link owned by uid 65534"));
  EXPECT_THAT(r.output, Not(HasSubstr("running")));  // refused before the run
  EXPECT_EQ(Slurp(target), "precious data");
  struct stat st {};
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));

  // Our own file in the same directory is written as usual.
  std::string mine = sticky + "/mine.json";
  r = RunReport(Args({"--json", mine}));
  EXPECT_TRUE(ExitedWith(r, 0)) << DescribeWaitStatus(r.status) << r.output;
  EXPECT_THAT(Slurp(mine), HasSubstr("\"TEST-001\""));
}

TEST_F(ReportFiles, AnUnwritableOutputIsReportedBeforeTheRun) {
  for (const char* option : {"--json", "--junit", "--out"}) {
    ReportRun r = RunReport(Args({option, dir_.file("missing/dir/r")}));
    EXPECT_TRUE(ExitedWith(r, 2)) << option << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("No such file or directory")) << option;
    EXPECT_THAT(r.output, Not(HasSubstr("running"))) << option;
    r = RunReport(Args({option, dir_.path()}));
    EXPECT_TRUE(ExitedWith(r, 2)) << option << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("Is a directory")) << option;
  }
}

TEST_F(ReportFiles, AllThreeFilesAreWrittenWholeAndReplaceOldOnes) {
  std::string json = dir_.file("r.json"), junit = dir_.file("r.xml"),
              md = dir_.file("r.md");
  for (const std::string& f : {json, junit, md}) std::ofstream(f) << "old";
  ReportRun r =
      RunReport(Args({"--json", json, "--junit", junit, "--out", md}));
  EXPECT_TRUE(ExitedWith(r, 0)) << DescribeWaitStatus(r.status) << r.output;
  EXPECT_THAT(Slurp(json), HasSubstr("\"TEST-001\""));
  EXPECT_THAT(Slurp(junit), HasSubstr("name=\"TEST-001\""));
  EXPECT_THAT(Slurp(md), HasSubstr("| TEST-001 |"));
}

TEST_F(ReportFiles, AKilledRunLeavesTheOldFileWhole) {
  std::string json = dir_.file("r.json");
  std::ofstream(json) << "the previous report";
  // The suite hangs (IPCT_LEAKY_HANG); the report is killed mid-run.
  std::ofstream(dir_.file("hang.txt"))
      << "id: TEST-005\ntitle: hangs\nexpected: returns\nspec: none\n"
         "scope: P\ntests: leaky_suite:Leaky.HangsWhenAsked\n";
  auto bin = runfile("conformance/report");
  ASSERT_TRUE(bin.ok());
  std::vector<std::string> argv = {*bin, "--catalog", dir_.file("hang.txt"),
                                   "--suite", base_[3], "--json", json,
                                   // passed on to the suite
                                   "--env", "IPCT_LEAKY_HANG=1"};
  // A killed report cannot remove its work directory: keep it inside ours
  // (removed with dir_) rather than in /tmp.
  std::string tmp = dir_.file("tmp");
  ASSERT_THAT(::mkdir(tmp.c_str(), 0700), SyscallSucceeds());
  RunOptions opt;
  opt.timeout = std::chrono::seconds(3);  // then SIGKILL
  opt.env = {"TMPDIR=" + tmp};
  auto r = run_program(argv, opt);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->timed_out) << DescribeWaitStatus(r->wait_status) << r->output;
  EXPECT_EQ(Slurp(json), "the previous report");
  // The new text was on its way: its temporary file is what the kill left.
  bool temporary = false;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    temporary |= e.path().filename().string().rfind(".r.json.tmp-", 0) == 0;
  }
  EXPECT_TRUE(temporary);
  bool work_dir_left = false;
  for (const auto& e : std::filesystem::directory_iterator(tmp)) {
    work_dir_left |= e.path().filename().string().rfind("ipct-report-", 0) == 0;
  }
  EXPECT_TRUE(work_dir_left) << "the report did not work under $TMPDIR";
}

TEST_F(ReportFiles, NumbersAreParsedStrictly) {
  for (const auto& [option, value, why] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"--timeout", "10abc", "not a decimal number: 'abc' after the"},
           {"--timeout", "-5", "must not be negative"},
           {"--timeout", "0", "out of range: expected 1 to 604800"},
           {"--test-timeout", " 5", "not a decimal number"},
           {"--test-timeout", "99999999999", "out of range"},
       }) {
    ReportRun r = RunReport(Args({option, value}));
    EXPECT_TRUE(ExitedWith(r, 2)) << option << " " << value << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("report: " + option + "('" + value + "')"));
    EXPECT_THAT(r.output, HasSubstr(why)) << option << " " << value;
  }
  ReportRun r = RunReport(Args({"--timeout", "60", "--test-timeout", "30"}));
  EXPECT_TRUE(ExitedWith(r, 0)) << r.output;
}

}  // namespace
}  // namespace conformance
