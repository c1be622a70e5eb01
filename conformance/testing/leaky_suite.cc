// conformance/testing/leaky_suite.cc — a deliberately bad conformance binary:
// each Leaky.* test leaves one kind of IPC object behind, so that
// leak_listener_test (and report_test) can check the leak listener reports it,
// names it and removes it. Leaky.Clean creates and removes everything (it must
// pass); Leaky.Skipped skips with a reason; Leaky.HangsWhenAsked hangs;
// Leaky.LeavesProcessesWhenAsked leaves processes blocked for ever (for the
// report's containment). Not a test target itself.
#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "conformance/testing/unchecked.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace {

using ::ipc::testing::SyscallSucceeds;

struct Msg {
  long mtype;
  char text[8];
};

// Tells the test that runs us what we leaked (stdout is captured).
void announce(const std::string& what) {
  std::printf("LEAKING %s\n", what.c_str());
}

TEST(Leaky, MsgQueue) {
  int q = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  ASSERT_THAT(q, SyscallSucceeds());
  Msg m{1, "leak"};
  ASSERT_THAT(::msgsnd(q, &m, sizeof m.text, 0),
              SyscallSucceeds());  // lspid = us
  announce("msqid=" + std::to_string(q));
}

TEST(Leaky, SharedMemorySegment) {
  int id = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  announce("shmid=" + std::to_string(id));
}

TEST(Leaky, SemaphoreSet) {
  int id = ::semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  struct sembuf up = {0, 1, 0};
  ASSERT_THAT(::semop(id, &up, 1), SyscallSucceeds());  // GETPID = us
  announce("semid=" + std::to_string(id));
}

TEST(Leaky, PosixSharedMemory) {
  std::string name = "/" + ipc::testing::UniqueName("leak");
  int fd = ::shm_open(name.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_THAT(fd, SyscallSucceeds());
  ::close(fd);
  announce("/dev/shm" + name);
}

TEST(Leaky, Fifo) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/leaked-fifo";
  ASSERT_THAT(::mkfifo(path.c_str(), 0600), SyscallSucceeds());
  announce(path);
}

// A forked child creates the queue: attributable through the fork recorder.
TEST(Leaky, MsgQueueFromChild) {
  std::fflush(stdout);
  int status = ipc::testing::RunInChild([] {
    int q = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    Msg m{1, "leak"};
    if (q < 0 || ::msgsnd(q, &m, sizeof m.text, 0) != 0) return 1;
    std::printf("LEAKING msqid=%d\n", q);
    std::fflush(stdout);
    return 0;
  });
  ASSERT_EQ(status, 0) << ipc::testing::DescribeWaitStatus(status);
}

TEST(Leaky, Clean) {
  int q = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  ASSERT_THAT(q, SyscallSucceeds());
  Msg m{1, "tidy"};
  EXPECT_THAT(::msgsnd(q, &m, sizeof m.text, 0), SyscallSucceeds());
  EXPECT_THAT(::msgctl(q, IPC_RMID, nullptr), SyscallSucceeds());
  std::string name = "/" + ipc::testing::UniqueName("tidy");
  int fd = ::shm_open(name.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_THAT(fd, SyscallSucceeds());
  ::close(fd);
  EXPECT_THAT(::shm_unlink(name.c_str()), SyscallSucceeds());
  ipc::testing::TempDir dir;
  EXPECT_THAT(::mkfifo(dir.file("fifo").c_str(), 0600), SyscallSucceeds());
}

TEST(Leaky, Skipped) { GTEST_SKIP() << "needs a unicorn"; }

// Passes, but says that part of it could not be checked.
TEST(Leaky, PartlyChecked) {
  EXPECT_EQ(2 + 2, 4);
  conformance::testing::NoteUnchecked("the unicorn's colour (no unicorn)");
}

TEST(Leaky, Fails) { FAIL() << "observed: 2 + 2 == 5"; }

// Blocks for ever in read() (it holds the pipe's only write end) when
// IPCT_LEAKY_HANG is set: for the report's per-test watchdog.
TEST(Leaky, HangsWhenAsked) {
  if (std::getenv("IPCT_LEAKY_HANG") == nullptr)
    GTEST_SKIP() << "set IPCT_LEAKY_HANG=1 to hang";
  int fds[2];
  ASSERT_THAT(::pipe2(fds, O_CLOEXEC), SyscallSucceeds());
  char c;
  ::read(fds[0], &c, 1);
  FAIL() << "read returned although the pipe's writer is still open";
}

}  // namespace

namespace {

// With IPCT_LEAKY_ORPHAN=<name>: forks a child that forks a grandchild in a
// new session, both named <name> (prctl PR_SET_NAME) and blocked for ever in
// pause(); the child exits, so the grandchild is an orphan. The test then
// hangs (IPCT_LEAKY_HANG) or passes. Whoever runs us must kill them.
TEST(Leaky, LeavesProcessesWhenAsked) {
  const char* name = std::getenv("IPCT_LEAKY_ORPHAN");
  if (name == nullptr) GTEST_SKIP() << "set IPCT_LEAKY_ORPHAN=<name>";
  int ready[2];
  ASSERT_THAT(::pipe2(ready, O_CLOEXEC), SyscallSucceeds());
  pid_t child = ::fork();
  ASSERT_THAT(child, SyscallSucceeds());
  if (child == 0) {
    ::prctl(PR_SET_NAME, name);
    if (::fork() == 0) {
      ::setsid();
      ::prctl(PR_SET_NAME, name);
      ::write(ready[1], "g", 1);
      for (;;) ::pause();
    }
    ::write(ready[1], "c", 1);
    ::_exit(0);
  }
  ::close(ready[1]);
  char both[2];
  for (int got = 0; got < 2;) {
    ssize_t n = ::read(ready[0], both + got, static_cast<std::size_t>(2 - got));
    ASSERT_GT(n, 0) << "the child or grandchild died before it was ready";
    got += static_cast<int>(n);
  }
  ::close(ready[0]);
  if (std::getenv("IPCT_LEAKY_HANG") != nullptr) {
    for (;;) ::pause();
  }
}

}  // namespace
