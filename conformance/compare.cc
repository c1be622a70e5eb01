// conformance/compare.cc — see compare.h.
#include "conformance/compare.h"

#include <cerrno>
#include <map>
#include <set>

#include "conformance/json.h"

namespace conformance {
namespace {

struct Row {
  std::string title;
  std::map<int, std::string> verdict;   // report index → verdict
  std::map<int, std::string> observed;  // report index → observed (deviations)
};

std::string cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string shorten(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n) + "…";
}

}  // namespace

ipc::Result<Comparison> compare_reports(const std::vector<ReportFile>& reports, bool all) {
  if (reports.size() < 2) return ipc::Error(EINVAL, "compare", "", "need at least two reports");
  std::vector<Json> docs;
  std::map<std::string, Row> rows;  // ordered by ID
  for (std::size_t i = 0; i < reports.size(); ++i) {
    auto doc = parse_json(reports[i].text);
    if (!doc) return ipc::Error(EINVAL, "compare", reports[i].label, doc.error().message());
    const Json* behaviours = doc->get("behaviours");
    if (doc->get("host") == nullptr || behaviours == nullptr || !behaviours->is_array()) {
      return ipc::Error(EINVAL, "compare", reports[i].label,
                        "not a conformance report (no \"host\" and \"behaviours\")");
    }
    for (const Json& b : behaviours->as_array()) {
      std::string id = b.get_string("id");
      if (id.empty()) return ipc::Error(EINVAL, "compare", reports[i].label, "a behaviour without an id");
      Row& row = rows[id];
      if (row.title.empty()) row.title = b.get_string("title");
      row.verdict[static_cast<int>(i)] = b.get_string("verdict", "?");
      std::string observed = b.get_string("observed");
      if (!observed.empty()) row.observed[static_cast<int>(i)] = observed;
    }
    docs.push_back(std::move(*doc));
  }

  Comparison c;
  std::string& md = c.markdown;
  md += "# Conformance comparison\n\n|  |";
  std::string rule = "|---|";
  for (const ReportFile& r : reports) {
    md += " " + cell(r.label) + " |";
    rule += "---|";
  }
  md += "\n" + rule + "\n";
  static const std::pair<const char*, const char*> kFacts[] = {
      {"kernel", "Kernel"}, {"libc", "libc"}, {"preload", "LD_PRELOAD"}, {"ipc_namespace", "IPC namespace"}};
  for (const auto& [key, label] : kFacts) {
    md += std::string("| ") + label + " |";
    for (const Json& d : docs) md += " " + cell(d.get("host")->get_string(key, "—")) + " |";
    md += "\n";
  }

  std::string table, details;
  for (const auto& [id, row] : rows) {
    ++c.behaviours;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < reports.size(); ++i) {
      auto it = row.verdict.find(static_cast<int>(i));
      seen.insert(it == row.verdict.end() ? "absent" : it->second);
    }
    bool differs = seen.size() > 1;
    c.differing += differs;
    if (!differs && !all) continue;
    table += "| " + id + " | " + cell(row.title) + " |";
    for (std::size_t i = 0; i < reports.size(); ++i) {
      auto it = row.verdict.find(static_cast<int>(i));
      std::string v = it == row.verdict.end() ? "absent" : it->second;
      table += " " + (differs && v != "conforms" ? "**" + v + "**" : v) + " |";
    }
    table += "\n";
    if (differs) {
      for (const auto& [i, obs] : row.observed) {
        details += "- " + id + " in " + reports[static_cast<std::size_t>(i)].label + ": " +
                   cell(shorten(obs, 300)) + "\n";
      }
    }
  }
  md += "\n" + std::to_string(c.behaviours) + " behaviours in any report; " + std::to_string(c.differing) +
        (c.differing == 1 ? " differs" : " differ") + ".\n\n";
  if (!table.empty()) {
    md += "| ID | Behaviour |";
    for (const ReportFile& r : reports) md += " " + cell(r.label) + " |";
    md += "\n|---" + rule + "\n" + table;  // one column more than the facts table
  }
  if (!details.empty()) md += "\n## Observed where a behaviour deviates\n\n" + details;
  return c;
}

}  // namespace conformance
