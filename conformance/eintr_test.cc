// conformance/eintr_test.cc — conformance tests for EINTR and SA_RESTART:
// the raw OS calls ("verifying OS behaviour") and our layer where it exposes
// the behaviour. Catalogue: conformance/catalog/eintr.txt (EINTR-001 …).
//
// The core is one table (EintrCall, TEST_P): for each blocking call, a handled
// signal arrives while the call is really asleep in the kernel (observed in
// /proc, fault/blocked.h), once with a handler installed without SA_RESTART
// (every call fails EINTR and changes nothing) and once with SA_RESTART (the
// calls signal(7) lists as restartable go back to sleep and later complete
// with the right data; the rest still fail EINTR). Further tests: partial
// transfers, sleep(3)/nanosleep remainders, ignored and blocked signals,
// stop/continue, timeouts across restarts, glibc's signal(), and the layer's
// Eintr::kRetry / kSurface and deadlines.
//
// TSan defers signal handlers: a call may return EINTR before the handler has
// run. Every check of "the handler ran" therefore waits for it (eventfd written
// by the handler, bounded) after the call returned, which holds in both orders.
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/testing/background.h"
#include "conformance/testing/streams.h"
#include "conformance/testing/suite_util.h"
#include "fault/blocked.h"
#include "fault/libc_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/fifo.h"
#include "ipc/signals.h"
#include "ipc/sysv_msg.h"
#include "ipc/testing/test_util.h"

namespace {

using ::conformance::testing::AsWritableBytes;
using ::conformance::testing::BackgroundCall;
using ::conformance::testing::FillPipe;
using ::conformance::testing::kPatience;
using ::conformance::testing::Pattern;
using ::conformance::testing::ReadExactly;
using ::conformance::testing::RealtimeIn;
using ::conformance::testing::Unread;
using ::ipc::testing::Child;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::RawPipe;
using ::ipc::testing::RetryEINTR;
using ::ipc::testing::ScopedSigaction;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// ---- system call numbers seen in /proc while blocked -----------------------
// glibc 2.36 enters the kernel through these (measured with strace here):
// nanosleep/usleep/sleep → clock_nanosleep, select → pselect6, semop →
// semtimedop, sem_wait/pthread_cond_wait → futex. Where architectures differ
// (no poll, pause or epoll_wait on AArch64; ipc(2) on i386): libc_syscalls.h.
constexpr long kNrPoll = fault::kSysPoll;
constexpr long kNrEpollWait = fault::kSysEpollWait;
constexpr long kNrPause = fault::kSysPause;
constexpr long kNrSleep = SYS_clock_nanosleep;

// Handler runs expected after two interruptions. TSan defers handlers and
// keeps one pending flag per signal, so two deliveries of SIGUSR1 during a
// call it does not intercept (mq_timedreceive) run the handler only once.
constexpr int kTwoHandlerRuns = sanitizers::kThread ? 1 : 2;

// ---- a handler that can be waited for --------------------------------------

std::atomic<int> g_caught{0};
std::atomic<int> g_caught_fd{-1};

void Catch(int) {
  int saved = errno;  // TSan reports a handler that changes errno
  g_caught.fetch_add(1);
  std::uint64_t one = 1;
  int fd = g_caught_fd.load();
  if (fd >= 0) {
    ssize_t w = ::write(fd, &one, sizeof one);
    (void)w;
  }
  errno = saved;
}

// Installs Catch for `sig` with sa_flags `flags` (0 or SA_RESTART) and puts the
// previous action back on destruction.
class CaughtSignal {
 public:
  explicit CaughtSignal(int sig, int flags)
      : sig_(sig), event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    g_caught.store(0);
    g_caught_fd.store(event_.get());
    struct sigaction sa = {};
    sa.sa_handler = Catch;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    EXPECT_THAT(::sigaction(sig, &sa, &old_), SyscallSucceeds());
  }
  ~CaughtSignal() {
    ::sigaction(sig_, &old_, nullptr);
    g_caught_fd.store(-1);
  }
  CaughtSignal(const CaughtSignal&) = delete;
  CaughtSignal& operator=(const CaughtSignal&) = delete;

  int count() const { return g_caught.load(); }
  // Waits (at most kPatience) until the handler has run `n` times. Holds
  // whether it ran before or after the interrupted call returned.
  bool wait_for(int n) const {
    auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (count() < n) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      struct pollfd p = {event_.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
        std::uint64_t v;
        ssize_t r = ::read(event_.get(), &v, sizeof v);
        (void)r;
      }
    }
    return true;
  }

 private:
  int sig_;
  ipc::Fd event_;
  struct sigaction old_ = {};
};

// ---- small helpers ---------------------------------------------------------

int Tgkill(pid_t tid, int sig) {
  return static_cast<int>(::syscall(SYS_tgkill, ::getpid(), tid, sig));
}

std::chrono::nanoseconds Monotonic() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Blocks until CLOCK_MONOTONIC reaches `t`. Used only where the passage of
// time is itself the stimulus (a timeout that must expire, a child kept
// stopped past its sleep) — never to order threads.
void WaitForClock(std::chrono::nanoseconds t) {
  struct timespec ts = {static_cast<time_t>(t.count() / 1000000000),
                        static_cast<long>(t.count() % 1000000000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) ==
         EINTR) {
  }
}

// OK once `call` sleeps inside `nr` again (a restarted call); an error as soon
// as the call returned instead, so a wrong OS fails fast.
ipc::Status WaitReblocked(BackgroundCall& call, long nr) {
  auto deadline = ipc::Clock::now() + kPatience;
  for (;;) {
    if (call.done()) {
      long r = call.result();
      return ipc::Error(
          EINTR, "WaitReblocked", "syscall " + std::to_string(nr),
          "the call returned " + std::to_string(r) +
              (r < 0 ? " (errno " + std::to_string(call.error()) + ")" : "") +
              " instead of restarting");
    }
    auto s =
        fault::wait_until_blocked(0, call.tid(), nr, ipc::deadline_in(20ms));
    if (s) return s;
    if (ipc::Clock::now() > deadline) return s;
  }
}

// On scope exit, unblocks a call that is still blocked, so that a failed
// assertion never leaves BackgroundCall's destructor joining a sleeping thread.
class UnblockOnExit {
 public:
  UnblockOnExit(BackgroundCall& call, std::function<void()> unblock)
      : call_(call), unblock_(std::move(unblock)) {}
  ~UnblockOnExit() {
    for (int i = 0; i < 50 && !call_.wait_done(0ms); ++i) {
      unblock_();
      call_.wait_done(100ms);
    }
  }
  UnblockOnExit(const UnblockOnExit&) = delete;
  UnblockOnExit& operator=(const UnblockOnExit&) = delete;

 private:
  BackgroundCall& call_;
  std::function<void()> unblock_;
};

// ---- owners of raw IPC objects ---------------------------------------------

struct RawMsgQueue {
  RawMsgQueue() : id(::msgget(IPC_PRIVATE, IPC_CREAT | 0600)) {
    EXPECT_GE(id, 0) << std::strerror(errno);
  }
  ~RawMsgQueue() {
    if (id >= 0) ::msgctl(id, IPC_RMID, nullptr);
  }
  std::size_t qnum() const {
    struct msqid_ds ds = {};
    return ::msgctl(id, IPC_STAT, &ds) == 0 ? ds.msg_qnum : ~std::size_t{0};
  }
  int id;
};

struct MsgBuf {
  long mtype;
  char mtext[64];
};

struct RawSem {
  RawSem() : id(::semget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) {
    EXPECT_GE(id, 0) << std::strerror(errno);
  }
  ~RawSem() {
    if (id >= 0) ::semctl(id, 0, IPC_RMID);
  }
  int value() const { return ::semctl(id, 0, GETVAL); }
  int waiters() const { return ::semctl(id, 0, GETNCNT); }
  int post() const {
    struct sembuf up = {0, 1, 0};
    return ::semop(id, &up, 1);
  }
  int id;
};

// A POSIX queue unlinked at once (the descriptor keeps it alive).
struct RawMq {
  explicit RawMq(long maxmsg) {
    std::string name = "/" + ipc::testing::UniqueName("eintr");
    struct mq_attr attr = {};
    attr.mq_maxmsg = maxmsg;
    attr.mq_msgsize = 16;
    q = ::mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600,
                  &attr);
    EXPECT_NE(q, static_cast<mqd_t>(-1)) << std::strerror(errno);
    ::mq_unlink(name.c_str());
  }
  ~RawMq() {
    if (q != static_cast<mqd_t>(-1)) ::mq_close(q);
  }
  long curmsgs() const {
    struct mq_attr a = {};
    return ::mq_getattr(q, &a) == 0 ? a.mq_curmsgs : -1;
  }
  mqd_t q;
};

// A forked child that reads one byte from its pipe, then exits 7. Reaped by
// the test's wait call, or killed and reaped here.
struct WaitableChild {
  WaitableChild() {
    pid = ::fork();
    if (pid == 0) {
      char c;
      (void)RetryEINTR(::read)(go.read.get(), &c, 1);
      ::_exit(7);  // the status the test's wait call must report
    }
    EXPECT_GT(pid, 0) << std::strerror(errno);
  }
  ~WaitableChild() {
    if (pid > 0 && !reaped.load()) conformance::testing::kill_and_reap(pid);
  }
  void release() { (void)!::write(go.write.get(), "g", 1); }
  bool still_running() const {
    int status;
    return ::waitpid(pid, &status, WNOHANG) == 0;
  }
  RawPipe go;
  pid_t pid = -1;
  std::atomic<bool> reaped{false};
};

// ---- the table of blocking calls -------------------------------------------

// One blocking call with everything needed to check it.
struct Blocker {
  std::function<long()>
      call;  // runs on the background thread: -1/errno convention
  std::function<void()> unblock;  // lets a blocked call complete
  std::function<void(long)>
      completed;  // EXPECTs after unblock (return value, data moved)
  std::function<void()> unchanged = [] {
  };                           // EXPECTs after EINTR: the call changed nothing
  std::shared_ptr<void> keep;  // the call's resources
};

struct CallCase {
  const char* name;
  long nr;        // the system call /proc shows while it blocks
  bool restarts;  // restarted after an SA_RESTART handler on Linux
  Blocker (*make)();
};

void NeverCompletes(long) {
  ADD_FAILURE() << "this call only ends with EINTR or a timeout";
}

// Shared by pipe and FIFO rows: a reader blocked on an empty stream.
struct StreamState {
  ipc::Fd r, w;
  char buf[64] = {};
  std::unique_ptr<TempDir> dir;  // FIFO rows
};

Blocker ReadOn(std::shared_ptr<StreamState> s) {
  Blocker b;
  b.call = [s] {
    return static_cast<long>(::read(s->r.get(), s->buf, sizeof s->buf));
  };
  b.unblock = [s] { (void)!::write(s->w.get(), "data", 4); };
  b.completed = [s](long r) {
    EXPECT_THAT(r, SyscallSucceedsWithValue(4));
    EXPECT_EQ(std::string(s->buf, 4), "data");
  };
  b.unchanged = [s] { EXPECT_EQ(Unread(s->r.get()), 0); };
  b.keep = s;
  return b;
}

// A 100-byte (atomic) write into a full stream: it moves all or nothing.
Blocker WriteFullOn(std::shared_ptr<StreamState> s) {
  std::size_t cap = FillPipe(s->w.get());
  auto payload = std::make_shared<std::string>(Pattern(100, 9));
  Blocker b;
  b.call = [s, payload] {
    return static_cast<long>(
        ::write(s->w.get(), payload->data(), payload->size()));
  };
  b.unblock = [s] { (void)ReadExactly(s->r.get(), 4096); };  // frees one page
  b.completed = [s, payload, cap](long r) {
    EXPECT_THAT(r, SyscallSucceedsWithValue(100));
    std::size_t left = cap - 4096 + 100;
    EXPECT_EQ(Unread(s->r.get()), static_cast<int>(left));
    std::string rest = ReadExactly(s->r.get(), left);
    EXPECT_EQ(rest.substr(rest.size() - 100), *payload);
  };
  b.unchanged = [s, cap] {
    EXPECT_EQ(Unread(s->r.get()), static_cast<int>(cap))
        << "a partial atomic write";
  };
  b.keep = s;
  return b;
}

std::shared_ptr<StreamState> NewPipe() {
  auto s = std::make_shared<StreamState>();
  RawPipe p;
  s->r = std::move(p.read);
  s->w = std::move(p.write);
  return s;
}

// A FIFO opened at both ends (read end first, non-blocking, then made
// blocking).
std::shared_ptr<StreamState> NewFifo() {
  auto s = std::make_shared<StreamState>();
  s->dir = std::make_unique<TempDir>();
  std::string path = s->dir->file("fifo");
  EXPECT_THAT(::mkfifo(path.c_str(), 0600), SyscallSucceeds());
  s->r.reset(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  s->w.reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  EXPECT_TRUE(s->r.valid() && s->w.valid()) << std::strerror(errno);
  EXPECT_OK(ipc::set_nonblocking(s->r.get(), false));
  return s;
}

Blocker PipeRead() { return ReadOn(NewPipe()); }
Blocker PipeWriteFull() { return WriteFullOn(NewPipe()); }
Blocker FifoRead() { return ReadOn(NewFifo()); }
Blocker FifoWriteFull() { return WriteFullOn(NewFifo()); }

// open() of a FIFO waiting for the other end.
struct FifoOpenState {
  TempDir dir;
  std::string path = dir.file("fifo");
  ipc::Fd other;   // the end opened by unblock()
  ipc::Fd opened;  // what the blocked open returned
};

Blocker FifoOpen(bool read_end) {
  auto s = std::make_shared<FifoOpenState>();
  EXPECT_THAT(::mkfifo(s->path.c_str(), 0600), SyscallSucceeds());
  int mine = (read_end ? O_RDONLY : O_WRONLY) | O_CLOEXEC;
  int theirs = (read_end ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_CLOEXEC;
  Blocker b;
  b.call = [s, mine] {
    return static_cast<long>(::open(s->path.c_str(), mine));
  };
  // The blocked opener already counts as a reader/writer, so a non-blocking
  // open of the other end succeeds and wakes it.
  b.unblock = [s, theirs] {
    if (!s->other.valid()) s->other.reset(::open(s->path.c_str(), theirs));
  };
  b.completed = [s, read_end](long r) {
    ASSERT_THAT(r, SyscallSucceeds());
    s->opened.reset(static_cast<int>(r));
    EXPECT_EQ(::fcntl(s->opened.get(), F_GETFL) & O_ACCMODE,
              read_end ? O_RDONLY : O_WRONLY);
    int w = read_end ? s->other.get() : s->opened.get();
    int rd = read_end ? s->opened.get() : s->other.get();
    ASSERT_THAT(::write(w, "abc", 3), SyscallSucceedsWithValue(3));
    EXPECT_EQ(ReadExactly(rd, 3), "abc");  // the two opens met at one FIFO
  };
  b.unchanged = [s, read_end] {
    if (read_end) {
      // No reader was left registered: a non-blocking writer finds none.
      EXPECT_THAT(::open(s->path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC),
                  SyscallFailsWithErrno(ENXIO));
    } else {
      // No writer was left registered: a reader sees end of file, not EAGAIN.
      ipc::Fd rd(::open(s->path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
      ASSERT_TRUE(rd.valid());
      char c;
      EXPECT_THAT(::read(rd.get(), &c, 1), SyscallSucceedsWithValue(0));
    }
  };
  b.keep = s;
  return b;
}
Blocker FifoOpenRead() { return FifoOpen(true); }
Blocker FifoOpenWrite() { return FifoOpen(false); }

// wait(2)/waitpid(2)/waitid(2) for a child that exits 7 once released.
enum class WaitKind { kWait, kWaitpid, kWaitid };
struct WaitState {
  WaitableChild child;
  int status = 0;
  siginfo_t info = {};
};
Blocker WaitFor(WaitKind kind) {
  auto s = std::make_shared<WaitState>();
  Blocker b;
  b.call = [s, kind]() -> long {
    long r;
    if (kind == WaitKind::kWaitid) {
      r = ::waitid(P_PID, static_cast<id_t>(s->child.pid), &s->info, WEXITED);
      if (r == 0) s->child.reaped.store(true);
    } else {
      r = kind == WaitKind::kWait ? ::wait(&s->status)
                                  : ::waitpid(s->child.pid, &s->status, 0);
      if (r == s->child.pid) s->child.reaped.store(true);
    }
    return r;
  };
  b.unblock = [s] { s->child.release(); };
  b.completed = [s, kind](long r) {
    if (kind == WaitKind::kWaitid) {
      EXPECT_THAT(r, SyscallSucceedsWithValue(0));
      EXPECT_EQ(s->info.si_pid, s->child.pid);
      EXPECT_EQ(s->info.si_code, CLD_EXITED);
      EXPECT_EQ(s->info.si_status, 7);
    } else {
      EXPECT_THAT(r, SyscallSucceedsWithValue(s->child.pid));
      EXPECT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 7)
          << ipc::testing::DescribeWaitStatus(s->status);
    }
  };
  b.unchanged = [s] {
    EXPECT_TRUE(s->child.still_running())
        << "the interrupted wait reaped the child";
  };
  b.keep = s;
  return b;
}
Blocker Wait() { return WaitFor(WaitKind::kWait); }
Blocker Waitpid() { return WaitFor(WaitKind::kWaitpid); }
Blocker Waitid() { return WaitFor(WaitKind::kWaitid); }

// msgrcv on an empty queue.
Blocker Msgrcv() {
  struct S {
    RawMsgQueue q;
    MsgBuf buf = {};
  };
  auto s = std::make_shared<S>();
  Blocker b;
  b.call = [s] {
    return static_cast<long>(
        ::msgrcv(s->q.id, &s->buf, sizeof s->buf.mtext, 0, 0));
  };
  b.unblock = [s] {
    MsgBuf m = {5, "hello"};
    ::msgsnd(s->q.id, &m, 5, IPC_NOWAIT);
  };
  b.completed = [s](long r) {
    EXPECT_THAT(r, SyscallSucceedsWithValue(5));
    EXPECT_EQ(s->buf.mtype, 5);
    EXPECT_EQ(std::string(s->buf.mtext, 5), "hello");
  };
  b.unchanged = [s] { EXPECT_EQ(s->q.qnum(), 0u); };
  b.keep = s;
  return b;
}

// msgsnd into a queue whose msg_qbytes (64) is used up by two 32-byte messages.
Blocker Msgsnd() {
  struct S {
    RawMsgQueue q;
  };
  auto s = std::make_shared<S>();
  struct msqid_ds ds = {};
  EXPECT_THAT(::msgctl(s->q.id, IPC_STAT, &ds), SyscallSucceeds());
  ds.msg_qbytes = 64;  // lowering needs no privilege
  EXPECT_THAT(::msgctl(s->q.id, IPC_SET, &ds), SyscallSucceeds());
  MsgBuf old = {1, "old"};
  for (int i = 0; i < 2; ++i)
    EXPECT_THAT(::msgsnd(s->q.id, &old, 32, IPC_NOWAIT), SyscallSucceeds());
  EXPECT_THAT(::msgsnd(s->q.id, &old, 32, IPC_NOWAIT),
              SyscallFailsWithErrno(EAGAIN));
  Blocker b;
  b.call = [s] {
    MsgBuf m = {2, "new"};
    return static_cast<long>(::msgsnd(s->q.id, &m, 32, 0));
  };
  b.unblock = [s] {
    MsgBuf m;
    ::msgrcv(s->q.id, &m, sizeof m.mtext, 1, IPC_NOWAIT);
  };
  b.completed = [s](long r) {
    EXPECT_THAT(r, SyscallSucceeds());
    EXPECT_EQ(s->q.qnum(),
              2u);  // one old message and the new one, exactly once
    MsgBuf m = {};
    EXPECT_THAT(::msgrcv(s->q.id, &m, sizeof m.mtext, 2, IPC_NOWAIT),
                SyscallSucceedsWithValue(32));
    EXPECT_STREQ(m.mtext, "new");
  };
  b.unchanged = [s] {
    EXPECT_EQ(s->q.qnum(), 2u) << "the interrupted msgsnd queued something";
  };
  b.keep = s;
  return b;
}

// semop / semtimedop(20 s) waiting to decrement a zero semaphore.
Blocker SemDown(bool timed) {
  auto s = std::make_shared<RawSem>();
  Blocker b;
  b.call = [s, timed] {
    struct sembuf down = {0, -1, 0};
    struct timespec ts = {20, 0};
    return static_cast<long>(timed ? ::semtimedop(s->id, &down, 1, &ts)
                                   : ::semop(s->id, &down, 1));
  };
  b.unblock = [s] { s->post(); };
  b.completed = [s](long r) {
    EXPECT_THAT(r, SyscallSucceeds());
    EXPECT_EQ(s->value(), 0);
  };
  b.unchanged = [s] {
    EXPECT_EQ(s->value(), 0);
    EXPECT_EQ(s->waiters(), 0) << "semncnt still counts the interrupted waiter";
  };
  b.keep = s;
  return b;
}
Blocker Semop() { return SemDown(false); }
Blocker Semtimedop() { return SemDown(true); }

// Calls that only return when a handler runs (pause, sigsuspend) or when a
// signal of their set arrives (sigtimedwait, sigwaitinfo). unblock() sends the
// signal they wait for to the thread.
struct SigState {
  std::atomic<pid_t> tid{0};
};
Blocker SignalWait(std::function<long(SigState&)> body, int unblock_sig) {
  auto s = std::make_shared<SigState>();
  Blocker b;
  b.call = [s, body] {
    s->tid.store(fault::current_tid());
    return body(*s);
  };
  b.unblock = [s, unblock_sig] {
    if (s->tid.load() != 0) Tgkill(s->tid.load(), unblock_sig);
  };
  b.completed = NeverCompletes;
  return b;
}
Blocker Pause() {
  return SignalWait([](SigState&) { return static_cast<long>(::pause()); },
                    SIGUSR1);
}
Blocker Sigsuspend() {
  return SignalWait(
      [](SigState&) {
        sigset_t none;
        sigemptyset(&none);
        return static_cast<long>(::sigsuspend(&none));
      },
      SIGUSR1);
}
// Waits for SIGUSR2 (blocked in the waiting thread only); SIGUSR1 is the
// handled signal that interrupts it.
long WaitForSigusr2(const struct timespec* timeout) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  siginfo_t info;
  return timeout ? ::sigtimedwait(&set, &info, timeout)
                 : ::sigwaitinfo(&set, &info);
}
Blocker Sigtimedwait() {
  return SignalWait(
      [](SigState&) {
        struct timespec ts = {20, 0};
        return WaitForSigusr2(&ts);
      },
      SIGUSR2);
}
Blocker Sigwaitinfo() {
  return SignalWait([](SigState&) { return WaitForSigusr2(nullptr); }, SIGUSR2);
}

// Multiplexers waiting for a pipe to become readable.
enum class MuxKind { kPoll, kPpoll, kSelect, kPselect, kEpoll };
struct MuxState {
  RawPipe p;
  ipc::Fd ep;
};
Blocker Mux(MuxKind kind) {
  auto s = std::make_shared<MuxState>();
  if (kind == MuxKind::kEpoll) {
    s->ep.reset(::epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.fd = s->p.read.get();
    EXPECT_THAT(::epoll_ctl(s->ep.get(), EPOLL_CTL_ADD, s->p.read.get(), &ev),
                SyscallSucceeds());
  }
  Blocker b;
  b.call = [s, kind]() -> long {
    int fd = s->p.read.get();
    struct pollfd pfd = {fd, POLLIN, 0};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    struct epoll_event ev;
    switch (kind) {
      case MuxKind::kPoll:
        return ::poll(&pfd, 1, -1);
      case MuxKind::kPpoll:
        return ::ppoll(&pfd, 1, nullptr, nullptr);
      case MuxKind::kSelect:
        return ::select(fd + 1, &set, nullptr, nullptr, nullptr);
      case MuxKind::kPselect:
        return ::pselect(fd + 1, &set, nullptr, nullptr, nullptr, nullptr);
      case MuxKind::kEpoll:
        return ::epoll_wait(s->ep.get(), &ev, 1, -1);
    }
    return -2;
  };
  b.unblock = [s] { (void)!::write(s->p.write.get(), "x", 1); };
  b.completed = NeverCompletes;
  b.unchanged = [s] { EXPECT_EQ(Unread(s->p.read.get()), 0); };
  b.keep = s;
  return b;
}
Blocker Poll() { return Mux(MuxKind::kPoll); }
Blocker Ppoll() { return Mux(MuxKind::kPpoll); }
Blocker Select() { return Mux(MuxKind::kSelect); }
Blocker Pselect() { return Mux(MuxKind::kPselect); }
Blocker EpollWait() { return Mux(MuxKind::kEpoll); }

// Sleeps of 10 s: nothing but a signal or the clock ends them (a deviating OS
// that restarts them costs the rest of the 10 s, not a hang).
Blocker Sleeper(std::function<long()> body) {
  Blocker b;
  b.call = std::move(body);
  b.unblock = [] {};
  b.completed = NeverCompletes;
  return b;
}
Blocker Nanosleep() {
  return Sleeper([] {
    struct timespec ts = {10, 0};
    return static_cast<long>(::nanosleep(&ts, nullptr));
  });
}
Blocker ClockNanosleep() {
  return Sleeper([]() -> long {
    struct timespec ts = {10, 0};
    int e = ::clock_nanosleep(CLOCK_MONOTONIC, 0, &ts,
                              nullptr);  // returns the error number
    if (e == 0) return 0;
    errno = e;
    return -1;
  });
}
Blocker Usleep() {
  return Sleeper([] { return static_cast<long>(::usleep(10 * 1000 * 1000)); });
}

// POSIX message queues (one slot of 16 bytes).
Blocker MqReceive(bool timed) {
  auto s = std::make_shared<RawMq>(1);
  auto buf = std::make_shared<std::array<char, 16>>();
  auto prio = std::make_shared<unsigned>(0);
  Blocker b;
  b.call = [s, buf, prio, timed] {
    struct timespec abs = RealtimeIn(20s);
    return static_cast<long>(
        timed ? ::mq_timedreceive(s->q, buf->data(), buf->size(), prio.get(),
                                  &abs)
              : ::mq_receive(s->q, buf->data(), buf->size(), prio.get()));
  };
  b.unblock = [s] { ::mq_send(s->q, "hello", 5, 3); };
  b.completed = [s, buf, prio](long r) {
    EXPECT_THAT(r, SyscallSucceedsWithValue(5));
    EXPECT_EQ(std::string(buf->data(), 5), "hello");
    EXPECT_EQ(*prio, 3u);
  };
  b.unchanged = [s] { EXPECT_EQ(s->curmsgs(), 0); };
  b.keep = s;
  return b;
}
Blocker MqSend(bool timed) {
  auto s = std::make_shared<RawMq>(1);
  EXPECT_THAT(::mq_send(s->q, "old", 3, 1),
              SyscallSucceeds());  // the queue is full
  Blocker b;
  b.call = [s, timed] {
    struct timespec abs = RealtimeIn(20s);
    return static_cast<long>(timed ? ::mq_timedsend(s->q, "new", 3, 2, &abs)
                                   : ::mq_send(s->q, "new", 3, 2));
  };
  b.unblock = [s] {
    char buf[16];
    ::mq_receive(s->q, buf, sizeof buf, nullptr);
  };
  b.completed = [s](long r) {
    EXPECT_THAT(r, SyscallSucceeds());
    ASSERT_EQ(s->curmsgs(), 1);
    char buf[16];
    unsigned prio = 0;
    EXPECT_THAT(::mq_receive(s->q, buf, sizeof buf, &prio),
                SyscallSucceedsWithValue(3));
    EXPECT_EQ(std::string(buf, 3), "new");
    EXPECT_EQ(prio, 2u);
  };
  b.unchanged = [s] { EXPECT_EQ(s->curmsgs(), 1); };
  b.keep = s;
  return b;
}
Blocker MqReceiveUntimed() { return MqReceive(false); }
Blocker MqTimedreceive() { return MqReceive(true); }
Blocker MqSendUntimed() { return MqSend(false); }
Blocker MqTimedsend() { return MqSend(true); }

// POSIX semaphores and the futex underneath.
Blocker SemWaitOn(bool timed) {
  struct S {
    S() { EXPECT_THAT(::sem_init(&sem, 0, 0), SyscallSucceeds()); }
    ~S() { ::sem_destroy(&sem); }
    sem_t sem;
  };
  auto s = std::make_shared<S>();
  Blocker b;
  b.call = [s, timed] {
    struct timespec abs = RealtimeIn(20s);
    return static_cast<long>(timed ? ::sem_timedwait(&s->sem, &abs)
                                   : ::sem_wait(&s->sem));
  };
  b.unblock = [s] { ::sem_post(&s->sem); };
  b.completed = [s](long r) {
    EXPECT_THAT(r, SyscallSucceeds());
    int v = -1;
    ::sem_getvalue(&s->sem, &v);
    EXPECT_EQ(v, 0);
  };
  b.unchanged = [s] {
    int v = -1;
    ::sem_getvalue(&s->sem, &v);
    EXPECT_EQ(v, 0);
  };
  b.keep = s;
  return b;
}
Blocker SemWait() { return SemWaitOn(false); }
Blocker SemTimedwait() { return SemWaitOn(true); }

Blocker FutexWait(bool timed) {
  auto word = std::make_shared<std::atomic<int>>(0);
  Blocker b;
  b.call = [word, timed] {
    struct timespec rel = {20, 0};
    return ::syscall(SYS_futex, word.get(), FUTEX_WAIT_PRIVATE, 0,
                     timed ? &rel : nullptr, nullptr, 0);
  };
  b.unblock = [word] {
    ::syscall(SYS_futex, word.get(), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr,
              0);
  };
  b.completed = [](long r) { EXPECT_THAT(r, SyscallSucceedsWithValue(0)); };
  b.keep = word;
  return b;
}
Blocker FutexWaitUntimed() { return FutexWait(false); }
Blocker FutexWaitTimed() { return FutexWait(true); }

// `restarts`: signal(7)'s two lists, as measured on Linux. Two rows differ
// from signal(7), which lists sem_timedwait (and FUTEX_WAIT) as restarted: a
// futex wait WITH a timeout returns -ERESTART_RESTARTBLOCK, which the kernel
// turns into EINTR whenever a handler runs (kernel/futex/waitwake.c).
const CallCase kCalls[] = {
    {"PipeRead", SYS_read, true, PipeRead},
    {"PipeWriteFull", SYS_write, true, PipeWriteFull},
    {"FifoRead", SYS_read, true, FifoRead},
    {"FifoWriteFull", SYS_write, true, FifoWriteFull},
    {"FifoOpenRead", SYS_openat, true, FifoOpenRead},
    {"FifoOpenWrite", SYS_openat, true, FifoOpenWrite},
    {"Wait", SYS_wait4, true, Wait},
    {"Waitpid", SYS_wait4, true, Waitpid},
    {"Waitid", SYS_waitid, true, Waitid},
    {"Msgrcv", SYS_msgrcv, false, Msgrcv},
    {"Msgsnd", SYS_msgsnd, false, Msgsnd},
    {"Semop", fault::kSysSemtimedop, false, Semop},
    {"Semtimedop", fault::kSysSemtimedop, false, Semtimedop},
    {"Pause", kNrPause, false, Pause},
    {"Sigsuspend", SYS_rt_sigsuspend, false, Sigsuspend},
    {"Sigtimedwait", SYS_rt_sigtimedwait, false, Sigtimedwait},
    {"Sigwaitinfo", SYS_rt_sigtimedwait, false, Sigwaitinfo},
    {"Poll", kNrPoll, false, Poll},
    {"Ppoll", SYS_ppoll, false, Ppoll},
    {"Select", SYS_pselect6, false, Select},
    {"Pselect", SYS_pselect6, false, Pselect},
    {"EpollWait", kNrEpollWait, false, EpollWait},
    {"Nanosleep", kNrSleep, false, Nanosleep},
    {"ClockNanosleep", kNrSleep, false, ClockNanosleep},
    {"Usleep", kNrSleep, false, Usleep},
    {"MqReceive", SYS_mq_timedreceive, true, MqReceiveUntimed},
    {"MqTimedreceive", SYS_mq_timedreceive, true, MqTimedreceive},
    {"MqSend", SYS_mq_timedsend, true, MqSendUntimed},
    {"MqTimedsend", SYS_mq_timedsend, true, MqTimedsend},
    {"SemWait", SYS_futex, true, SemWait},
    {"SemTimedwait", SYS_futex, false, SemTimedwait},
    {"FutexWait", SYS_futex, true, FutexWaitUntimed},
    {"FutexWaitTimed", SYS_futex, false, FutexWaitTimed},
};

void PrintTo(const CallCase& c, std::ostream* os) { *os << c.name; }

class EintrCall : public ::testing::TestWithParam<CallCase> {
 protected:
  // Starts the call, interrupts it with SIGUSR1 once it sleeps in the kernel,
  // and checks the outcome for a handler installed with `flags`.
  void Run(int flags) {
    const CallCase& c = GetParam();
    CaughtSignal handler(SIGUSR1, flags);
    Blocker b = c.make();
    if (HasFailure()) return;
    BackgroundCall call(b.call);
    UnblockOnExit guard(call, b.unblock);
    ASSERT_OK(call.wait_blocked(c.nr));
    ASSERT_OK(fault::interrupt_when_blocked(0, call.tid(), SIGUSR1, c.nr,
                                            ipc::deadline_in(kPatience)));
    bool restart_expected = (flags & SA_RESTART) != 0 && c.restarts;
    if (restart_expected) {
      // Restarted: back to sleep in the same call without returning, then it
      // completes normally once unblocked.
      ASSERT_OK(WaitReblocked(call, c.nr));
      b.unblock();
      ASSERT_TRUE(call.wait_done()) << "still blocked after unblock";
      b.completed(call.result());
    } else {
      ASSERT_TRUE(call.wait_done()) << "still blocked after the handled signal";
      EXPECT_THAT(call.result(), SyscallFailsWithErrno(EINTR));
      b.unchanged();
    }
    EXPECT_TRUE(handler.wait_for(1)) << "the handler never ran";
    EXPECT_EQ(handler.count(), 1);
  }
};

// Catches: a call that restarts, completes or keeps sleeping although the
// handler has no SA_RESTART; an interrupted call with side effects.
TEST_P(EintrCall, FailsEintrWithoutSaRestart) { Run(0); }

// Catches: a listed call that is not restarted (EINTR leaks out), or restarts
// but loses or duplicates data; an unlisted call (SysV IPC, multiplexers,
// sleeps, signal waits) that is restarted instead of failing EINTR.
TEST_P(EintrCall, SaRestartRestartsOnlyTheListedCalls) { Run(SA_RESTART); }

INSTANTIATE_TEST_SUITE_P(Calls, EintrCall, ::testing::ValuesIn(kCalls),
                         [](const ::testing::TestParamInfo<CallCase>& info) {
                           return info.param.name;
                         });

// ---- EINTR-004 partial transfer --------------------------------------------

// A blocking write of 3 × capacity into an empty pipe writes `capacity` bytes
// and sleeps; a reader then drains one page, the writer adds one page and
// sleeps again; the signal now makes write() return the bytes moved so far.
// Catches: EINTR (data lost to the caller's accounting), a restart (SA_RESTART
// must not apply once data moved), or a count that differs from what arrives.
void CheckInterruptedLargeWrite(int flags) {
  CaughtSignal handler(SIGUSR1, flags);
  RawPipe p;
  int cap = ::fcntl(p.write.get(), F_GETPIPE_SZ);
  ASSERT_GT(cap, 4096);
  std::string data = Pattern(3 * static_cast<std::size_t>(cap), 4);
  BackgroundCall writer([&] {
    return static_cast<long>(::write(p.write.get(), data.data(), data.size()));
  });
  UnblockOnExit guard(writer, [&] {
    (void)ReadExactly(p.read.get(), static_cast<std::size_t>(cap));
  });
  ASSERT_OK(writer.wait_blocked(SYS_write));
  ASSERT_EQ(Unread(p.read.get()), cap);
  std::string first = ReadExactly(p.read.get(), 4096);
  ASSERT_OK(fault::wait_until_blocked(0, writer.tid(), SYS_write,
                                      ipc::deadline_in(kPatience)));
  ASSERT_OK(fault::interrupt_when_blocked(0, writer.tid(), SIGUSR1, SYS_write,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(writer.wait_done());
  long n = writer.result();
  ASSERT_THAT(n, SyscallSucceedsWithValue(
                     cap + 4096));  // Linux: full again when it slept
  EXPECT_EQ(Unread(p.read.get()), n - 4096);
  std::string rest =
      ReadExactly(p.read.get(), static_cast<std::size_t>(n) - 4096);
  EXPECT_EQ(first + rest, data.substr(0, static_cast<std::size_t>(n)));
  EXPECT_TRUE(handler.wait_for(1));
}

TEST(EintrOs, InterruptedLargeWriteReturnsBytesAlreadyWritten) {
  CheckInterruptedLargeWrite(0);
}
TEST(EintrOs, InterruptedLargeWriteReturnsPartialCountEvenWithSaRestart) {
  CheckInterruptedLargeWrite(SA_RESTART);
}

// ---- EINTR-012 / EINTR-013 what a sleep reports ----------------------------

// Catches: rem left untouched, rem larger than asked (beyond the timer
// slack), or rem not reflecting the time already slept.
TEST(EintrOs, InterruptedNanosleepStoresTheRemainingTime) {
  CaughtSignal handler(SIGUSR1, SA_RESTART);
  struct timespec rem = {-1, -1};
  std::chrono::nanoseconds t0 = Monotonic(), t1{};
  std::atomic<long> slack{-1};
  BackgroundCall sleeper([&] {
    slack.store(::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    struct timespec req = {5, 0};
    long r = ::nanosleep(&req, &rem);
    t1 = Monotonic();
    return r;
  });
  ASSERT_OK(fault::interrupt_when_blocked(0, sleeper.tid(), SIGUSR1, kNrSleep,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(sleeper.wait_done());
  EXPECT_THAT(sleeper.result(), SyscallFailsWithErrno(EINTR));
  auto left =
      std::chrono::seconds(rem.tv_sec) + std::chrono::nanoseconds(rem.tv_nsec);
  EXPECT_GT(left.count(), 0);
  // Linux computes rem from the timer's hard expiry (request + timer slack),
  // so rem may exceed the request by up to the thread's slack (seen: 7.5 us).
  EXPECT_LE(left, 5s + std::chrono::nanoseconds(slack));
  // It slept at most as long as the caller saw pass (1 ms for timer slack).
  EXPECT_GE(left, 5s - (t1 - t0) - 1ms);
  EXPECT_TRUE(handler.wait_for(1));
}

// Catches: sleep(3) reporting -1/EINTR or 0 instead of the unslept seconds.
TEST(EintrOs, InterruptedSleepReturnsUnsleptSeconds) {
  CaughtSignal handler(SIGUSR1, 0);
  BackgroundCall sleeper([] { return static_cast<long>(::sleep(10)); });
  ASSERT_OK(fault::interrupt_when_blocked(0, sleeper.tid(), SIGUSR1, kNrSleep,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(sleeper.wait_done());
  long r = sleeper.result();
  EXPECT_GE(r, 1);  // interrupted at once: about 10 s were left (glibc rounds)
  EXPECT_LE(r, 10);
  EXPECT_TRUE(handler.wait_for(1));
}

// ---- EINTR-015 pthread_cond_wait -------------------------------------------

// Catches: pthread_cond_wait returning EINTR (POSIX: "shall not return
// [EINTR]"; a spurious 0 is allowed, hence the predicate loop).
TEST(EintrOs, CondWaitNeverReturnsEintr) {
  CaughtSignal handler(SIGUSR1, 0);
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  bool ready = false;
  std::atomic<int> eintrs{0};
  BackgroundCall waiter([&] {
    pthread_mutex_lock(&mu);
    int rc = 0;
    while (!ready) {
      rc = pthread_cond_wait(&cv, &mu);
      if (rc == EINTR) eintrs.fetch_add(1);
      if (rc != 0 && rc != EINTR) break;
    }
    pthread_mutex_unlock(&mu);
    return static_cast<long>(rc);
  });
  auto wake = [&] {
    pthread_mutex_lock(&mu);
    ready = true;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
  };
  UnblockOnExit guard(waiter, wake);
  ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1, SYS_futex,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(handler.wait_for(1));
  wake();
  ASSERT_TRUE(waiter.wait_done());
  EXPECT_EQ(waiter.result(), 0);
  EXPECT_EQ(eintrs.load(), 0);
}

// ---- EINTR-016 glibc signal() and sysv_signal() ----------------------------

// Catches: glibc's signal() installing SysV semantics (no SA_RESTART, reset
// on delivery). TSan replaces signal() by an interceptor that installs
// sa_flags = 0 (measured), so the claim is about glibc only.
TEST(EintrOs, GlibcSignalHasBsdSemanticsAndRestartsRead) {
  if constexpr (sanitizers::kThread) {
    GTEST_SKIP() << "TSan's signal() interceptor installs the handler without "
                    "SA_RESTART (measured)";
  }
  ScopedSigaction restore(SIGUSR1);
  g_caught.store(0);
  ASSERT_NE(::signal(SIGUSR1, Catch), SIG_ERR);
  struct sigaction now = {};
  ::sigaction(SIGUSR1, nullptr, &now);
  EXPECT_NE(now.sa_flags & SA_RESTART, 0);
  EXPECT_EQ(now.sa_flags & SA_RESETHAND, 0);
  RawPipe p;
  char buf[8];
  BackgroundCall reader(
      [&] { return static_cast<long>(::read(p.read.get(), buf, sizeof buf)); });
  UnblockOnExit guard(reader, [&] { (void)!::write(p.write.get(), "z", 1); });
  EXPECT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_read,
                                          ipc::deadline_in(kPatience)));
  EXPECT_OK(WaitReblocked(reader, SYS_read));
  EXPECT_EQ(g_caught.load(), 1);
  ASSERT_THAT(::write(p.write.get(), "ok", 2), SyscallSucceedsWithValue(2));
  EXPECT_TRUE(reader.wait_done());
  EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(2));
  ::sigaction(SIGUSR1, nullptr, &now);
  EXPECT_EQ(now.sa_handler, Catch) << "signal() reset the handler on delivery";
}

// Catches: sysv_signal() restarting the read, or not resetting to SIG_DFL.
TEST(EintrOs, SysvSignalDoesNotRestartAndResetsTheHandler) {
  ScopedSigaction restore(SIGUSR1);
  g_caught.store(0);
  ASSERT_NE(::sysv_signal(SIGUSR1, Catch), SIG_ERR);
  struct sigaction now = {};
  ::sigaction(SIGUSR1, nullptr, &now);
  EXPECT_EQ(now.sa_flags & SA_RESTART, 0);
  EXPECT_NE(now.sa_flags & SA_RESETHAND, 0);
  RawPipe p;
  char buf[8];
  BackgroundCall reader(
      [&] { return static_cast<long>(::read(p.read.get(), buf, sizeof buf)); });
  UnblockOnExit guard(reader, [&] { (void)!::write(p.write.get(), "z", 1); });
  EXPECT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_read,
                                          ipc::deadline_in(kPatience)));
  EXPECT_TRUE(reader.wait_done());
  EXPECT_THAT(reader.result(), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(g_caught.load(), 1);
  ::sigaction(SIGUSR1, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL)
      << "sysv_signal() kept the handler after delivery";
}

// ---- EINTR-017 signals that cannot interrupt -------------------------------

struct QuietCase {
  const char* name;
  int sig;
  enum { kIgnored, kDefault, kBlocked } how;
};

void PrintTo(const QuietCase& c, std::ostream* os) { *os << c.name; }

class EintrQuiet : public ::testing::TestWithParam<QuietCase> {};

// A read blocked on an empty pipe receives the signal and must simply go on: it
// returns the data written afterwards. A blocked signal stays pending. Catches:
// EINTR (or a wake-up that returns) for a signal with no handler to run.
TEST_P(EintrQuiet, SignalWithoutHandlerLeavesReadBlocked) {
  const QuietCase& c = GetParam();
  CaughtSignal handler(SIGUSR1, 0);  // SIGUSR1 handled unless replaced below
  std::optional<ScopedSigaction> quiet;
  if (c.how != QuietCase::kBlocked)
    quiet.emplace(c.sig, c.how == QuietCase::kIgnored ? SIG_IGN : SIG_DFL);
  RawPipe p;
  char buf[8];
  std::atomic<bool> pending_after{false};
  BackgroundCall reader([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, c.sig);
    if (c.how == QuietCase::kBlocked)
      ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    long r = ::read(p.read.get(), buf, sizeof buf);
    int e = errno;
    if (c.how == QuietCase::kBlocked) {
      struct timespec zero = {0, 0};
      pending_after.store(::sigtimedwait(&set, nullptr, &zero) ==
                          c.sig);  // consume it here
    }
    errno = e;
    return r;
  });
  UnblockOnExit guard(reader, [&] { (void)!::write(p.write.get(), "z", 1); });
  ASSERT_OK(fault::interrupt_when_blocked(0, reader.tid(), c.sig, SYS_read,
                                          ipc::deadline_in(kPatience)));
  ASSERT_OK(WaitReblocked(reader, SYS_read));
  ASSERT_THAT(::write(p.write.get(), "data", 4), SyscallSucceedsWithValue(4));
  ASSERT_TRUE(reader.wait_done());
  EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(4));
  EXPECT_EQ(handler.count(), 0);
  if (c.how == QuietCase::kBlocked) {
    EXPECT_TRUE(pending_after.load()) << "the blocked signal was lost";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Signals, EintrQuiet,
    ::testing::Values(
        QuietCase{"IgnoredSigusr1", SIGUSR1, QuietCase::kIgnored},
        QuietCase{"DefaultSigchld", SIGCHLD, QuietCase::kDefault},
        QuietCase{"DefaultSigwinch", SIGWINCH, QuietCase::kDefault},
        QuietCase{"DefaultSigurg", SIGURG, QuietCase::kDefault},
        QuietCase{"BlockedHandledSigusr1", SIGUSR1, QuietCase::kBlocked}),
    [](const ::testing::TestParamInfo<QuietCase>& info) {
      return info.param.name;
    });

// pause() is woken only by a signal whose handler runs.
// Catches: pause returning for an ignored signal.
TEST(EintrOs, PauseIgnoresIgnoredSignalAndReturnsAfterHandler) {
  CaughtSignal handler(SIGUSR1, 0);
  ScopedSigaction ignore(SIGUSR2, SIG_IGN);
  BackgroundCall pauser([] { return static_cast<long>(::pause()); });
  UnblockOnExit guard(pauser, [&] { Tgkill(pauser.tid(), SIGUSR1); });
  ASSERT_OK(fault::interrupt_when_blocked(0, pauser.tid(), SIGUSR2, kNrPause,
                                          ipc::deadline_in(kPatience)));
  ASSERT_OK(WaitReblocked(pauser, kNrPause));
  ASSERT_OK(fault::interrupt_when_blocked(0, pauser.tid(), SIGUSR1, kNrPause,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(pauser.wait_done());
  EXPECT_THAT(pauser.result(), SyscallFailsWithErrno(EINTR));
  EXPECT_TRUE(handler.wait_for(1));
}

// ---- EINTR-018 a signal just before the call -------------------------------

// The thread signals itself, then reads: the handler runs first, and the read
// then blocks normally and returns the data. Catches: an interruption that
// "sticks" and makes the next blocking call fail EINTR.
TEST(EintrOs, SignalBeforeTheCallIsHandledThenTheCallBlocks) {
  CaughtSignal handler(SIGUSR1, 0);
  RawPipe p;
  char buf[8];
  BackgroundCall reader([&] {
    Tgkill(fault::current_tid(), SIGUSR1);
    return static_cast<long>(::read(p.read.get(), buf, sizeof buf));
  });
  UnblockOnExit guard(reader, [&] { (void)!::write(p.write.get(), "z", 1); });
  ASSERT_OK(reader.wait_blocked(SYS_read));
  ASSERT_THAT(::write(p.write.get(), "data", 4), SyscallSucceedsWithValue(4));
  ASSERT_TRUE(reader.wait_done());
  EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "data");
  // Without TSan the handler ran before read() was entered; TSan defers it
  // past the read, so only "it ran exactly once" holds in both orders.
  EXPECT_TRUE(handler.wait_for(1));
  EXPECT_EQ(handler.count(), 1);
}

// ---- EINTR-019 / EINTR-020 stop and continue -------------------------------

// A child blocks in a call; it is stopped (SIGSTOP) and continued (SIGCONT)
// with no handler anywhere; then the call is unblocked. The child checks that
// the call completed with the right result (c.resumes) or failed EINTR.
struct StopCase {
  const char* name;
  long nr;
  bool resumes;
};

void PrintTo(const StopCase& c, std::ostream* os) { *os << c.name; }

class EintrStop : public ::testing::TestWithParam<StopCase> {};

// In the child: makes the blocking call `name`; its result, and in *want the
// result it has when it completes.
long StoppedCall(const std::string& name, int rd, int msq, int full_msq,
                 int sem, int ep, long* want) {
  sigset_t usr2;  // the parent sends SIGUSR2 to every child (it unblocks
                  // sigtimedwait)
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ::sigprocmask(SIG_BLOCK, &usr2, nullptr);
  if (name == "Read") {
    char c;
    *want = 1;
    return ::read(rd, &c, 1);
  }
  if (name == "Msgrcv") {
    MsgBuf m;
    *want = 2;
    return ::msgrcv(msq, &m, sizeof m.mtext, 0, 0);
  }
  if (name == "Poll") {
    struct pollfd p = {rd, POLLIN, 0};
    *want = 1;
    return ::poll(&p, 1, -1);
  }
  if (name == "Nanosleep") {
    struct timespec ts = {0, 300 * 1000 * 1000};
    *want = 0;
    return ::nanosleep(&ts, nullptr);
  }
  if (name == "Msgsnd") {  // into a full queue
    MsgBuf m = {3, "sent"};
    *want = 0;
    return ::msgsnd(full_msq, &m, 8, 0);
  }
  if (name == "Semop") {
    struct sembuf down = {0, -1, 0};
    *want = 0;
    return ::semop(sem, &down, 1);
  }
  if (name == "Semtimedop") {
    struct sembuf down = {0, -1, 0};
    struct timespec ts = {20, 0};
    *want = 0;
    return ::semtimedop(sem, &down, 1, &ts);
  }
  if (name == "Sigtimedwait") {
    struct timespec ts = {20, 0};
    *want = SIGUSR2;
    return ::sigtimedwait(&usr2, nullptr, &ts);
  }
  if (name == "Sigwaitinfo") {
    *want = SIGUSR2;
    return ::sigwaitinfo(&usr2, nullptr);
  }
  if (name == "EpollWait") {
    struct epoll_event ev;
    *want = 1;
    return ::epoll_wait(ep, &ev, 1, -1);
  }
  TEST_FAIL("no such call in the table");
}

// Catches: a call that fails EINTR after stop/continue although no handler
// ran (read, msgrcv, msgsnd, poll, nanosleep) — or, for Linux's exceptions
// (semop, semtimedop, sigtimedwait, sigwaitinfo, epoll_wait), one that
// silently resumes.
TEST_P(EintrStop, StopAndContinueWithoutHandler) {
  const StopCase& c = GetParam();
  RawPipe p;
  RawMsgQueue q;
  RawMsgQueue full;  // 16 bytes of room, taken by a type-9 filler
  struct msqid_ds fds = {};
  ASSERT_THAT(::msgctl(full.id, IPC_STAT, &fds), SyscallSucceeds());
  fds.msg_qbytes = 16;
  ASSERT_THAT(::msgctl(full.id, IPC_SET, &fds), SyscallSucceeds());
  MsgBuf filler = {9, "filler: 16 bytes"};
  ASSERT_THAT(::msgsnd(full.id, &filler, 16, IPC_NOWAIT), SyscallSucceeds());
  RawSem sem;
  ipc::Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ASSERT_THAT(::epoll_ctl(ep.get(), EPOLL_CTL_ADD, p.read.get(), &ev),
              SyscallSucceeds());
  Child child([&] {
    long want = 0;
    errno = 0;
    long r = StoppedCall(c.name, p.read.get(), q.id, full.id, sem.id, ep.get(),
                         &want);
    if (c.resumes) {
      TEST_PCHECK(r == want);  // resumed and completed
    } else {
      TEST_PCHECK(r == -1);  // not resumed: EINTR
      TEST_PCHECK(errno == EINTR);
    }
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(), c.nr,
                                      ipc::deadline_in(kPatience)));
  ASSERT_THAT(::kill(child.pid(), SIGSTOP), SyscallSucceeds());
  int status = 0;
  ASSERT_THAT(::waitpid(child.pid(), &status, WUNTRACED),
              SyscallSucceedsWithValue(child.pid()));
  ASSERT_TRUE(WIFSTOPPED(status)) << ipc::testing::DescribeWaitStatus(status);
  ASSERT_THAT(::kill(child.pid(), SIGCONT), SyscallSucceeds());
  // Unblock (harmless if the call already failed): a byte, a message, room in
  // the full queue, a post, SIGUSR2.
  ASSERT_THAT(::write(p.write.get(), "x", 1), SyscallSucceedsWithValue(1));
  ASSERT_THAT(::msgrcv(full.id, &filler, sizeof filler.mtext, 9, IPC_NOWAIT),
              SyscallSucceedsWithValue(16));
  MsgBuf m = {2, "m"};
  ASSERT_THAT(::msgsnd(q.id, &m, 2, IPC_NOWAIT), SyscallSucceeds());
  ASSERT_THAT(sem.post(), SyscallSucceeds());
  ::kill(child.pid(), SIGUSR2);
  EXPECT_CHILD_OK(child.wait());
}

INSTANTIATE_TEST_SUITE_P(
    Calls, EintrStop,
    ::testing::Values(StopCase{"Read", SYS_read, true},
                      StopCase{"Msgrcv", SYS_msgrcv, true},
                      StopCase{"Poll", kNrPoll, true},
                      StopCase{"Nanosleep", kNrSleep, true},
                      StopCase{"Msgsnd", SYS_msgsnd, true},
                      StopCase{"Semop", fault::kSysSemtimedop, false},
                      StopCase{"Semtimedop", fault::kSysSemtimedop, false},
                      StopCase{"Sigtimedwait", SYS_rt_sigtimedwait, false},
                      StopCase{"Sigwaitinfo", SYS_rt_sigtimedwait, false},
                      StopCase{"EpollWait", kNrEpollWait, false}),
    [](const ::testing::TestParamInfo<StopCase>& info) {
      return info.param.name;
    });

// Watches child `pid` after SIGCONT until it exits (true) or is seen asleep
// in a sleep call again, twice 2 ms apart (false): a state in /proc, not a
// time, tells a restarted sleep that ended at once from one that sleeps on.
bool ExitsWithoutSleepingAgain(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  int asleep = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    auto st = fault::read_task_state(pid, pid);
    if (!st.ok() || st->state == 'Z' || st->state == 'X') return true;
    bool sleeping =
        st->state == 'S' && st->syscall.has_value() &&
        (*st->syscall == kNrSleep || *st->syscall == SYS_restart_syscall
#if defined(SYS_nanosleep)
         || *st->syscall == SYS_nanosleep
#endif
        );
    asleep = sleeping ? asleep + 1 : 0;
    if (asleep == 2) return false;
    WaitForClock(Monotonic() + 2ms);
  }
  return true;  // neither: the child's wait() below reports it
}

// The child sleeps 1 s and is kept stopped until after its sleep would have
// ended; after SIGCONT the restarted nanosleep returns at once (it keeps its
// absolute expiry), so the child exits without going back to sleep — seen in
// /proc, not timed. The 1 s covers a late SIGSTOP on a loaded machine (it
// must land while the child still sleeps). Catches: a restart that sleeps the
// remainder again (conformance/selftest/nanosleep_stop_not_counted.cc).
TEST(EintrOs, NanosleepRestartedAfterStopCountsStoppedTimeAsSlept) {
  constexpr auto kSleep = 1s;
  RawPipe times;
  Child child([&] {
    std::int64_t t[2];
    t[0] = Monotonic().count();
    struct timespec ts = {1, 0};
    TEST_CHECK_SUCCESS(::nanosleep(&ts, nullptr));
    t[1] = Monotonic().count();
    TEST_CHECK(::write(times.write.get(), t, sizeof t) == sizeof t);
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(), kNrSleep,
                                      ipc::deadline_in(kPatience)));
  auto blocked_at = Monotonic();
  ASSERT_THAT(::kill(child.pid(), SIGSTOP), SyscallSucceeds());
  int status = 0;
  ASSERT_THAT(::waitpid(child.pid(), &status, WUNTRACED),
              SyscallSucceedsWithValue(child.pid()));
  ASSERT_TRUE(WIFSTOPPED(status)) << "the sleep ended before SIGSTOP landed: "
                                  << ipc::testing::DescribeWaitStatus(status);
  // The stopped time is the stimulus: past the sleep's expiry (the child
  // entered the sleep before it was seen blocked).
  WaitForClock(blocked_at + kSleep + 10ms);
  ASSERT_THAT(::kill(child.pid(), SIGCONT), SyscallSucceeds());
  EXPECT_TRUE(ExitsWithoutSleepingAgain(child.pid()))
      << "after SIGCONT the restarted nanosleep went back to sleep: the "
         "stopped time was not counted as slept";
  ASSERT_CHILD_OK(child.wait());
  std::int64_t t[2];
  ASSERT_THAT(::read(times.read.get(), t, sizeof t),
              SyscallSucceedsWithValue(sizeof t));
  EXPECT_GE(std::chrono::nanoseconds(t[1] - t[0]), kSleep);
}

// ---- EINTR-021 timeouts across a restart -----------------------------------

// Interrupts `call`'s thread with SIGUSR1 whenever it is seen asleep in `nr`
// (at most every 50 ms) until the call returns or Monotonic() reaches
// `give_up`; true if it returned. A timed call whose restarts keep the
// original timeout returns at that timeout however often it is interrupted;
// one whose restarts re-arm the timeout never does while the signals come far
// more often than the timeout. Nothing depends on when a signal lands.
bool InterruptUntilDone(BackgroundCall& call, long nr,
                        std::chrono::nanoseconds give_up) {
  while (Monotonic() < give_up) {
    if (call.done()) return true;
    if (fault::interrupt_when_blocked(0, call.tid(), SIGUSR1, nr,
                                      ipc::deadline_in(20ms))) {
      WaitForClock(Monotonic() + 50ms);  // the signals' rate is the stimulus
    }
  }
  return call.wait_done(0ms);
}

// mq_timedreceive with SA_RESTART, interrupted again and again: each time it
// restarts; it still times out at the original instant. Catches: a restart
// that re-arms the full timeout (conformance/selftest/
// sa_restart_rearms_timeout.cc: it then never times out while interrupted).
TEST(EintrOs, RestartedTimedCallKeepsItsOriginalTimeout) {
  CaughtSignal handler(SIGUSR1, SA_RESTART);
  RawMq q(1);
  auto start = Monotonic();
  struct timespec abs = RealtimeIn(400ms);
  std::chrono::nanoseconds returned_at{};
  BackgroundCall rcv([&] {
    char buf[16];
    long r = ::mq_timedreceive(q.q, buf, sizeof buf, nullptr, &abs);
    int e = errno;
    returned_at = Monotonic();
    errno = e;
    return r;
  });
  UnblockOnExit guard(rcv, [&] { ::mq_send(q.q, "x", 1, 0); });
  ASSERT_OK(fault::interrupt_when_blocked(
      0, rcv.tid(), SIGUSR1, SYS_mq_timedreceive, ipc::deadline_in(kPatience)));
  ASSERT_OK(WaitReblocked(rcv, SYS_mq_timedreceive));
  ASSERT_TRUE(InterruptUntilDone(rcv, SYS_mq_timedreceive, start + 3s))
      << "no timeout 3 s into a 400 ms timeout while interrupted every ~50 ms: "
         "a restart re-armed the timeout";
  EXPECT_THAT(rcv.result(), SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_GE(returned_at - start,
            400ms - 20ms);  // CLOCK_REALTIME vs MONOTONIC start skew
  EXPECT_TRUE(handler.wait_for(kTwoHandlerRuns));
}

// ---- the layer: Eintr::kRetry / kSurface and deadlines ---------------------

// Catches: read_some swallowing EINTR when asked to surface it, or a message
// without the call and descriptor.
TEST(EintrLayer, ReadSomeSurfacesEintrWithContext) {
  CaughtSignal handler(SIGUSR1, 0);
  RawPipe p;
  std::string buf(64, '\0');
  ipc::Result<std::size_t> got = std::size_t{0};
  BackgroundCall reader([&] {
    got = ipc::read_some(p.read.get(), AsWritableBytes(buf),
                         ipc::Eintr::kSurface);
    return 0L;
  });
  UnblockOnExit guard(reader, [&] { (void)!::write(p.write.get(), "z", 1); });
  ASSERT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_read,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(reader.wait_done());
  ASSERT_THAT(got, FailsWith(EINTR));
  EXPECT_THAT(got.error().message(),
              HasSubstr("read(fd=" + std::to_string(p.read.get())));
  EXPECT_THAT(got.error().message(), HasSubstr(std::strerror(EINTR)));
  EXPECT_TRUE(handler.wait_for(1));
}

// The handler has no SA_RESTART, so only the layer can make the read survive.
// Catches: kRetry not retrying, or retrying in a way that loses the data.
TEST(EintrLayer, ReadSomeRetryRunsHandlerAndKeepsWaitingForData) {
  CaughtSignal handler(SIGUSR1, 0);
  RawPipe p;
  std::string buf(64, '\0');
  ipc::Result<std::size_t> got = std::size_t{0};
  BackgroundCall reader([&] {
    got =
        ipc::read_some(p.read.get(), AsWritableBytes(buf), ipc::Eintr::kRetry);
    return 0L;
  });
  UnblockOnExit guard(reader, [&] { (void)!::write(p.write.get(), "z", 1); });
  ASSERT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_read,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(handler.wait_for(1));
  ASSERT_OK(WaitReblocked(reader, SYS_read));
  ASSERT_THAT(::write(p.write.get(), "data", 4), SyscallSucceedsWithValue(4));
  ASSERT_TRUE(reader.wait_done());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, 4u);
  EXPECT_EQ(buf.substr(0, 4), "data");
}

// kRetry with a deadline: interrupted again and again, the wait still ends at
// the original deadline with ETIMEDOUT. Catches: EINTR leaking out, the
// deadline ignored after a retry, or re-armed in full (then it never ends
// while interrupted).
TEST(EintrLayer, ReadSomeRetryStopsAtTheOriginalDeadline) {
  CaughtSignal handler(SIGUSR1, 0);
  RawPipe p;
  std::string buf(64, '\0');
  ipc::Result<std::size_t> got = std::size_t{0};
  auto start = Monotonic();
  std::chrono::nanoseconds returned_at{};
  BackgroundCall reader([&] {
    got = ipc::read_some(p.read.get(), AsWritableBytes(buf), ipc::Eintr::kRetry,
                         ipc::deadline_in(400ms));
    returned_at = Monotonic();
    return 0L;
  });
  UnblockOnExit guard(reader, [&] { (void)!::write(p.write.get(), "z", 1); });
  ASSERT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, kNrPoll,
                                          ipc::deadline_in(kPatience)));
  ASSERT_OK(WaitReblocked(reader, kNrPoll));
  ASSERT_TRUE(InterruptUntilDone(reader, kNrPoll, start + 3s))
      << "no timeout 3 s into a 400 ms deadline while interrupted every "
         "~50 ms: a retry re-armed the deadline";
  ASSERT_THAT(got, FailsWith(ETIMEDOUT));
  EXPECT_GE(returned_at - start, 400ms);
  EXPECT_TRUE(handler.wait_for(kTwoHandlerRuns));
}

// Catches: write_some surfacing EINTR under kRetry, or writing twice.
TEST(EintrLayer, WriteSomeOnFullPipeRetriesOrSurfaces) {
  for (ipc::Eintr mode : {ipc::Eintr::kSurface, ipc::Eintr::kRetry}) {
    SCOPED_TRACE(mode == ipc::Eintr::kRetry ? "kRetry" : "kSurface");
    CaughtSignal handler(SIGUSR1, 0);
    RawPipe p;
    std::size_t cap = FillPipe(p.write.get());
    std::string payload = Pattern(100, 3);
    ipc::Result<std::size_t> put = std::size_t{0};
    BackgroundCall writer([&] {
      put = ipc::write_some(p.write.get(), ipc::as_bytes(payload), mode);
      return 0L;
    });
    UnblockOnExit guard(writer, [&] { (void)ReadExactly(p.read.get(), 4096); });
    ASSERT_OK(fault::interrupt_when_blocked(0, writer.tid(), SIGUSR1, SYS_write,
                                            ipc::deadline_in(kPatience)));
    ASSERT_TRUE(handler.wait_for(1));
    if (mode == ipc::Eintr::kSurface) {
      ASSERT_TRUE(writer.wait_done());
      EXPECT_THAT(put, FailsWith(EINTR));
      EXPECT_EQ(Unread(p.read.get()), static_cast<int>(cap));
      continue;
    }
    ASSERT_OK(WaitReblocked(writer, SYS_write));
    (void)ReadExactly(p.read.get(), 4096);
    ASSERT_TRUE(writer.wait_done());
    ASSERT_THAT(put, IsOk());
    EXPECT_EQ(*put, 100u);
    std::string rest = ReadExactly(p.read.get(), cap - 4096 + 100);
    EXPECT_EQ(Unread(p.read.get()), 0);
    EXPECT_EQ(rest.substr(rest.size() - 100), payload);
  }
}

// write_full of 3 × capacity, interrupted once it has filled the pipe (the
// kernel returns a partial count): the layer goes on from where it stopped.
// Catches: restarting from the beginning (duplicated bytes) or giving up.
TEST(EintrLayer, WriteFullContinuesAfterInterruptedPartialWrite) {
  CaughtSignal handler(SIGUSR1, 0);
  RawPipe p;
  int cap = ::fcntl(p.write.get(), F_GETPIPE_SZ);
  std::string data = Pattern(3 * static_cast<std::size_t>(cap), 6);
  ipc::Result<std::size_t> put = std::size_t{0};
  BackgroundCall writer([&] {
    put = ipc::write_full(p.write.get(), ipc::as_bytes(data));
    return 0L;
  });
  std::string got;
  UnblockOnExit guard(writer, [&] {
    got += ReadExactly(p.read.get(), data.size() - got.size());
  });
  ASSERT_OK(fault::interrupt_when_blocked(0, writer.tid(), SIGUSR1, SYS_write,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(handler.wait_for(1));
  got = ReadExactly(p.read.get(), data.size());
  ASSERT_TRUE(writer.wait_done());
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(*put, data.size());
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data)
      << "bytes duplicated or lost around the interrupted write";
}

// Catches: read_full returning EINTR or a short count after an interruption.
TEST(EintrLayer, ReadFullRetriesEintr) {
  CaughtSignal handler(SIGUSR1, 0);
  RawPipe p;
  std::string buf(10, '\0');
  ipc::Result<std::size_t> got = std::size_t{0};
  BackgroundCall reader([&] {
    got = ipc::read_full(p.read.get(), AsWritableBytes(buf));
    return 0L;
  });
  UnblockOnExit guard(reader, [&] { p.write.reset(); });
  ASSERT_THAT(::write(p.write.get(), "01234", 5), SyscallSucceedsWithValue(5));
  ASSERT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_read,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(handler.wait_for(1));
  ASSERT_OK(WaitReblocked(reader, SYS_read));
  ASSERT_THAT(::write(p.write.get(), "56789", 5), SyscallSucceedsWithValue(5));
  ASSERT_TRUE(reader.wait_done());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, 10u);
  EXPECT_EQ(buf, "0123456789");
}

// MessageQueue::receive: kRetry (the default) survives a handler even with
// SA_RESTART, which the kernel ignores for msgrcv; kSurface reports EINTR.
// Catches: a layer that relies on SA_RESTART, or swallows EINTR when asked.
TEST(EintrLayer, MessageQueueReceiveRetriesByDefaultAndSurfacesOnRequest) {
  for (ipc::Eintr mode : {ipc::Eintr::kRetry, ipc::Eintr::kSurface}) {
    SCOPED_TRACE(mode == ipc::Eintr::kRetry ? "kRetry" : "kSurface");
    CaughtSignal handler(SIGUSR1, SA_RESTART);
    auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
    ipc::QueueOwner owner(q);
    ipc::Result<ipc::Message> got = ipc::Message{};
    BackgroundCall rcv([&] {
      got = q.receive(0, 64, ipc::ReceiveOptions{.eintr = mode});
      return 0L;
    });
    UnblockOnExit guard(
        rcv, [&] { (void)q.send(9, ipc::as_bytes("z"), {.nowait = true}); });
    ASSERT_OK(fault::interrupt_when_blocked(0, rcv.tid(), SIGUSR1, SYS_msgrcv,
                                            ipc::deadline_in(kPatience)));
    ASSERT_TRUE(handler.wait_for(1));
    if (mode == ipc::Eintr::kSurface) {
      ASSERT_TRUE(rcv.wait_done());
      ASSERT_THAT(got, FailsWith(EINTR));
      EXPECT_THAT(got.error().message(),
                  HasSubstr("msgrcv(qid=" + std::to_string(q.id())));
      continue;
    }
    ASSERT_OK(WaitReblocked(rcv, SYS_msgrcv));
    ASSERT_OK(q.send(4, ipc::as_bytes("four")));
    ASSERT_TRUE(rcv.wait_done());
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(got->type, 4);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(got->data.data()),
                          got->data.size()),
              "four");
  }
}

// MessageQueue::send into a full queue: kRetry keeps waiting and queues the
// message exactly once; kSurface reports EINTR and queues nothing.
TEST(EintrLayer, MessageQueueSendRetriesByDefaultAndSurfacesOnRequest) {
  for (ipc::Eintr mode : {ipc::Eintr::kRetry, ipc::Eintr::kSurface}) {
    SCOPED_TRACE(mode == ipc::Eintr::kRetry ? "kRetry" : "kSurface");
    CaughtSignal handler(SIGUSR1, SA_RESTART);
    auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
    ipc::QueueOwner owner(q);
    ASSERT_OK(q.set_qbytes(64));
    std::string old(32, 'o');
    ASSERT_OK(q.send(1, ipc::as_bytes(old)));
    ASSERT_OK(q.send(1, ipc::as_bytes(old)));
    std::string fresh(32, 'n');
    ipc::Status sent = ipc::ok_status();
    BackgroundCall snd([&] {
      sent = q.send(2, ipc::as_bytes(fresh), ipc::SendOptions{.eintr = mode});
      return 0L;
    });
    UnblockOnExit guard(snd, [&] { (void)q.receive(1, 64, {.nowait = true}); });
    ASSERT_OK(fault::interrupt_when_blocked(0, snd.tid(), SIGUSR1, SYS_msgsnd,
                                            ipc::deadline_in(kPatience)));
    ASSERT_TRUE(handler.wait_for(1));
    if (mode == ipc::Eintr::kSurface) {
      ASSERT_TRUE(snd.wait_done());
      EXPECT_THAT(sent, FailsWith(EINTR));
      EXPECT_EQ(ASSERT_OK_AND_VALUE(q.stat()).qnum, 2u);
      continue;
    }
    ASSERT_OK(WaitReblocked(snd, SYS_msgsnd));
    ASSERT_OK(q.receive(1, 64, {.nowait = true}));
    ASSERT_TRUE(snd.wait_done());
    EXPECT_OK(sent);
    EXPECT_EQ(ASSERT_OK_AND_VALUE(q.stat()).qnum,
              2u);  // one old, the new one once
    auto m = ASSERT_OK_AND_VALUE(q.receive(2, 64, {.nowait = true}));
    EXPECT_EQ(m.data.size(), 32u);
    EXPECT_THAT(q.receive(2, 64, {.nowait = true}), FailsWith(ENOMSG));
  }
}

// open_fifo: kSurface reports the interrupted wait for the other end; kRetry
// keeps waiting and opens once a writer arrives.
TEST(EintrLayer, OpenFifoSurfacesOrRetriesInterruptedWait) {
  for (ipc::Eintr mode : {ipc::Eintr::kSurface, ipc::Eintr::kRetry}) {
    SCOPED_TRACE(mode == ipc::Eintr::kRetry ? "kRetry" : "kSurface");
    CaughtSignal handler(SIGUSR1, 0);
    TempDir dir;
    std::string path = dir.file("fifo");
    ASSERT_OK(ipc::make_fifo(path));
    ipc::Result<ipc::Fd> opened = ipc::Fd();
    BackgroundCall opener([&] {
      opened = ipc::open_fifo(path, ipc::FifoEnd::kRead, {.eintr = mode});
      return 0L;
    });
    ipc::Fd writer;
    UnblockOnExit guard(opener, [&] {
      if (!writer.valid())
        writer.reset(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    });
    ASSERT_OK(fault::interrupt_when_blocked(
        0, opener.tid(), SIGUSR1, SYS_openat, ipc::deadline_in(kPatience)));
    ASSERT_TRUE(handler.wait_for(1));
    if (mode == ipc::Eintr::kSurface) {
      ASSERT_TRUE(opener.wait_done());
      ASSERT_THAT(opened, FailsWith(EINTR));
      EXPECT_THAT(opened.error().message(),
                  HasSubstr("interrupted while waiting for the other end"));
      continue;
    }
    ASSERT_OK(WaitReblocked(opener, SYS_openat));
    writer.reset(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    ASSERT_TRUE(writer.valid()) << std::strerror(errno);
    ASSERT_TRUE(opener.wait_done());
    ASSERT_THAT(opened, IsOk());
    ASSERT_THAT(::write(writer.get(), "hi", 2), SyscallSucceedsWithValue(2));
    EXPECT_EQ(ReadExactly(opened->get(), 2), "hi");
  }
}

// wait_signal(SIGUSR2, 400 ms): SIGUSR1's handler interrupts it again and
// again; kRetry still times out at the original deadline (EAGAIN), kSurface
// returns EINTR at the first interruption.
TEST(EintrLayer, WaitSignalRetryKeepsTheTimeoutAndSurfaceReportsEintr) {
  for (ipc::Eintr mode : {ipc::Eintr::kSurface, ipc::Eintr::kRetry}) {
    SCOPED_TRACE(mode == ipc::Eintr::kRetry ? "kRetry" : "kSurface");
    CaughtSignal handler(SIGUSR1, SA_RESTART);
    sigset_t set = ipc::make_sigset({SIGUSR2});
    ipc::Result<siginfo_t> got = siginfo_t{};
    auto start = Monotonic();
    std::chrono::nanoseconds returned_at{};
    BackgroundCall waiter([&] {
      ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
      got = ipc::wait_signal(set, std::chrono::milliseconds(400), mode);
      returned_at = Monotonic();
      return 0L;
    });
    UnblockOnExit guard(waiter, [&] { Tgkill(waiter.tid(), SIGUSR2); });
    ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1,
                                            SYS_rt_sigtimedwait,
                                            ipc::deadline_in(kPatience)));
    if (mode == ipc::Eintr::kSurface) {
      ASSERT_TRUE(waiter.wait_done());
      EXPECT_THAT(got, FailsWith(EINTR));
      EXPECT_TRUE(handler.wait_for(1));
      continue;
    }
    ASSERT_OK(WaitReblocked(waiter, SYS_rt_sigtimedwait));
    ASSERT_TRUE(InterruptUntilDone(waiter, SYS_rt_sigtimedwait, start + 3s))
        << "no timeout 3 s into a 400 ms wait while interrupted every ~50 ms: "
           "a retry re-armed the timeout";
    ASSERT_THAT(got, FailsWith(EAGAIN));
    EXPECT_THAT(got.error().message(), HasSubstr("timed out after 400 ms"));
    EXPECT_GE(returned_at - start, 400ms);
    EXPECT_TRUE(handler.wait_for(kTwoHandlerRuns));
  }
}

// call_blocking around semop, which the kernel never restarts: kRetry waits
// on through the handler, kSurface returns -1/EINTR.
TEST(EintrLayer, CallBlockingRetriesSemopOrSurfacesEintr) {
  for (ipc::Eintr mode : {ipc::Eintr::kSurface, ipc::Eintr::kRetry}) {
    SCOPED_TRACE(mode == ipc::Eintr::kRetry ? "kRetry" : "kSurface");
    CaughtSignal handler(SIGUSR1, SA_RESTART);
    RawSem sem;
    BackgroundCall down([&] {
      return static_cast<long>(ipc::call_blocking(mode, [&] {
        struct sembuf op = {0, -1, 0};
        return ::semop(sem.id, &op, 1);
      }));
    });
    UnblockOnExit guard(down, [&] { sem.post(); });
    ASSERT_OK(fault::interrupt_when_blocked(0, down.tid(), SIGUSR1,
                                            fault::kSysSemtimedop,
                                            ipc::deadline_in(kPatience)));
    if (mode == ipc::Eintr::kSurface) {
      ASSERT_TRUE(down.wait_done());
      EXPECT_THAT(down.result(), SyscallFailsWithErrno(EINTR));
      EXPECT_TRUE(handler.wait_for(1));
      continue;
    }
    ASSERT_OK(WaitReblocked(down, fault::kSysSemtimedop));
    ASSERT_THAT(sem.post(), SyscallSucceeds());
    ASSERT_TRUE(down.wait_done());
    EXPECT_THAT(down.result(), SyscallSucceedsWithValue(0));
    EXPECT_EQ(sem.value(), 0);
    EXPECT_TRUE(handler.wait_for(
        1));  // TSan: semop is not intercepted, the handler may come late
  }
}

}  // namespace
