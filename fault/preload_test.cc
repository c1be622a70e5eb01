// fault/preload_test.cc — black-box fault injection: real programs (coreutils
// cat and preload_test_helper) run under the ipcfault CLI with libipcfault.so.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fault/test_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace {

using ::fault::testing::Built;
using ::fault::testing::ReadFile;
using ::fault::testing::WriteFile;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int status = -1;  // raw wait status
  std::string out, err;
  int exit_code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
};

// Runs argv with extra environment entries and waits for it. stdout is a
// pipe (as in a shell pipeline; coreutils cat would use copy_file_range(2),
// which the library does not see, between two regular files), stderr a file
// of `dir`.
Outcome RunProgram(
    const ipc::testing::TempDir& dir, const std::vector<std::string>& argv,
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
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(out[1]);
  char buf[65536];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) != 0) {
    if (n > 0)
      o.out.append(buf, static_cast<std::size_t>(n));
    else if (errno != EINTR)
      break;
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
  // A new name in the test's directory, holding "abcdef" if `exists`.
  std::string FreshPath(bool exists) {
    std::string p = dir_.file("f" + std::to_string(++files_));
    if (exists) WriteFile(p, "abcdef");
    return p;
  }
  int files_ = 0;
  std::string ipcfault_ = Built("ipcfault");
  std::string helper_ = Built("preload_test_helper");
  std::string cat_ = "/bin/cat";
  ipc::testing::TempDir dir_;
};

TEST_F(PreloadTest, InjectedEioMakesCatFail) {
  std::string file = dir_.file("in");
  WriteFile(file, "hello\n");
  Outcome o =
      RunProgram(dir_, Ipcfault({"--plan", "read:EIO@1"}, {cat_, file}));
  EXPECT_EQ(o.exit_code(), 1) << ipc::testing::DescribeWaitStatus(o.status);
  EXPECT_THAT(o.err, HasSubstr("Input/output error"));
  EXPECT_EQ(o.out, "");
  // cat reads twice (data, then EOF): a fault due at the 3rd read never fires.
  Outcome plain =
      RunProgram(dir_, Ipcfault({"--plan", "read:EIO@3"}, {cat_, file}));
  EXPECT_EQ(plain.exit_code(), 0) << plain.err;
  EXPECT_EQ(plain.out, "hello\n");
}

TEST_F(PreloadTest, OneByteReadsCopyCatInputExactly) {
  std::string file = dir_.file("in"), log = dir_.file("log");
  std::string data = RandomBytes(100 * 1024);
  WriteFile(file, data);
  Outcome o = RunProgram(
      dir_, Ipcfault({"--plan", "read:short=1", "--log", log}, {cat_, file}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_TRUE(o.out == data) << "output differs: " << o.out.size() << " bytes";
  // Every read was cut to 1 byte: one per byte plus the one that sees EOF.
  EXPECT_THAT(ReadFile(log),
              HasSubstr("injected: " + std::to_string(data.size() + 1) + "\n"));
}

TEST_F(PreloadTest, OneByteWritesStillDeliverEverything) {
  std::string log = dir_.file("log");
  Outcome o =
      RunProgram(dir_, Ipcfault({"--plan", "write:short=1", "--log", log},
                                {helper_, "write", "5000"}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  std::string expected(5000, '\0');
  for (std::size_t i = 0; i < expected.size(); ++i)
    expected[i] = static_cast<char>(i % 251);
  EXPECT_TRUE(o.out == expected)
      << "output differs: " << o.out.size() << " bytes";
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
  Outcome cat = RunProgram(
      dir_, Ipcfault({"--plan", "read:EINTR@1", "--log", log}, {cat_, file}));
  EXPECT_EQ(cat.exit_code(), 0) << cat.err;
  EXPECT_EQ(cat.out, "hello\n");
  EXPECT_THAT(ReadFile(log), HasSubstr("read #1 (rule 0, fd=3"));
  EXPECT_THAT(ReadFile(log), HasSubstr("): EINTR\n"));

  Outcome raw = RunProgram(
      dir_, Ipcfault({"--plan", "read:EINTR@1"}, {helper_, "rawread", file}));
  EXPECT_EQ(raw.exit_code(), 3) << raw.err;
  EXPECT_THAT(raw.err, HasSubstr("Interrupted system call"));
  Outcome second = RunProgram(
      dir_, Ipcfault({"--plan", "read:EINTR@2"}, {helper_, "rawread", file}));
  EXPECT_EQ(second.exit_code(), 0) << second.err;
  EXPECT_EQ(second.out, "read 6 bytes\n");
}

TEST_F(PreloadTest, LogListsEachInjectedFaultWithItsOrdinalPidPlanAndSeed) {
  std::string file = dir_.file("in"), log = dir_.file("log");
  WriteFile(file, "abcdef");
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:short=2@1+2", "--seed",
                                         "42", "--log", log},
                                        {cat_, file}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_EQ(o.out, "abcdef");
  std::string text = ReadFile(log);
  EXPECT_THAT(text, HasSubstr("ipcfault: pid="));
  // Reads: #1 cut to 2 bytes, #2 gets the other 4, #3 (cut) sees EOF.
  EXPECT_THAT(text, HasSubstr("plan: read:short=2@1+2; seed=42\n"));
  EXPECT_EQ(text.find("42"), text.rfind("42")) << text;  // the seed once
  EXPECT_THAT(text, HasSubstr("injected: 2\n"));
  EXPECT_THAT(text, HasSubstr("read #1 (rule 0, fd=3"));
  EXPECT_THAT(text, HasSubstr("read #3 (rule 0, fd=3"));
  EXPECT_THAT(text, Not(HasSubstr("read #2 ")));
}

TEST_F(PreloadTest, BadPlanOrOptionsExitTwoWithTheReason) {
  Outcome o = RunProgram(
      dir_, Ipcfault({"--plan", "read:EBOGUS@1"}, {cat_, "/dev/null"}));
  EXPECT_EQ(o.exit_code(), 2);
  EXPECT_THAT(o.err, HasSubstr("bad plan"));
  EXPECT_THAT(o.err, HasSubstr("EBOGUS"));

  Outcome seed = RunProgram(
      dir_,
      Ipcfault({"--plan", "read:EIO", "--seed", "x1"}, {cat_, "/dev/null"}));
  EXPECT_EQ(seed.exit_code(), 2);
  EXPECT_THAT(seed.err, HasSubstr("bad --seed 'x1'"));

  Outcome no_plan = RunProgram(dir_, {ipcfault_, "--", cat_, "/dev/null"});
  EXPECT_EQ(no_plan.exit_code(), 2);
  EXPECT_THAT(no_plan.err, HasSubstr("--plan is required"));

  Outcome no_program = RunProgram(dir_, {ipcfault_, "--plan", "read:EIO"});
  EXPECT_EQ(no_program.exit_code(), 2);
  EXPECT_THAT(no_program.err, HasSubstr("no program"));

  Outcome missing = RunProgram(
      dir_, Ipcfault({"--plan", "read:EIO"}, {dir_.file("nonexistent")}));
  EXPECT_EQ(missing.exit_code(), 127);
  EXPECT_THAT(missing.err, HasSubstr("cannot run"));
}

TEST_F(PreloadTest, LibraryRejectsABadPlanAtLoad) {
  Outcome o = RunProgram(dir_, {helper_, "rawread", "/dev/null"},
                         {{"LD_PRELOAD", Built("libipcfault.so")},
                          {"IPCFAULT_PLAN", "read:short=x"}});
  EXPECT_EQ(o.exit_code(), 2) << ipc::testing::DescribeWaitStatus(o.status);
  EXPECT_THAT(o.err, HasSubstr("ipcfault: bad IPCFAULT_PLAN"));
  Outcome seed = RunProgram(dir_, {helper_, "rawread", "/dev/null"},
                            {{"LD_PRELOAD", Built("libipcfault.so")},
                             {"IPCFAULT_PLAN", "read:EIO"},
                             {"IPCFAULT_SEED", "7z"}});
  EXPECT_EQ(seed.exit_code(), 2);
  EXPECT_THAT(seed.err, HasSubstr("bad IPCFAULT_SEED"));
  // The rules of --seed (cli/number.h): strtoull would have taken each of
  // these (blanks, a sign, a negative number wrapped around, nothing).
  for (const char* bad : {" 7", "+7", "-1", ""}) {
    Outcome o = RunProgram(dir_, {helper_, "rawread", "/dev/null"},
                           {{"LD_PRELOAD", Built("libipcfault.so")},
                            {"IPCFAULT_PLAN", "read:EIO"},
                            {"IPCFAULT_SEED", bad}});
    EXPECT_EQ(o.exit_code(), 2) << "'" << bad << "'";
    EXPECT_THAT(o.err,
                HasSubstr("ipcfault: bad IPCFAULT_SEED: IPCFAULT_SEED('"))
        << "'" << bad << "'";
  }
}

// The library appends its log as ipcfault opens it (cli::open_log_for_append):
// never through a link planted in a sticky, world-writable directory, even
// when the link appears after ipcfault checked the path. Opening it is the
// library's own business: it does not count as the program's open or fstat.
TEST_F(PreloadTest, LibraryLogIsNeverOpenedThroughAPlantedLink) {
  std::string sticky = dir_.file("sticky");
  ASSERT_EQ(::mkdir(sticky.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(sticky.c_str(), 01777), 0);
  std::string victim = dir_.file("victim");
  WriteFile(victim, "precious\n");
  std::string link = sticky + "/log";
  ASSERT_EQ(::symlink(victim.c_str(), link.c_str()), 0);
  Outcome o = RunProgram(dir_, {helper_, "rawread", "/dev/null"},
                         {{"LD_PRELOAD", Built("libipcfault.so")},
                          {"IPCFAULT_PLAN", "open|fstat:EIO@2"},
                          {"IPCFAULT_LOG", link}});
  EXPECT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_THAT(o.err, HasSubstr("ipcfault: cannot write the fault log"));
  EXPECT_EQ(ReadFile(victim), "precious\n");

  // A plain path: written, and the library's own openat and fstat were not
  // counted (the helper's open is #1; #2 would have failed the library's).
  std::string log = dir_.file("plain.log");
  Outcome plain = RunProgram(dir_, {helper_, "rawread", "/dev/null"},
                             {{"LD_PRELOAD", Built("libipcfault.so")},
                              {"IPCFAULT_PLAN", "open|fstat:EIO@2"},
                              {"IPCFAULT_LOG", log}});
  EXPECT_EQ(plain.exit_code(), 0) << plain.err;
  EXPECT_EQ(plain.err, "");
  const std::string text = ReadFile(log);
  EXPECT_THAT(text, HasSubstr("injected: 0\ncalls: open=1\n"));
}

// The library carries its own C++ runtime (static libstdc++, so loading it
// into a C program costs no libstdc++.so relocations) and keeps it to itself:
// it exports the interposed C functions, never a C++ symbol that could
// interpose on the program's own libstdc++.
TEST_F(PreloadTest, LibraryExportsTheInterposedCallsAndNoCxxSymbol) {
  // Never unloaded: its libstdc++ keeps an emergency exception pool that
  // LeakSanitizer would report once the library's data is gone.
  void* lib = ::dlopen(Built("libipcfault.so").c_str(),
                       RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  ASSERT_NE(lib, nullptr) << ::dlerror();
  for (const char* name :
       {"read", "write", "msgsnd", "msgrcv", "shm_open", "openat64", "pread64",
        "semctl", "sem_open", "semtimedop", "sem_timedwait"}) {
    EXPECT_NE(::dlsym(lib, name), nullptr) << name;
  }
  // std::to_string(int) and std::string's operator+: used inside the library.
  for (const char* name :
       {"_ZNSt7__cxx119to_stringEi",
        "_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_appendEPKcm",
        "_Znwm"}) {
    void* sym = ::dlsym(lib, name);
    Dl_info info{};
    // Found in another object (the test's own libstdc++) is fine; found in
    // the library is not.
    if (sym != nullptr && ::dladdr(sym, &info) != 0 &&
        info.dli_fname != nullptr) {
      EXPECT_THAT(std::string(info.dli_fname), Not(HasSubstr("libipcfault")))
          << name;
    }
  }
}

// semctl and sem_open are variadic: their shims must hand the optional
// arguments (union semun; mode and value) on exactly, whether a rule fires
// (pass) or not, and fail with the call's own failure value (SEM_FAILED).
TEST_F(PreloadTest, VariadicSemctlAndSemOpenPassTheirArgumentsOn) {
  std::string name = "/" + ipc::testing::UniqueName("preload");
  const std::string normal =
      "setval=ok getval=7 nsems=2 sem_open=ok value=5 mode=640\n";
  Outcome plain = RunProgram(dir_, {helper_, "sem", name});
  ASSERT_EQ(plain.exit_code(), 0) << plain.err;
  EXPECT_EQ(plain.out, normal);
  Outcome passed = RunProgram(
      dir_, Ipcfault({"--plan", "sem:pass"}, {helper_, "sem", name}));
  ASSERT_EQ(passed.exit_code(), 0) << passed.err;
  EXPECT_EQ(passed.out, normal);
  Outcome failed =
      RunProgram(dir_, Ipcfault({"--plan", "semctl:EPERM@1; sem_open:EACCES"},
                                {helper_, "sem", name}));
  ASSERT_EQ(failed.exit_code(), 0) << failed.err;
  EXPECT_EQ(failed.out, "setval=EPERM getval=0 nsems=2 sem_open=EACCES\n");
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
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:EIO@2", "--log", log},
                                        {helper_, "forkread", file}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_EQ(o.out, "parent=EIO child=EIO\n");
  std::string text = ReadFile(log);
  // Two processes each appended a log.
  EXPECT_NE(text.find("ipcfault: pid="), text.rfind("ipcfault: pid="));
}

TEST_F(PreloadTest, ForkResetGivesTheChildFreshCounters) {
  std::string file = dir_.file("in");
  WriteFile(file, "abcdef");
  Outcome o =
      RunProgram(dir_, Ipcfault({"--plan", "read:EIO@2", "--fork-reset"},
                                {helper_, "forkread", file}));
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_EQ(o.out, "parent=EIO child=ok\n");
}

// A program built with AddressSanitizer runs under each of ipcfault's ways of
// carrying a plan across processes and threads, and LeakSanitizer finds
// nothing of the library's. Only globals and thread-local storage are roots
// (use_stacks=0): what the library keeps for the process's lifetime must be
// reachable from its globals, whatever the stack holds. The control, a leak
// on purpose, shows that LeakSanitizer is live in that program.
TEST_F(PreloadTest, LeakSanitizerFindsNothingOfTheLibraryInAnAsanProgram) {
  std::string file = dir_.file("in");
  WriteFile(file, "abcdef");
  const std::string helper = Built("preload_test_lsan_helper");
  const std::vector<std::pair<std::string, std::string>> env = {
      {"ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:exitcode=23"},
      {"LSAN_OPTIONS", "use_stacks=0:use_registers=0:exitcode=23"}};

  Outcome control = RunProgram(
      dir_, Ipcfault({"--plan", "read:EIO@2"}, {helper, "leak"}), env);
  EXPECT_EQ(control.exit_code(), 23) << control.err;
  EXPECT_THAT(control.err, HasSubstr("LeakSanitizer: detected memory leaks"));
  EXPECT_THAT(control.err, HasSubstr("4096 byte(s) leaked in 1 allocation"));

  struct Case {
    std::vector<std::string> options;
    std::string mode, out;
  };
  const Case cases[] = {
      {{"--plan", "read:EIO@2", "--fork-reset"},
       "forkread",
       "child=ok\nparent=EIO\n"},
      {{"--plan", "read:EIO@2"}, "forkread", "child=EIO\nparent=EIO\n"},
      {{"--plan", "read:EIO@7"}, "exec", "read -1 bytes\n"},
      {{"--plan", "read:pass@1+3; open:pass"},
       "threads",
       "read 6 bytes\nread 6 bytes\nread 6 bytes\nread 6 bytes\n"},
  };
  for (const Case& c : cases) {
    std::string log = dir_.file("log");
    std::vector<std::string> options = c.options;
    options.insert(options.end(), {"--log", log});
    Outcome o =
        RunProgram(dir_, Ipcfault(options, {helper, c.mode, file}), env);
    SCOPED_TRACE(c.mode + " " + c.options.back());
    EXPECT_EQ(o.exit_code(), 0) << o.err;
    EXPECT_THAT(o.err, Not(HasSubstr("LeakSanitizer")));
    EXPECT_EQ(o.out, c.out);
    // The library was loaded and wrote its log at exit.
    EXPECT_THAT(ReadFile(log), HasSubstr("ipcfault: pid="));
    ::unlink(log.c_str());
  }
}

// Hardened and large-file programs reach the plan's calls through other libc
// entry points (-D_FORTIFY_SOURCE=2: __read_chk, __open_2, __poll_chk, ...;
// -D_FILE_OFFSET_BITS=64: lseek64, fstat64, __open64_2, ...), and every
// program through a few aliases (pipe, sigprocmask, unlinkat, ...). Each is
// bound to the library (LD_DEBUG=bindings shows ld.so's choice) and counts as
// its call: <call>:EIO@1 fails it, and no fault leaves it alone.
struct EntryPoint {
  const char* mode;      // of preload_test_entry_helper
  const char* call;      // the plan's call
  const char* symbol;    // what the helper imports
  const char* symbol64;  // ... built with -D_FILE_OFFSET_BITS=64
};
const EntryPoint kEntryPoints[] = {
    {"read", "read", "__read_chk", "__read_chk"},
    {"pread", "pread", "__pread_chk", "__pread64_chk"},
    {"open", "open", "__open_2", "__open64_2"},
    {"openat", "open", "__openat_2", "__openat64_2"},
    {"poll", "poll", "__poll_chk", "__poll_chk"},
    {"ppoll", "poll", "__ppoll_chk", "__ppoll_chk"},
    {"lseek", "lseek", "lseek", "lseek64"},
    {"fstat", "fstat", "fstat", "fstat64"},
    {"fcntl", "fcntl", "fcntl", "fcntl64"},
    {"ftruncate", "ftruncate", "ftruncate", "ftruncate64"},
    {"mmap", "mmap", "mmap", "mmap64"},
    {"pipe", "pipe2", "pipe", "pipe"},
    {"sigprocmask", "pthread_sigmask", "sigprocmask", "sigprocmask"},
    {"sigwaitinfo", "sigtimedwait", "sigwaitinfo", "sigwaitinfo"},
    {"mkfifoat", "mkfifo", "mkfifoat", "mkfifoat"},
    {"unlinkat", "unlink", "unlinkat", "unlinkat"},
    {"mknod", "mkfifo", "mknod", "mknod"},
    {"mknodat", "mkfifo", "mknodat", "mknodat"},
    {"xmknod", "mkfifo", "__xmknod", "__xmknod"},
    {"creat", "open", "creat", "creat64"},
    {"sem_clockwait", "sem_timedwait", "sem_clockwait", "sem_clockwait"},
};

TEST_F(PreloadTest, EveryLibcEntryPointCountsAsItsCall) {
  // A sanitizer runtime in the helper intercepts some of these names itself
  // and then calls ours (ld.so binds the name to the helper).
  const bool sanitized = std::getenv("IPCT_SANITIZER_BUILD") != nullptr;
  for (bool large_files : {false, true}) {
    const std::string helper = Built(large_files ? "preload_test_entry64_helper"
                                                 : "preload_test_entry_helper");
    for (const EntryPoint& e : kEntryPoints) {
      const std::string mode = e.mode;
      const std::string symbol = large_files ? e.symbol64 : e.symbol;
      SCOPED_TRACE(helper + " " + mode + " (" + symbol + ")");
      // The calls that make PATH need it absent; unlinkat removes it.
      const bool exists = mode != "mkfifoat" && mode != "creat" &&
                          mode.rfind("mknod", 0) != 0 && mode != "xmknod";

      Outcome plain =
          RunProgram(dir_,
                     Ipcfault({"--plan", std::string(e.call) + ":EIO@2"},
                              {helper, mode, FreshPath(exists)}),
                     {{"LD_DEBUG", "bindings"}});
      EXPECT_EQ(plain.out, mode + ": ok\n") << plain.err;
      const std::string bound = "normal symbol `" + symbol + "'";
      bool to_library = false, to_helper = false;
      std::istringstream lines(plain.err);
      for (std::string line; std::getline(lines, line);) {
        if (line.find(bound) == std::string::npos) continue;
        if (line.find("/libipcfault.so [0]: ") != std::string::npos)
          to_library = true;
        if (line.find(helper + " [0] to " + helper) != std::string::npos)
          to_helper = true;
      }
      EXPECT_TRUE(to_library || (sanitized && to_helper))
          << "no binding of " << symbol << " to libipcfault.so:\n"
          << plain.err.substr(0, 4000);

      Outcome failed =
          RunProgram(dir_, Ipcfault({"--plan", std::string(e.call) + ":EIO@1"},
                                    {helper, mode, FreshPath(exists)}));
      EXPECT_EQ(failed.out, mode + ": EIO\n") << failed.err;
    }
    // read:EINTR@1 through __read_chk, and unlinkat(AT_REMOVEDIR), which
    // removes a directory, is not an unlink.
    Outcome eintr =
        RunProgram(dir_, Ipcfault({"--plan", "read:EINTR@1"},
                                  {helper, "read", FreshPath(true)}));
    EXPECT_EQ(eintr.out, "read: EINTR\n") << eintr.err;
    std::string sub = FreshPath(false);
    ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
    Outcome rmdir = RunProgram(
        dir_, Ipcfault({"--plan", "unlink:EIO"}, {helper, "rmdir", sub}));
    EXPECT_EQ(rmdir.out, "rmdir: ok\n") << rmdir.err;
    // mknod of anything but a FIFO is not a mkfifo.
    Outcome regular =
        RunProgram(dir_, Ipcfault({"--plan", "mkfifo:EIO"},
                                  {helper, "mknodreg", FreshPath(false)}));
    EXPECT_EQ(regular.out, "mknodreg: ok\n") << regular.err;
  }
}

// Every real function is looked up when the library is loaded (a call may
// come from a signal handler, where dlsym is unsafe), including those of entry
// points the program never calls: ld.so's LD_DEBUG=symbols shows the lookups.
TEST_F(PreloadTest, RealFunctionsAreLookedUpWhenTheLibraryLoads) {
  Outcome o = RunProgram(
      dir_,
      Ipcfault({"--plan", "read:pass"},
               {Built("preload_test_entry_helper"), "lseek", FreshPath(true)}),
      {{"LD_DEBUG", "symbols"}});
  EXPECT_EQ(o.out, "lseek: ok\n");
  for (const char* symbol : {"__pipe", "__fxstat64", "__pwrite64", "__close",
                             "shmat", "msgrcv", "sigtimedwait", "ioctl"}) {
    EXPECT_THAT(o.err, ContainsRegex(std::string("symbol=") + symbol +
                                     ";  lookup in file=[^\n]*/libc\\.so"))
        << symbol;
  }
}

// A vfork child runs on its parent's memory and thread until it execs: its
// calls must neither count on the parent's counters (a fault meant for the
// parent's Nth call must not fire on the child's) nor make a tid= rule lose
// the parent's thread, and the program it execs is injected as any exec'd
// program (fresh counts). A posix_spawn child (clone with CLONE_VM inside
// libc) likewise.
TEST_F(PreloadTest, VforkAndPosixSpawnChildrenKeepTheParentsOrdinals) {
  const std::string helper = Built("preload_test_vfork_helper");
  struct Case {
    const char* mode;
    const char* plan;
    const char* out;
    const char* parent_calls;  // the parent's "calls:" line in the log
  };
  const Case cases[] = {
      {"vfork", "read:EIO@2",
       "parent read: ok\nchild read: ok\nchild close: ok\nexec'd read: ok\n"
       "parent read: EIO\nparent close: ok\n",
       "calls: read=2\n"},
      {"vfork", "read:EIO@1",
       "parent read: EIO\nchild read: ok\nchild close: ok\nexec'd read: EIO\n"
       "parent read: ok\nparent close: ok\n",
       "calls: read=2\n"},
      {"vfork", "close:EIO@1",
       "parent read: ok\nchild read: ok\nchild close: ok\nexec'd read: ok\n"
       "parent read: ok\nparent close: EIO\n",
       "calls: close=1\n"},
      {"spawn", "read:EIO@2",
       "parent read: ok\nexec'd read: ok\nparent read: EIO\nparent close: ok\n",
       "calls: read=2\n"},
      {"spawn", "read:EIO@1",
       "parent read: EIO\nexec'd read: EIO\nparent read: ok\nparent close: "
       "ok\n",
       "calls: read=2\n"},
      {"spawn", "close:EIO@1",
       "parent read: ok\nexec'd read: ok\nparent read: ok\nparent close: EIO\n",
       "calls: close=1\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.mode) + " " + c.plan);
    const std::string log = FreshPath(false);
    Outcome o = RunProgram(dir_, Ipcfault({"--plan", c.plan, "--log", log},
                                          {helper, c.mode, FreshPath(true)}));
    EXPECT_EQ(o.exit_code(), 0) << o.err;
    EXPECT_EQ(o.out, c.out) << o.err;
    // The parent's log is the last one written (it waits for the child).
    const std::string text = ReadFile(log);
    const std::size_t parent = text.rfind("ipcfault: pid=");
    ASSERT_NE(parent, std::string::npos) << text;
    EXPECT_THAT(text.substr(parent), HasSubstr(c.parent_calls)) << text;
  }
  // tid=<the parent>: the child's calls never see the parent's thread id nor
  // leave theirs behind. (A shell execs ipcfault, which execs the helper: $$
  // is the helper's process id, its main thread's id.)
  Outcome tid = RunProgram(
      dir_, {"/bin/sh", "-c",
             "exec \"$0\" --plan \"close:EIO,tid=$$\" -- \"$1\" vfork \"$2\"",
             ipcfault_, helper, FreshPath(true)});
  EXPECT_EQ(tid.out,
            "parent read: ok\nchild read: ok\nchild close: ok\n"
            "exec'd read: ok\nparent read: ok\nparent close: EIO\n")
      << tid.err;
}

// Python's subprocess starts its child with vfork (close_fds=True, the
// default) or posix_spawn (close_fds=False and a path), and the vfork child
// makes dozens of interposed calls before it execs (sigaction for every
// signal, to reset the handlers). The parent's sigaction calls must be
// counted the same whichever way the child was started, and a fault meant
// for the parent's last one must fire on it. (SIGINT goes back to SIG_DFL
// first: Python's finalisation would otherwise reset its handler with one
// more sigaction, after the one the script checks.)
TEST_F(PreloadTest, PythonSubprocessKeepsTheParentsOrdinals) {
  const char* kScript =
      "import errno, signal, subprocess, sys\n"
      "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
      "subprocess.run(['/bin/true'], check=True,"
      " close_fds=sys.argv[1] == 'vfork')\n"
      "try:\n"
      "    signal.signal(signal.SIGUSR1, signal.SIG_IGN)\n"
      "    print('signal: ok')\n"
      "except OSError as e:\n"
      "    print('signal:', errno.errorcode[e.errno])\n";
  auto calls = [&](const std::string& plan, const std::string& mode,
                   std::string* out) {
    const std::string log = FreshPath(false);
    Outcome o = RunProgram(
        dir_, Ipcfault({"--plan", plan, "--log", log},
                       {"/usr/bin/python3", "-I", "-S", "-c", kScript, mode}));
    EXPECT_EQ(o.exit_code(), 0) << o.err;
    *out = o.out;
    const std::string text = ReadFile(log);
    std::size_t parent = text.rfind("ipcfault: pid=");
    std::size_t at = text.find("sigaction=", parent);
    if (parent == std::string::npos || at == std::string::npos) {
      ADD_FAILURE() << "no sigaction count in the parent's log:\n" << text;
      return 0L;
    }
    return std::strtol(text.c_str() + at + 10, nullptr, 10);
  };
  std::string out;
  const long spawned = calls("sigaction:pass@1000000", "spawn", &out);
  EXPECT_EQ(out, "signal: ok\n");
  const long vforked = calls("sigaction:pass@1000000", "vfork", &out);
  EXPECT_EQ(out, "signal: ok\n");
  EXPECT_GT(spawned, 0);
  EXPECT_EQ(vforked, spawned);
  calls("sigaction:EINVAL@" + std::to_string(spawned), "vfork", &out);
  EXPECT_EQ(out, "signal: EINVAL\n");
}

// exec keeps the environment: a shell that execs cat passes the plan on.
TEST_F(PreloadTest, PlanSurvivesExec) {
  std::string file = dir_.file("in");
  WriteFile(file, "hello\n");
  Outcome o = RunProgram(dir_, Ipcfault({"--plan", "read:EIO@1"},
                                        {"/bin/sh", "-c", "exec cat " + file}));
  EXPECT_EQ(o.exit_code(), 1);
  EXPECT_THAT(o.err, HasSubstr("Input/output error"));
}

TEST_F(PreloadTest, PrependsToAnExistingLdPreload) {
  std::string other = "/lib/x86_64-linux-gnu/libm.so.6";
  Outcome o = RunProgram(
      dir_,
      Ipcfault({"--plan", "read:pass@1"}, {"/usr/bin/printenv", "LD_PRELOAD"}),
      {{"LD_PRELOAD", other}});
  ASSERT_EQ(o.exit_code(), 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("/libipcfault.so:" + other + "\n"));
}

}  // namespace
