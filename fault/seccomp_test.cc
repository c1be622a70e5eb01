// fault/seccomp_test.cc — ipcfault --mechanism=seccomp end to end: a static
// program (ours, and Debian's busybox-static), raw syscall(2), every effect,
// fork/vfork/exec/thread counting, and the same decisions as the preload
// library for the same plan.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fault/foreign_code.h"
#include "fault/seccomp_filter.h"
#include "fault/seccomp_supervisor.h"
#include "fault/subprocess.h"
#include "fault/test_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace {

using ::fault::testing::Built;
using ::fault::testing::Pattern;
using ::fault::testing::ReadFile;
using ::fault::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

int ExitCode(const fault::Completed& c) {
  return WIFEXITED(c.status) ? WEXITSTATUS(c.status) : -1;
}

// The log's fault lines without their tids, to compare two runs.
std::vector<std::string> FaultLines(const std::string& log) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(" #") == std::string::npos) continue;
    if (std::size_t t = line.find(", tid="); t != std::string::npos) {
      std::size_t end = line.find(')', t);
      line.erase(t, end == std::string::npos ? end : end - t);
    }
    out.push_back(line);
  }
  return out;
}

// The supervisor is not the program's parent: nobody sees its exit status,
// but a sanitizer report (under --config=asan/tsan/ubsan) goes to the run's
// stderr, which the supervisor shares.
void ExpectNoSanitizerReport(const fault::Completed& c) {
  EXPECT_THAT(c.err.data, Not(HasSubstr("Sanitizer")));
  EXPECT_THAT(c.err.data, Not(HasSubstr("runtime error:")));
}

class SeccompTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto s = fault::seccomp::probe(); !s) {
      GTEST_FAIL() << "this kernel lacks what --mechanism=seccomp needs: "
                   << s.error().message();
    }
    WriteFile(file_, "0123456789abcdef");
  }

  // ipcfault OPTIONS -- PROGRAM..., stdin from `in` ("" for /dev/null).
  fault::Completed Run(std::vector<std::string> options,
                       const std::vector<std::string>& program,
                       const std::string& in = "") {
    fault::Command c;
    c.argv = {ipcfault_};
    c.argv.insert(c.argv.end(), options.begin(), options.end());
    c.argv.push_back("--");
    c.argv.insert(c.argv.end(), program.begin(), program.end());
    c.stdin_path = in;
    c.timeout = std::chrono::seconds(60);
    auto done = fault::run_command(c);
    EXPECT_TRUE(done.ok()) << done.error().message();
    if (!done.ok()) return {};
    EXPECT_FALSE(done->timed_out) << c.argv[0];
    ExpectNoSanitizerReport(*done);
    return std::move(done).value();
  }

  // The static helper under seccomp with `plan`; the log goes to log_.
  fault::Completed Helper(const std::string& plan,
                          const std::vector<std::string>& args,
                          std::vector<std::string> extra = {},
                          const std::string& helper = "") {
    std::vector<std::string> options = {"--mechanism=seccomp", "--plan", plan,
                                        "--log", log_};
    options.insert(options.end(), extra.begin(), extra.end());
    std::vector<std::string> program = {helper.empty() ? static_ : helper};
    program.insert(program.end(), args.begin(), args.end());
    return Run(options, program);
  }

  std::string ipcfault_ = Built("ipcfault");
  std::string static_ = Built("seccomp_test_helper_static");
  std::string dynamic_ = Built("seccomp_test_helper_dynamic");
  ipc::testing::TempDir dir_;
  std::string file_ = dir_.file("in");
  std::string log_ = dir_.file("log");
};

TEST_F(SeccompTest, StaticProgramReadFailsWithTheInjectedErrno) {
  fault::Completed c = Helper("read:EIO@1", {"rawread", file_});
  EXPECT_EQ(ExitCode(c), 1) << fault::describe_status(c.status);
  EXPECT_EQ(c.out.data, "error EIO\n");
  EXPECT_THAT(ReadFile(log_), HasSubstr("read #1 (rule 0, fd=3, tid="));

  c = Helper("read:EINTR@1", {"rawread", file_});
  EXPECT_EQ(ExitCode(c), 3);
  EXPECT_EQ(c.out.data, "error EINTR\n");
}

TEST_F(SeccompTest, WithoutAFaultDueTheCallRuns) {
  fault::Completed c = Helper("read:EIO@2", {"rawread", file_});
  EXPECT_EQ(ExitCode(c), 0);
  EXPECT_EQ(c.out.data, "read 16\n");
  EXPECT_THAT(ReadFile(log_), HasSubstr("injected: 0\ncalls: read=1\n"));
}

TEST_F(SeccompTest, RawSyscallInADynamicProgramIsSeen) {
  // The preload library cannot see syscall(SYS_read, ...); seccomp can.
  fault::Completed c = Run({"--mechanism=preload", "--plan", "read:EIO@1"},
                           {dynamic_, "rawread", file_});
  EXPECT_EQ(c.out.data, "read 16\n") << "preload is expected to miss it";
  c = Helper("read:EIO@1", {"rawread", file_}, {}, dynamic_);
  EXPECT_EQ(c.out.data, "error EIO\n");
}

TEST_F(SeccompTest, AutoMechanismChoosesSeccompForAStaticProgram) {
  fault::Completed c =
      Run({"--plan", "read:EIO@1"}, {static_, "rawread", file_});
  EXPECT_EQ(c.out.data, "error EIO\n");
  c = Run({"--mechanism=preload", "--plan", "read:EIO@1"},
          {static_, "rawread", file_});
  EXPECT_EQ(ExitCode(c), 2);
  EXPECT_THAT(c.err.data, HasSubstr("statically linked"));
  EXPECT_EQ(c.out.data, "");  // never started
}

TEST_F(SeccompTest, BusyboxCatCopiesExactlyWithOneByteReads) {
  // Debian's busybox-static, a static program nobody here wrote. Its cat
  // copies a regular file with sendfile(2); from a pipe it reads.
  ASSERT_EQ(::access("/bin/busybox", X_OK), 0) << "needs busybox-static";
  std::string data = Pattern(20000);
  WriteFile(file_, data);
  fault::Command feed;
  feed.argv = {"/bin/sh",
               "-c",
               "/bin/cat \"$0\" | \"$1\" --mechanism=seccomp --plan "
               "'read:short=1' --log \"$2\" -- /bin/busybox cat",
               file_,
               ipcfault_,
               log_};
  auto done = fault::run_command(feed);
  ASSERT_TRUE(done.ok());
  ExpectNoSanitizerReport(*done);
  EXPECT_EQ(ExitCode(*done), 0) << done->err.data;
  EXPECT_TRUE(done->out.data == data) << "output differs";
  std::string log = ReadFile(log_);
  // Every read but the last (EOF) was cut to one byte.
  EXPECT_THAT(log, HasSubstr("injected: 20001\n"));
  EXPECT_THAT(log, HasSubstr("read #1 (rule 0, fd=0, tid="));
  EXPECT_THAT(log, HasSubstr("): short "));
  EXPECT_THAT(log, HasSubstr(" -> 1\n"));
}

TEST_F(SeccompTest, BusyboxCatFileThroughSendfileIsUnaffected) {
  // The acceptance line: with a regular file, busybox cat never calls read.
  std::string data = Pattern(5000);
  WriteFile(file_, data);
  fault::Completed c =
      Run({"--mechanism=seccomp", "--plan", "read:short=1", "--log", log_},
          {"/bin/busybox", "cat", file_});
  EXPECT_TRUE(c.out.data == data);
  EXPECT_THAT(ReadFile(log_), HasSubstr("injected: 0\ncalls:\n"));
}

TEST_F(SeccompTest, ShortWritesAndReadsThroughThePipe) {
  fault::Completed c = Helper("write:short=3", {"write", "1000"});
  EXPECT_EQ(ExitCode(c), 0);
  EXPECT_TRUE(c.out.data == Pattern(1000));
  EXPECT_THAT(ReadFile(log_), HasSubstr("injected: 334\n"));

  std::string data = Pattern(3000);
  WriteFile(file_, data);
  fault::Command copy;
  copy.argv = {ipcfault_, "--mechanism=seccomp",
               "--plan",  "read:short=half; write:short=7; seed=1",
               "--",      static_,
               "copy"};
  copy.stdin_path = file_;
  auto done = fault::run_command(copy);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->out.data == data);
}

TEST_F(SeccompTest, ShortReadOfAFileKeepsTheOffset) {
  fault::Completed c = Helper("read:short=2", {"reads", file_, "3"});
  EXPECT_EQ(c.out.data, "ok ok ok\n");
  c = Helper("pread:short=1; read:short=1", {"rawread", file_});
  EXPECT_EQ(c.out.data, "read 1\n");
}

TEST_F(SeccompTest,
       AShortenedCallWithABadBufferOrDescriptorFailsAsTheKernelWould) {
  // The supervisor makes the transfer itself: it must report what the
  // kernel reports, not transfer into nowhere.
  fault::Completed c = Helper("read:pass@100", {"badread", file_});
  EXPECT_EQ(c.out.data, "EFAULT EBADF 0123\n");
  c = Helper("read:short=4", {"badread", file_});
  EXPECT_EQ(c.out.data, "EFAULT EBADF 0123\n");
}

TEST_F(SeccompTest, SignalRunsTheHandlerBeforeTheCall) {
  // As with the preload library: the handler has run when read returns, and
  // read itself was not interrupted (the handler has no SA_RESTART).
  for (std::string plan : {"read:signal=SIGUSR1@1", "read:signal=SIGUSR1"}) {
    fault::Completed c = Helper(plan, {"sigread", file_});
    EXPECT_EQ(c.out.data, "handled=1 n=16\n") << plan;
    EXPECT_THAT(ReadFile(log_), HasSubstr("calls: read=1\n")) << plan;
  }
}

TEST_F(SeccompTest, ACallRestartedAfterAHandlerIsCountedOnce) {
  // The read is interrupted while asleep by a handler with SA_RESTART: the
  // kernel re-executes it, through the filter again. The preload library sees
  // one call; so must the supervisor, or read #2 would be the restart.
  for (int i = 0; i < 5; ++i) {
    std::vector<std::string> logs;
    for (const char* mechanism : {"preload", "seccomp"}) {
      std::string log = dir_.file(std::string("restart-") + mechanism);
      ::unlink(log.c_str());
      fault::Completed c = Run({std::string("--mechanism=") + mechanism,
                                "--plan", "read:EIO@2", "--log", log},
                               {dynamic_, "restart"});
      EXPECT_EQ(c.out.data, "ok EIO handled=1\n") << mechanism;
      logs.push_back(ReadFile(log));
    }
    EXPECT_EQ(FaultLines(logs[0]), FaultLines(logs[1]));
  }
}

TEST_F(SeccompTest, InterruptSignalsTheCallOnceItSleepsInIt) {
  // The helper's call sleeps until a peer thread acts, and the peer acts only
  // once SIGUSR1's handler has run (handled=0 if it never does). Without
  // SA_RESTART, EINTR proves the signal came while the call slept (one sent
  // before it would let the call sleep until the peer's byte: "ok"). Under
  // SA_RESTART the kernel restarts read and a FIFO open, never msgrcv
  // (signal(7)). Both mechanisms, and the static helper under seccomp.
  struct Case {
    const char* mode;  // the helper's CALL
    const char* call;  // the plan's
    const char* flags;
    const char* expected;
  };
  const Case cases[] = {
      {"read", "read", "none", "read=EINTR handled=1"},
      {"read", "read", "restart", "read=ok handled=1"},
      {"msgrcv", "msgrcv", "none", "msgrcv=EINTR handled=1"},
      {"msgrcv", "msgrcv", "restart", "msgrcv=EINTR handled=1"},
      {"fifo", "open", "none", "fifo=EINTR handled=1"},
      {"fifo", "open", "restart", "fifo=ok handled=1"},
  };
  for (const Case& k : cases) {
    for (const char* mechanism : {"preload", "seccomp", "static"}) {
      bool is_static = std::string(mechanism) == "static";
      std::string what = std::string(mechanism) + " " + k.call + " " + k.flags;
      ::unlink(log_.c_str());
      fault::Completed c =
          Run({is_static ? "--mechanism=seccomp"
                         : std::string("--mechanism=") + mechanism,
               "--plan", std::string(k.call) + ":interrupt=SIGUSR1@1", "--log",
               log_},
              {is_static ? static_ : dynamic_, "asleep", k.mode, k.flags,
               dir_.path()});
      EXPECT_EQ(c.out.data, std::string(k.expected) + "\n") << what;
      // One fault, also when the kernel restarted the call.
      std::vector<std::string> faults = FaultLines(ReadFile(log_));
      ASSERT_EQ(faults.size(), 1u) << what << "\n" << ReadFile(log_);
      EXPECT_THAT(faults[0], HasSubstr("interrupt SIGUSR1")) << what;
    }
  }
}

TEST_F(SeccompTest, DelayHoldsTheCall) {
  auto start = std::chrono::steady_clock::now();
  fault::Completed c = Helper("read:delay=300ms@1", {"rawread", file_});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(c.out.data, "read 16\n");
  EXPECT_GE(took, std::chrono::milliseconds(300));
}

TEST_F(SeccompTest, ForkChildContinuesTheParentsCountsOrResets) {
  // Same expectations as preload_test's ForkChildContinuesCountsByDefault.
  fault::Completed c = Helper("read:EIO@2", {"forkread", file_});
  EXPECT_EQ(c.out.data, "parent=EIO child=EIO\n");
  c = Helper("read:EIO@2", {"forkread", file_}, {"--fork-reset"});
  EXPECT_EQ(c.out.data, "parent=EIO child=ok\n");
}

TEST_F(SeccompTest, VforkChildNeitherConsumesNorChangesTheSchedule) {
  // The vfork child's read, close and write run uncounted; the parent's
  // second read is still its second.
  fault::Completed c =
      Helper("read:EIO@2; close|write:pass@100", {"vforkread", file_});
  EXPECT_EQ(c.out.data, "first=ok second=EIO\n")
      << fault::describe_status(c.status) << " " << c.err.data;
  EXPECT_THAT(ReadFile(log_), HasSubstr("calls: read=2 write=1\n"));
}

TEST_F(SeccompTest, ExecStartsAfresh) {
  fault::Completed c = Helper("read:EIO@2", {"execread", file_});
  // read #1 of each image succeeds; without a reset the new image's read
  // would be the process's second.
  EXPECT_EQ(c.out.data, "first=ok\nok\n");
  EXPECT_THAT(ReadFile(log_), HasSubstr("calls: read=1\n"));
}

TEST_F(SeccompTest, ThreadsShareTheirProcessCounters) {
  fault::Completed c = Helper("read:EIO@3", {"threads", file_, "8"});
  EXPECT_EQ(c.out.data, "eio=1\n");
  c = Helper("read:EIO@2..5", {"threads", file_, "8"});
  EXPECT_EQ(c.out.data, "eio=4\n");
}

TEST_F(SeccompTest, CallsAreToldApartByTheirSystemCalls) {
  std::string names =
      "open=ok shm_open=ok mkfifo=ok fstat=ok unlink=ok "
      "shm_unlink=ok\n";
  fault::Completed c = Helper("read:EIO@1", {"names", dir_.path()});
  ASSERT_EQ(c.out.data, names);
  struct Case {
    const char* call;
    const char* expected;
  };
  for (const Case& k : {
           Case{"open", "open=EACCES shm_open=ok"},
           Case{"shm_open", "open=ok shm_open=EACCES"},
           Case{"mkfifo", "mkfifo=EACCES fstat=ok"},
           Case{"fstat", "fstat=EACCES unlink=ok"},
           Case{"unlink", "unlink=EACCES shm_unlink=ok"},
           Case{"shm_unlink", "unlink=ok shm_unlink=EACCES"},
       }) {
    for (const std::string& helper : {static_, dynamic_}) {
      c = Helper(std::string(k.call) + ":EACCES@1", {"names", dir_.path()}, {},
                 helper);
      EXPECT_THAT(c.out.data, HasSubstr(k.expected)) << k.call << " " << helper;
    }
  }
}

TEST_F(SeccompTest, SameDecisionsAsThePreloadLibrary) {
  // The dynamic helper makes its calls through the libc functions the
  // preload library interposes, so both mechanisms count the same calls and
  // must make the same decisions for the same plan and seed.
  std::string data = Pattern(200000);
  WriteFile(file_, data);
  const std::string plan =
      "read:short=random@p=0.5; write:short=random@2..40; read:EINTR@7; "
      "seed=11";
  std::vector<std::string> logs;
  for (const char* mechanism : {"preload", "seccomp"}) {
    std::string log = dir_.file(std::string("log-") + mechanism);
    fault::Command c;
    c.argv = {ipcfault_, std::string("--mechanism=") + mechanism,
              "--plan",  plan,
              "--log",   log,
              "--",      dynamic_,
              "copy"};
    c.stdin_path = file_;
    auto done = fault::run_command(c);
    ASSERT_TRUE(done.ok());
    ExpectNoSanitizerReport(*done);
    EXPECT_TRUE(done->out.data == data) << mechanism;
    logs.push_back(ReadFile(log));
  }
  std::vector<std::string> preload = FaultLines(logs[0]);
  EXPECT_GT(preload.size(), 20u);
  EXPECT_EQ(preload, FaultLines(logs[1]));
}

TEST_F(SeccompTest, SanitizerRuntimeCallsAreNotCounted) {
  // ASan and TSan read /proc/self/maps and more while they start: with
  // seccomp those reads would otherwise be reads #1, #2, ... The program's
  // second read must be the one that fails, as with the preload library.
  for (const char* name :
       {"seccomp_test_helper_asan", "seccomp_test_helper_tsan"}) {
    std::vector<std::string> logs;
    for (const char* mechanism : {"preload", "seccomp"}) {
      std::string log = dir_.file(std::string(name) + "-" + mechanism);
      fault::Completed c = Run({std::string("--mechanism=") + mechanism,
                                "--plan", "read:EIO@2", "--log", log},
                               {Built(name), "reads", file_, "3"});
      EXPECT_EQ(c.out.data, "ok EIO ok\n") << name << " " << mechanism;
      logs.push_back(ReadFile(log));
      EXPECT_THAT(logs.back(), HasSubstr("calls: read=3\n"))
          << name << " " << mechanism;
    }
    EXPECT_EQ(FaultLines(logs[0]), FaultLines(logs[1])) << name;
  }
}

TEST(ForeignCode, FindsTheLoaderAndASanitizerRuntimeOfThisProcess) {
  fault::ForeignCode code = fault::ForeignCode::of(::getpid());
  // This test is dynamically linked: the loader is foreign, this function
  // is not.
  EXPECT_FALSE(code.ranges().empty());
  auto ours = reinterpret_cast<std::uintptr_t>(&fault::is_sanitizer_symbol);
  EXPECT_FALSE(code.contains(ours));
  EXPECT_TRUE(code.knew(ours));
  EXPECT_TRUE(fault::is_sanitizer_runtime("/usr/lib/libtsan.so.2"));
  EXPECT_TRUE(fault::is_sanitizer_runtime("/x/libclang_rt.asan-x86_64.so"));
  EXPECT_FALSE(fault::is_sanitizer_runtime("/lib/libc.so.6"));
  EXPECT_TRUE(
      fault::is_sanitizer_symbol("_ZN11__sanitizer13internal_readEiPvm"));
  EXPECT_FALSE(fault::is_sanitizer_symbol("main"));
}

TEST_F(SeccompTest, PlanNamingOnlyFtokIsRefused) {
  fault::Completed c = Helper("ftok:EIO@1", {"rawread", file_});
  EXPECT_EQ(ExitCode(c), 2);
  EXPECT_THAT(c.err.data, HasSubstr("ftok has no system call of its own"));
  EXPECT_EQ(c.out.data, "");
}

TEST_F(SeccompTest, ExitStatusAndSignalsAreThePrograms) {
  fault::Completed c = Run({"--mechanism=seccomp", "--plan", "read:EIO@9"},
                           {"/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(ExitCode(c), 7);
  c = Run({"--mechanism=seccomp", "--plan", "read:EIO@9"},
          {"/bin/sh", "-c", "kill -TERM $$"});
  EXPECT_TRUE(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGTERM)
      << fault::describe_status(c.status);
  c = Run({"--mechanism=seccomp", "--plan", "read:EIO@9"},
          {dir_.file("no-such-program")});
  EXPECT_EQ(ExitCode(c), 127);
}

TEST(SeccompFilter, RoutesEveryCallThatHasASystemCall) {
  for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
    auto call = static_cast<fault::Call>(i);
    std::vector<long> nrs = fault::seccomp::syscalls_of(call);
    if ((fault::seccomp::kNoSyscall & fault::call_bit(call)) != 0) {
      EXPECT_TRUE(nrs.empty());
      continue;
    }
    ASSERT_FALSE(nrs.empty()) << ipc::sys::call_name(call);
    struct seccomp_data d {};
    d.nr = static_cast<int>(nrs[0]);
    d.arch = fault::seccomp::native_arch();
    fault::seccomp::Route r = fault::seccomp::route(d, fault::call_bit(call));
    if (r.kind == fault::seccomp::Kind::kPath) {
      auto routed = fault::seccomp::route_path(
          d.nr,
          call == fault::Call::shm_open || call == fault::Call::shm_unlink
              ? "/dev/shm/x"
          : call == fault::Call::fstat ? ""
                                       : "/tmp/x",
          fault::call_bit(call));
      ASSERT_TRUE(routed.has_value()) << ipc::sys::call_name(call);
      EXPECT_EQ(*routed, call);
    } else if (call == fault::Call::mkfifo) {
      EXPECT_EQ(r.kind, fault::seccomp::Kind::kOther);  // mode is not S_IFIFO
    } else {
      EXPECT_EQ(r.kind, fault::seccomp::Kind::kCall)
          << ipc::sys::call_name(call);
      EXPECT_EQ(r.call, call);
    }
    // Not armed: not ours.
    EXPECT_EQ(fault::seccomp::route(d, 0).kind, fault::seccomp::Kind::kOther);
  }
}

}  // namespace
