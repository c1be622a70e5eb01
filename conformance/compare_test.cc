// conformance/compare_test.cc — tests of the report comparison (compare.h)
// and of the //conformance:compare binary.
#include "conformance/compare.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/json.h"
#include "conformance/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace conformance {
namespace {

using ::ipc::testing::FailsWith;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Report(const std::string& kernel, const std::string& v1,
                   const std::string& v2, const std::string& preload = "none") {
  return R"({"host": {"kernel": ")" + kernel +
         R"(", "libc": "glibc 2.36", "preload": ")" + preload +
         R"("}, "behaviours": [
    {"id": "PIPE-019", "verdict": ")" +
         v1 + R"(", "title": "EOF | not EAGAIN", "observed": )" +
         (v1 == "deviates" ? "\"read returned -1 EAGAIN\"" : "null") + R"(},
    {"id": "PIPE-001", "verdict": ")" +
         v2 + R"(", "title": "one pipe object", "observed": null}]})";
}

TEST(Compare, ShowsOnlyDifferingBehavioursWithObservations) {
  auto c = compare_reports(
      {{"a.json", Report("Linux 6.1", "conforms", "conforms")},
       {"b.json",
        Report("Linux 6.18", "deviates", "conforms", "/x/libdev.so")}},
      false);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->behaviours, 2);
  EXPECT_EQ(c->differing, 1);
  EXPECT_THAT(c->markdown, HasSubstr("| Kernel | Linux 6.1 | Linux 6.18 |"));
  EXPECT_THAT(c->markdown, HasSubstr("| LD_PRELOAD | none | /x/libdev.so |"));
  EXPECT_THAT(
      c->markdown,
      HasSubstr("| PIPE-019 | EOF \\| not EAGAIN | conforms | **deviates** |"));
  // Two reports: the facts table has 3 columns, the behaviour table 4.
  EXPECT_THAT(
      c->markdown,
      HasSubstr("| ID | Behaviour | a.json | b.json |\n|---|---|---|---|\n"));
  EXPECT_THAT(c->markdown, Not(HasSubstr("| PIPE-001 |")));
  EXPECT_THAT(c->markdown,
              HasSubstr("- PIPE-019 in b.json: read returned -1 EAGAIN"));
  EXPECT_THAT(c->markdown, HasSubstr("2 behaviours in any report; 1 differs."));
  // Verdict counts per report, every verdict named.
  EXPECT_THAT(c->markdown,
              HasSubstr("| conforms | 2 | 1 |\n| partial | 0 | 0 |"
                        "\n| deviates | 0 | 1 |\n| skipped | 0 | 0 "
                        "|\n| error | 0 | 0 |\n"));
}

TEST(Compare, PartialAndErrorAreVerdictsLikeTheOthers) {
  auto c = compare_reports({{"a", Report("k", "partial", "error")},
                            {"b", Report("k", "conforms", "error")}},
                           false);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->differing, 1);
  EXPECT_THAT(c->markdown, HasSubstr("| **partial** | conforms |"));
  EXPECT_THAT(c->markdown, HasSubstr("| error | 1 | 1 |"));
}

TEST(Compare, AllListsEveryBehaviourAndSortsById) {
  auto c = compare_reports({{"a", Report("k", "conforms", "skipped")},
                            {"b", Report("k", "conforms", "skipped")}},
                           true);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->differing, 0);
  auto first = c->markdown.find("| PIPE-001 |"),
       second = c->markdown.find("| PIPE-019 |");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_THAT(c->markdown,
              HasSubstr("| PIPE-001 | one pipe object | skipped | skipped |"));
}

TEST(Compare, BehaviourMissingFromOneReportIsADifference) {
  std::string only_one =
      R"({"host": {}, "behaviours": [{"id": "PIPE-001", "verdict": "conforms"}]})";
  auto c = compare_reports(
      {{"a", Report("k", "conforms", "conforms")}, {"b", only_one}}, false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->differing, 1);
  EXPECT_THAT(
      c->markdown,
      HasSubstr("| PIPE-019 | EOF \\| not EAGAIN | conforms | **absent** |"));
}

TEST(Compare, RejectsWhatIsNotAReport) {
  EXPECT_THAT(compare_reports({{"a", "{}"}, {"b", "{}"}}, false),
              FailsWith(EINVAL));
  auto bad = compare_reports({{"a", Report("k", "conforms", "conforms")},
                              {"broken.json", "{\"host\": "}},
                             false);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("broken.json"));
  EXPECT_THAT(
      compare_reports({{"a", Report("k", "conforms", "conforms")}}, false),
      FailsWith(EINVAL));
}

TEST(CompareBinary, ExitsOneOnDifferencesZeroWithoutTwoOnErrors) {
  TempDir dir;
  std::ofstream(dir.file("a.json")) << Report("k", "conforms", "conforms");
  std::ofstream(dir.file("b.json")) << Report("k", "deviates", "conforms");
  auto bin = runfile("conformance/compare");
  ASSERT_TRUE(bin.ok()) << bin.error().message();
  auto differ = run_program({*bin, dir.file("a.json"), dir.file("b.json")}, {});
  ASSERT_TRUE(differ.ok());
  EXPECT_EQ(differ->wait_status, 1 << 8) << differ->output;
  EXPECT_THAT(differ->output, HasSubstr("**deviates**"));
  auto same = run_program({*bin, dir.file("a.json"), dir.file("a.json")}, {});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->wait_status, 0) << same->output;
  auto missing =
      run_program({*bin, dir.file("a.json"), dir.file("nope.json")}, {});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->wait_status, 2 << 8);
  EXPECT_THAT(missing->output,
              HasSubstr("nope.json): No such file or directory"));
}

TEST(Compare, RejectsABehaviourIdTwiceInOneReport) {
  // The second entry must not silently win (it could hide a deviation).
  std::string twice = R"({"host": {}, "behaviours": [
      {"id": "PIPE-001", "verdict": "deviates"},
      {"id": "PIPE-001", "verdict": "conforms"}]})";
  auto c = compare_reports(
      {{"a", Report("k", "conforms", "conforms")}, {"twice.json", twice}},
      false);
  ASSERT_THAT(c, FailsWith(EINVAL));
  EXPECT_THAT(c.error().message(),
              HasSubstr("twice.json): Invalid argument (behaviour "
                        "\"PIPE-001\" appears twice)"));
}

TEST(Compare, RejectsAKeyTwiceInOneObject) {
  std::string two_verdicts = R"({"host": {}, "behaviours": [
      {"id": "PIPE-001", "verdict": "deviates", "verdict": "conforms"}]})";
  auto c = compare_reports(
      {{"a", Report("k", "conforms", "conforms")}, {"b", two_verdicts}}, false);
  ASSERT_THAT(c, FailsWith(EINVAL));
  EXPECT_THAT(c.error().message(), HasSubstr("duplicate key \"verdict\""));
}

// Counts the '|' not preceded by an (unescaped) backslash: cell boundaries.
int CellBoundaries(const std::string& line) {
  int n = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;  // the escaped character
    } else if (line[i] == '|') {
      ++n;
    }
  }
  return n;
}

TEST(Compare, EveryFieldFromAReportIsEscapedForMarkdown) {
  const std::string forged =
      json_quote("X|Y\n# forged heading\r\n| fake | row |<b>&\x01");
  std::string evil = R"({"host": {"kernel": )" + forged +
                     R"(}, "behaviours": [{"id": )" + forged +
                     R"(, "verdict": )" + forged + R"(, "title": )" + forged +
                     R"(, "observed": )" + forged + R"(}]})";
  auto c = compare_reports(
      {{"a|b\n#.json", evil}, {"b", Report("k", "conforms", "conforms")}},
      true);
  ASSERT_TRUE(c.ok()) << c.error().message();
  std::istringstream lines(c->markdown);
  int tables = 0;
  for (std::string line; std::getline(lines, line);) {
    SCOPED_TRACE(line);
    EXPECT_THAT(line, Not(HasSubstr("<b>")));
    EXPECT_THAT(line, Not(HasSubstr("forged heading|")));
    if (line.rfind("#", 0) == 0) {
      EXPECT_TRUE(line == "# Conformance comparison" ||
                  line == "## Observed where a behaviour deviates");
    } else if (line.rfind("|", 0) == 0) {
      // Facts table: label + 2 reports; behaviour table: ID, title + 2.
      int cells = CellBoundaries(line) - 1;
      EXPECT_TRUE(cells == 3 || cells == 4);
      tables += cells == 4;
    } else if (line.rfind("- ", 0) == 0) {
      EXPECT_EQ(CellBoundaries(line), 0);
    }
  }
  EXPECT_GE(tables, 3);  // heading, rule, and the rows
  EXPECT_THAT(c->markdown,
              HasSubstr("X\\|Y<br># forged heading<br>\\| fake \\| row "
                        "\\|&lt;b&gt;&amp;  |"));
}

TEST(Compare, AHundredThousandKeyObjectTakesLinearTime) {
  // 100k keys in one object (~1.1 MB): comparing each key with every earlier
  // one made this quadratic (the figures before and after: docs/
  // reliability.md). The bound here leaves room for sanitizers and load.
  std::string host = "{";
  for (int i = 0; i < 100000; ++i) {
    host += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":\"v\"";
  }
  host += "}";
  std::string big = R"({"host": )" + host + R"(, "behaviours": []})";
  auto start = std::chrono::steady_clock::now();
  auto c = compare_reports(
      {{"big", big}, {"b", Report("k", "conforms", "conforms")}}, false);
  double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_LT(s, 10.0);
}

TEST(Compare, RejectsAReportOverTheSizeLimit) {
  std::string huge(kReportMaxBytes + 1, ' ');
  EXPECT_THAT(compare_reports({{"a", huge}, {"b", huge}}, false),
              FailsWith(EINVAL));
}

class CompareBinaryInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.file("a.json")) << Report("k", "conforms", "conforms");
    auto bin = runfile("conformance/compare");
    ASSERT_TRUE(bin.ok()) << bin.error().message();
    bin_ = *bin;
  }
  RunResult Run(std::vector<std::string> args,
                std::vector<std::string> env = {}) {
    args.insert(args.begin(), bin_);
    RunOptions opt;
    opt.env = std::move(env);
    opt.timeout = std::chrono::seconds(60);
    auto r = run_program(args, opt);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : RunResult{};
  }
  TempDir dir_;
  std::string bin_;
};

TEST_F(CompareBinaryInputs, OutAsTheLastArgumentNeedsAName) {
  RunResult r = Run({dir_.file("a.json"), dir_.file("a.json"), "--out"});
  EXPECT_EQ(r.wait_status, 2 << 8);
  EXPECT_THAT(r.output, HasSubstr("compare: --out needs a file name"));
  EXPECT_THAT(r.output, Not(HasSubstr("unknown argument")));
}

TEST_F(CompareBinaryInputs, DirectoriesAndEndlessFilesGetClearErrors) {
  RunResult dir = Run({dir_.file("a.json"), dir_.path()});
  EXPECT_EQ(dir.wait_status, 2 << 8);
  EXPECT_THAT(dir.output, HasSubstr("a directory, not a file"));
  RunResult zero = Run({dir_.file("a.json"), "/dev/zero"});
  EXPECT_EQ(zero.wait_status, 2 << 8) << zero.output;
  EXPECT_THAT(zero.output, HasSubstr("/dev/zero): File too large (longer than "
                                     "the limit of 16777216 bytes)"));
}

TEST_F(CompareBinaryInputs, OutIsWrittenWholeAndAnUnwritableOneFailsFirst) {
  std::string out = dir_.file("cmp.md");
  RunResult r =
      Run({dir_.file("a.json"), dir_.file("a.json"), "--out", out, "--all"});
  EXPECT_EQ(r.wait_status, 0) << r.output;
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("| PIPE-001 | one pipe object |"));
  // The output is refused before any input is read (the inputs are bad too).
  RunResult bad =
      Run({"/nonexistent/x.json", "/dev/zero", "--out", dir_.path()});
  EXPECT_EQ(bad.wait_status, 2 << 8);
  EXPECT_THAT(bad.output, HasSubstr("Is a directory"));
}

TEST_F(CompareBinaryInputs, AnEmptyWorkingDirectoryVariableIsIgnored) {
  // Relative names are the current directory's, not the root's.
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(::chdir(dir_.path().c_str()), 0);
  RunResult r = Run({"a.json", "a.json"}, {"BUILD_WORKING_DIRECTORY="});
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_EQ(r.wait_status, 0) << r.output;
}

}  // namespace
}  // namespace conformance
