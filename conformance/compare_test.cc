// conformance/compare_test.cc — tests of the report comparison (compare.h)
// and of the //conformance:compare binary.
#include "conformance/compare.h"

#include <sys/wait.h>

#include <fstream>

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

std::string Report(const std::string& kernel, const std::string& v1, const std::string& v2,
                   const std::string& preload = "none") {
  return R"({"host": {"kernel": ")" + kernel + R"(", "libc": "glibc 2.36", "preload": ")" + preload +
         R"("}, "behaviours": [
    {"id": "PIPE-019", "verdict": ")" + v1 + R"(", "title": "EOF | not EAGAIN", "observed": )" +
         (v1 == "deviates" ? "\"read returned -1 EAGAIN\"" : "null") + R"(},
    {"id": "PIPE-001", "verdict": ")" + v2 + R"(", "title": "one pipe object", "observed": null}]})";
}

TEST(Compare, ShowsOnlyDifferingBehavioursWithObservations) {
  auto c = compare_reports({{"a.json", Report("Linux 6.1", "conforms", "conforms")},
                            {"b.json", Report("Linux 6.18", "deviates", "conforms", "/x/libdev.so")}},
                           false);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->behaviours, 2);
  EXPECT_EQ(c->differing, 1);
  EXPECT_THAT(c->markdown, HasSubstr("| Kernel | Linux 6.1 | Linux 6.18 |"));
  EXPECT_THAT(c->markdown, HasSubstr("| LD_PRELOAD | none | /x/libdev.so |"));
  EXPECT_THAT(c->markdown, HasSubstr("| PIPE-019 | EOF \\| not EAGAIN | conforms | **deviates** |"));
  // Two reports: the facts table has 3 columns, the behaviour table 4.
  EXPECT_THAT(c->markdown, HasSubstr("| ID | Behaviour | a.json | b.json |\n|---|---|---|---|\n"));
  EXPECT_THAT(c->markdown, Not(HasSubstr("| PIPE-001 |")));
  EXPECT_THAT(c->markdown, HasSubstr("- PIPE-019 in b.json: read returned -1 EAGAIN"));
  EXPECT_THAT(c->markdown, HasSubstr("2 behaviours in any report; 1 differs."));
}

TEST(Compare, AllListsEveryBehaviourAndSortsById) {
  auto c = compare_reports({{"a", Report("k", "conforms", "skipped")}, {"b", Report("k", "conforms", "skipped")}},
                           true);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->differing, 0);
  auto first = c->markdown.find("| PIPE-001 |"), second = c->markdown.find("| PIPE-019 |");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_THAT(c->markdown, HasSubstr("| PIPE-001 | one pipe object | skipped | skipped |"));
}

TEST(Compare, BehaviourMissingFromOneReportIsADifference) {
  std::string only_one = R"({"host": {}, "behaviours": [{"id": "PIPE-001", "verdict": "conforms"}]})";
  auto c = compare_reports({{"a", Report("k", "conforms", "conforms")}, {"b", only_one}}, false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->differing, 1);
  EXPECT_THAT(c->markdown, HasSubstr("| PIPE-019 | EOF \\| not EAGAIN | conforms | **absent** |"));
}

TEST(Compare, RejectsWhatIsNotAReport) {
  EXPECT_THAT(compare_reports({{"a", "{}"}, {"b", "{}"}}, false), FailsWith(EINVAL));
  auto bad = compare_reports({{"a", Report("k", "conforms", "conforms")}, {"broken.json", "{\"host\": "}}, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("broken.json"));
  EXPECT_THAT(compare_reports({{"a", Report("k", "conforms", "conforms")}}, false), FailsWith(EINVAL));
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
  auto missing = run_program({*bin, dir.file("a.json"), dir.file("nope.json")}, {});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->wait_status, 2 << 8);
  EXPECT_THAT(missing->output, HasSubstr("cannot read"));
}

}  // namespace
}  // namespace conformance
