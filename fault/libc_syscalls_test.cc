// fault/libc_syscalls_test.cc — every blocking libc call a test waits for is
// found by wait_until_blocked under the name libc_syscalls.h gives it, on the
// architecture this test was built for (x86-64 here; the i386 and AArch64
// builds run it in the OS matrix's kernels).
#include "fault/libc_syscalls.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>

#include "fault/blocked.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/testing/test_util.h"

namespace fault {
namespace {

using ::ipc::testing::IsOk;
using ::ipc::testing::RawPipe;
using namespace std::chrono_literals;

// Forks a child that makes the blocking call `body`; the call must be seen
// under `wanted`. The child is then killed.
void ExpectSeenBlockedIn(long wanted, const std::function<void()>& body) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  EXPECT_THAT(wait_until_blocked(pid, pid, wanted, ipc::deadline_in(10s)),
              IsOk());
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
}

TEST(LibcSyscalls, PauseIsSeenAsKSysPause) {
  ExpectSeenBlockedIn(kSysPause, [] { ::pause(); });
}

TEST(LibcSyscalls, PollIsSeenAsKSysPoll) {
  RawPipe p;
  ExpectSeenBlockedIn(kSysPoll, [&] {
    struct pollfd fd = {p.read.get(), POLLIN, 0};
    ::poll(&fd, 1, -1);
  });
}

TEST(LibcSyscalls, EpollWaitIsSeenAsKSysEpollWait) {
  ipc::Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  ASSERT_TRUE(ep.valid());
  ExpectSeenBlockedIn(kSysEpollWait, [&] {
    struct epoll_event ev;
    ::epoll_wait(ep.get(), &ev, 1, -1);
  });
}

TEST(LibcSyscalls, SemopAndSemtimedopAreSeenAsKSysSemtimedop) {
  int id = ::semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  ASSERT_GE(id, 0);
  struct sembuf down = {0, -1, 0};
  ExpectSeenBlockedIn(kSysSemtimedop, [&] { ::semop(id, &down, 1); });
  ExpectSeenBlockedIn(kSysSemtimedop, [&] {
    struct timespec forever = {3600, 0};
    ::semtimedop(id, &down, 1, &forever);
  });
  ::semctl(id, 0, IPC_RMID);
}

TEST(LibcSyscalls, MsgrcvIsSeenAsSysMsgrcv) {
  int id = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  ASSERT_GE(id, 0);
  ExpectSeenBlockedIn(SYS_msgrcv, [&] {
    struct {
      long type;
      char text[1];
    } m;
    ::msgrcv(id, &m, sizeof m.text, 0, 0);
  });
  ::msgctl(id, IPC_RMID, nullptr);
}

TEST(LibcSyscalls, SyscallIsMatchesOnlyTheCallAsked) {
  EXPECT_TRUE(syscall_is(SYS_msgrcv, SYS_msgrcv, 0));
  EXPECT_FALSE(syscall_is(SYS_msgrcv, SYS_msgsnd, 0));
  EXPECT_FALSE(syscall_is(SYS_read, SYS_write, 0));
#ifdef SYS_ipc
  // ipc(2): the operation is the low 16 bits of the first argument.
  EXPECT_TRUE(syscall_is(SYS_msgrcv, SYS_ipc, 12));
  EXPECT_TRUE(syscall_is(SYS_msgrcv, SYS_ipc, 12 | (1 << 16)));
  EXPECT_TRUE(syscall_is(SYS_msgsnd, SYS_ipc, 11));
  EXPECT_TRUE(syscall_is(kSysSemtimedop, SYS_ipc, 4));
  EXPECT_FALSE(syscall_is(SYS_msgrcv, SYS_ipc, 11));
  EXPECT_FALSE(syscall_is(SYS_read, SYS_ipc, 12));
#endif
}

}  // namespace
}  // namespace fault
