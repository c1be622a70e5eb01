// conformance/verdict.cc — GoogleTest JSON → outcomes → verdicts → renderings.
#include "conformance/verdict.h"

#include <cstdio>

#include "conformance/json.h"

namespace conformance {
namespace {

std::string seconds_str(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string plural(int n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// For a Markdown table cell: no pipes or line breaks.
std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += "<br>";
    } else {
      out += c;
    }
  }
  return out;
}

std::string join_tests(const Behaviour& b, const char* sep) {
  std::string out;
  for (const TestRef& t : b.tests) out += (out.empty() ? "" : sep) + t.str();
  return out;
}

void append_message(std::string& to, const std::string& what) {
  if (what.empty()) return;
  if (!to.empty()) to += "\n";
  to += what;
}

}  // namespace

ipc::Status add_gtest_json(const std::string& binary,
                           std::string_view json_text, Outcomes& outcomes) {
  auto doc = parse_json(json_text);
  if (!doc) return std::move(doc).error();
  const Json* suites = doc->get("testsuites");
  if (suites == nullptr || !suites->is_array()) {
    return ipc::Error(EINVAL, "add_gtest_json", binary,
                      "no \"testsuites\" array");
  }
  for (const Json& suite : suites->as_array()) {
    std::string suite_name = suite.get_string("name");
    const Json* cases = suite.get("testsuite");
    if (cases == nullptr || !cases->is_array()) continue;
    for (const Json& tc : cases->as_array()) {
      TestOutcome o;
      const Json* failures = tc.get("failures");
      std::string result = tc.get_string("result");
      if (failures != nullptr && failures->is_array() &&
          !failures->as_array().empty()) {
        o.kind = TestOutcome::Kind::kFailed;
        for (const Json& f : failures->as_array())
          append_message(o.message, f.get_string("failure"));
      } else if (result == "SKIPPED") {
        o.kind = TestOutcome::Kind::kSkipped;
        o.message =
            tc.get_string(kSkipReasonProperty, "skipped without a reason");
      } else if (tc.get_string("status") == "NOTRUN" ||
                 result == "SUPPRESSED") {
        o.kind = TestOutcome::Kind::kSkipped;
        o.message = "disabled";
      } else {
        o.unchecked = tc.get_string(kUncheckedProperty);
      }
      outcomes[binary + ":" + suite_name + "." + tc.get_string("name")] =
          std::move(o);
    }
  }
  return ipc::ok_status();
}

StreamSummary add_result_stream(const std::string& binary,
                                std::string_view text, Outcomes& outcomes) {
  StreamSummary s;
  std::string running;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) break;  // torn last line
    auto line = parse_json(text.substr(0, nl));
    text.remove_prefix(nl + 1);
    if (!line || !line->is_object()) continue;
    std::string event = line->get_string("event");
    std::string test = line->get_string("test");
    if (event == "start") {
      ++s.started;
      running = test;
    } else if (event == "end") {
      ++s.ended;
      if (running == test) running.clear();
      std::string result = line->get_string("result");
      TestOutcome o;
      o.kind = result == "failed"    ? TestOutcome::Kind::kFailed
               : result == "skipped" ? TestOutcome::Kind::kSkipped
                                     : TestOutcome::Kind::kPassed;
      o.message = line->get_string("message");
      if (o.kind == TestOutcome::Kind::kPassed)
        o.unchecked = line->get_string(kUncheckedProperty);
      if (o.kind == TestOutcome::Kind::kSkipped && o.message.empty())
        o.message = "skipped without a reason";
      outcomes[binary + ":" + test] = std::move(o);
    }
  }
  s.unfinished = running;
  return s;
}

void mark_binary(const Catalog& catalog, const std::string& binary,
                 TestOutcome::Kind kind, const std::string& why,
                 Outcomes& outcomes) {
  for (const Behaviour& b : catalog.behaviours) {
    for (const TestRef& t : b.tests) {
      if (t.binary == binary)
        outcomes.emplace(t.str(), TestOutcome{kind, why, ""});
    }
  }
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kConforms:
      return "conforms";
    case Verdict::kPartial:
      return "partial";
    case Verdict::kDeviates:
      return "deviates";
    case Verdict::kSkipped:
      return "skipped";
    case Verdict::kError:
      return "error";
  }
  return "?";
}

std::optional<Verdict> verdict_from_name(std::string_view name) {
  for (Verdict v : kAllVerdicts) {
    if (name == verdict_name(v)) return v;
  }
  return std::nullopt;
}

BehaviourResult judge(const Behaviour& behaviour, const Outcomes& outcomes) {
  BehaviourResult r;
  r.behaviour = &behaviour;
  int passed = 0, failed = 0, skipped = 0, errors = 0;
  std::string error_reason, skip_reason;
  for (const TestRef& t : behaviour.tests) {
    auto it = outcomes.find(t.str());
    if (it == outcomes.end()) {
      ++errors;
      append_message(error_reason, t.str() + ": not run (no such test in " +
                                       t.binary + ", or " + t.binary +
                                       " was not run)");
      continue;
    }
    switch (it->second.kind) {
      case TestOutcome::Kind::kPassed:
        ++passed;
        if (!it->second.unchecked.empty()) {
          ++skipped;  // partly
          append_message(skip_reason, t.str() + ": not checked here: " +
                                          it->second.unchecked);
        }
        break;
      case TestOutcome::Kind::kFailed:
        ++failed;
        append_message(r.observed, t.str() + ": " + it->second.message);
        break;
      case TestOutcome::Kind::kSkipped:
        ++skipped;
        append_message(skip_reason, t.str() + ": " + it->second.message);
        break;
      case TestOutcome::Kind::kError:
        ++errors;
        append_message(error_reason, t.str() + ": " + it->second.message);
        break;
    }
  }
  if (behaviour.tests.empty()) {
    ++errors;
    error_reason = "no test checks this behaviour (catalogue error)";
  }
  // A deviation is evidence about the OS even if other tests could not run;
  // those are named after what was observed.
  if (failed > 0) {
    r.verdict = Verdict::kDeviates;
    if (errors > 0)
      append_message(r.observed, "also not run:\n" + error_reason);
    r.reason = skip_reason;
  } else if (errors > 0) {
    r.verdict = Verdict::kError;
    r.reason = error_reason;
    append_message(r.reason, skip_reason);
  } else if (passed == 0) {
    r.verdict = Verdict::kSkipped;
    r.reason = skip_reason;
  } else {
    r.verdict = skipped > 0 ? Verdict::kPartial : Verdict::kConforms;
    r.reason = skip_reason;
  }
  return r;
}

int Report::count(Verdict v) const {
  int n = 0;
  for (const BehaviourResult& r : results) n += r.verdict == v ? 1 : 0;
  return n;
}

int Report::exit_status() const {
  if (count(Verdict::kError) > 0) return 2;
  return count(Verdict::kDeviates) > 0 ? 1 : 0;
}

std::string summary_line(const Report& report) {
  return plural(static_cast<int>(report.results.size()), "behaviour",
                "behaviours") +
         ": " + std::to_string(report.count(Verdict::kConforms)) +
         " conform, " + std::to_string(report.count(Verdict::kPartial)) +
         " partial, " + std::to_string(report.count(Verdict::kDeviates)) +
         " deviate, " + std::to_string(report.count(Verdict::kSkipped)) +
         " skipped, " + std::to_string(report.count(Verdict::kError)) +
         " error (" + plural(report.tests, "test", "tests") + " in " +
         plural(report.suites, "suite", "suites") + ", " +
         seconds_str(report.seconds) + ")";
}

std::string render_markdown(const Report& report) {
  std::string md = "# ipctorture conformance report\n\n";
  md += "**Summary:** " + summary_line(report) + "\n\n";
  md +=
      "Verdicts: **conforms** (every test passed), **partial** (the tests "
      "that ran passed, some were skipped: partly verified), **deviates** "
      "(a test failed), **skipped** (no test could check it here), **error** "
      "(the tests could not be run: a problem of the setup, not of the "
      "OS).\n\n";
  md += "## Host\n\n| Fact | Value |\n|---|---|\n";
  for (const HostFact& f : report.host)
    md += "| " + cell(f.label) + " | " + cell(f.value) + " |\n";
  md +=
      "\n## Behaviours\n\n| ID | Verdict | Behaviour | Specified in | Scope "
      "|\n|---|---|---|---|---|\n";
  for (const BehaviourResult& r : report.results) {
    const Behaviour& b = *r.behaviour;
    std::string verdict = verdict_name(r.verdict);
    if (r.verdict == Verdict::kDeviates || r.verdict == Verdict::kError)
      verdict = "**" + verdict + "**";
    md += "| " + b.id + " | " + verdict + " | " + cell(b.title) + " | " +
          cell(b.spec) + " | " + cell(b.scope) + " |\n";
  }
  if (report.count(Verdict::kError) > 0) {
    md += "\n## Errors (not judged: the tests could not run)\n\n";
    for (const BehaviourResult& r : report.results) {
      if (r.verdict != Verdict::kError) continue;
      md += "- **" + r.behaviour->id + "**: " + cell(r.reason) + "\n";
    }
  }
  if (report.count(Verdict::kDeviates) > 0) {
    md += "\n## Deviations\n";
    for (const BehaviourResult& r : report.results) {
      if (r.verdict != Verdict::kDeviates) continue;
      const Behaviour& b = *r.behaviour;
      md += "\n### " + b.id + " — " + b.title + "\n\n";
      md += "- **Expected:** " + b.expected + "\n";
      md += "- **Specified in:** " + b.spec + " (scope " + b.scope + ")\n";
      md += "- **Tests:** " + join_tests(b, ", ") + "\n";
      md += "- **Observed:**\n\n```\n" + r.observed + "\n```\n";
    }
  }
  bool any_reason = false;
  for (const BehaviourResult& r : report.results)
    any_reason =
        any_reason || (!r.reason.empty() && r.verdict != Verdict::kError);
  if (any_reason) {
    md += "\n## Partly verified and skipped\n\n";
    for (const BehaviourResult& r : report.results) {
      if (r.reason.empty() || r.verdict == Verdict::kError) continue;
      md += "- **" + r.behaviour->id + "** (" + verdict_name(r.verdict) +
            "): " + cell(r.reason) + "\n";
    }
  }
  return md;
}

std::string render_json(const Report& report) {
  Json host = Json::object();
  for (const HostFact& f : report.host) host.set(f.key, f.value);
  Json summary = Json::object();
  summary.set("behaviours", static_cast<double>(report.results.size()));
  for (Verdict v : kAllVerdicts) summary.set(verdict_name(v), report.count(v));
  summary.set("tests", report.tests);
  summary.set("suites", report.suites);
  summary.set("seconds", report.seconds);
  Json behaviours = Json::array();
  for (const BehaviourResult& r : report.results) {
    const Behaviour& b = *r.behaviour;
    Json tests = Json::array();
    for (const TestRef& t : b.tests) tests.push(t.str());
    Json e = Json::object();
    e.set("id", b.id);
    e.set("verdict", verdict_name(r.verdict));
    e.set("title", b.title);
    e.set("spec", b.spec);
    e.set("tests", std::move(tests));
    e.set("observed", r.observed.empty() ? Json() : Json(r.observed));
    e.set("expected", b.expected);
    e.set("reason", r.reason.empty() ? Json() : Json(r.reason));
    behaviours.push(std::move(e));
  }
  Json doc = Json::object();
  doc.set("host", std::move(host));
  doc.set("summary", std::move(summary));
  doc.set("behaviours", std::move(behaviours));
  return doc.dump(2) + "\n";
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char ch : valid_utf8(s)) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 && ch != '\n' && ch != '\t' && ch != '\r')
          break;  // not allowed in XML 1.0
        out += ch;
    }
  }
  return out;
}

std::string render_junit(const Report& report) {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string counts =
      " tests=\"" + std::to_string(report.results.size()) + "\" failures=\"" +
      std::to_string(report.count(Verdict::kDeviates)) + "\" skipped=\"" +
      std::to_string(report.count(Verdict::kSkipped)) + "\" errors=\"" +
      std::to_string(report.count(Verdict::kError)) + "\"";
  char time[32];
  std::snprintf(time, sizeof time, "%.3f", report.seconds);
  x += "<testsuites name=\"ipctorture conformance\"" + counts + " time=\"" +
       time + "\">\n";
  x += "  <testsuite name=\"conformance\"" + counts + " time=\"" + time +
       "\">\n";
  x += "    <properties>\n";
  for (const HostFact& f : report.host) {
    x += "      <property name=\"" + xml_escape(f.key) + "\" value=\"" +
         xml_escape(f.value) + "\"/>\n";
  }
  x += "    </properties>\n";
  for (const BehaviourResult& r : report.results) {
    const Behaviour& b = *r.behaviour;
    std::string prefix = b.id.substr(0, b.id.find('-'));
    x += "    <testcase classname=\"" + xml_escape(prefix) + "\" name=\"" +
         xml_escape(b.id) + "\">\n";
    x += "      <properties><property name=\"verdict\" value=\"" +
         std::string(verdict_name(r.verdict)) + "\"/></properties>\n";
    if (r.verdict == Verdict::kDeviates) {
      x += "      <failure message=\"" + xml_escape(b.title) + "\">" +
           xml_escape("expected: " + b.expected + "\nobserved: " + r.observed) +
           "</failure>\n";
    } else if (r.verdict == Verdict::kError) {
      x += "      <error message=\"not run: a setup problem, not a "
           "deviation\">" +
           xml_escape(r.reason) + "</error>\n";
    } else if (r.verdict == Verdict::kSkipped) {
      x += "      <skipped message=\"" + xml_escape(r.reason) + "\"/>\n";
    }
    std::string out = b.title + " [" + b.spec + "; " + b.scope + "]";
    if (r.verdict == Verdict::kPartial)
      out += "\npartly verified; skipped checks:\n" + r.reason;
    x += "      <system-out>" + xml_escape(out) + "</system-out>\n";
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

}  // namespace conformance
