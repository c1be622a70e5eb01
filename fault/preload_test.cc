// fault/preload_test.cc — black-box fault injection: real programs (coreutils
// cat and preload_test_helper) run under the ipcfault CLI with libipcfault.so.
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A built file of //fault: in the runfiles under Bazel, else next to this test.
std::string Built(const std::string& name) {
  if (const char* srcdir = std::getenv("TEST_SRCDIR")) {
    return std::string(srcdir) + "/ipctorture/fault/" + name;
  }
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string self(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  return self.substr(0, self.rfind('/')) + "/" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

struct Outcome {
  int status = -1;  // raw wait status
  std::string out, err;
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

// Runs argv with extra environment entries and waits for it. stdout is a
// pipe (as in a shell pipeline; coreutils cat would use copy_file_range(2),
// which the library does not see, between two regular files), stderr a file
// of `dir`.
Outcome RunProgram(const ipc::testing::TempDir& dir, const std::vector<std::string>& argv,
                   const std::vector<std::pair<std::string, std::string>>& env = {}) {
  Outcome o;
  std::string err_path = dir.file("stderr");
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return o;
  pid_t pid = ::fork();
  if (pid == 0) {
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err, 2) < 0) _exit(126);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(out[1]);
  char buf[65536];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) != 0) {
    if (n > 0) o.out.append(buf, static_cast<std::size_t>(n));
    else if (errno != EINTR) break;
  }
  ::close(out[0]);
  if (pid > 0) ::waitpid(pid, &o.status, 0);
  o.err = ReadFile(err_path);
  return o;
}

std::string RandomBytes(std::size_t n) {
  std::mt19937 rng(12345);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

class PreloadTest : public ::testing::Test {
 protected:
  std::vector<std::string> Ipcfault(std::vector<std::string> options,
                                    const std::vector<std::string>& program) {
    options.insert(options.begin(), ipcfault_);
    options.push_back("--");
    options.insert(options.end(), program.begin(), program.end());
    return options;
  }
  std::string ipcfault_ = Built("ipcfault");
  std::string helper_ = Built("preload_test_helper");
  std::string cat_ = "/bin/cat";
  ipc::testing::TempDir dir_;
};

TEST_F(PreloadTest, InjectedEioMakesCatFail) {
  std::string file = dir_.file("in");
  WriteFile(file, "hello\n");
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:EIO@1"}, {cat_, file}));
  EXPECT_EQ(o.exit_code(), 1) << ipc::testing::DescribeWaitStatus(o.status);
  EXPECT_THAT(o.err, HasSubstr("Input/output error"));
  EXPECT_EQ(o.out, "");
  // cat reads twice (data, then EOF): a fault due at the 3rd read never fires.
  Outcome plain = RunProgram(dir_, Ipcfault({"--plan", "read:EIO@3"}, {cat_, file}));
  EXPECT_EQ(plain.exit_code(), 0) << plain.err;
  EXPECT_EQ(plain.out, "hello\n");
}

TEST_F(PreloadTest, OneByteReadsCopyCatInputExactly) {
  std::string file = dir_.file("in"), log = dir_.file("log");
  std::string data = RandomBytes(100 * 1024);
  WriteFile(file, data);
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:short=1", "--log", log}, {cat_, file}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_TRUE(o.out == data) << "output differs: " << o.out.size() << " bytes";
  // Every read was cut to 1 byte: one per byte plus the one that sees EOF.
  EXPECT_THAT(ReadFile(log), HasSubstr("injected: " + std::to_string(data.size() + 1) + "\n"));
}

TEST_F(PreloadTest, OneByteWritesStillDeliverEverything) {
  std::string log = dir_.file("log");
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "write:short=1", "--log", log}, {helper_, "write", "5000"}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  std::string expected(5000, '\0');
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<char>(i % 251);
  EXPECT_TRUE(o.out == expected) << "output differs: " << o.out.size() << " bytes";
  std::string text = ReadFile(log);
  EXPECT_THAT(text, HasSubstr("injected: 5000\n"));
  // The log keeps the first 4096 entries and counts the rest.
  EXPECT_THAT(text, HasSubstr("write #4096 (rule 0, fd=1"));
  EXPECT_THAT(text, HasSubstr("(904 more not logged)"));
}

// coreutils cat retries EINTR itself (safe_read), so an injected EINTR does
// not make it fail; a program doing one raw read(2) does see it.
TEST_F(PreloadTest, CatRetriesInjectedEintrButARawReadSeesIt) {
  std::string file = dir_.file("in"), log = dir_.file("log");
  WriteFile(file, "hello\n");
  Outcome cat = RunProgram(dir_, Ipcfault({"--plan", "read:EINTR@1", "--log", log}, {cat_, file}));
  EXPECT_EQ(cat.exit_code(), 0) << cat.err;
  EXPECT_EQ(cat.out, "hello\n");
  EXPECT_THAT(ReadFile(log), HasSubstr("read #1 (rule 0, fd=3"));
  EXPECT_THAT(ReadFile(log), HasSubstr("): EINTR\n"));

  Outcome raw = RunProgram(dir_, Ipcfault({"--plan", "read:EINTR@1"}, {helper_, "rawread", file}));
  EXPECT_EQ(raw.exit_code(), 3) << raw.err;
  EXPECT_THAT(raw.err, HasSubstr("Interrupted system call"));
  Outcome second = RunProgram(dir_, Ipcfault({"--plan", "read:EINTR@2"}, {helper_, "rawread", file}));
  EXPECT_EQ(second.exit_code(), 0) << second.err;
  EXPECT_EQ(second.out, "read 6 bytes\n");
}

TEST_F(PreloadTest, LogListsEachInjectedFaultWithItsOrdinalPidPlanAndSeed) {
  std::string file = dir_.file("in"), log = dir_.file("log");
  WriteFile(file, "abcdef");
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:short=2@1+2", "--seed", "42", "--log", log},
                                 {cat_, file}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_EQ(o.out, "abcdef");
  std::string text = ReadFile(log);
  EXPECT_THAT(text, HasSubstr("ipcfault: pid="));
  // Reads: #1 cut to 2 bytes, #2 gets the other 4, #3 (cut) sees EOF.
  EXPECT_THAT(text, HasSubstr("plan: read:short=2@1+2; seed=42\n"));
  EXPECT_THAT(text, HasSubstr("seed: 42\n"));
  EXPECT_THAT(text, HasSubstr("injected: 2\n"));
  EXPECT_THAT(text, HasSubstr("read #1 (rule 0, fd=3"));
  EXPECT_THAT(text, HasSubstr("read #3 (rule 0, fd=3"));
  EXPECT_THAT(text, Not(HasSubstr("read #2 ")));
}

TEST_F(PreloadTest, BadPlanOrOptionsExitTwoWithTheReason) {
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:EBOGUS@1"}, {cat_, "/dev/null"}));
  EXPECT_EQ(o.exit_code(), 2);
  EXPECT_THAT(o.err, HasSubstr("bad plan"));
  EXPECT_THAT(o.err, HasSubstr("EBOGUS"));

  Outcome seed = RunProgram(dir_, Ipcfault({"--plan", "read:EIO", "--seed", "x1"}, {cat_, "/dev/null"}));
  EXPECT_EQ(seed.exit_code(), 2);
  EXPECT_THAT(seed.err, HasSubstr("bad --seed 'x1'"));

  Outcome no_plan = RunProgram(dir_, {ipcfault_, "--", cat_, "/dev/null"});
  EXPECT_EQ(no_plan.exit_code(), 2);
  EXPECT_THAT(no_plan.err, HasSubstr("--plan is required"));

  Outcome no_program = RunProgram(dir_, {ipcfault_, "--plan", "read:EIO"});
  EXPECT_EQ(no_program.exit_code(), 2);
  EXPECT_THAT(no_program.err, HasSubstr("no program"));

  Outcome missing = RunProgram(dir_, Ipcfault({"--plan", "read:EIO"}, {dir_.file("nonexistent")}));
  EXPECT_EQ(missing.exit_code(), 127);
  EXPECT_THAT(missing.err, HasSubstr("cannot run"));
}

TEST_F(PreloadTest, LibraryRejectsABadPlanAtLoad) {
  Outcome o = RunProgram(dir_, {helper_, "rawread", "/dev/null"},
                  {{"LD_PRELOAD", Built("libipcfault.so")}, {"IPCFAULT_PLAN", "read:short=x"}});
  EXPECT_EQ(o.exit_code(), 2) << ipc::testing::DescribeWaitStatus(o.status);
  EXPECT_THAT(o.err, HasSubstr("ipcfault: bad IPCFAULT_PLAN"));
  Outcome seed = RunProgram(dir_, {helper_, "rawread", "/dev/null"},
                     {{"LD_PRELOAD", Built("libipcfault.so")},
                      {"IPCFAULT_PLAN", "read:EIO"},
                      {"IPCFAULT_SEED", "7z"}});
  EXPECT_EQ(seed.exit_code(), 2);
  EXPECT_THAT(seed.err, HasSubstr("bad IPCFAULT_SEED"));
}

// The library carries its own C++ runtime (static libstdc++, so loading it
// into a C program costs no libstdc++.so relocations) and keeps it to itself:
// it exports the interposed C functions, never a C++ symbol that could
// interpose on the program's own libstdc++.
TEST_F(PreloadTest, LibraryExportsTheInterposedCallsAndNoCxxSymbol) {
  // Never unloaded: its libstdc++ keeps an emergency exception pool that
  // LeakSanitizer would report once the library's data is gone.
  void* lib = ::dlopen(Built("libipcfault.so").c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  ASSERT_NE(lib, nullptr) << ::dlerror();
  for (const char* name : {"read", "write", "msgsnd", "msgrcv", "shm_open", "openat64", "pread64"}) {
    EXPECT_NE(::dlsym(lib, name), nullptr) << name;
  }
  // std::to_string(int) and std::string's operator+: used inside the library.
  for (const char* name : {"_ZNSt7__cxx119to_stringEi", "_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_appendEPKcm",
                           "_Znwm"}) {
    void* sym = ::dlsym(lib, name);
    Dl_info info{};
    // Found in another object (the test's own libstdc++) is fine; found in
    // the library is not.
    if (sym != nullptr && ::dladdr(sym, &info) != 0 && info.dli_fname != nullptr) {
      EXPECT_THAT(std::string(info.dli_fname), Not(HasSubstr("libipcfault"))) << name;
    }
  }
}

TEST_F(PreloadTest, HelpDocumentsGrammarAndLimits) {
  Outcome o = RunProgram(dir_, {ipcfault_, "--help"});
  EXPECT_EQ(o.exit_code(), 0);
  EXPECT_THAT(o.out, HasSubstr("TRIGGER"));
  EXPECT_THAT(o.out, HasSubstr("static binaries"));
}

// Plan read:EIO@2; the helper reads once, forks, and both processes read once.
TEST_F(PreloadTest, ForkChildContinuesParentCountsByDefault) {
  std::string file = dir_.file("in"), log = dir_.file("log");
  WriteFile(file, "abcdef");
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:EIO@2", "--log", log}, {helper_, "forkread", file}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_EQ(o.out, "parent=EIO child=EIO\n");
  std::string text = ReadFile(log);
  // Two processes each appended a log.
  EXPECT_NE(text.find("ipcfault: pid="), text.rfind("ipcfault: pid="));
}

TEST_F(PreloadTest, ForkResetGivesTheChildFreshCounters) {
  std::string file = dir_.file("in");
  WriteFile(file, "abcdef");
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:EIO@2", "--fork-reset"}, {helper_, "forkread", file}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_EQ(o.out, "parent=EIO child=ok\n");
}

// exec keeps the environment: a shell that execs cat passes the plan on.
TEST_F(PreloadTest, PlanSurvivesExec) {
  std::string file = dir_.file("in");
  WriteFile(file, "hello\n");
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:EIO@1"}, {"/bin/sh", "-c", "exec cat " + file}));
  EXPECT_EQ(o.exit_code(), 1);
  EXPECT_THAT(o.err, HasSubstr("Input/output error"));
}

TEST_F(PreloadTest, PrependsToAnExistingLdPreload) {
  std::string other = "/lib/x86_64-linux-gnu/libm.so.6";
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:pass@1"}, {"/usr/bin/printenv", "LD_PRELOAD"}),
                  {{"LD_PRELOAD", other}});
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("/libipcfault.so:" + other + "\n"));
}

}  // namespace
