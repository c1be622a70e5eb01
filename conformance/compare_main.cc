// conformance/compare_main.cc — the //conformance:compare command line:
//
//   compare [--all] [--out FILE] r1.json r2.json ...
//
// Prints the Markdown comparison (compare.h) of report JSON files. Exit status:
// 0 if every behaviour has the same verdict in every report, 1 if some differ,
// 2 on usage or input errors.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/compare.h"

namespace {

constexpr const char* kUsage = "usage: compare [--all] [--out FILE] REPORT.json REPORT.json...\n";

// `bazel run` starts us in the runfiles tree: relative paths are the user's.
std::string user_path(const std::string& p) {
  const char* wd = std::getenv("BUILD_WORKING_DIRECTORY");
  return p.empty() || p[0] == '/' || wd == nullptr ? p : std::string(wd) + "/" + p;
}

std::string label_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
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
    } else if (a == "--out" && i + 1 < argc) {
      out = user_path(argv[++i]);
    } else if (a.rfind("-", 0) == 0) {
      std::fprintf(stderr, "compare: unknown argument %s\n%s", a.c_str(), kUsage);
      return 2;
    } else {
      paths.push_back(user_path(a));
    }
  }
  if (paths.size() < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::vector<conformance::ReportFile> reports;
  for (const std::string& p : paths) {
    std::ifstream in(p);
    if (!in) {
      std::fprintf(stderr, "compare: cannot read %s: %s\n", p.c_str(), std::strerror(errno));
      return 2;
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string label = label_of(p);
    for (const auto& r : reports) {
      if (r.label == label) label = p;  // same file name twice: use the whole path
    }
    reports.push_back({label, text.str()});
  }
  auto c = conformance::compare_reports(reports, all);
  if (!c) {
    std::fprintf(stderr, "compare: %s\n", c.error().message().c_str());
    return 2;
  }
  if (out.empty()) {
    std::fwrite(c->markdown.data(), 1, c->markdown.size(), stdout);
  } else {
    std::ofstream f(out, std::ios::trunc);
    f << c->markdown;
    if (!f) {
      std::fprintf(stderr, "compare: cannot write %s\n", out.c_str());
      return 2;
    }
  }
  std::fprintf(stderr, "[compare] %d behaviours, %d differ\n", c->behaviours, c->differing);
  return c->differing > 0 ? 1 : 0;
}
