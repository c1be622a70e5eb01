// conformance/compare.cc — see compare.h.
#include "conformance/compare.h"

#include <cerrno>
#include <map>
#include <set>

#include "conformance/json.h"
#include "conformance/markdown.h"

namespace conformance {
namespace {

struct Row {
  std::string title;
  std::map<int, std::string> verdict;   // report index → verdict
  std::map<int, std::string> observed;  // report index → observed (deviations)
};

std::string shorten(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n) + "…";
}

}  // namespace

ipc::Result<Comparison> compare_reports(const std::vector<ReportFile>& reports,
                                        bool all) {
  if (reports.size() < 2)
    return ipc::Error(EINVAL, "compare", "", "need at least two reports");
  std::vector<Json> docs;
  std::map<std::string, Row> rows;  // ordered by ID
  for (std::size_t i = 0; i < reports.size(); ++i) {
    auto doc = parse_json(reports[i].text, kReportMaxBytes);
    if (!doc)
      return ipc::Error(EINVAL, "compare", reports[i].label,
                        doc.error().message());
    const Json* behaviours = doc->get("behaviours");
    if (doc->get("host") == nullptr || behaviours == nullptr ||
        !behaviours->is_array()) {
      return ipc::Error(
          EINVAL, "compare", reports[i].label,
          "not a conformance report (no \"host\" and \"behaviours\")");
    }
    for (const Json& b : behaviours->as_array()) {
      std::string id = b.get_string("id");
      if (id.empty())
        return ipc::Error(EINVAL, "compare", reports[i].label,
                          "a behaviour without an id");
      Row& row = rows[id];
      if (!row.verdict
               .emplace(static_cast<int>(i), b.get_string("verdict", "?"))
               .second) {
        // Which verdict counts would be a guess (and could hide a deviation).
        return ipc::Error(EINVAL, "compare", reports[i].label,
                          "behaviour " + json_quote(id) + " appears twice");
      }
      if (row.title.empty()) row.title = b.get_string("title");
      std::string observed = b.get_string("observed");
      if (!observed.empty()) row.observed[static_cast<int>(i)] = observed;
    }
    docs.push_back(std::move(*doc));
  }

  Comparison c;
  std::string& md = c.facts;
  md += "|  |";
  std::string rule = "|---|";
  for (const ReportFile& r : reports) {
    md += " " + md_cell(r.label) + " |";
    rule += "---|";
  }
  md += "\n" + rule + "\n";
  static const std::pair<const char*, const char*> kFacts[] = {
      {"kernel", "Kernel"},
      {"libc", "libc"},
      {"preload", "LD_PRELOAD"},
      {"ipc_namespace", "IPC namespace"}};
  for (const auto& [key, label] : kFacts) {
    md += std::string("| ") + label + " |";
    for (const Json& d : docs)
      md += " " + md_cell(d.get("host")->get_string(key, "—")) + " |";
    md += "\n";
  }

  // Per report, how many behaviours got each verdict.
  static const char* const kVerdicts[] = {"conforms", "partial", "deviates",
                                          "skipped", "error"};
  std::vector<std::map<std::string, int>> counts(reports.size());
  for (const auto& [id, row] : rows) {
    for (const auto& [i, v] : row.verdict)
      ++counts[static_cast<std::size_t>(i)][v];
  }
  for (const char* v : kVerdicts) {
    md += std::string("| ") + v + " |";
    for (const auto& c : counts) {
      auto it = c.find(v);
      md += " " + std::to_string(it == c.end() ? 0 : it->second) + " |";
    }
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
    table += "| " + md_cell(id) + " | " + md_cell(row.title) + " |";
    for (std::size_t i = 0; i < reports.size(); ++i) {
      auto it = row.verdict.find(static_cast<int>(i));
      std::string v = it == row.verdict.end() ? "absent" : it->second;
      table +=
          " " +
          (differs && v != "conforms" ? "**" + md_cell(v) + "**" : md_cell(v)) +
          " |";
    }
    table += "\n";
    if (differs) {
      for (const auto& [i, obs] : row.observed) {
        details += "- " + md_cell(id) + " in " +
                   md_cell(reports[static_cast<std::size_t>(i)].label) + ": " +
                   md_cell(shorten(obs, 300)) + "\n";
      }
    }
  }
  std::string& diff = c.differences;
  diff += std::to_string(c.behaviours) + " behaviours in any report; " +
          std::to_string(c.differing) +
          (c.differing == 1 ? " differs" : " differ") + ".\n";
  if (!table.empty()) {
    diff += "\n| ID | Behaviour |";
    for (const ReportFile& r : reports) diff += " " + md_cell(r.label) + " |";
    diff +=
        "\n|---" + rule + "\n" + table;  // one column more than the facts table
  }
  c.details = details;
  c.markdown = "# Conformance comparison\n\n" + c.facts + "\n" + c.differences;
  if (!details.empty())
    c.markdown += "\n## Observed where a behaviour deviates\n\n" + details;
  return c;
}

}  // namespace conformance
