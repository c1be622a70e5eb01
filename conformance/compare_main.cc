// conformance/compare_main.cc — the //conformance:compare command line:
//
//   compare [--all] [--out FILE] r1.json r2.json ...
//
// Prints the Markdown comparison (compare.h) of report JSON files. Exit status:
// 0 if every behaviour has the same verdict in every report, 1 if some differ,
// 2 on usage or input errors. --out is opened before the reports are read and
// written whole (cli/output_file.h); each report is read up to
// kReportMaxBytes (cli/input_file.h).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/input_file.h"
#include "cli/output_file.h"
#include "cli/user_path.h"
#include "conformance/compare.h"

namespace {

constexpr const char* kUsage =
    "usage: compare [--all] [--out FILE] REPORT.json REPORT.json...\n";

std::string label_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int fail(const std::string& why) {
  std::fprintf(stderr, "compare: %s\n", why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool all = false;
  std::string out;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--all") {
      all = true;
    } else if (a == "--out") {
      if (i + 1 >= argc)
        return fail("--out needs a file name\n" + std::string(kUsage));
      out = cli::user_path(argv[++i]);
    } else if (a.rfind("-", 0) == 0) {
      return fail("unknown argument " + a + "\n" + kUsage);
    } else {
      paths.push_back(cli::user_path(a));
    }
  }
  if (paths.size() < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::optional<cli::OutputFile> file;
  if (!out.empty()) {
    auto f = cli::OutputFile::open(out);
    if (!f) return fail(f.error().message());
    file.emplace(std::move(*f));
  }
  std::vector<conformance::ReportFile> reports;
  for (const std::string& p : paths) {
    auto text = cli::read_input_file(p, conformance::kReportMaxBytes);
    if (!text) return fail(text.error().message());
    std::string label = label_of(p);
    for (const auto& r : reports) {
      if (r.label == label) label = p;  // same file name twice: whole path
    }
    reports.push_back({label, std::move(*text)});
  }
  auto c = conformance::compare_reports(reports, all);
  if (!c) return fail(c.error().message());
  if (!file) {
    std::fwrite(c->markdown.data(), 1, c->markdown.size(), stdout);
  } else {
    ipc::Status s = file->write(c->markdown);
    if (s) s = file->commit();
    if (!s) return fail(s.error().message());
  }
  std::fprintf(stderr, "[compare] %d behaviours, %d differ\n", c->behaviours,
               c->differing);
  return c->differing > 0 ? 1 : 0;
}
