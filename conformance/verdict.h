// conformance/verdict.h — from GoogleTest results to one verdict per behaviour
// ID, and the report's three renderings (Markdown, JSON, JUnit XML).
//
//   Outcomes outcomes;
//   add_gtest_json("pipe_test", json_text, outcomes);   // --gtest_output=json file
//   BehaviourResult r = judge(*catalog.find("PIPE-004"), outcomes);
//
// A behaviour deviates if any of its tests failed (or did not run), is skipped
// if every test skipped, and conforms otherwise.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/catalog.h"
#include "ipc/result.h"

namespace conformance {

struct TestOutcome {
  enum class Kind { kPassed, kFailed, kSkipped };
  Kind kind = Kind::kPassed;
  std::string message;  // failure messages, or the GTEST_SKIP reason
};

// Keyed by TestRef::str(): "pipe_test:PipeOs.WritesCoalesceIntoOneRead".
using Outcomes = std::map<std::string, TestOutcome>;

// The property under which the conformance main records a GTEST_SKIP message
// (GoogleTest's JSON has no field for it).
inline constexpr const char* kSkipReasonProperty = "skip_reason";

// Adds every test of one binary's --gtest_output=json file. EINVAL if the text
// is not GoogleTest's JSON.
ipc::Status add_gtest_json(const std::string& binary, std::string_view json_text,
                           Outcomes& outcomes);

// Marks every catalogued test of `binary` as failed with `why` (the binary
// crashed, timed out or wrote no results), unless it already has an outcome.
void fail_binary(const Catalog& catalog, const std::string& binary, const std::string& why,
                 Outcomes& outcomes);

enum class Verdict { kConforms, kDeviates, kSkipped };
const char* verdict_name(Verdict v);  // "conforms", "deviates", "skipped"

struct BehaviourResult {
  const Behaviour* behaviour = nullptr;
  Verdict verdict = Verdict::kConforms;
  std::string observed;  // deviates: what the failing tests saw
  std::string reason;    // skipped (or partly skipped): why
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
};

// "46 behaviours: 44 conform, 0 deviate, 2 skipped (87 tests in 1 suite, 3.4 s)"
std::string summary_line(const Report& report);
std::string render_markdown(const Report& report);
// {"host": {...}, "behaviours": [{"id", "verdict", "title", "spec", "tests",
//  "observed", "expected", "reason"}, ...]}; observed/reason are null when empty.
std::string render_json(const Report& report);
// One <testcase> per behaviour ID.
std::string render_junit(const Report& report);

// XML text/attribute escaping (also drops characters XML 1.0 forbids).
std::string xml_escape(std::string_view s);

}  // namespace conformance
