// conformance/report_test.cc — the report's parts (JSON reader/writer,
// GoogleTest results → verdicts, the three renderings) and the report binary
// end to end: on the real catalogue (--only PIPE-001) and on a catalogue over
// leaky_suite, whose tests pass, skip, fail and leak, so every verdict and the
// non-zero exit status are exercised.
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "conformance/catalog.h"
#include "conformance/json.h"
#include "conformance/process.h"
#include "conformance/testing/report_runner.h"
#include "conformance/verdict.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace conformance {
namespace {

using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::FailsWith;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- JSON ------------------------------------------------------------------

TEST(Json, QuoteEscapesWhatJsonRequires) {
  EXPECT_EQ(json_quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quote("l1\nl2\tx\r"), R"("l1\nl2\tx\r")");
  EXPECT_EQ(json_quote(std::string("\x01\x1f\x7f", 3)),
            R"("\u0001\u001f\u007f")");
  EXPECT_EQ(json_quote("é → ok"), "\"é → ok\"");  // valid UTF-8 passes through
  EXPECT_EQ(json_quote("bad\xff\xc3"), "\"bad\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(json_quote("\xc0\xaf"),
            "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
}

TEST(Json, DumpAndParseRoundTrip) {
  Json doc = Json::object();
  doc.set("s", "x\"y\n\x02");
  doc.set("n", 42);
  doc.set("f", 2.5);
  doc.set("t", true);
  doc.set("z", nullptr);
  Json arr = Json::array();
  arr.push("one").push(Json::object().set("k", "v"));
  doc.set("a", std::move(arr));
  for (int indent : {0, 2}) {
    auto back = parse_json(doc.dump(indent));
    ASSERT_TRUE(back.ok()) << back.error().message() << "\n"
                           << doc.dump(indent);
    EXPECT_EQ(back->dump(), doc.dump());
    EXPECT_EQ(back->get_string("s"), "x\"y\n\x02");
    EXPECT_EQ(back->get("n")->as_number(), 42);
    EXPECT_TRUE(back->get("z")->is_null());
    EXPECT_EQ(back->get("a")->as_array()[1].get_string("k"), "v");
  }
  EXPECT_EQ(
      doc.dump(),
      R"({"s":"x\"y\n\u0002","n":42,"f":2.5,"t":true,"z":null,"a":["one",{"k":"v"}]})");
}

TEST(Json, ParsesEscapesAndSurrogatePairs) {
  auto v = parse_json(R"(["\u00e9\ud83d\ude00\/\b\f", -1.5e2, {}, []])");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->as_array()[0].as_string(), "é😀/\b\f");
  EXPECT_EQ(v->as_array()[1].as_number(), -150);
  auto lone = parse_json(R"("\ud800x")");
  ASSERT_TRUE(lone.ok());
  EXPECT_EQ(lone->as_string(), "\xEF\xBF\xBDx");
}

TEST(Json, RejectsMalformedTextWithOffset) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "\"open", "tru", "01x",
                          "[1] 2", "\"\x01\"", "\"\\q\"", "1.", "-", "{1:2}"}) {
    auto v = parse_json(bad);
    EXPECT_THAT(v, FailsWith(EINVAL)) << bad;
    if (!v.ok()) {
      EXPECT_THAT(v.error().message(), HasSubstr("offset")) << bad;
    }
  }
}

TEST(Json, SetReplacesAndGetMisses) {
  Json o = Json::object();
  o.set("k", 1).set("k", 2);
  EXPECT_EQ(o.as_object().size(), 1u);
  EXPECT_EQ(o.get("k")->as_number(), 2);
  EXPECT_EQ(o.get("missing"), nullptr);
  EXPECT_EQ(Json("str").get("k"), nullptr);
  EXPECT_EQ(o.get_string("k", "fallback"), "fallback");  // not a string
}

// ---- verdicts --------------------------------------------------------------

constexpr const char* kGtestJson = R"({
  "tests": 4, "testsuites": [
    {"name": "S", "tests": 4, "testsuite": [
      {"name": "Pass", "status": "RUN", "result": "COMPLETED", "classname": "S"},
      {"name": "Fail", "status": "RUN", "result": "COMPLETED", "classname": "S",
       "failures": [{"failure": "x.cc:1\nExpected 1, got 2", "type": ""},
                    {"failure": "x.cc:2\nleaked FIFO /t/f", "type": ""}]},
      {"name": "Skip", "status": "RUN", "result": "SKIPPED", "classname": "S",
       "skip_reason": "needs CAP_SYS_ADMIN"},
      {"name": "Off", "status": "NOTRUN", "result": "SUPPRESSED", "classname": "S"}
    ]}]})";

Behaviour Entry(std::string id, std::vector<std::string> tests) {
  Behaviour b;
  b.id = std::move(id);
  b.title = "title of " + b.id;
  b.expected = "expected | result";
  b.spec = "pipe(7)";
  b.scope = "P";
  for (const std::string& t : tests) b.tests.push_back(TestRef{"bin", "S", t});
  return b;
}

TEST(Verdict, ReadsGtestJson) {
  Outcomes o;
  ASSERT_TRUE(add_gtest_json("bin", kGtestJson, o).ok());
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(o["bin:S.Pass"].kind, TestOutcome::Kind::kPassed);
  EXPECT_EQ(o["bin:S.Fail"].kind, TestOutcome::Kind::kFailed);
  EXPECT_EQ(o["bin:S.Fail"].message,
            "x.cc:1\nExpected 1, got 2\nx.cc:2\nleaked FIFO /t/f");
  EXPECT_EQ(o["bin:S.Skip"].kind, TestOutcome::Kind::kSkipped);
  EXPECT_EQ(o["bin:S.Skip"].message, "needs CAP_SYS_ADMIN");
  EXPECT_EQ(o["bin:S.Off"].kind, TestOutcome::Kind::kSkipped);
  EXPECT_THAT(add_gtest_json("bin", "{}", o), FailsWith(EINVAL));
  EXPECT_THAT(add_gtest_json("bin", "not json", o), FailsWith(EINVAL));
}

TEST(Verdict, JudgesEachCombination) {
  Outcomes o;
  ASSERT_TRUE(add_gtest_json("bin", kGtestJson, o).ok());
  Behaviour pass = Entry("A-001", {"Pass"}),
            fail = Entry("A-002", {"Pass", "Fail"}),
            skip = Entry("A-003", {"Skip"}),
            partly = Entry("A-004", {"Pass", "Skip"}),
            missing = Entry("A-005", {"Pass", "Nope"}),
            none = Entry("A-006", {});
  EXPECT_EQ(judge(pass, o).verdict, Verdict::kConforms);
  BehaviourResult f = judge(fail, o);
  EXPECT_EQ(f.verdict, Verdict::kDeviates);
  EXPECT_THAT(f.observed, HasSubstr("bin:S.Fail: x.cc:1\nExpected 1, got 2"));
  BehaviourResult s = judge(skip, o);
  EXPECT_EQ(s.verdict, Verdict::kSkipped);
  EXPECT_EQ(s.reason, "bin:S.Skip: needs CAP_SYS_ADMIN");
  BehaviourResult p = judge(partly, o);
  EXPECT_EQ(p.verdict, Verdict::kPartial);
  EXPECT_THAT(p.reason, HasSubstr("needs CAP_SYS_ADMIN"));
  // A test that never ran is no evidence about the OS: an error.
  BehaviourResult m = judge(missing, o);
  EXPECT_EQ(m.verdict, Verdict::kError);
  EXPECT_THAT(m.reason, HasSubstr("bin:S.Nope: not run"));
  EXPECT_EQ(judge(none, o).verdict, Verdict::kError);
  // A failure outweighs a test that could not run: still a deviation.
  BehaviourResult fm = judge(Entry("A-007", {"Fail", "Nope"}), o);
  EXPECT_EQ(fm.verdict, Verdict::kDeviates);
  EXPECT_THAT(fm.observed, HasSubstr("also not run:\nbin:S.Nope"));
  o["bin:S.Broken"] = TestOutcome{TestOutcome::Kind::kError, "exec failed", ""};
  BehaviourResult e = judge(Entry("A-008", {"Pass", "Broken"}), o);
  EXPECT_EQ(e.verdict, Verdict::kError);
  EXPECT_EQ(e.reason, "bin:S.Broken: exec failed");
}

TEST(Verdict, PassedTestThatCouldNotCheckEverythingIsPartial) {
  Outcomes o;
  const char* json = R"js({"testsuites": [{"name": "S", "testsuite": [
      {"name": "P", "status": "RUN", "result": "COMPLETED",
       "unchecked": "the /proc listing (no /proc/sysvipc)"}]}]})js";
  ASSERT_TRUE(add_gtest_json("bin", json, o).ok());
  EXPECT_EQ(o["bin:S.P"].kind, TestOutcome::Kind::kPassed);
  BehaviourResult r = judge(Entry("A-009", {"P"}), o);
  EXPECT_EQ(r.verdict, Verdict::kPartial);
  EXPECT_EQ(r.reason,
            "bin:S.P: not checked here: the /proc listing (no /proc/sysvipc)");
  Outcomes s;
  add_result_stream("bin",
                    "{\"event\":\"end\",\"test\":\"S.P\",\"result\":"
                    "\"passed\",\"message\":\"\",\"unchecked\":\"x\"}\n",
                    s);
  EXPECT_EQ(judge(Entry("A-009", {"P"}), s).verdict, Verdict::kPartial);
}

TEST(Verdict, NamesRoundTrip) {
  for (Verdict v : kAllVerdicts)
    EXPECT_EQ(verdict_from_name(verdict_name(v)), v) << verdict_name(v);
  EXPECT_EQ(verdict_name(Verdict::kPartial), std::string("partial"));
  EXPECT_EQ(verdict_from_name("conform"), std::nullopt);
}

TEST(Verdict, ResultStreamKeepsFinishedTestsAndNamesTheUnfinishedOne) {
  Outcomes o;
  StreamSummary s = add_result_stream(
      "bin",
      "{\"event\":\"start\",\"test\":\"S.A\"}\n"
      "{\"event\":\"end\",\"test\":\"S.A\",\"result\":\"passed\","
      "\"message\":\"\"}\n"
      "{\"event\":\"start\",\"test\":\"S.B\"}\n"
      "{\"event\":\"end\",\"test\":\"S.B\",\"result\":\"failed\","
      "\"message\":\"x.cc:3\\nboom\"}\n"
      "{\"event\":\"start\",\"test\":\"S.C\"}\n"
      "{\"event\":\"start\",\"test\":\"S.D\"}\n"
      "{\"event\":\"end\",\"test\":\"S.D\",\"result\":\"skipped\","
      "\"message\":\"why\"}\n"
      "{\"event\":\"start\",\"test\":\"S.E\"}\n"
      "{\"event\":\"end\",\"tes",  // torn
      o);
  EXPECT_EQ(s.started, 5);
  EXPECT_EQ(s.ended, 3);
  EXPECT_EQ(s.unfinished, "S.E");
  EXPECT_EQ(o["bin:S.A"].kind, TestOutcome::Kind::kPassed);
  EXPECT_EQ(o["bin:S.B"].kind, TestOutcome::Kind::kFailed);
  EXPECT_EQ(o["bin:S.B"].message, "x.cc:3\nboom");
  EXPECT_EQ(o["bin:S.D"].kind, TestOutcome::Kind::kSkipped);
  EXPECT_EQ(o["bin:S.D"].message, "why");
  EXPECT_EQ(o.count("bin:S.C"), 0u);
  EXPECT_EQ(o.count("bin:S.E"), 0u);
}

TEST(Verdict, MarkBinaryMarksOnlyThatBinarysMissingTests) {
  Catalog cat;
  cat.behaviours = {Entry("A-001", {"Pass", "Gone"})};
  cat.behaviours.push_back(
      Behaviour{"B-001", "t", "e", "s", "P", {TestRef{"other", "S", "X"}}, 0});
  Outcomes o;
  o["bin:S.Pass"] = TestOutcome{TestOutcome::Kind::kPassed, "", ""};
  mark_binary(cat, "bin", TestOutcome::Kind::kError, "bin crashed", o);
  EXPECT_EQ(o["bin:S.Pass"].kind, TestOutcome::Kind::kPassed);
  EXPECT_EQ(o["bin:S.Gone"].kind, TestOutcome::Kind::kError);
  EXPECT_EQ(o["bin:S.Gone"].message, "bin crashed");
  EXPECT_EQ(o.count("other:S.X"), 0u);
}

Report SampleReport(std::vector<Behaviour>& storage) {
  Outcomes o;
  EXPECT_TRUE(add_gtest_json("bin", kGtestJson, o).ok());
  storage = {Entry("PIPE-001", {"Pass"}), Entry("PIPE-002", {"Fail"}),
             Entry("PIPE-003", {"Skip"}), Entry("PIPE-004", {"Pass", "Skip"}),
             Entry("PIPE-005", {"Pass", "Nope"})};
  Report r;
  r.host = {{"kernel", "Kernel", "Linux 6 | x"},
            {"pipe_buf", "PIPE_BUF", "4096"}};
  for (const Behaviour& b : storage) r.results.push_back(judge(b, o));
  r.suites = 1;
  r.tests = 4;
  r.seconds = 1.25;
  return r;
}

TEST(Render, SummaryLineCountsVerdicts) {
  std::vector<Behaviour> storage;
  Report r = SampleReport(storage);
  EXPECT_EQ(summary_line(r),
            "5 behaviours: 1 conform, 1 partial, 1 deviate, 1 skipped, 1 "
            "error (4 tests in 1 suite, 1.2 s)");
}

TEST(Render, JsonHasExactlyTheDocumentedShape) {
  std::vector<Behaviour> storage;
  auto doc = parse_json(render_json(SampleReport(storage)));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  ASSERT_EQ(doc->as_object().size(), 3u);
  EXPECT_EQ(doc->get("host")->get_string("kernel"), "Linux 6 | x");
  const Json* summary = doc->get("summary");
  ASSERT_NE(summary, nullptr);
  EXPECT_EQ(summary->get("behaviours")->as_number(), 5);
  for (const char* v : {"conforms", "partial", "deviates", "skipped", "error"})
    EXPECT_EQ(summary->get(v)->as_number(), 1) << v;
  EXPECT_EQ(summary->get("tests")->as_number(), 4);
  const Json::Array& b = doc->get("behaviours")->as_array();
  ASSERT_EQ(b.size(), 5u);
  std::vector<std::string> keys;
  for (const auto& [k, v] : b[1].as_object()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"id", "verdict", "title", "spec", "tests",
                                      "observed", "expected", "reason"}));
  EXPECT_EQ(b[0].get_string("verdict"), "conforms");
  EXPECT_TRUE(b[0].get("observed")->is_null());
  EXPECT_TRUE(b[0].get("reason")->is_null());
  EXPECT_EQ(b[1].get_string("verdict"), "deviates");
  EXPECT_THAT(b[1].get_string("observed"), HasSubstr("leaked FIFO /t/f"));
  EXPECT_EQ(b[1].get_string("expected"), "expected | result");
  EXPECT_EQ(b[1].get("tests")->as_array()[0].as_string(), "bin:S.Fail");
  EXPECT_EQ(b[2].get_string("verdict"), "skipped");
  EXPECT_THAT(b[2].get_string("reason"), HasSubstr("needs CAP_SYS_ADMIN"));
  EXPECT_EQ(b[3].get_string("verdict"), "partial");
  EXPECT_THAT(b[3].get_string("reason"), HasSubstr("needs CAP_SYS_ADMIN"));
  EXPECT_EQ(b[4].get_string("verdict"), "error");
  EXPECT_THAT(b[4].get_string("reason"), HasSubstr("bin:S.Nope: not run"));
  EXPECT_TRUE(b[4].get("observed")->is_null());
}

TEST(Render, MarkdownHasSummaryTableDeviationsAndSkips) {
  std::vector<Behaviour> storage;
  std::string md = render_markdown(SampleReport(storage));
  EXPECT_THAT(md,
              HasSubstr("**Summary:** 5 behaviours: 1 conform, 1 partial, 1 "
                        "deviate, 1 skipped, 1 error"));
  EXPECT_THAT(md, HasSubstr("| Kernel | Linux 6 \\| x |"));
  EXPECT_THAT(
      md,
      HasSubstr("| PIPE-001 | conforms | title of PIPE-001 | pipe(7) | P |"));
  EXPECT_THAT(md, HasSubstr("| PIPE-002 | **deviates** |"));
  EXPECT_THAT(md, HasSubstr("### PIPE-002 — title of PIPE-002"));
  EXPECT_THAT(md, HasSubstr("- **Expected:** expected | result"));
  EXPECT_THAT(md, HasSubstr("Expected 1, got 2"));
  EXPECT_THAT(
      md,
      HasSubstr("- **PIPE-003** (skipped): bin:S.Skip: needs CAP_SYS_ADMIN"));
  EXPECT_THAT(md, HasSubstr("| PIPE-004 | partial |"));
  EXPECT_THAT(
      md,
      HasSubstr("- **PIPE-004** (partial): bin:S.Skip: needs CAP_SYS_ADMIN"));
  EXPECT_THAT(md, HasSubstr("| PIPE-005 | **error** |"));
  EXPECT_THAT(md, HasSubstr("## Errors (not judged"));
  EXPECT_THAT(md, HasSubstr("- **PIPE-005**: bin:S.Nope: not run"));
}

TEST(Render, JunitHasOneTestcasePerId) {
  std::vector<Behaviour> storage;
  std::string x = render_junit(SampleReport(storage));
  EXPECT_THAT(x, HasSubstr("tests=\"5\" failures=\"1\" skipped=\"1\" "
                           "errors=\"1\""));
  EXPECT_THAT(x, HasSubstr("<testcase classname=\"PIPE\" name=\"PIPE-001\">"));
  EXPECT_THAT(x,
              HasSubstr("<property name=\"verdict\" "
                        "value=\"deviates\"/></properties>\n      <failure"));
  EXPECT_THAT(x, HasSubstr("<property name=\"verdict\" value=\"error\"/>"
                           "</properties>\n      <error"));
  EXPECT_THAT(x, HasSubstr("<property name=\"verdict\" value=\"partial\"/>"));
  EXPECT_THAT(x, HasSubstr("partly verified; skipped checks:\nbin:S.Skip"));
  EXPECT_THAT(
      x, HasSubstr("<skipped message=\"bin:S.Skip: needs CAP_SYS_ADMIN\"/>"));
  EXPECT_THAT(x,
              HasSubstr("<property name=\"kernel\" value=\"Linux 6 | x\"/>"));
  std::size_t n = 0;
  for (std::size_t p = x.find("<testcase "); p != std::string::npos;
       p = x.find("<testcase ", p + 1))
    ++n;
  EXPECT_EQ(n, 5u);
}

TEST(Render, XmlEscape) {
  EXPECT_EQ(xml_escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
  EXPECT_EQ(xml_escape(std::string("a\x01"
                                   "b\n",
                                   4)),
            "ab\n");
  EXPECT_EQ(xml_escape("\xff"), "\xEF\xBF\xBD");
}

// ---- the report binary -----------------------------------------------------

using ::conformance::testing::ReadWholeFile;
using ::conformance::testing::ReportRun;
using ::conformance::testing::RunReport;

std::string Slurp(const std::string& path) { return ReadWholeFile(path); }

TEST(ReportBinary, RealCatalogueOnePipeBehaviourConforms) {
  TempDir dir;
  std::string json = dir.file("r.json"), junit = dir.file("r.xml"),
              md = dir.file("r.md");
  ReportRun r = RunReport(
      {"--only", "PIPE-001", "--json", json, "--junit", junit, "--out", md});
  EXPECT_EQ(r.status, 0) << DescribeWaitStatus(r.status) << "\n" << r.output;
  EXPECT_THAT(r.output, HasSubstr("[report] (1/1) pipe_test: running 2 tests"));
  EXPECT_THAT(r.output,
              HasSubstr("1 behaviour: 1 conform, 0 partial, 0 deviate, 0 "
                        "skipped, 0 error"));
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  const Json::Array& b = doc->get("behaviours")->as_array();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].get_string("id"), "PIPE-001");
  EXPECT_EQ(b[0].get_string("verdict"), "conforms");
  for (const char* key : {"kernel", "libc", "pipe_buf", "pipe_capacity_default",
                          "pipe_max_size", "msgmax", "msgmnb", "msgmni",
                          "shmmax", "shmall", "shmmni", "ipc_namespace"}) {
    EXPECT_NE(doc->get("host")->get_string(key, "unavailable"), "unavailable")
        << key;
  }
  EXPECT_THAT(Slurp(md), HasSubstr("| PIPE-001 | conforms |"));
  EXPECT_THAT(Slurp(junit), HasSubstr("name=\"PIPE-001\""));
}

class ReportOverLeakySuite : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.file("catalog.txt"))
        << "id: TEST-001\ntitle: clean\nexpected: passes\nspec: none\nscope: "
           "P\n"
           "tests: leaky_suite:Leaky.Clean\n\n"
           "id: TEST-002\ntitle: skipped\nexpected: skips\nspec: none\nscope: "
           "L\n"
           "tests: leaky_suite:Leaky.Skipped\n\n"
           "id: TEST-003\ntitle: fails\nexpected: 2 + 2 == 4\nspec: "
           "arithmetic\nscope: P\n"
           "tests: leaky_suite:Leaky.Fails\n\n"
           "id: TEST-004\ntitle: leaks\nexpected: nothing left behind\nspec: "
           "none\nscope: P\n"
           "tests: leaky_suite:Leaky.PosixSharedMemory\n";
    auto leaky = runfile("conformance/testing/leaky_suite");
    ASSERT_TRUE(leaky.ok()) << leaky.error().message();
    leaky_ = *leaky;
  }
  TempDir dir_;
  std::string leaky_;
};

TEST_F(ReportOverLeakySuite, EveryVerdictAndNonZeroExit) {
  std::string json = dir_.file("r.json");
  ReportRun r = RunReport({"--catalog", dir_.file("catalog.txt"), "--suite",
                           leaky_, "--json", json, "--only", "TEST-*"});
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1)
      << DescribeWaitStatus(r.status) << "\n"
      << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("4 behaviours: 1 conform, 0 partial, 2 deviate, 1 "
                        "skipped, 0 error"));
  EXPECT_THAT(r.output,
              HasSubstr("### TEST-003 — fails"));  // Markdown on stdout
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  const Json::Array& b = doc->get("behaviours")->as_array();
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0].get_string("verdict"), "conforms");
  EXPECT_EQ(b[1].get_string("verdict"), "skipped");
  EXPECT_THAT(b[1].get_string("reason"), HasSubstr("needs a unicorn"));
  EXPECT_EQ(b[2].get_string("verdict"), "deviates");
  EXPECT_THAT(b[2].get_string("observed"), HasSubstr("observed: 2 + 2 == 5"));
  EXPECT_EQ(b[2].get_string("expected"), "2 + 2 == 4");
  EXPECT_EQ(b[3].get_string("verdict"), "deviates");
  EXPECT_THAT(b[3].get_string("observed"),
              HasSubstr("leaked POSIX shared memory object"));
}

TEST_F(ReportOverLeakySuite, OnlySelectsIdsAndExitsZeroWithoutDeviations) {
  std::string json = dir_.file("r.json");
  ReportRun r = RunReport({"--catalog", dir_.file("catalog.txt"), "--suite",
                           leaky_, "--json", json, "--only",
                           "TEST-001,TEST-002", "--out", dir_.file("r.md")});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("running 2 tests"));
  EXPECT_THAT(
      r.output,
      Not(HasSubstr("# ipctorture conformance report")));  // went to --out
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->get("behaviours")->as_array().size(), 2u);
}

TEST_F(ReportOverLeakySuite, SuiteThatCannotRunIsAnErrorNotADeviation) {
  // /bin/false "runs" no tests and writes no results; /nonexistent cannot be
  // started at all. Either way the behaviours are errors and the exit status
  // is 2: nothing was learnt about the OS.
  std::ofstream(dir_.file("false.txt"))
      << "id: TEST-009\ntitle: t\nexpected: e\nspec: s\nscope: P\ntests: "
         "false:S.T\n\nid: TEST-010\ntitle: t\nexpected: e\nspec: s\n"
         "scope: P\ntests: nonexistent:S.T\n";
  std::string json = dir_.file("r.json");
  ReportRun r =
      RunReport({"--catalog", dir_.file("false.txt"), "--suite", "/bin/false",
                 "--suite", "/nonexistent", "--json", json});
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("0 deviate, 0 skipped, 2 error"));
  EXPECT_THAT(r.output, HasSubstr("[report] nonexistent: cannot run the suite "
                                  "/nonexistent: No such file"));
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  const Json::Array& b = doc->get("behaviours")->as_array();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].get_string("verdict"), "error");
  EXPECT_THAT(b[0].get_string("reason"),
              HasSubstr("the suite could not start (no results): exited 1"));
  EXPECT_EQ(b[1].get_string("verdict"), "error");
  EXPECT_THAT(b[1].get_string("reason"),
              HasSubstr("cannot run the suite /nonexistent: No such file"));
}

TEST_F(ReportOverLeakySuite, EnvironmentThatBreaksGoogleTestIsSanitised) {
  // GTEST_REPEAT=0 would run nothing, GTEST_FILTER=-* would filter everything
  // out, GTEST_ALSO_RUN_DISABLED_TESTS and IPCT_LEAK_CHECK=off change what is
  // checked: none of them reaches the suite, and the report names them.
  std::string json = dir_.file("r.json");
  ReportRun r = RunReport({"--catalog", dir_.file("catalog.txt"), "--suite",
                           leaky_, "--json", json, "--only", "TEST-004"},
                          {"GTEST_REPEAT=0", "GTEST_FILTER=-*", "GTEST_BRIEF=1",
                           "IPCT_LEAK_CHECK=off"});
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1) << r.output;
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  EXPECT_EQ(doc->get("behaviours")->as_array()[0].get_string("verdict"),
            "deviates");  // the leak was still found
  std::string env = doc->get("host")->get_string("environment");
  for (const char* v :
       {"GTEST_REPEAT", "GTEST_FILTER", "GTEST_BRIEF", "IPCT_LEAK_CHECK"})
    EXPECT_THAT(env, HasSubstr(v));
}

TEST_F(ReportOverLeakySuite, TestThatCouldNotCheckEverythingMakesItPartial) {
  std::ofstream(dir_.file("unchecked.txt"))
      << "id: TEST-013\ntitle: t\nexpected: e\nspec: s\nscope: P\ntests: "
         "leaky_suite:Leaky.PartlyChecked\n";
  std::string json = dir_.file("r.json");
  ReportRun r = RunReport({"--catalog", dir_.file("unchecked.txt"), "--suite",
                           leaky_, "--json", json, "--only", "TEST-*"});
  EXPECT_EQ(r.status, 0) << r.output;
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  const Json& b = doc->get("behaviours")->as_array()[0];
  EXPECT_EQ(b.get_string("verdict"), "partial");
  EXPECT_THAT(b.get_string("reason"),
              HasSubstr("Leaky.PartlyChecked: not checked here: the unicorn's "
                        "colour (no unicorn)"));
}

TEST_F(ReportOverLeakySuite, PartlySkippedBehaviourIsPartial) {
  std::ofstream(dir_.file("partial.txt"))
      << "id: TEST-011\ntitle: t\nexpected: e\nspec: s\nscope: P\ntests: "
         "leaky_suite:Leaky.Clean, leaky_suite:Leaky.Skipped\n";
  std::string json = dir_.file("r.json");
  ReportRun r = RunReport({"--catalog", dir_.file("partial.txt"), "--suite",
                           leaky_, "--json", json, "--only", "TEST-*"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("0 conform, 1 partial"));
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  const Json& b = doc->get("behaviours")->as_array()[0];
  EXPECT_EQ(b.get_string("verdict"), "partial");
  EXPECT_THAT(b.get_string("reason"), HasSubstr("needs a unicorn"));
}

// The names of the processes whose comm is `name`.
std::vector<pid_t> ProcessesNamed(const std::string& name) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string comm = Slurp(std::string("/proc/") + e->d_name + "/comm");
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    if (comm == name) out.push_back(std::atoi(e->d_name));
  }
  ::closedir(d);
  return out;
}

TEST_F(ReportOverLeakySuite, NothingOutlivesTheReport) {
  // The suite forks a child and an orphaned grandchild in its own session,
  // both blocked for ever, then hangs until the watchdog ends it.
  std::ofstream(dir_.file("orphans.txt"))
      << "id: TEST-012\ntitle: t\nexpected: e\nspec: s\nscope: P\ntests: "
         "leaky_suite:Leaky.LeavesProcessesWhenAsked\n";
  std::string name = "ipctorph" + std::to_string(::getpid() % 100000);
  TempDir tmp;
  ReportRun r =
      RunReport({"--catalog", dir_.file("orphans.txt"), "--suite", leaky_,
                 "--only", "TEST-*", "--test-timeout", "1", "--env",
                 "IPCT_LEAKY_HANG=1", "--env", "IPCT_LEAKY_ORPHAN=" + name},
                {"TMPDIR=" + tmp.path()});
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("still running after 1 s"));
  EXPECT_THAT(ProcessesNamed(name), ::testing::IsEmpty());
  DIR* d = ::opendir(tmp.path().c_str());
  ASSERT_NE(d, nullptr);
  std::vector<std::string> left;
  while (struct dirent* e = ::readdir(d)) {
    if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
      left.push_back(e->d_name);
  }
  ::closedir(d);
  EXPECT_THAT(left, ::testing::IsEmpty());
}

TEST_F(ReportOverLeakySuite, HungTestCostsOnlyItsOwnBehaviour) {
  std::ofstream(dir_.file("hang.txt"))
      << "id: TEST-001\ntitle: clean\nexpected: passes\nspec: none\nscope: P\n"
         "tests: leaky_suite:Leaky.Clean\n\n"
         "id: TEST-003\ntitle: fails\nexpected: 2 + 2 == 4\nspec: "
         "arithmetic\nscope: P\n"
         "tests: leaky_suite:Leaky.Fails\n\n"
         "id: TEST-005\ntitle: hangs\nexpected: returns\nspec: none\nscope: P\n"
         "tests: leaky_suite:Leaky.HangsWhenAsked\n";
  std::string json = dir_.file("r.json");
  ReportRun r =
      RunReport({"--catalog", dir_.file("hang.txt"), "--suite", leaky_,
                 "--json", json, "--only", "TEST-*", "--test-timeout", "1",
                 "--env", "IPCT_LEAKY_HANG=1"});
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1)
      << DescribeWaitStatus(r.status) << "\n"
      << r.output;
  EXPECT_THAT(r.output, HasSubstr("leaky_suite did not finish (exited 124)"));
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok()) << doc.error().message() << "\n" << r.output;
  const Json::Array& b = doc->get("behaviours")->as_array();
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].get_string("verdict"), "conforms") << r.output;
  EXPECT_EQ(b[1].get_string("verdict"), "deviates");
  EXPECT_THAT(b[1].get_string("observed"), HasSubstr("observed: 2 + 2 == 5"));
  EXPECT_EQ(b[2].get_string("verdict"), "deviates");
  EXPECT_THAT(
      b[2].get_string("observed"),
      HasSubstr("watchdog: Leaky.HangsWhenAsked still running after 1 s"));
}

TEST_F(ReportOverLeakySuite, SuiteTimeLimitLeavesTheRunningTestUnjudged) {
  // --timeout is the user's limit on a whole suite, not a test's deadline:
  // the test it cuts short is an error, never a deviation.
  std::ofstream(dir_.file("limit.txt"))
      << "id: TEST-001\ntitle: clean\nexpected: passes\nspec: none\nscope: P\n"
         "tests: leaky_suite:Leaky.Clean\n\n"
         "id: TEST-005\ntitle: hangs\nexpected: returns\nspec: none\nscope: P\n"
         "tests: leaky_suite:Leaky.HangsWhenAsked\n";
  std::string json = dir_.file("r.json");
  ReportRun r =
      RunReport({"--catalog", dir_.file("limit.txt"), "--suite", leaky_,
                 "--json", json, "--only", "TEST-*", "--timeout", "1",
                 "--test-timeout", "60", "--env", "IPCT_LEAKY_HANG=1"});
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2)
      << DescribeWaitStatus(r.status) << "\n"
      << r.output;
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok()) << doc.error().message() << "\n" << r.output;
  const Json::Array& b = doc->get("behaviours")->as_array();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].get_string("verdict"), "conforms") << r.output;
  EXPECT_EQ(b[1].get_string("verdict"), "error");
  EXPECT_THAT(b[1].get_string("reason"),
              HasSubstr("Leaky.HangsWhenAsked did not finish: the suite's "
                        "time limit (1 s) ran out"));
}

TEST(ReportBinary, PreloadThatLdSoWouldIgnoreIsRefused) {
  TempDir dir;
  std::ofstream(dir.file("text.so")) << "not ELF";
  std::ofstream(dir.file("with space.so")) << "x";
  const std::pair<std::string, const char*> kCases[] = {
      {"/nonexistent/lib.so", "No such file or directory"},
      {dir.file("text.so"), "not an ELF file"},
      {dir.file("with space.so"), "splits LD_PRELOAD at spaces and colons"},
      {"/bin/true", "a position-independent executable"},
  };
  for (const auto& [lib, why] : kCases) {
    ReportRun r = RunReport({"--only", "PIPE-001", "--preload", lib});
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2)
        << lib << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(why)) << lib;
  }
}

TEST(ReportBinary, InheritedLdPreloadIsCheckedAndReported) {
  for (const char* bad_value : {"LD_PRELOAD=/no/x.so", "LD_PRELOAD=x"}) {
    ReportRun bad = RunReport({"--only", "PIPE-001"}, {bad_value});
    EXPECT_TRUE(WIFEXITED(bad.status) && WEXITSTATUS(bad.status) == 2)
        << bad.output;
    EXPECT_THAT(bad.output, HasSubstr("from the environment would not reach"));
  }
  // A real library (libc itself, harmless) is passed on and named.
  TempDir dir;
  std::string json = dir.file("r.json");
  std::string libc = "/lib/x86_64-linux-gnu/libc.so.6";
  if (::access(libc.c_str(), R_OK) != 0) GTEST_SKIP() << "no " << libc;
  ReportRun ok =
      RunReport({"--only", "PIPE-001", "--json", json}, {"LD_PRELOAD=" + libc});
  EXPECT_EQ(ok.status, 0) << ok.output;
  auto doc = parse_json(Slurp(json));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  EXPECT_EQ(doc->get("host")->get_string("preload"),
            libc + " (inherited from the environment)");
}

TEST(ReportBinary, UsageErrorsExitTwo) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--bogus"}, std::vector<std::string>{"--out"},
        std::vector<std::string>{"--only", "NOPE-*"},
        std::vector<std::string>{"--test-timeout", "0"},
        std::vector<std::string>{"--catalog", "/nonexistent"}}) {
    ReportRun r = RunReport(args);
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2)
        << args[0] << ": " << r.output;
  }
}

}  // namespace
}  // namespace conformance
