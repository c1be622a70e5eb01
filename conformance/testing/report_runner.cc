// conformance/testing/report_runner.cc — see report_runner.h.
#include "conformance/testing/report_runner.h"

#include <chrono>
#include <fstream>
#include <iterator>

#include "conformance/process.h"

namespace conformance::testing {

ReportRun RunReport(const std::vector<std::string>& args,
                    const std::vector<std::string>& env) {
  ReportRun out;
  auto bin = runfile("conformance/report");
  if (!bin) {
    out.output = bin.error().message();
    return out;
  }
  std::vector<std::string> argv = {*bin};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions opt;
  opt.timeout = std::chrono::minutes(10);
  opt.env = env;
  auto r = run_program(argv, opt);
  if (!r) {
    out.output = r.error().message();
    return out;
  }
  out.status = r->wait_status;
  out.output = r->output;
  return out;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

}  // namespace conformance::testing
