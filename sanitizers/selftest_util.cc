// sanitizers/selftest_util.cc — run //sanitizers:broken in a child and look at
// what the sanitizer runtime said.
#include "sanitizers/selftest_util.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "ipc/testing/test_util.h"

extern char** environ;

namespace sanitizers {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string self_path() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n <= 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string ActiveSanitizer() { return env_or_empty("IPCT_SANITIZER"); }

std::string FindRunfile(const std::string& workspace_path) {
  std::vector<std::string> candidates;
  std::string srcdir = env_or_empty("TEST_SRCDIR");
  std::string workspace = env_or_empty("TEST_WORKSPACE");
  if (workspace.empty()) workspace = "ipctorture";
  if (!srcdir.empty())
    candidates.push_back(srcdir + "/" + workspace + "/" + workspace_path);
  candidates.push_back(workspace_path);
  std::string self = self_path();
  if (!self.empty())
    candidates.push_back(self + ".runfiles/ipctorture/" + workspace_path);
  for (const std::string& c : candidates) {
    char* absolute = ::realpath(c.c_str(), nullptr);
    if (absolute == nullptr) continue;
    std::string found(absolute);
    std::free(absolute);
    return found;
  }
  return "";
}

ChildRun RunCaptured(const std::string& path,
                     const std::vector<std::string>& args,
                     const std::vector<std::string>& extra_env) {
  ipc::testing::TempDir dir;
  const std::string out_path = dir.file("output");

  // Build argv and envp before fork: the child only opens, dup2s and execs.
  std::vector<std::string> env(extra_env);
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool overridden = std::any_of(
        extra_env.begin(), extra_env.end(), [&](const std::string& x) {
          return entry.substr(0, entry.find('=') + 1) ==
                 x.substr(0, x.find('=') + 1);
        });
    if (!overridden) env.emplace_back(entry);
  }
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_storage{path};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  ChildRun run;
  run.status = ipc::testing::RunInChild([&]() -> int {
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0600);
    if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0 ||
        ::dup2(fd, STDERR_FILENO) < 0)
      return 126;
    ::execve(argv[0], argv.data(), envp.data());
    return 127;  // exec failed
  });
  run.output = read_file(out_path);
  return run;
}

ChildRun RunBroken(const std::string& snippet, const std::string& number,
                   const std::vector<std::string>& extra_env) {
  std::string path = FindRunfile("sanitizers/broken");
  if (path.empty()) {
    ADD_FAILURE() << "sanitizers/broken not found in the runfiles (TEST_SRCDIR="
                  << env_or_empty("TEST_SRCDIR") << ")";
    return {};
  }
  return RunCaptured(path, {snippet, number}, extra_env);
}

void ExpectPreloadShimReached(ChildRun* shimmed) {
  std::string shim = FindRunfile("sanitizers/libpreload_shim.so");
  ASSERT_FALSE(shim.empty())
      << "sanitizers/libpreload_shim.so not in the runfiles";
  ChildRun plain = RunBroken("pipe2", "0");
  EXPECT_THAT(plain.output, ::testing::HasSubstr("pipe2: ok"));
  *shimmed = RunBroken("pipe2", "0", {"LD_PRELOAD=" + shim});
  EXPECT_THAT(shimmed->output, ::testing::HasSubstr("preload_shim: loaded"));
  EXPECT_THAT(shimmed->output,
              ::testing::HasSubstr("pipe2: Numerical argument out of domain"));
}

::testing::AssertionResult FailedWithReport(const ChildRun& run,
                                            std::string_view report) {
  bool failed = run.status != -1 &&
                !(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0);
  bool reported = run.output.find(report) != std::string::npos;
  if (failed && reported) return ::testing::AssertionSuccess();
  auto result = ::testing::AssertionFailure();
  if (!reported) result << "no \"" << report << "\" in the child's output";
  if (!reported && !failed) result << " and ";
  if (!failed) {
    result << "the child "
           << (run.status == -1 ? "did not run"
                                : ipc::testing::DescribeWaitStatus(run.status))
           << " instead of failing";
  }
  result << (reported
                 ? " (the program went on after the report: is halt_on_error or"
                   " -fno-sanitize-recover missing?)"
                 : " (are the config's -fsanitize flags missing?)")
         << "\n--- child output ---\n"
         << run.output << "--- end ---";
  return result;
}

SanitizerSelfTest::SanitizerSelfTest(
    std::string config, std::initializer_list<std::string_view> live_in)
    : config_(std::move(config)), live_in_(live_in.begin(), live_in.end()) {}

void SanitizerSelfTest::SetUp() {
  std::string active = ActiveSanitizer();
  if (std::find(live_in_.begin(), live_in_.end(), active) == live_in_.end()) {
    GTEST_SKIP() << "run with --config=" << config_
                 << " (IPCT_SANITIZER=" << (active.empty() ? "<unset>" : active)
                 << ")";
  }
}

}  // namespace sanitizers
