// conformance/verdict.h — from GoogleTest results to one verdict per behaviour
// ID, and the report's three renderings (Markdown, JSON, JUnit XML).
//
//   Outcomes outcomes;
//   add_gtest_json("pipe_test", json_text, outcomes);   // --gtest_output=json file
//   BehaviourResult r = judge(*catalog.find("PIPE-004"), outcomes);
//
// Per behaviour, in this order: it deviates if any of its tests failed; is an
// error if any could not be run (the suite is missing, could not start,
// crashed before its first test, or lacks the test); is skipped if every test
// skipped; is partial ("partly verified") if some passed and some skipped or
// some passed test could not check everything;
// and conforms if every test passed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/catalog.h"
#include "ipc/result.h"

namespace conformance {

struct TestOutcome {
  // kError: the test was never run because its binary could not run it
  // (a setup or environment problem, not evidence about the OS).
  enum class Kind { kPassed, kFailed, kSkipped, kError };
  Kind kind = Kind::kPassed;
  std::string message;  // failure messages, the GTEST_SKIP reason, or why not
  // kPassed: what the test could not check here (testing/unchecked.h).
  std::string unchecked;
};

// Keyed by TestRef::str(): "pipe_test:PipeOs.WritesCoalesceIntoOneRead".
using Outcomes = std::map<std::string, TestOutcome>;

// The property under which the conformance main records a GTEST_SKIP message
// (GoogleTest's JSON has no field for it).
inline constexpr const char* kSkipReasonProperty = "skip_reason";
// The property under which a passing test records what it could not check
// (conformance/testing/unchecked.h): its behaviour is then partial.
inline constexpr const char* kUncheckedProperty = "unchecked";

// Adds every test of one binary's --gtest_output=json file. EINVAL if the text
// is not GoogleTest's JSON.
ipc::Status add_gtest_json(const std::string& binary,
                           std::string_view json_text, Outcomes& outcomes);

// What a run's result stream (conformance/testing/result_stream.h) tells.
struct StreamSummary {
  int started = 0;  // tests that started
  int ended = 0;    // tests that ended (their outcomes were added)
  // The test that started and never ended (the binary died in it); "" if
  // none.
  std::string unfinished;
};

// Adds the outcome of every test of `binary` that ended in the result stream
// `text`; a torn last line is ignored.
StreamSummary add_result_stream(const std::string& binary,
                                std::string_view text, Outcomes& outcomes);

// Gives every catalogued test of `binary` without an outcome the outcome
// `kind` with message `why` (kError: the binary could not run; kFailed: it
// hung or crashed inside a test).
void mark_binary(const Catalog& catalog, const std::string& binary,
                 TestOutcome::Kind kind, const std::string& why,
                 Outcomes& outcomes);

enum class Verdict { kConforms, kPartial, kDeviates, kSkipped, kError };
inline constexpr Verdict kAllVerdicts[] = {
    Verdict::kConforms, Verdict::kPartial, Verdict::kDeviates,
    Verdict::kSkipped, Verdict::kError};
// "conforms", "partial", "deviates", "skipped", "error" (JSON, JUnit, compare).
const char* verdict_name(Verdict v);
// The inverse; nullopt for anything else.
std::optional<Verdict> verdict_from_name(std::string_view name);

struct BehaviourResult {
  const Behaviour* behaviour = nullptr;
  Verdict verdict = Verdict::kConforms;
  std::string observed;  // deviates: what the failing tests saw
  // skipped, partial: why tests skipped; error: why tests could not run.
  std::string reason;
};

BehaviourResult judge(const Behaviour& behaviour, const Outcomes& outcomes);

struct HostFact {
  std::string key;    // JSON key: "kernel"
  std::string label;  // Markdown label: "Kernel"
  std::string value;
};

struct Report {
  std::vector<HostFact> host;
  std::vector<BehaviourResult> results;
  int suites = 0;
  int tests = 0;
  double seconds = 0;

  int count(Verdict v) const;
  // 2 if some behaviour is an error, else 1 if some deviates, else 0.
  int exit_status() const;
};

// "46 behaviours: 40 conform, 2 partial, 1 deviate, 2 skipped, 1 error (87
// tests in 1 suite, 3.4 s)"
std::string summary_line(const Report& report);
std::string render_markdown(const Report& report);
// {"host": {...}, "summary": {"behaviours", "conforms", "partial",
//  "deviates", "skipped", "error", "tests", "suites", "seconds"},
//  "behaviours": [{"id", "verdict", "title", "spec", "tests", "observed",
//  "expected", "reason"}, ...]}; observed/reason are null when empty.
std::string render_json(const Report& report);
// One <testcase> per behaviour ID: deviates = <failure>, error = <error>,
// skipped = <skipped>; each carries the property "verdict".
std::string render_junit(const Report& report);

// XML text/attribute escaping (also drops characters XML 1.0 forbids).
std::string xml_escape(std::string_view s);

}  // namespace conformance
