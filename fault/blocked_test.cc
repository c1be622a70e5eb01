// fault/blocked_test.cc — /proc task state of blocked threads, waiting for a
// thread to block, and interrupting it, in this process and in a child.
#include "fault/blocked.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/testing/test_util.h"

namespace fault {
namespace {

using ::ipc::testing::CountingHandler;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::PipeReader;
using ::ipc::testing::RawPipe;
using ::ipc::testing::Worker;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

ipc::Deadline soon() { return ipc::deadline_in(10s); }

TEST(Blocked, CurrentTidIsTheKernelThreadId) {
  EXPECT_EQ(current_tid(), static_cast<pid_t>(::syscall(SYS_gettid)));
  pid_t other = 0;
  std::thread t([&] { other = current_tid(); });
  t.join();
  EXPECT_GT(other, 0);
  EXPECT_NE(other, current_tid());
}

TEST(Blocked, OwnStateIsRunningInsideTheReadOfProc) {
  // The calling thread reads its own /proc entry: it is running, inside read.
  auto st = read_task_state(0, current_tid());
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->state, 'R');
  EXPECT_EQ(st->syscall, SYS_read);
}

TEST(Blocked, SpinningThreadIsNotInASyscall) {
  std::atomic<bool> stop{false};
  Worker spinner([&] {
    while (!stop.load()) {
    }
  });
  pid_t target = spinner.tid();
  auto st = read_task_state(0, target);
  auto waited =
      wait_until_blocked(0, target, std::nullopt, ipc::deadline_in(5ms));
  stop.store(true);
  spinner.join();
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->state, 'R');
  EXPECT_FALSE(st->syscall.has_value());
  EXPECT_THAT(waited, FailsWith(ETIMEDOUT));
}

TEST(Blocked, ThreadBlockedInReadIsSeenSleepingInRead) {
  PipeReader reader;
  ASSERT_THAT(wait_until_blocked(0, reader.tid(), SYS_read, soon()), IsOk());
  auto st = read_task_state(0, reader.tid());
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->syscall, SYS_read);
  // "Any call" matches as well.
  EXPECT_THAT(wait_until_blocked(0, reader.tid(), std::nullopt, soon()),
              IsOk());
  ASSERT_EQ(reader.write("x", 1), 1);
  reader.join();
  EXPECT_EQ(reader.result(), 1);
}

TEST(Blocked, UnknownThreadIsAnError) {
  EXPECT_THAT(read_task_state(0, 2147483647), FailsWith(ENOENT));
  EXPECT_THAT(wait_until_blocked(0, 2147483647, SYS_read, soon()),
              FailsWith(ESRCH));
}

TEST(Blocked, WaitingForTheWrongCallTimesOut) {
  PipeReader reader;
  ASSERT_THAT(wait_until_blocked(0, reader.tid(), SYS_read, soon()), IsOk());
  auto s =
      wait_until_blocked(0, reader.tid(), SYS_write, ipc::deadline_in(20ms));
  ASSERT_THAT(s, FailsWith(ETIMEDOUT));
  EXPECT_THAT(s.error().detail(),
              HasSubstr("last state S, syscall " + std::to_string(SYS_read)));
  ASSERT_EQ(reader.write("x", 1), 1);
}

TEST(Blocked, ThreadThatExitsWhileWatchedIsReported) {
  std::promise<void> go;
  auto go_future = go.get_future();
  Worker t([&] { go_future.wait(); });
  pid_t target = t.tid();
  go.set_value();
  t.join();
  EXPECT_THAT(wait_until_blocked(0, target, SYS_read, soon()),
              FailsWith(ESRCH));
}

TEST(Blocked, InterruptWhenBlockedGivesARealEintr) {
  CountingHandler handler(SIGUSR1);
  int before = handler.count();
  for (int i = 0; i < 20; ++i) {
    PipeReader reader;
    ASSERT_THAT(
        interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_read, soon()),
        IsOk());
    reader.join();
    EXPECT_EQ(reader.result(), -1);
    EXPECT_EQ(reader.error(), EINTR);
  }
  EXPECT_EQ(handler.count() - before, 20);
}

TEST(Blocked, InterruptWithABadSignalReportsTgkill) {
  PipeReader reader;
  auto s = interrupt_when_blocked(0, reader.tid(), 1000, SYS_read, soon());
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().op(), "tgkill");
  ASSERT_EQ(reader.write("x", 1), 1);
}

TEST(Blocked, InterruptTimesOutIfTheThreadNeverBlocks) {
  PipeReader reader;
  EXPECT_THAT(interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_write,
                                     ipc::deadline_in(20ms)),
              FailsWith(ETIMEDOUT));
  ASSERT_EQ(reader.write("x", 1), 1);
}

TEST(Blocked, InterruptsAThreadOfAnotherProcess) {
  RawPipe p;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct sigaction sa = {};
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    if (::sigaction(SIGUSR1, &sa, nullptr) != 0) ::_exit(2);
    char c;
    ssize_t n = ::read(p.read.get(), &c, 1);
    ::_exit(n == -1 && errno == EINTR ? 0 : 1);
  }
  auto s = interrupt_when_blocked(pid, pid, SIGUSR1, SYS_read, soon());
  EXPECT_THAT(s, IsOk());
  if (!s.ok()) ::kill(pid, SIGKILL);  // do not wait for a child stuck in read
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << ipc::testing::DescribeWaitStatus(status);
}

// ---- without /proc/<pid>/task/<tid>/syscall (gVisor) ------------------------

// The state-only fallback, forced on a kernel that has the syscall file.
class BlockedStateOnly : public ::testing::Test {
 protected:
  void SetUp() override {
    force_blocked_introspection_for_testing(BlockedIntrospection::kStateOnly);
  }
  void TearDown() override {
    force_blocked_introspection_for_testing(BlockedIntrospection::kSyscallFile);
  }
};

TEST(Blocked, ProbeFindsTheSyscallFileHere) {
  // This kernel has it (CONFIG_HAVE_ARCH_TRACEHOOK); gVisor has not.
  EXPECT_EQ(blocked_introspection(), BlockedIntrospection::kSyscallFile);
  EXPECT_THAT(describe(BlockedIntrospection::kStateOnly), HasSubstr("'S'"));
}

TEST_F(BlockedStateOnly, SeesAThreadBlockedInRead) {
  PipeReader reader;
  EXPECT_THAT(wait_until_blocked(0, reader.tid(), SYS_read, soon()), IsOk());
  ASSERT_EQ(reader.write("x", 1), 1);
  reader.join();
  EXPECT_EQ(reader.result(), 1);
}

TEST_F(BlockedStateOnly, ASpinningThreadIsNeverTakenForBlocked) {
  std::atomic<bool> stop{false};
  Worker spinner([&] {
    while (!stop.load()) {
    }
  });
  pid_t target = spinner.tid();
  auto waited = wait_until_blocked(0, target, SYS_read, ipc::deadline_in(50ms));
  stop.store(true);
  spinner.join();
  EXPECT_THAT(waited, FailsWith(ETIMEDOUT));
  EXPECT_THAT(waited.error().detail(), HasSubstr("no syscall file"));
}

TEST_F(BlockedStateOnly, InterruptGivesARealEintr) {
  CountingHandler handler(SIGUSR1);
  for (int i = 0; i < 10; ++i) {
    PipeReader reader;
    ASSERT_THAT(
        interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_read, soon()),
        IsOk());
    reader.join();
    EXPECT_EQ(reader.result(), -1);
    EXPECT_EQ(reader.error(), EINTR);
  }
}

TEST(Blocked, WithoutAnyIntrospectionWaitingFailsAtOnce) {
  force_blocked_introspection_for_testing(BlockedIntrospection::kNone);
  auto start = std::chrono::steady_clock::now();
  auto s = wait_until_blocked(0, current_tid(), SYS_read, soon());
  force_blocked_introspection_for_testing(BlockedIntrospection::kSyscallFile);
  EXPECT_THAT(s, FailsWith(ENOTSUP));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

}  // namespace
}  // namespace fault
