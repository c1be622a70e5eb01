// conformance/selftest/selftest_test.cc — proof that the conformance suite can
// fail: the report is run with each deviation shim preloaded into the suites
// (report --preload), and every behaviour the shim breaks must come out
// "deviates". The same behaviours must conform without the shim (control run),
// so a deviation is caused by the shim, not by this host.
//
// Each shim breaks one rule (its header comment says which); `broken` lists
// the catalogue IDs whose tests must catch it, `only` what the report runs.
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "conformance/json.h"
#include "conformance/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace conformance {
namespace {

using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::TempDir;

struct Shim {
  const char* name;                 // libdev_<name>.so
  std::vector<std::string> broken;  // IDs that must deviate under it
};

const std::vector<Shim>& Shims() {
  static const std::vector<Shim> shims = {
      {"pipe_eof_as_eagain", {"PIPE-019"}},
      {"pipe_split_write", {"PIPE-022"}},
      {"fifo_open_eagain", {"FIFO-011"}},
      {"msg_except_ignored", {"MSG-025"}},
      {"msg_noerror_ignored", {"MSG-028"}},
      {"ftok_by_path", {"KEY-002"}},
      {"sa_restart_ignored", {"EINTR-002"}},
      {"shm_unlink_keeps_name", {"PSHM-014", "PSHM-015"}},
      {"exec_resets_ignored", {"SIG-020"}},
      {"shm_not_zeroed", {"SHM-002"}},
  };
  return shims;
}

// Runs the report over `ids` (optionally under `preload`); id → verdict.
std::map<std::string, std::string> Verdicts(const std::vector<std::string>& ids,
                                            const std::string& preload, std::string* log) {
  TempDir dir;
  auto report = runfile("conformance/report");
  if (!report) {
    *log = report.error().message();
    return {};
  }
  std::string only;
  for (const std::string& id : ids) only += (only.empty() ? "" : ",") + id;
  std::vector<std::string> argv = {*report, "--only", only, "--json", dir.file("r.json"),
                                   "--out", dir.file("r.md"), "--test-timeout", "5"};
  if (!preload.empty()) argv.insert(argv.end(), {"--preload", preload});
  RunOptions opt;
  opt.timeout = std::chrono::minutes(5);
  auto run = run_program(argv, opt);
  if (!run) {
    *log = run.error().message();
    return {};
  }
  *log = DescribeWaitStatus(run->wait_status) + "\n" + run->output;
  std::ifstream in(dir.file("r.json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto doc = parse_json(text);
  if (!doc) {
    *log += "\n" + doc.error().message();
    return {};
  }
  std::map<std::string, std::string> out;
  for (const Json& b : doc->get("behaviours")->as_array()) out[b.get_string("id")] = b.get_string("verdict");
  return out;
}

class DeviationShim : public ::testing::TestWithParam<Shim> {};

TEST_P(DeviationShim, ItsBrokenBehavioursDeviate) {
  const Shim& shim = GetParam();
  auto lib = runfile(std::string("conformance/selftest/libdev_") + shim.name + ".so");
  ASSERT_TRUE(lib.ok()) << lib.error().message();
  std::string log;
  auto under = Verdicts(shim.broken, *lib, &log);
  for (const std::string& id : shim.broken) {
    EXPECT_EQ(under[id], "deviates") << shim.name << " broke " << id << " but the suite did not notice\n"
                                     << log;
  }
}

TEST(DeviationShimControl, TheSameBehavioursConformWithoutAShim) {
  std::vector<std::string> ids;
  for (const Shim& s : Shims()) ids.insert(ids.end(), s.broken.begin(), s.broken.end());
  std::string log;
  auto plain = Verdicts(ids, "", &log);
  for (const std::string& id : ids) {
    EXPECT_EQ(plain[id], "conforms") << id << "\n" << log;
  }
}

INSTANTIATE_TEST_SUITE_P(Shims, DeviationShim, ::testing::ValuesIn(Shims()),
                         [](const ::testing::TestParamInfo<Shim>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace conformance
