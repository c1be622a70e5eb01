// conformance/signals_test.cc — signals: dispositions, masks, delivery. What
// signal(7), sigaction(2), sigprocmask(2), kill(2), sigwaitinfo(2),
// sigaltstack(2) and POSIX XSH 2.4 promise, checked on the raw OS calls (SigOs)
// and, where ipc/signals.h exposes the behaviour, on the layer (SigLayer).
// Catalogue: conformance/catalog/signals.txt (SIG-001 … SIG-039).
//
// How the tests stay deterministic and hermetic:
//  - Anything that changes process-wide state (dispositions, pending signals,
//    process groups) runs in a forked child (RunInChild / Child), which reports
//    through its exit code: 0 = as expected, N = the N-th check failed.
//  - Pending signals are observed synchronously (sigpending, sigtimedwait with
//    a zero timeout, sigsuspend), not by racing a handler. ThreadSanitizer
//    defers asynchronous handlers and wraps every handler with a full
//    sa_mask; the few observations that only hold without that wrapper say
//    so (sanitizers::kThread).
//  - "Delivered before the call returns" is checked with a default action that
//    kills the process: code after the call must never run.
//  - A signal for a blocked process is sent only once /proc shows it asleep in
//    the expected system call (fault::wait_until_blocked), never after a sleep.
#include "ipc/signals.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// glibc 2.36 declares these without extern "C".
extern "C" {
#include <sys/pidfd.h>
}

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/background.h"
#include "conformance/testing/streams.h"
#include "conformance/testing/suite_util.h"
#include "fault/blocked.h"
#include "fault/libc_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/testing/test_util.h"
#include "sanitizers/probe.h"

namespace {

using ::conformance::testing::kPatience;
using ::conformance::testing::wait_exit;
using ::ipc::make_sigset;
using ::ipc::ScopedSigaction;
using ::ipc::ScopedSignalMask;
using ::ipc::testing::Child;
using ::ipc::testing::ChildKilledBy;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::DropPrivileges;
using ::ipc::testing::ExitedWith;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::RawPipe;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;

// The kernel's sigset size for the rt_sig* calls (8 bytes on Linux/x86-64 and
// arm64).
constexpr std::size_t kKernelSigsetSize = _NSIG / 8;

// A child exit code that means "the environment does not allow this; skip".
constexpr int kSkipExit = 10;

// Expects a child that exited 0; `codes` explains the other exit codes.
#define EXPECT_EXITED_ZERO(status, codes) \
  EXPECT_TRUE(ExitedWith((status), 0))    \
      << DescribeWaitStatus(status) << " — " << (codes)

#define EXPECT_KILLED_BY(status, sig)                           \
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == (sig)) \
      << DescribeWaitStatus(status) << " (expected death by "   \
      << ipc::signal_name(sig) << ")"

// Inside a child: return `code` from the body when `cond` is false.
#define CHECK_OR_EXIT(cond, code) \
  do {                            \
    if (!(cond)) return (code);   \
  } while (0)

// ---- handlers and what they observed (lock-free atomics: async-signal-safe)
// ---

std::atomic<int> g_hits{0};
std::atomic<int> g_depth{0};
std::atomic<int> g_max_depth{0};
std::atomic<int> g_order[8];
std::atomic<int> g_order_len{0};
std::atomic<int> g_mask_had_sig{-1};    // own signal blocked inside the handler
std::atomic<int> g_mask_had_usr2{-1};   // SIGUSR2 blocked inside the handler
std::atomic<int> g_mask_had_winch{-1};  // SIGWINCH blocked inside the handler
std::atomic<int> g_disposition_was_default{-1};
std::atomic<pid_t> g_handler_tid{0};
std::atomic<long> g_frame{0};
std::atomic<int> g_on_altstack{-1};
std::atomic<int> g_altstack_change_errno{-1};
std::atomic<int> g_info_null{-1};
std::atomic<int> g_info_signo{0};
std::atomic<int> g_info_code{0};
std::atomic<pid_t> g_info_pid{0};
std::atomic<int> g_info_uid{-1};
std::atomic<int> g_info_value{0};

void ResetObservations() {
  g_hits = 0;
  g_depth = 0;
  g_max_depth = 0;
  g_order_len = 0;
  g_mask_had_sig = g_mask_had_usr2 = g_mask_had_winch = -1;
  g_disposition_was_default = -1;
  g_handler_tid = 0;
  g_on_altstack = g_altstack_change_errno = g_info_null = -1;
}

void CountHandler(int) { g_hits.fetch_add(1); }

void OrderHandler(int sig) {
  int i = g_order_len.fetch_add(1);
  if (i < 8) g_order[i] = sig;
}

// Records the thread mask seen inside the handler.
void MaskProbeHandler(int sig) {
  int saved = errno;
  sigset_t now;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &now);
  g_mask_had_sig = sigismember(&now, sig);
  g_mask_had_usr2 = sigismember(&now, SIGUSR2);
  g_mask_had_winch = sigismember(&now, SIGWINCH);
  struct sigaction cur;
  if (::sigaction(sig, nullptr, &cur) == 0)
    g_disposition_was_default = cur.sa_handler == SIG_DFL;
  g_hits.fetch_add(1);
  errno = saved;
}

// Re-raises its own signal once from inside the handler and records nesting.
void NestingHandler(int sig) {
  int saved = errno;
  int d = g_depth.fetch_add(1) + 1;
  if (d > g_max_depth.load()) g_max_depth = d;
  if (g_hits.fetch_add(1) == 0) ::raise(sig);
  g_depth.fetch_sub(1);
  errno = saved;
}

void InfoHandler(int sig, siginfo_t* info, void*) {
  g_info_null = info == nullptr;
  if (info != nullptr) {
    g_info_signo = info->si_signo;
    g_info_code = info->si_code;
    g_info_pid = info->si_pid;
    g_info_uid = static_cast<int>(info->si_uid);
    g_info_value = info->si_value.sival_int;
  }
  (void)sig;
  g_hits.fetch_add(1);
}

void TidHandler(int) {
  int saved = errno;
  g_handler_tid = static_cast<pid_t>(::syscall(SYS_gettid));
  g_hits.fetch_add(1);
  errno = saved;
}

void AltStackHandler(int) {
  int saved = errno;
  g_frame = reinterpret_cast<long>(__builtin_frame_address(0));
  stack_t cur;
  if (::sigaltstack(nullptr, &cur) == 0)
    g_on_altstack = (cur.ss_flags & SS_ONSTACK) != 0;
  static char other[1 << 16];
  stack_t again = {};
  again.ss_sp = other;
  again.ss_size = sizeof other;
  g_altstack_change_errno = ::sigaltstack(&again, nullptr) == 0 ? 0 : errno;
  g_hits.fetch_add(1);
  errno = saved;
}

// ---- raw helpers -----------------------------------------------------------

// The kernel's struct sigaction for the raw rt_sigaction call. Only used to
// read and to set SIG_DFL/SIG_IGN (no restorer needed), so field order beyond
// the handler does not matter for what the tests write.
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  std::uint64_t mask;
  std::uint64_t spare[4];  // room should a kernel write more than expected
};

long RawSigaction(int sig, const KernelSigaction* act, KernelSigaction* old,
                  std::size_t size = kKernelSigsetSize) {
  return ::syscall(SYS_rt_sigaction, sig, act, old, size);
}

// Sets SIG_DFL straight in the kernel (past any sanitizer's sigaction
// interceptor).
bool SetDefaultRaw(int sig) {
  KernelSigaction act = {};
  return RawSigaction(sig, &act, nullptr) == 0;
}

int SetAction(int sig, void (*handler)(int), int flags = 0,
              std::initializer_list<int> mask = {}) {
  struct sigaction sa = {};
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sa.sa_mask = make_sigset(mask);
  return ::sigaction(sig, &sa, nullptr);
}

int SetInfoAction(int sig, void (*handler)(int, siginfo_t*, void*),
                  int flags = 0) {
  struct sigaction sa = {};
  sa.sa_sigaction = handler;
  sa.sa_flags = flags | SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  return ::sigaction(sig, &sa, nullptr);
}

void (*Disposition(int sig))(int) {
  struct sigaction cur = {};
  ::sigaction(sig, nullptr, &cur);
  return cur.sa_handler;
}

int Block(std::initializer_list<int> sigs) {
  sigset_t set = make_sigset(sigs);
  return ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int Unblock(std::initializer_list<int> sigs) {
  sigset_t set = make_sigset(sigs);
  return ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

bool IsBlocked(int sig) {
  sigset_t now;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &now);
  return sigismember(&now, sig) == 1;
}

bool IsPending(int sig) {
  sigset_t set;
  sigemptyset(&set);
  return ::sigpending(&set) == 0 && sigismember(&set, sig) == 1;
}

// The raw rt_sigtimedwait system call. glibc's sigtimedwait/sigwaitinfo rewrite
// si_code SI_TKILL to SI_USER (SIG-039); this returns the kernel's siginfo.
int RawSigtimedwait(const sigset_t& set, siginfo_t* info,
                    const struct timespec* timeout) {
  return static_cast<int>(
      ::syscall(SYS_rt_sigtimedwait, &set, info, timeout, kKernelSigsetSize));
}

// Takes one pending (blocked) signal of `sigs` without waiting; 0 if none.
int TakePending(std::initializer_list<int> sigs, siginfo_t* info = nullptr) {
  sigset_t set = make_sigset(sigs);
  struct timespec zero = {0, 0};
  int r = RawSigtimedwait(set, info, &zero);
  return r > 0 ? r : 0;
}

// Waits (at most kPatience) for one of `sigs`, which must be blocked; 0 on
// timeout.
int AwaitSignal(std::initializer_list<int> sigs, siginfo_t* info = nullptr) {
  sigset_t set = make_sigset(sigs);
  struct timespec limit = {std::chrono::seconds(kPatience).count(), 0};
  int r;
  do {
    r = RawSigtimedwait(set, info, &limit);
  } while (r < 0 && errno == EINTR);
  return r > 0 ? r : 0;
}

// sigsuspend with the current mask minus `sigs`: returns once a handler ran.
int SuspendUnblocking(std::initializer_list<int> sigs) {
  sigset_t mask;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  for (int s : sigs) sigdelset(&mask, s);
  return ::sigsuspend(&mask);
}

int Tgkill(pid_t tid, int sig) {
  return static_cast<int>(::syscall(SYS_tgkill, ::getpid(), tid, sig));
}

int Sigqueue(pid_t pid, int sig, int value) {
  union sigval v;
  v.sival_int = value;
  return ::sigqueue(pid, sig, v);
}

pid_t Gettid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

// Blocks until `fd` has a byte or EOF; returns read's result.
ssize_t ReadOne(int fd) {
  char c;
  ssize_t n;
  do {
    n = ::read(fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  return n;
}

ipc::Deadline Soon() { return ipc::deadline_in(kPatience); }

// Forks; the child (stdout into a pipe) runs `setup` — async-signal-safe calls
// only — and execs the peer with `args`. Returns what the peer printed, or
// "exit <status>" if it failed.
std::string PeerAfter(std::vector<std::string> args,
                      const std::function<void()>& setup) {
  auto peer = conformance::runfile("conformance/testing/peer");
  if (!peer) return "no peer: " + peer.error().message();
  args.insert(args.begin(), *peer);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe2 failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);  // dup2 clears FD_CLOEXEC on the copy
    setup();
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  if (pid < 0) return "fork failed";
  auto status = wait_exit(pid);
  if (!status) {
    conformance::testing::kill_and_reap(pid);
    return "peer hung";
  }
  if (!ExitedWith(*status, 0))
    return "exit " + DescribeWaitStatus(*status) + ": " + out;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// The peer's `sigstate SIGNO` after `setup` in the forked child.
std::string PeerSigstateAfter(int signo, const std::function<void()>& setup) {
  return PeerAfter({"sigstate", std::to_string(signo)}, setup);
}

// The thread states ('S', 'T', ...) of every thread of process `pid`.
std::vector<char> ThreadStates(pid_t pid) {
  std::vector<char> states;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return states;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    auto st =
        fault::read_task_state(pid, static_cast<pid_t>(std::atol(e->d_name)));
    states.push_back(st.ok() ? st->state : '?');
  }
  ::closedir(d);
  return states;
}

// ---- SIG-001 sigaction signal number range ---------------------------------

// Catches: signal 0, negative numbers or numbers past SIGRTMAX accepted (get or
// set).
TEST(SigOs, SigactionRejectsSignalNumbersOutOfRange) {
  struct sigaction sa = {};
  sa.sa_handler = SIG_IGN;
  struct sigaction old = {};
  for (int sig : {0, -1, -SIGUSR1, NSIG, NSIG + 1, 1000}) {
    EXPECT_THAT(::sigaction(sig, nullptr, &old), SyscallFailsWithErrno(EINVAL))
        << "get " << sig;
    EXPECT_THAT(::sigaction(sig, &sa, nullptr), SyscallFailsWithErrno(EINVAL))
        << "set " << sig;
    // The same through the raw system call (glibc also checks by itself).
    KernelSigaction kold = {};
    KernelSigaction kign = {};
    kign.handler = reinterpret_cast<void*>(SIG_IGN);
    EXPECT_THAT(RawSigaction(sig, nullptr, &kold),
                SyscallFailsWithErrno(EINVAL))
        << "raw get " << sig;
    EXPECT_THAT(RawSigaction(sig, &kign, nullptr),
                SyscallFailsWithErrno(EINVAL))
        << "raw set " << sig;
  }
  // The edges that are valid: 1 and SIGRTMAX (queried only).
  EXPECT_THAT(::sigaction(1, nullptr, &old), SyscallSucceeds());
  EXPECT_THAT(RawSigaction(NSIG - 1, nullptr, nullptr), SyscallSucceeds());
}

TEST(SigLayer, InstallRejectsSignalNumbersOutOfRange) {
  for (int sig : {0, -1, NSIG, 1000}) {
    EXPECT_THAT(ScopedSigaction::install(sig, CountHandler), FailsWith(EINVAL))
        << sig;
    EXPECT_THAT(ScopedSigaction::set_disposition(sig, SIG_IGN),
                FailsWith(EINVAL))
        << sig;
  }
}

// ---- SIG-002 SIGKILL / SIGSTOP dispositions --------------------------------

// Catches: SIGKILL or SIGSTOP made catchable, ignorable or resettable; or a
// query of their (default) action refused.
TEST(SigOs, SigkillAndSigstopCannotBeChangedButCanBeQueried) {
  for (int sig : {SIGKILL, SIGSTOP}) {
    struct sigaction sa = {};
    sa.sa_handler = CountHandler;
    EXPECT_THAT(::sigaction(sig, &sa, nullptr), SyscallFailsWithErrno(EINVAL))
        << sig;
    sa.sa_handler = SIG_IGN;
    EXPECT_THAT(::sigaction(sig, &sa, nullptr), SyscallFailsWithErrno(EINVAL))
        << sig;
    KernelSigaction kdfl = {};  // even SIG_DFL may not be set
    EXPECT_THAT(RawSigaction(sig, &kdfl, nullptr),
                SyscallFailsWithErrno(EINVAL))
        << sig;
    struct sigaction cur = {};
    cur.sa_handler = CountHandler;
    EXPECT_THAT(::sigaction(sig, nullptr, &cur), SyscallSucceeds()) << sig;
    EXPECT_EQ(cur.sa_handler, SIG_DFL) << sig;
  }
}

TEST(SigLayer, InstallRejectsSigkillAndSigstop) {
  auto k = ScopedSigaction::install(SIGKILL, CountHandler);
  EXPECT_THAT(k, FailsWith(EINVAL));
  if (!k.ok()) {
    EXPECT_THAT(k.error().message(), HasSubstr("SIGKILL"));
  }
  EXPECT_THAT(ScopedSigaction::set_disposition(SIGSTOP, SIG_IGN),
              FailsWith(EINVAL));
  EXPECT_EQ(Disposition(SIGSTOP), SIG_DFL);
}

// ---- SIG-003 SIGKILL / SIGSTOP cannot be blocked ---------------------------

// Catches: sigprocmask failing on a set with SIGKILL/SIGSTOP, or the mask
// keeping them.
TEST(SigOs, SigkillAndSigstopAreSilentlyDroppedFromTheMask) {
  int status = RunInChild([] {
    sigset_t all, now;
    sigfillset(&all);
    CHECK_OR_EXIT(::sigprocmask(SIG_BLOCK, &all, nullptr) == 0, 1);
    CHECK_OR_EXIT(::sigprocmask(SIG_BLOCK, nullptr, &now) == 0, 2);
    CHECK_OR_EXIT(
        sigismember(&now, SIGKILL) == 0 && sigismember(&now, SIGSTOP) == 0, 3);
    CHECK_OR_EXIT(
        sigismember(&now, SIGUSR1) == 1 && sigismember(&now, SIGTERM) == 1, 4);
    // The raw call with every bit set: accepted, the two bits dropped.
    std::uint64_t bits = ~std::uint64_t{0}, back = 0;
    CHECK_OR_EXIT(::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &bits, nullptr,
                            kKernelSigsetSize) == 0,
                  5);
    CHECK_OR_EXIT(::syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &back,
                            kKernelSigsetSize) == 0,
                  6);
    std::uint64_t unblockable =
        (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1));
    CHECK_OR_EXIT(back == (~std::uint64_t{0} & ~unblockable), 7);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "1/2 sigprocmask failed, 3 SIGKILL/SIGSTOP kept, 4 others "
                     "dropped, 5-7 raw call");
}

// Catches: a process that blocks everything escaping SIGSTOP or SIGKILL.
TEST(SigOs, FullyBlockedProcessStillStopsAndDies) {
  ipc::testing::RawPipe hold;
  Child child([&] {
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    hold.write.reset();
    return ReadOne(hold.read.get()) == 0 ? 0 : 1;
  });
  ASSERT_OK(
      fault::wait_until_blocked(child.pid(), child.pid(), SYS_read, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGSTOP), SyscallSucceeds());
  int st = 0;
  ASSERT_THAT(::waitpid(child.pid(), &st, WUNTRACED),
              SyscallSucceedsWithValue(child.pid()));
  EXPECT_TRUE(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP)
      << DescribeWaitStatus(st);
  ASSERT_THAT(::kill(child.pid(), SIGKILL), SyscallSucceeds());
  int status = child.wait();
  EXPECT_KILLED_BY(status, SIGKILL);
}

TEST(SigLayer, BlockingSigkillThroughTheLayerIsSilentlyDropped) {
  auto m = ASSERT_OK_AND_VALUE(
      ScopedSignalMask::block(make_sigset({SIGKILL, SIGSTOP, SIGWINCH})));
  EXPECT_FALSE(IsBlocked(SIGKILL));
  EXPECT_FALSE(IsBlocked(SIGSTOP));
  EXPECT_TRUE(IsBlocked(SIGWINCH));
  ASSERT_OK(m.restore());
  EXPECT_FALSE(IsBlocked(SIGWINCH));
}

// ---- SIG-004 raw sigsetsize ------------------------------------------------

// Catches: a kernel accepting a sigset size other than _NSIG/8 (it would read
// or write past the caller's set).
TEST(SigOs, RawCallsRejectAWrongSigsetSize) {
  KernelSigaction old = {};
  std::uint64_t set[4] = {};
  for (std::size_t bad : {std::size_t{0}, kKernelSigsetSize / 2,
                          kKernelSigsetSize + 1, 2 * kKernelSigsetSize}) {
    EXPECT_THAT(RawSigaction(SIGUSR1, nullptr, &old, bad),
                SyscallFailsWithErrno(EINVAL))
        << bad;
    EXPECT_THAT(::syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, set, bad),
                SyscallFailsWithErrno(EINVAL))
        << bad;
  }
  EXPECT_THAT(RawSigaction(SIGUSR1, nullptr, &old, kKernelSigsetSize),
              SyscallSucceeds());
  EXPECT_THAT(
      ::syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, set, kKernelSigsetSize),
      SyscallSucceeds());
}

// ---- SIG-005 oldact round trip, NULL act -----------------------------------

// Catches: oldact not describing the replaced action (handler, flags, mask), or
// a query (act == NULL) that changes the disposition.
TEST(SigOs, OldactReturnsThePreviousActionAndNullActChangesNothing) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(
        SetAction(SIGUSR1, CountHandler, SA_RESTART, {SIGUSR2, SIGRTMIN}) == 0,
        1);
    struct sigaction ign = {}, old = {};
    ign.sa_handler = SIG_IGN;
    CHECK_OR_EXIT(::sigaction(SIGUSR1, &ign, &old) == 0, 2);
    CHECK_OR_EXIT(old.sa_handler == CountHandler, 3);
    CHECK_OR_EXIT(
        (old.sa_flags & SA_RESTART) != 0 && (old.sa_flags & SA_NODEFER) == 0,
        4);
    CHECK_OR_EXIT(sigismember(&old.sa_mask, SIGUSR2) == 1 &&
                      sigismember(&old.sa_mask, SIGRTMIN) == 1,
                  5);
    CHECK_OR_EXIT(sigismember(&old.sa_mask, SIGTERM) == 0, 6);
    for (int i = 0; i < 2; ++i) {
      struct sigaction cur = {};
      CHECK_OR_EXIT(::sigaction(SIGUSR1, nullptr, &cur) == 0, 7);
      CHECK_OR_EXIT(cur.sa_handler == SIG_IGN, 8);
    }
    CHECK_OR_EXIT(::sigaction(SIGUSR1, nullptr, nullptr) == 0,
                  9);  // both NULL: a no-op
    CHECK_OR_EXIT(Disposition(SIGUSR1) == SIG_IGN, 10);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3 handler, 4 flags, 5/6 mask not round-tripped; 8/10 a "
                     "query changed it");
}

TEST(SigLayer, PreviousHoldsTheReplacedActionAndRestorePutsItBack) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(SetAction(SIGUSR2, OrderHandler, SA_RESTART, {SIGWINCH}) == 0,
                  1);
    auto a = ScopedSigaction::set_disposition(SIGUSR2, SIG_IGN);
    CHECK_OR_EXIT(a.ok(), 2);
    CHECK_OR_EXIT(a->previous().sa_handler == OrderHandler, 3);
    CHECK_OR_EXIT((a->previous().sa_flags & SA_RESTART) != 0, 4);
    CHECK_OR_EXIT(sigismember(&a->previous().sa_mask, SIGWINCH) == 1, 5);
    CHECK_OR_EXIT(Disposition(SIGUSR2) == SIG_IGN, 6);
    CHECK_OR_EXIT(a->restore().ok(), 7);
    CHECK_OR_EXIT(Disposition(SIGUSR2) == OrderHandler, 8);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3-5 previous() wrong, 6 not installed, 8 not restored");
}

// ---- SIG-006 mask while a handler runs -------------------------------------

// Catches: the delivered signal or sa_mask not blocked inside the handler, or
// the handler's mask left in place after it returns.
TEST(SigOs, HandlerRunsWithItsSignalAndSaMaskBlockedThenTheMaskReturns) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, MaskProbeHandler, 0, {SIGUSR2}) == 0, 1);
    CHECK_OR_EXIT(::raise(SIGUSR1) == 0 && g_hits == 1, 2);
    CHECK_OR_EXIT(g_mask_had_sig == 1, 3);
    CHECK_OR_EXIT(g_mask_had_usr2 == 1, 4);
    // ThreadSanitizer runs handlers with everything blocked: "not blocked" is
    // only observable without it.
    CHECK_OR_EXIT(sanitizers::kThread || g_mask_had_winch == 0, 5);
    CHECK_OR_EXIT(!IsBlocked(SIGUSR1) && !IsBlocked(SIGUSR2), 6);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3 own signal, 4 sa_mask not blocked inside; 5 unrelated "
                     "signal blocked; 6 mask not restored");
}

// Catches: a signal raised from its own handler (no SA_NODEFER) delivered
// nested instead of after the handler returns.
TEST(SigOs, WithoutNodeferTheOwnSignalWaitsUntilTheHandlerReturns) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, NestingHandler) == 0, 1);
    CHECK_OR_EXIT(::raise(SIGUSR1) == 0, 2);
    CHECK_OR_EXIT(g_hits == 2, 3);       // the second one was not lost...
    CHECK_OR_EXIT(g_max_depth == 1, 4);  // ...but ran after the first returned
    return 0;
  });
  EXPECT_EXITED_ZERO(status, "3 re-raised signal lost, 4 it nested");
}

TEST(SigLayer, SaMaskArgumentIsBlockedInsideTheHandler) {
  int status = RunInChild([] {
    ResetObservations();
    sigset_t mask = make_sigset({SIGUSR2});
    auto a = ScopedSigaction::install(SIGUSR1, MaskProbeHandler, 0, &mask);
    CHECK_OR_EXIT(a.ok(), 1);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(g_hits == 1 && g_mask_had_usr2 == 1 && g_mask_had_sig == 1,
                  2);
    CHECK_OR_EXIT(!IsBlocked(SIGUSR2), 3);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status, "2 mask not applied inside the handler, 3 not restored after");
}

// ---- SIG-007 SA_NODEFER ----------------------------------------------------

// Catches: SA_NODEFER ignored (the own signal still deferred until return).
TEST(SigOs, NodeferLetsTheOwnSignalInterruptItsHandler) {
  if (sanitizers::kThread)
    GTEST_SKIP() << "ThreadSanitizer's handler wrapper blocks every signal, so "
                    "nesting cannot happen";
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, NestingHandler, SA_NODEFER) == 0, 1);
    CHECK_OR_EXIT(::raise(SIGUSR1) == 0, 2);
    CHECK_OR_EXIT(g_hits == 2, 3);
    CHECK_OR_EXIT(g_max_depth == 2, 4);
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, MaskProbeHandler, SA_NODEFER) == 0, 5);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(g_mask_had_sig == 0, 6);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "3 lost, 4 did not nest, 6 own signal blocked inside the handler");
}

// ---- SIG-008 SA_RESETHAND --------------------------------------------------

// Catches: the handler staying installed (second signal caught again), the
// disposition not reset already on entry, or (Linux) the signal unmasked
// inside a SA_RESETHAND handler without SA_NODEFER.
TEST(SigOs, ResethandResetsTheDispositionOnEntry) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, MaskProbeHandler, SA_RESETHAND) == 0, 1);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(g_hits == 1, 2);
    CHECK_OR_EXIT(g_disposition_was_default == 1, 3);
    CHECK_OR_EXIT(g_mask_had_sig == 1,
                  4);  // Linux; POSIX also allows SA_NODEFER behaviour
    CHECK_OR_EXIT(Disposition(SIGUSR1) == SIG_DFL, 5);
    ::raise(SIGUSR1);  // default action: terminate
    return 6;
  });
  EXPECT_KILLED_BY(status, SIGUSR1)
      << " (2 not caught once, 3 not reset on entry, 4 unmasked, 5 not reset, "
         "6 second signal caught)";
}

// Catches: SA_RESETHAND | SA_NODEFER still masking the signal inside the
// handler.
TEST(SigOs, ResethandWithNodeferDoesNotMaskTheSignal) {
  if (sanitizers::kThread)
    GTEST_SKIP() << "ThreadSanitizer's handler wrapper blocks every signal";
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(
        SetAction(SIGUSR1, MaskProbeHandler, SA_RESETHAND | SA_NODEFER) == 0,
        1);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(g_hits == 1 && g_mask_had_sig == 0, 2);
    return 0;
  });
  EXPECT_EXITED_ZERO(status, "2 masked inside the handler");
}

TEST(SigLayer, ResetHandMakesTheSecondSignalTakeTheDefaultAction) {
  int status = RunInChild([] {
    ResetObservations();
    auto a = ScopedSigaction::install(SIGUSR2, CountHandler, SA_RESETHAND);
    CHECK_OR_EXIT(a.ok(), 1);
    ::raise(SIGUSR2);
    CHECK_OR_EXIT(g_hits == 1, 2);
    ::raise(SIGUSR2);
    return 3;
  });
  EXPECT_KILLED_BY(status, SIGUSR2);
}

// ---- SIG-009 siginfo fields ------------------------------------------------

// Catches: wrong si_code for kill/tgkill/sigqueue, wrong sender pid/uid, or a
// lost sigqueue value (seen synchronously through sigwaitinfo).
TEST(SigOs, SiginfoIdentifiesTheSenderAndHowItWasSent) {
  int status = RunInChild([] {
    const int rt = SIGRTMIN;
    CHECK_OR_EXIT(Block({SIGUSR1, SIGUSR2, rt}) == 0, 1);
    siginfo_t si = {};
    CHECK_OR_EXIT(::kill(::getpid(), SIGUSR1) == 0, 2);
    CHECK_OR_EXIT(TakePending({SIGUSR1}, &si) == SIGUSR1, 3);
    CHECK_OR_EXIT(si.si_signo == SIGUSR1 && si.si_code == SI_USER, 4);
    CHECK_OR_EXIT(si.si_pid == ::getpid() && si.si_uid == ::getuid(), 5);
    CHECK_OR_EXIT(Tgkill(Gettid(), SIGUSR2) == 0, 6);
    CHECK_OR_EXIT(
        TakePending({SIGUSR2}, &si) == SIGUSR2 && si.si_code == SI_TKILL, 7);
    CHECK_OR_EXIT(si.si_pid == ::getpid() && si.si_uid == ::getuid(), 8);
    CHECK_OR_EXIT(Sigqueue(::getpid(), rt, 4242) == 0, 9);
    CHECK_OR_EXIT(TakePending({rt}, &si) == rt && si.si_code == SI_QUEUE, 10);
    CHECK_OR_EXIT(si.si_value.sival_int == 4242 && si.si_pid == ::getpid(), 11);
    // Another process as sender: si_pid is that process, not the receiver.
    pid_t sender = ::fork();
    if (sender == 0) ::_exit(Sigqueue(::getppid(), rt, -7) == 0 ? 0 : 1);
    CHECK_OR_EXIT(AwaitSignal({rt}, &si) == rt, 12);
    int st = 0;
    ::waitpid(sender, &st, 0);
    CHECK_OR_EXIT(si.si_pid == sender && si.si_code == SI_QUEUE &&
                      si.si_value.sival_int == -7,
                  13);
    return 0;
  });
  EXPECT_EXITED_ZERO(status, "4/7/10 si_code, 5/8/11/13 sender or value wrong");
}

// Catches: a SA_SIGINFO handler given other fields than sigwaitinfo reports.
TEST(SigOs, InfoHandlerReceivesTheSameFields) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetInfoAction(SIGUSR1, InfoHandler) == 0, 1);
    CHECK_OR_EXIT(::kill(::getpid(), SIGUSR1) == 0,
                  2);  // delivered before kill returns (SIG-026)
    CHECK_OR_EXIT(g_hits == 1 && g_info_null == 0, 3);
    CHECK_OR_EXIT(g_info_signo == SIGUSR1 && g_info_code == SI_USER &&
                      g_info_pid == ::getpid(),
                  4);
    CHECK_OR_EXIT(g_info_uid == static_cast<int>(::getuid()), 5);
    const int rt = SIGRTMIN + 1;
    CHECK_OR_EXIT(SetInfoAction(rt, InfoHandler) == 0 && Block({rt}) == 0, 6);
    CHECK_OR_EXIT(Sigqueue(::getpid(), rt, 99) == 0, 7);
    CHECK_OR_EXIT(SuspendUnblocking({rt}) == -1 && errno == EINTR, 8);
    CHECK_OR_EXIT(g_hits == 2 && g_info_signo == rt &&
                      g_info_code == SI_QUEUE && g_info_value == 99,
                  9);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status, "3 not run or NULL info, 4/5 kill fields, 9 sigqueue fields");
}

TEST(SigLayer, InfoHandlerAndWaitSignalReportSigqueueValueAndSender) {
  int status = RunInChild([] {
    ResetObservations();
    const int rt = SIGRTMIN + 2;
    auto a = ScopedSigaction::install(rt, InfoHandler);
    CHECK_OR_EXIT(a.ok(), 1);
    auto m = ScopedSignalMask::block(make_sigset({rt}));
    CHECK_OR_EXIT(m.ok(), 2);
    CHECK_OR_EXIT(Sigqueue(::getpid(), rt, 5) == 0, 3);
    auto si = ipc::wait_signal(make_sigset({rt}), std::chrono::nanoseconds(0));
    CHECK_OR_EXIT(si.ok() && si->si_signo == rt && si->si_code == SI_QUEUE, 4);
    CHECK_OR_EXIT(si->si_value.sival_int == 5 && si->si_pid == ::getpid(), 5);
    CHECK_OR_EXIT(g_hits == 0,
                  6);  // taken synchronously, the handler did not run
    CHECK_OR_EXIT(Sigqueue(::getpid(), rt, 6) == 0, 7);
    CHECK_OR_EXIT(
        SuspendUnblocking({rt}) == -1 && g_hits == 1 && g_info_value == 6, 8);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "4/5 wait_signal fields, 6 handler ran, 8 handler did not get the value");
}

// ---- SIG-010 siginfo for pthread_kill --------------------------------------

// Catches: a NULL siginfo pointer for a signal from pthread_kill/raise.
TEST(SigOs, InfoHandlerGetsSiginfoEvenForPthreadKill) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetInfoAction(SIGUSR2, InfoHandler) == 0, 1);
    CHECK_OR_EXIT(::pthread_kill(::pthread_self(), SIGUSR2) == 0, 2);
    CHECK_OR_EXIT(g_hits == 1 && g_info_null == 0, 3);
    CHECK_OR_EXIT(g_info_signo == SIGUSR2 && g_info_code == SI_TKILL &&
                      g_info_pid == ::getpid(),
                  4);
    return 0;
  });
  EXPECT_EXITED_ZERO(status, "3 NULL siginfo, 4 fields (Linux: SI_TKILL)");
}

// ---- SIG-011 unblocking delivers before sigprocmask returns ----------------

// Catches: a pending signal that stays pending after being unblocked, or whose
// delivery waits past sigprocmask's return (the default action must kill the
// process inside the call).
TEST(SigOs, UnblockingAPendingSignalDeliversItBeforeSigprocmaskReturns) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(SetDefaultRaw(SIGTERM), 1);
    CHECK_OR_EXIT(Block({SIGTERM}) == 0, 2);
    CHECK_OR_EXIT(::raise(SIGTERM) == 0, 3);
    CHECK_OR_EXIT(IsPending(SIGTERM), 4);
    sigset_t set = make_sigset({SIGTERM});
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    return 5;
  });
  EXPECT_KILLED_BY(status, SIGTERM)
      << " (4 not pending while blocked, 5 sigprocmask returned first)";
}

TEST(SigLayer, RestoringTheMaskDeliversThePendingSignalBeforeReturning) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(SetDefaultRaw(SIGHUP), 1);
    auto m = ScopedSignalMask::block(make_sigset({SIGHUP}));
    CHECK_OR_EXIT(m.ok(), 2);
    ::raise(SIGHUP);
    CHECK_OR_EXIT(IsPending(SIGHUP), 3);
    (void)m->restore();
    ::_exit(4);  // not return: the destructor must not get a second chance
  });
  EXPECT_KILLED_BY(status, SIGHUP)
      << " (3 not pending, 4 restore() returned first)";
}

// ---- SIG-012 sigprocmask arguments -----------------------------------------

// Catches: an unknown `how` accepted, bad pointers not reported as EFAULT, both
// sets NULL refused, or set == oldset not returning the old mask.
TEST(SigOs, SigprocmaskRejectsBadHowAndBadPointersAndAllowsAliasing) {
  int status = RunInChild([] {
    sigset_t set = make_sigset({SIGUSR1});
    errno = 0;
    CHECK_OR_EXIT(::sigprocmask(12345, &set, nullptr) == -1 && errno == EINVAL,
                  1);
    CHECK_OR_EXIT(::pthread_sigmask(12345, &set, nullptr) == EINVAL,
                  2);  // error number, not -1
    CHECK_OR_EXIT(!IsBlocked(SIGUSR1), 3);
    void* page =
        ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_OR_EXIT(page != MAP_FAILED, 4);
    errno = 0;
    CHECK_OR_EXIT(::syscall(SYS_rt_sigprocmask, SIG_BLOCK, page, nullptr,
                            kKernelSigsetSize) == -1 &&
                      errno == EFAULT,
                  5);
    errno = 0;
    CHECK_OR_EXIT(::syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, page,
                            kKernelSigsetSize) == -1 &&
                      errno == EFAULT,
                  6);
    CHECK_OR_EXIT(::sigprocmask(SIG_BLOCK, nullptr, nullptr) == 0, 7);
    // Aliased sets: the old mask comes back in the same variable, the new one
    // applies. (glibc declares the pointers restrict, so this goes to the
    // kernel.)
    sigset_t usr2 = make_sigset({SIGUSR2});
    CHECK_OR_EXIT(::sigprocmask(SIG_SETMASK, &usr2, nullptr) == 0, 8);
    std::uint64_t both = 1ULL << (SIGUSR1 - 1);
    CHECK_OR_EXIT(::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &both, &both,
                            kKernelSigsetSize) == 0,
                  9);
    CHECK_OR_EXIT(both == (1ULL << (SIGUSR2 - 1)), 10);
    CHECK_OR_EXIT(IsBlocked(SIGUSR1) && !IsBlocked(SIGUSR2), 11);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "1/2 bad how accepted, 5/6 no EFAULT, 7 NULL/NULL refused, "
      "10/11 aliasing broken");
}

// ---- SIG-013 sigpending ----------------------------------------------------

// Catches: sigpending missing a blocked pending signal, reporting one that was
// not sent, or still reporting it after it was consumed.
TEST(SigOs, SigpendingReportsExactlyTheBlockedPendingSignals) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(Block({SIGUSR1, SIGUSR2, SIGRTMIN}) == 0, 1);
    sigset_t p;
    CHECK_OR_EXIT(::sigpending(&p) == 0, 2);
    for (int s = 1; s < NSIG; ++s) CHECK_OR_EXIT(sigismember(&p, s) != 1, 3);
    ::raise(SIGUSR1);
    Sigqueue(::getpid(), SIGRTMIN, 1);
    CHECK_OR_EXIT(::sigpending(&p) == 0, 4);
    for (int s = 1; s < NSIG; ++s) {
      CHECK_OR_EXIT(
          (sigismember(&p, s) == 1) == (s == SIGUSR1 || s == SIGRTMIN), 5);
    }
    CHECK_OR_EXIT(TakePending({SIGUSR1}) == SIGUSR1 &&
                      TakePending({SIGRTMIN}) == SIGRTMIN,
                  6);
    CHECK_OR_EXIT(!IsPending(SIGUSR1) && !IsPending(SIGRTMIN), 7);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3 pending before any send, 5 wrong set, 7 still pending "
                     "after consumption");
}

// ---- SIG-014 standard signals do not queue ---------------------------------

// Catches: several instances of a standard signal queued (several deliveries),
// or the first instance's siginfo replaced by a later one.
TEST(SigOs, StandardSignalsDoNotQueueAndKeepTheFirstSiginfo) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(Block({SIGUSR1}) == 0, 1);
    for (int v = 1; v <= 3; ++v)
      CHECK_OR_EXIT(Sigqueue(::getpid(), SIGUSR1, v) == 0, 2);
    ::kill(::getpid(), SIGUSR1);
    siginfo_t si = {};
    CHECK_OR_EXIT(TakePending({SIGUSR1}, &si) == SIGUSR1, 3);
    CHECK_OR_EXIT(si.si_code == SI_QUEUE && si.si_value.sival_int == 1, 4);
    CHECK_OR_EXIT(TakePending({SIGUSR1}) == 0, 5);
    // With a handler: five sends while blocked, one delivery.
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, CountHandler) == 0, 6);
    for (int i = 0; i < 5; ++i) ::kill(::getpid(), SIGUSR1);
    CHECK_OR_EXIT(SuspendUnblocking({SIGUSR1}) == -1 && errno == EINTR, 7);
    CHECK_OR_EXIT(g_hits == 1 && !IsPending(SIGUSR1), 8);
    return 0;
  });
  EXPECT_EXITED_ZERO(status, "4 first siginfo not kept, 5/8 the signal queued");
}

TEST(SigLayer, WaitSignalTakesOneInstanceOfACoalescedStandardSignal) {
  int status = RunInChild([] {
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR2}));
    CHECK_OR_EXIT(m.ok(), 1);
    for (int v = 10; v < 13; ++v) Sigqueue(::getpid(), SIGUSR2, v);
    auto first =
        ipc::wait_signal(make_sigset({SIGUSR2}), std::chrono::nanoseconds(0));
    CHECK_OR_EXIT(first.ok() && first->si_value.sival_int == 10, 2);
    auto second =
        ipc::wait_signal(make_sigset({SIGUSR2}), std::chrono::nanoseconds(0));
    CHECK_OR_EXIT(!second.ok() && second.error().code() == EAGAIN, 3);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "2 wrong instance, 3 a second instance was queued");
}

// ---- SIG-015 real-time signals queue ---------------------------------------

// Catches: real-time instances coalesced, values lost or reordered, or the
// higher-numbered real-time signal taken first.
TEST(SigOs, RealTimeSignalsQueueEveryInstanceInOrderLowestFirst) {
  int status = RunInChild([] {
    const int lo = SIGRTMIN, hi = SIGRTMIN + 1;
    CHECK_OR_EXIT(Block({lo, hi}) == 0, 1);
    CHECK_OR_EXIT(Sigqueue(::getpid(), hi, 100) == 0, 2);
    for (int v = 1; v <= 5; ++v)
      CHECK_OR_EXIT(Sigqueue(::getpid(), lo, v) == 0, 2);
    CHECK_OR_EXIT(Sigqueue(::getpid(), hi, 101) == 0, 2);
    siginfo_t si = {};
    for (int v = 1; v <= 5; ++v) {
      CHECK_OR_EXIT(TakePending({lo, hi}, &si) == lo, 3);
      CHECK_OR_EXIT(si.si_value.sival_int == v, 4);
    }
    CHECK_OR_EXIT(
        TakePending({lo, hi}, &si) == hi && si.si_value.sival_int == 100, 5);
    CHECK_OR_EXIT(
        TakePending({lo, hi}, &si) == hi && si.si_value.sival_int == 101, 6);
    CHECK_OR_EXIT(TakePending({lo, hi}) == 0, 7);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3 higher signal first, 4 values lost/reordered, 5/6 "
                     "instances lost, 7 extra");
}

// Catches: no limit on queued real-time signals (unbounded kernel memory) or
// a wrong errno at the limit. The count is per real user, so it includes any
// other process of that user: the test only asserts the bound and the errno.
TEST(SigOs, SigqueueFailsEagainAtRlimitSigpending) {
  int status = RunInChild([] {
    // 64, or the hard limit if that is lower (gVisor reports 0).
    struct rlimit old;
    CHECK_OR_EXIT(::getrlimit(RLIMIT_SIGPENDING, &old) == 0, 1);
    const rlim_t kLimit = std::min<rlim_t>(64, old.rlim_max);
    struct rlimit rl = {kLimit, kLimit};
    CHECK_OR_EXIT(::setrlimit(RLIMIT_SIGPENDING, &rl) == 0, 1);
    CHECK_OR_EXIT(Block({SIGRTMIN}) == 0, 2);
    int queued = 0;
    int err = 0;
    for (int i = 0; i < static_cast<int>(kLimit) + 2; ++i) {
      if (Sigqueue(::getpid(), SIGRTMIN, i) != 0) {
        err = errno;
        break;
      }
      ++queued;
    }
    CHECK_OR_EXIT(err == EAGAIN, 3);
    CHECK_OR_EXIT(
        queued <= static_cast<int>(kLimit) && (kLimit == 0 || queued >= 1), 4);
    int drained = 0;
    while (TakePending({SIGRTMIN}) == SIGRTMIN) ++drained;
    CHECK_OR_EXIT(drained == queued, 5);
    CHECK_OR_EXIT(kLimit == 0 || Sigqueue(::getpid(), SIGRTMIN, 0) == 0,
                  6);  // room again
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "1 getrlimit/setrlimit failed, 3 no EAGAIN, 4 more queued than "
      "the limit, 5 queued "
      "instances lost, 6 no room after");
}

TEST(SigLayer, WaitSignalReturnsQueuedRealTimeValuesInOrder) {
  int status = RunInChild([] {
    const int rt = SIGRTMIN + 3;
    auto m = ScopedSignalMask::block(make_sigset({rt}));
    CHECK_OR_EXIT(m.ok(), 1);
    for (int v = 1; v <= 3; ++v) Sigqueue(::getpid(), rt, v * 11);
    for (int v = 1; v <= 3; ++v) {
      auto si =
          ipc::wait_signal(make_sigset({rt}), std::chrono::nanoseconds(0));
      CHECK_OR_EXIT(si.ok() && si->si_value.sival_int == v * 11, 2);
    }
    return 0;
  });
  EXPECT_EXITED_ZERO(status, "2 instance missing or out of order");
}

// ---- SIG-016 standard before real-time (Linux) -----------------------------

// Catches: a pending real-time signal selected before a pending standard one.
TEST(SigOs, PendingStandardSignalIsTakenBeforeARealTimeOne) {
  int status = RunInChild([] {
    const int rt = SIGRTMIN;
    CHECK_OR_EXIT(Block({SIGUSR1, SIGTERM, rt}) == 0, 1);
    Sigqueue(::getpid(), rt, 1);  // generated first
    ::raise(SIGTERM);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(TakePending({SIGUSR1, SIGTERM, rt}) == SIGUSR1, 2);
    CHECK_OR_EXIT(TakePending({SIGUSR1, SIGTERM, rt}) == SIGTERM, 3);
    CHECK_OR_EXIT(TakePending({SIGUSR1, SIGTERM, rt}) == rt, 4);
    // With handlers: each handler blocks the others, so one delivery per
    // sigsuspend.
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, OrderHandler, 0, {rt}) == 0, 5);
    CHECK_OR_EXIT(SetAction(rt, OrderHandler, 0, {SIGUSR1}) == 0, 5);
    Sigqueue(::getpid(), rt, 2);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(SuspendUnblocking({SIGUSR1, rt}) == -1, 6);
    CHECK_OR_EXIT(g_order_len >= 1 && g_order[0] == SIGUSR1, 7);
    if (g_order_len == 1) SuspendUnblocking({SIGUSR1, rt});
    CHECK_OR_EXIT(g_order_len == 2 && g_order[1] == rt, 8);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "2-4 wrong selection order, 7 real-time handler ran first, 8 lost");
}

// ---- SIG-017 ignored: discarded unless blocked (Linux) ---------------------

// Catches: an ignored unblocked signal left pending, or an ignored blocked one
// discarded (sigtimedwait could then never take it).
TEST(SigOs, IgnoredSignalIsDiscardedUnlessBlocked) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(SetAction(SIGUSR1, SIG_IGN) == 0, 1);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(Block({SIGUSR1}) == 0, 2);
    CHECK_OR_EXIT(!IsPending(SIGUSR1), 3);
    CHECK_OR_EXIT(TakePending({SIGUSR1}) == 0, 4);
    ::raise(SIGUSR1);  // ignored but blocked now
    CHECK_OR_EXIT(IsPending(SIGUSR1), 5);
    CHECK_OR_EXIT(TakePending({SIGUSR1}) == SIGUSR1, 6);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3/4 unblocked ignored signal kept, 5/6 blocked ignored "
                     "signal discarded");
}

// ---- SIG-018 SIG_IGN discards a pending signal -----------------------------

// Catches: a pending signal surviving a change to SIG_IGN (or to SIG_DFL when
// the default is to ignore).
TEST(SigOs, IgnoringAPendingSignalDiscardsIt) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(
        SetAction(SIGUSR1, CountHandler) == 0 && Block({SIGUSR1, SIGURG}) == 0,
        1);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(IsPending(SIGUSR1), 2);
    CHECK_OR_EXIT(SetAction(SIGUSR1, SIG_IGN) == 0, 3);
    CHECK_OR_EXIT(!IsPending(SIGUSR1), 4);
    CHECK_OR_EXIT(
        SetAction(SIGUSR1, CountHandler) == 0 && Unblock({SIGUSR1}) == 0, 5);
    CHECK_OR_EXIT(g_hits == 0, 6);
    // SIGURG's default action is to ignore: SIG_DFL discards it as well.
    CHECK_OR_EXIT(SetAction(SIGURG, CountHandler) == 0, 7);
    ::raise(SIGURG);
    CHECK_OR_EXIT(IsPending(SIGURG), 8);
    CHECK_OR_EXIT(SetDefaultRaw(SIGURG), 9);
    CHECK_OR_EXIT(!IsPending(SIGURG), 10);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "4/6 SIG_IGN kept the pending signal, 10 SIG_DFL (ignore) kept it");
}

TEST(SigLayer, SetDispositionIgnoreDiscardsThePendingSignal) {
  int status = RunInChild([] {
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR2}));
    CHECK_OR_EXIT(m.ok(), 1);
    ::raise(SIGUSR2);
    CHECK_OR_EXIT(IsPending(SIGUSR2), 2);
    {
      auto ign = ScopedSigaction::set_disposition(SIGUSR2, SIG_IGN);
      CHECK_OR_EXIT(ign.ok(), 3);
      CHECK_OR_EXIT(!IsPending(SIGUSR2), 4);
    }
    CHECK_OR_EXIT(m->restore().ok(),
                  5);  // SIGUSR2's default would kill us here
    return 0;
  });
  EXPECT_EXITED_ZERO(status, "4 still pending after SIG_IGN");
}

// ---- SIG-019 fork ----------------------------------------------------------

// Catches: a fork child that loses dispositions or the mask, or inherits the
// parent's pending signals or alarm.
TEST(SigOs, ForkChildInheritsDispositionsAndMaskButNoPendingSignalsOrAlarm) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(SetAction(SIGUSR1, CountHandler) == 0 &&
                      SetAction(SIGUSR2, SIG_IGN) == 0,
                  1);
    CHECK_OR_EXIT(Block({SIGTERM, SIGRTMIN}) == 0, 2);
    ::raise(SIGTERM);
    Sigqueue(::getpid(), SIGRTMIN, 1);
    ::alarm(1000);
    pid_t pid = ::fork();
    if (pid == 0) {
      int code = 0;
      if (Disposition(SIGUSR1) != CountHandler)
        code = 3;
      else if (Disposition(SIGUSR2) != SIG_IGN)
        code = 4;
      else if (!IsBlocked(SIGTERM) || !IsBlocked(SIGRTMIN) ||
               IsBlocked(SIGUSR1))
        code = 5;
      else if (IsPending(SIGTERM) || IsPending(SIGRTMIN))
        code = 6;
      else if (::alarm(0) != 0)
        code = 7;
      ::_exit(code);
    }
    int st = 0;
    CHECK_OR_EXIT(::waitpid(pid, &st, 0) == pid, 8);
    CHECK_OR_EXIT(IsPending(SIGTERM) && ::alarm(0) > 0,
                  9);  // the parent keeps its own
    if (!WIFEXITED(st)) return 20;
    return WEXITSTATUS(st);
  });
  EXPECT_EXITED_ZERO(
      status,
      "3/4 disposition, 5 mask not inherited, 6 pending inherited, "
      "7 alarm inherited");
}

// ---- SIG-020 execve --------------------------------------------------------

// Catches: an alternate signal stack surviving execve (its memory is gone
// with the old image; execve(2) says the stack is not preserved). The control
// inside the child: sigaltstack must have taken, or the child exits 3. A
// sanitizer runtime in the peer installs an alternate stack of its own at
// start-up, so "not ours" (disabled, or another size) is what is required;
// the stack set here has a size no runtime uses.
TEST(SigOs, ExecClearsTheAlternateSignalStack) {
  static char stack_mem[3 * 64 * 1024 + 4096];
  std::string out = PeerAfter({"altstack"}, [] {
    stack_t ss = {};
    ss.ss_sp = stack_mem;
    ss.ss_size = sizeof stack_mem;
    stack_t now;
    if (::sigaltstack(&ss, nullptr) != 0 || ::sigaltstack(nullptr, &now) != 0 ||
        (now.ss_flags & SS_DISABLE) != 0 || now.ss_size != sizeof stack_mem) {
      ::_exit(3);
    }
  });
  ASSERT_THAT(out, ::testing::StartsWith("disabled=")) << out;
  EXPECT_NE(out, "disabled=0 size=" + std::to_string(sizeof stack_mem))
      << "the exec'd program kept our stack";
  if (!sanitizers::kRuntimeInterposes &&
      std::getenv("IPCT_SANITIZER") == nullptr) {
    EXPECT_EQ(out, "disabled=1 size=0");
  }
}

// Catches: a caught signal still "caught" in the exec'd program, SIG_IGN reset,
// or the mask / pending set not carried across execve.
TEST(SigOs, ExecResetsCaughtSignalsButKeepsIgnoredMaskAndPending) {
  EXPECT_EQ(
      PeerSigstateAfter(SIGUSR1, [] { SetAction(SIGUSR1, CountHandler); }),
      "handler=default blocked=0 pending=0");
  EXPECT_EQ(PeerSigstateAfter(SIGINT, [] { SetAction(SIGINT, SIG_IGN); }),
            "handler=ignore blocked=0 pending=0");
  EXPECT_EQ(PeerSigstateAfter(SIGUSR2,
                              [] {
                                SetAction(SIGUSR2, CountHandler);
                                Block({SIGUSR2});
                                ::raise(SIGUSR2);
                              }),
            "handler=default blocked=1 pending=1");
  EXPECT_EQ(PeerSigstateAfter(SIGRTMIN + 4,
                              [] {
                                Block({SIGRTMIN + 4});
                                Sigqueue(::getpid(), SIGRTMIN + 4, 1);
                              }),
            "handler=default blocked=1 pending=1");
}

// The harness case: a launcher that ignores SIGPIPE passes that on to what it
// runs.
TEST(SigLayer, IgnoredDispositionReachesAnExecdProgram) {
  auto ign =
      ASSERT_OK_AND_VALUE(ScopedSigaction::set_disposition(SIGPIPE, SIG_IGN));
  auto peer =
      ASSERT_OK_AND_VALUE(conformance::runfile("conformance/testing/peer"));
  conformance::RunOptions opt;
  opt.timeout = kPatience;
  auto run = conformance::run_program(
      {peer, "sigstate", std::to_string(SIGPIPE)}, opt);
  ASSERT_THAT(run, IsOk());
  EXPECT_TRUE(ExitedWith(run->wait_status, 0))
      << DescribeWaitStatus(run->wait_status);
  EXPECT_THAT(run->output, HasSubstr("handler=ignore"));
  ASSERT_OK(ign.restore());
  auto after = conformance::run_program(
      {peer, "sigstate", std::to_string(SIGPIPE)}, opt);
  ASSERT_THAT(after, IsOk());
  EXPECT_THAT(after->output, HasSubstr("handler=default"));
}

// ---- SIG-021 kill(pid, 0) --------------------------------------------------

// Catches: signal 0 refused for a live process or a zombie, or a reaped pid
// reported as existing.
TEST(SigOs, KillWithSignalZeroChecksExistenceOnly) {
  EXPECT_THAT(::kill(::getpid(), 0), SyscallSucceeds());
  Child child([] { return 0; });
  siginfo_t si = {};
  ASSERT_THAT(
      ::waitid(P_PID, static_cast<id_t>(child.pid()), &si, WEXITED | WNOWAIT),
      SyscallSucceeds());
  EXPECT_THAT(::kill(child.pid(), 0), SyscallSucceeds())
      << "a zombie still exists";
  pid_t pid = child.pid();
  int status = child.wait();
  EXPECT_TRUE(ExitedWith(status, 0));
  EXPECT_THAT(::kill(pid, 0), SyscallFailsWithErrno(ESRCH));
}

// ---- SIG-022 invalid signal number -----------------------------------------

// Catches: out-of-range signal numbers accepted by kill, tgkill or sigqueue.
TEST(SigOs, SendingAnInvalidSignalNumberFailsEinval) {
  for (int sig : {-1, NSIG, NSIG + 1, 1000}) {
    EXPECT_THAT(::kill(::getpid(), sig), SyscallFailsWithErrno(EINVAL)) << sig;
    EXPECT_THAT(Tgkill(Gettid(), sig), SyscallFailsWithErrno(EINVAL)) << sig;
    EXPECT_THAT(Sigqueue(::getpid(), sig, 0), SyscallFailsWithErrno(EINVAL))
        << sig;
  }
}

// ---- SIG-023 EPERM ---------------------------------------------------------

// Catches: an unprivileged process allowed to signal (or probe) a root process.
TEST(SigOs, UnprivilegedSenderCannotSignalAnotherUsersProcess) {
  int status = RunInChild([] {
    pid_t root_parent = ::getppid();
    if (!DropPrivileges()) return kSkipExit;
    errno = 0;
    CHECK_OR_EXIT(::kill(root_parent, 0) == -1 && errno == EPERM, 1);
    errno = 0;
    CHECK_OR_EXIT(::kill(root_parent, SIGWINCH) == -1 && errno == EPERM,
                  2);  // harmless if wrongly sent
    errno = 0;
    CHECK_OR_EXIT(Sigqueue(root_parent, SIGWINCH, 0) == -1 && errno == EPERM,
                  3);
    return 0;
  });
  if (ExitedWith(status, kSkipExit))
    GTEST_SKIP() << "cannot drop privileges here (only uid 0 mapped)";
  EXPECT_EXITED_ZERO(status,
                     "1 probe, 2 kill, 3 sigqueue not refused with EPERM");
}

// ---- SIG-024 process groups ------------------------------------------------

// In the calling process (a group leader): two children in its group that die
// of SIGTERM; `send` signals them; both must die and the caller must have got
// it too (blocked, pending). Returns 0 or the failing step.
int SignalOwnGroup(const std::function<int()>& send) {
  int ready[2], hold[2];
  if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(hold, O_CLOEXEC) != 0)
    return 30;
  pid_t members[2];
  for (pid_t& m : members) {
    m = ::fork();
    if (m == 0) {
      ::close(hold[1]);
      Unblock({SIGTERM});
      ::write(ready[1], "r", 1);
      ::_exit(ReadOne(hold[0]) == 0 ? 40 : 41);  // EOF: the caller died early
    }
  }
  ::close(hold[0]);
  for (int i = 0; i < 2; ++i) {
    if (ReadOne(ready[0]) != 1) return 31;
  }
  if (send() != 0) return 32;
  int code = 0;
  for (pid_t m : members) {
    int st = 0;
    ::waitpid(m, &st, 0);
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)) code = 33;
  }
  if (code == 0 && TakePending({SIGTERM}) != SIGTERM) code = 34;
  ::close(hold[1]);
  ::close(ready[0]);
  ::close(ready[1]);
  return code;
}

// Catches: kill(0, ...) or kill(-pgid, ...) missing a member of the group, or
// reaching a process outside it.
TEST(SigOs, KillZeroAndNegativePgidSignalEveryGroupMemberOnly) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(SetDefaultRaw(SIGTERM) && Block({SIGTERM}) == 0, 1);
    CHECK_OR_EXIT(::setpgid(0, 0) == 0, 2);
    // An outsider in its own group, SIGTERM blocked: reports whether it got
    // one.
    int ready[2], go[2];
    CHECK_OR_EXIT(::pipe2(ready, O_CLOEXEC) == 0 && ::pipe2(go, O_CLOEXEC) == 0,
                  3);
    pid_t outsider = ::fork();
    if (outsider == 0) {
      ::close(go[1]);
      if (::setpgid(0, 0) != 0) ::_exit(50);
      ::write(ready[1], "r", 1);
      ReadOne(go[0]);
      ::_exit(IsPending(SIGTERM) ? 51 : 0);
    }
    ::close(go[0]);
    CHECK_OR_EXIT(ReadOne(ready[0]) == 1, 4);
    int first = SignalOwnGroup([] { return ::kill(0, SIGTERM); });
    CHECK_OR_EXIT(first == 0, first);
    int second = SignalOwnGroup([] { return ::kill(-::getpgrp(), SIGTERM); });
    CHECK_OR_EXIT(second == 0, second + 100);
    ::close(go[1]);
    int st = 0;
    CHECK_OR_EXIT(::waitpid(outsider, &st, 0) == outsider, 5);
    CHECK_OR_EXIT(WIFEXITED(st), 6);
    return WEXITSTATUS(st);
  });
  EXPECT_EXITED_ZERO(status,
                     "33/133 a member not killed, 34/134 the caller not "
                     "signalled, 51 the outsider signalled");
}

// ---- SIG-025 kill(-1) skips the caller (Linux) -----------------------------

// Catches: kill(-1, sig) signalling the caller itself, or missing another
// process. Runs in a private PID namespace so that -1 reaches nothing else.
TEST(SigOs, KillMinusOneSignalsOthersButNotTheCaller) {
  int status = RunInChild([] {
    if (::unshare(CLONE_NEWPID) != 0) return kSkipExit;
    pid_t init = ::fork();
    if (init == 0) {
      // pid 1 of the namespace.
      Block({SIGUSR1});
      int ready[2], hold[2];
      if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(hold, O_CLOEXEC) != 0)
        ::_exit(1);
      pid_t target = ::fork();
      if (target == 0) {
        ::close(hold[1]);
        ::write(ready[1], "r", 1);
        ReadOne(hold[0]);
        ::_exit(IsPending(SIGUSR1) ? 0 : 2);
      }
      if (ReadOne(ready[0]) != 1) ::_exit(3);
      pid_t sender = ::fork();
      if (sender == 0) {
        if (::kill(-1, SIGUSR1) != 0) ::_exit(4);
        ::_exit(IsPending(SIGUSR1) ? 5 : 0);
      }
      int st = 0;
      ::waitpid(sender, &st, 0);
      if (!ExitedWith(st, 0)) ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 6);
      ::close(hold[1]);
      ::waitpid(target, &st, 0);
      if (!ExitedWith(st, 0)) ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 7);
      ::_exit(IsPending(SIGUSR1) ? 8
                                 : 0);  // init is never a target of kill(-1)
    }
    if (init < 0) return 9;
    int st = 0;
    ::waitpid(init, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 11;
  });
  if (ExitedWith(status, kSkipExit))
    GTEST_SKIP() << "cannot create a PID namespace here";
  EXPECT_EXITED_ZERO(
      status, "2 other process missed, 5 caller signalled, 8 init signalled");
}

// ---- SIG-026 delivery to self before kill/raise returns --------------------

// Catches: a signal sent to oneself delivered only later (the default action
// must end the process inside kill/raise).
TEST(SigOs, SignalSentToSelfIsDeliveredBeforeKillReturns) {
  int by_kill = RunInChild([] {
    if (!SetDefaultRaw(SIGTERM) || Unblock({SIGTERM}) != 0) return 1;
    ::kill(::getpid(), SIGTERM);
    return 2;
  });
  EXPECT_KILLED_BY(by_kill, SIGTERM);
  int by_raise = RunInChild([] {
    if (!SetDefaultRaw(SIGALRM) || Unblock({SIGALRM}) != 0) return 1;
    ::raise(SIGALRM);
    return 2;
  });
  EXPECT_KILLED_BY(by_raise, SIGALRM);
  int by_handler = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, CountHandler) == 0, 1);
    ::kill(::getpid(), SIGUSR1);
    return g_hits == 1 ? 0 : 2;
  });
  EXPECT_EXITED_ZERO(by_handler, "2 handler had not run when kill returned");
}

// ---- SIG-027 which thread gets it ------------------------------------------

// Catches: a process-directed signal delivered to a thread that blocks it, or a
// tgkill'd signal visible to (or taken by) another thread.
TEST(SigOs, ProcessDirectedSignalGoesToTheThreadThatHasItUnblocked) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, TidHandler) == 0, 1);
    CHECK_OR_EXIT(Block({SIGUSR1}) == 0,
                  2);  // inherited by the worker, which unblocks it
    int fds[2];
    CHECK_OR_EXIT(::pipe2(fds, O_CLOEXEC) == 0, 3);
    std::atomic<pid_t> worker_tid{0};
    std::atomic<long> read_result{0};
    std::atomic<int> read_errno{0};
    std::thread worker([&] {
      worker_tid = Gettid();
      Unblock({SIGUSR1});
      char c;
      long r = ::read(fds[0], &c, 1);
      read_errno = errno;
      read_result = r;
    });
    while (worker_tid.load() == 0) ::sched_yield();
    ipc::Status blocked =
        fault::wait_until_blocked(0, worker_tid, SYS_read, Soon());
    if (blocked.ok())
      ::kill(::getpid(), SIGUSR1);
    else
      ::write(fds[1], "x", 1);
    worker.join();
    CHECK_OR_EXIT(blocked.ok(), 4);
    CHECK_OR_EXIT(g_hits == 1 && g_handler_tid == worker_tid, 5);
    CHECK_OR_EXIT(read_result == -1 && read_errno == EINTR, 6);
    CHECK_OR_EXIT(!IsPending(SIGUSR1), 7);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "5 delivered to the wrong thread, 6 the worker's read not interrupted");
}

TEST(SigOs, TgkillTargetsExactlyOneThread) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(Block({SIGUSR2}) == 0, 1);
    std::atomic<pid_t> worker_tid{0};
    std::atomic<int> worker_got{0};
    std::atomic<int> worker_code{0};
    std::thread worker([&] {
      worker_tid = Gettid();
      siginfo_t si = {};
      worker_got = AwaitSignal({SIGUSR2}, &si);
      worker_code = si.si_code;
    });
    while (worker_tid.load() == 0) ::sched_yield();
    ipc::Status blocked =
        fault::wait_until_blocked(0, worker_tid, SYS_rt_sigtimedwait, Soon());
    // The signal sits in the worker's private pending set only.
    CHECK_OR_EXIT(Tgkill(worker_tid, SIGUSR2) == 0, 2);
    worker.join();
    CHECK_OR_EXIT(blocked.ok(), 3);
    CHECK_OR_EXIT(worker_got == SIGUSR2 && worker_code == SI_TKILL, 4);
    CHECK_OR_EXIT(!IsPending(SIGUSR2) && TakePending({SIGUSR2}) == 0, 5);
    // And the other way round: one for the main thread is not the worker's.
    CHECK_OR_EXIT(Tgkill(Gettid(), SIGUSR2) == 0, 6);
    std::atomic<int> seen_by_other{-1};
    std::thread other([&] { seen_by_other = IsPending(SIGUSR2) ? 1 : 0; });
    other.join();
    CHECK_OR_EXIT(seen_by_other == 0 && IsPending(SIGUSR2), 7);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "4 worker did not get it, 5 main thread saw it, 7 another "
                     "thread saw main's");
}

// ---- SIG-028 default actions -----------------------------------------------

// Raises `sig` with the default action in a child. `core_dir`: where a core may
// go (the child makes it tiny), or empty to forbid core files.
int RaiseWithDefaultAction(int sig, const std::string& core_dir) {
  return RunInChild([&] {
    if (!SetDefaultRaw(sig) || Unblock({sig}) != 0) return 1;
    struct rlimit rl = {0, 0};
    if (!core_dir.empty()) {
      if (::chdir(core_dir.c_str()) != 0) return 2;
      int f = ::open("/proc/self/coredump_filter", O_WRONLY | O_CLOEXEC);
      if (f < 0 || ::write(f, "0", 1) != 1) return 3;
      ::close(f);
      rl = {64 << 20, 64 << 20};
    }
    if (::setrlimit(RLIMIT_CORE, &rl) != 0) return 4;
    ::raise(sig);
    return 0;  // the default action is to ignore
  });
}

// Whether core files go to the dumping process's working directory.
bool CoreFilesGoToTheWorkingDirectory() {
  FILE* f = std::fopen("/proc/sys/kernel/core_pattern", "r");
  if (f == nullptr) return false;
  char buf[256] = {};
  bool ok = std::fgets(buf, sizeof buf, f) != nullptr && buf[0] != '|' &&
            std::strchr(buf, '/') == nullptr;
  std::fclose(f);
  return ok;
}

// Catches: a Term signal that dumps core or does not kill, a Core signal that
// does not kill, an Ign signal that kills.
TEST(SigOs, DefaultActionsTerminateOrIgnore) {
  for (int sig :
       {SIGHUP, SIGINT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2}) {
    int st = RaiseWithDefaultAction(sig, "");
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == sig && !WCOREDUMP(st))
        << ipc::signal_name(sig) << ": " << DescribeWaitStatus(st);
  }
  for (int sig : {SIGCHLD, SIGURG, SIGWINCH}) {
    int st = RaiseWithDefaultAction(sig, "");
    EXPECT_TRUE(ExitedWith(st, 0))
        << ipc::signal_name(sig) << ": " << DescribeWaitStatus(st);
  }
}

// Catches: a Core signal that only terminates (no core where one may be
// written).
TEST(SigOs, CoreActionSignalsDumpCore) {
  bool cores_here = CoreFilesGoToTheWorkingDirectory();
  TempDir dir;
  for (int sig : {SIGQUIT, SIGILL, SIGABRT, SIGFPE, SIGSEGV, SIGBUS}) {
    int st = RaiseWithDefaultAction(sig, cores_here ? dir.path() : "");
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == sig)
        << ipc::signal_name(sig) << ": " << DescribeWaitStatus(st);
    if (cores_here) {
      EXPECT_TRUE(WCOREDUMP(st))
          << ipc::signal_name(sig) << ": " << DescribeWaitStatus(st);
    }
  }
  if (!cores_here)
    GTEST_SKIP()
        << "core_pattern is a pipe or absolute path: WCOREDUMP not checked";
}

// ---- SIG-029 pause ---------------------------------------------------------

// Catches: pause woken by an ignored signal, returning before the handler ran,
// or surviving SIGKILL.
TEST(SigOs, PauseReturnsEintrOnlyAfterAHandlerRan) {
  Child child([] {
    ResetObservations();
    if (SetAction(SIGUSR1, CountHandler) != 0 ||
        SetAction(SIGUSR2, SIG_IGN) != 0)
      return 1;
    int r = ::pause();
    int e = errno;
    if (r != -1 || e != EINTR) return 2;
    return g_hits == 1 ? 0 : 3;
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      fault::kSysPause, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR2), SyscallSucceeds());
  EXPECT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      fault::kSysPause, Soon()))
      << "pause ended on an ignored signal";
  ASSERT_THAT(::kill(child.pid(), SIGUSR1), SyscallSucceeds());
  int status = child.wait();
  EXPECT_EXITED_ZERO(status,
                     "2 not -1/EINTR, 3 returned before the handler ran");
}

TEST(SigOs, SigkillEndsAPausedProcess) {
  Child child([] {
    ::pause();
    return 1;
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      fault::kSysPause, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGKILL), SyscallSucceeds());
  int status = child.wait();
  EXPECT_KILLED_BY(status, SIGKILL);
}

// ---- SIG-030 sigsuspend ----------------------------------------------------

// Catches: sigsuspend not installing its mask (pending signal not delivered or
// an excluded one let through), returning without EINTR, or not restoring the
// previous mask.
TEST(SigOs, SigsuspendInstallsTheMaskWaitsAndRestores) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, MaskProbeHandler) == 0, 1);
    CHECK_OR_EXIT(Block({SIGUSR1}) == 0, 2);
    ::raise(SIGUSR1);  // pending: sigsuspend must deliver it at once
    sigset_t during = make_sigset({SIGUSR2});
    errno = 0;
    CHECK_OR_EXIT(::sigsuspend(&during) == -1 && errno == EINTR, 3);
    CHECK_OR_EXIT(g_hits == 1, 4);
    CHECK_OR_EXIT(g_mask_had_usr2 == 1,
                  5);  // the suspend mask applied in the handler
    CHECK_OR_EXIT(IsBlocked(SIGUSR1) && !IsBlocked(SIGUSR2), 6);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3 not -1/EINTR, 4 handler not run, 5 suspend mask not in "
                     "force, 6 mask not restored");
}

// Catches: sigsuspend returning while only blocked (by its mask) signals
// arrive.
TEST(SigOs, SigsuspendSleepsThroughSignalsItsMaskBlocks) {
  Child child([] {
    ResetObservations();
    if (SetAction(SIGUSR1, CountHandler) != 0 ||
        SetAction(SIGUSR2, CountHandler) != 0)
      return 1;
    if (Block({SIGUSR1, SIGUSR2}) != 0) return 1;
    sigset_t during = make_sigset({SIGUSR2});
    if (::sigsuspend(&during) != -1 || errno != EINTR) return 2;
    // Back under the old mask: SIGUSR2 arrived blocked and is still pending.
    return g_hits == 1 && IsPending(SIGUSR2) ? 0 : 3;
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigsuspend, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR2), SyscallSucceeds());
  EXPECT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigsuspend, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR1), SyscallSucceeds());
  int status = child.wait();
  EXPECT_EXITED_ZERO(status, "2 not EINTR, 3 the masked signal was delivered");
}

// ---- SIG-031 sigtimedwait / sigwaitinfo ------------------------------------

// Catches: sigtimedwait running the handler instead of returning the signal,
// leaving it pending, a timeout or zero timeout not giving EAGAIN, or a bad
// timespec accepted.
TEST(SigOs, SigtimedwaitConsumesAPendingSignalWithoutItsHandler) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(
        SetAction(SIGUSR1, CountHandler) == 0 && Block({SIGUSR1}) == 0, 1);
    ::raise(SIGUSR1);
    sigset_t set = make_sigset({SIGUSR1});
    siginfo_t si = {};
    CHECK_OR_EXIT(::sigwaitinfo(&set, &si) == SIGUSR1 && si.si_signo == SIGUSR1,
                  2);
    CHECK_OR_EXIT(g_hits == 0 && !IsPending(SIGUSR1), 3);
    struct timespec zero = {0, 0};
    errno = 0;
    CHECK_OR_EXIT(::sigtimedwait(&set, nullptr, &zero) == -1 && errno == EAGAIN,
                  4);
    struct timespec short_wait = {
        0, 20 * 1000 * 1000};  // the call under test times out
    auto start = std::chrono::steady_clock::now();
    errno = 0;
    CHECK_OR_EXIT(
        ::sigtimedwait(&set, nullptr, &short_wait) == -1 && errno == EAGAIN, 5);
    CHECK_OR_EXIT(std::chrono::steady_clock::now() - start >=
                      std::chrono::milliseconds(19),
                  6);
    for (struct timespec bad :
         {timespec{0, 1000000000}, timespec{0, -1}, timespec{-1, 0}}) {
      errno = 0;
      CHECK_OR_EXIT(
          ::sigtimedwait(&set, nullptr, &bad) == -1 && errno == EINVAL, 7);
    }
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "2/3 not consumed synchronously, 4/5 no EAGAIN, 6 returned "
      "early, 7 bad timespec accepted");
}

// Catches: sigwaitinfo returning before a signal arrives, or missing one sent
// by another process while it sleeps.
TEST(SigOs, SigwaitinfoSleepsUntilASignalOfItsSetArrives) {
  Child child([] {
    if (Block({SIGUSR1}) != 0) return 1;
    sigset_t set = make_sigset({SIGUSR1});
    siginfo_t si = {};
    int r = ::sigwaitinfo(&set, &si);
    if (r != SIGUSR1) return 2;
    return si.si_pid == ::getppid() && si.si_code == SI_USER ? 0 : 3;
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigtimedwait, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR1), SyscallSucceeds());
  int status = child.wait();
  EXPECT_EXITED_ZERO(status, "2 wrong signal, 3 wrong sender");
}

TEST(SigLayer, WaitSignalTimesOutWithEagainAndTakesPendingSignals) {
  int status = RunInChild([] {
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR1}));
    CHECK_OR_EXIT(m.ok(), 1);
    auto none =
        ipc::wait_signal(make_sigset({SIGUSR1}), std::chrono::milliseconds(5));
    CHECK_OR_EXIT(!none.ok() && none.error().code() == EAGAIN, 2);
    ::raise(SIGUSR1);
    auto got = ipc::wait_signal(make_sigset({SIGUSR1}), std::nullopt);
    // raise() is tgkill (SI_TKILL), which glibc's sigtimedwait reports as
    // SI_USER (SIG-039).
    CHECK_OR_EXIT(
        got.ok() && got->si_signo == SIGUSR1 && got->si_code == SI_USER, 3);
    CHECK_OR_EXIT(!IsPending(SIGUSR1), 4);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "2 no EAGAIN on timeout, 3 wrong signal, 4 not consumed");
}

// ---- SIG-032 SIGKILL cannot be waited for ----------------------------------

// Catches: sigtimedwait accepting SIGKILL (the process would survive it).
TEST(SigOs, SigtimedwaitCannotAcceptSigkill) {
  Child child([] {
    Block({SIGUSR1});
    sigset_t set = make_sigset({SIGKILL, SIGUSR1});
    struct timespec limit = {std::chrono::seconds(kPatience).count(), 0};
    int r = ::sigtimedwait(&set, nullptr, &limit);
    return r == SIGKILL ? 1 : 2;
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigtimedwait, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGKILL), SyscallSucceeds());
  int status = child.wait();
  EXPECT_KILLED_BY(status, SIGKILL) << " (1 = sigtimedwait returned SIGKILL)";
}

// ---- SIG-033 alternate signal stack ----------------------------------------

// Catches: a SA_ONSTACK handler run on the normal stack, SS_ONSTACK not
// reported inside it, a change while on it allowed, or bad sizes/flags
// accepted.
TEST(SigOs, OnstackHandlerRunsOnTheAlternateStack) {
  int status = RunInChild([] {
    ResetObservations();
    constexpr std::size_t kSize = 1 << 18;
    void* mem = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK_OR_EXIT(mem != MAP_FAILED, 1);
    stack_t ss = {};
    ss.ss_sp = mem;
    ss.ss_size = kSize;
    CHECK_OR_EXIT(::sigaltstack(&ss, nullptr) == 0, 2);
    stack_t cur = {};
    CHECK_OR_EXIT(::sigaltstack(nullptr, &cur) == 0 && cur.ss_sp == mem &&
                      cur.ss_size == kSize,
                  3);
    CHECK_OR_EXIT((cur.ss_flags & SS_ONSTACK) == 0, 4);
    CHECK_OR_EXIT(SetAction(SIGUSR1, AltStackHandler, SA_ONSTACK) == 0, 5);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(g_hits == 1, 6);
    long base = reinterpret_cast<long>(mem);
    CHECK_OR_EXIT(g_frame >= base && g_frame < base + static_cast<long>(kSize),
                  7);
    CHECK_OR_EXIT(g_on_altstack == 1, 8);
    CHECK_OR_EXIT(g_altstack_change_errno == EPERM, 9);
    // Argument errors (the stack is not in use now).
    stack_t tiny = {};
    tiny.ss_sp = mem;
    tiny.ss_size = 1;
    errno = 0;
    CHECK_OR_EXIT(::sigaltstack(&tiny, nullptr) == -1 && errno == ENOMEM, 10);
    stack_t bad_flags = ss;
    bad_flags.ss_flags = 0x1234;
    errno = 0;
    CHECK_OR_EXIT(::sigaltstack(&bad_flags, nullptr) == -1 && errno == EINVAL,
                  11);
    stack_t off = {};
    off.ss_flags = SS_DISABLE;
    CHECK_OR_EXIT(::sigaltstack(&off, nullptr) == 0, 12);
    CHECK_OR_EXIT(
        ::sigaltstack(nullptr, &cur) == 0 && (cur.ss_flags & SS_DISABLE) != 0,
        13);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "7 not on the alternate stack, 8 SS_ONSTACK missing, 9 change allowed, "
      "10 no ENOMEM, 11 no EINVAL, 13 not disabled");
}

// ---- SIG-034 SIGCHLD -------------------------------------------------------

// Catches: no SIGCHLD (or wrong si_code/si_pid/si_status) when a child exits or
// stops, or SA_NOCLDSTOP not suppressing the stop notice.
TEST(SigOs, SigchldReportsExitAndStopUnlessNocldstop) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(Block({SIGCHLD}) == 0, 1);
    pid_t kid = ::fork();
    if (kid == 0) ::_exit(7);
    siginfo_t si = {};
    CHECK_OR_EXIT(AwaitSignal({SIGCHLD}, &si) == SIGCHLD, 2);
    CHECK_OR_EXIT(
        si.si_code == CLD_EXITED && si.si_pid == kid && si.si_status == 7, 3);
    int st = 0;
    ::waitpid(kid, &st, 0);
    // Stop without SA_NOCLDSTOP: CLD_STOPPED.
    kid = ::fork();
    if (kid == 0) {
      ::raise(SIGSTOP);
      ::_exit(0);
    }
    CHECK_OR_EXIT(::waitpid(kid, &st, WUNTRACED) == kid && WIFSTOPPED(st), 4);
    CHECK_OR_EXIT(
        AwaitSignal({SIGCHLD}, &si) == SIGCHLD && si.si_code == CLD_STOPPED, 5);
    ::kill(kid, SIGKILL);
    ::waitpid(kid, &st, 0);
    TakePending({SIGCHLD});
    // With SA_NOCLDSTOP: no signal for the stop, one for the death.
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDSTOP;
    CHECK_OR_EXIT(::sigaction(SIGCHLD, &sa, nullptr) == 0, 6);
    kid = ::fork();
    if (kid == 0) {
      ::raise(SIGSTOP);
      ::_exit(0);
    }
    CHECK_OR_EXIT(::waitpid(kid, &st, WUNTRACED) == kid && WIFSTOPPED(st), 7);
    CHECK_OR_EXIT(TakePending({SIGCHLD}) == 0, 8);
    ::kill(kid, SIGKILL);
    CHECK_OR_EXIT(
        AwaitSignal({SIGCHLD}, &si) == SIGCHLD && si.si_code == CLD_KILLED, 9);
    ::waitpid(kid, &st, 0);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3 exit notice wrong, 5 no stop notice, 8 stop notice "
                     "despite SA_NOCLDSTOP, 9 no death notice");
}

// Catches: SA_NOCLDWAIT leaving a zombie to wait for.
TEST(SigOs, NocldwaitLeavesNoZombieToWaitFor) {
  int status = RunInChild([] {
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    CHECK_OR_EXIT(::sigaction(SIGCHLD, &sa, nullptr) == 0, 1);
    pid_t kid = ::fork();
    if (kid == 0) ::_exit(3);
    int st = 0;
    pid_t r;
    do {
      errno = 0;
      r = ::waitpid(-1, &st, 0);  // blocks until the child is gone, then ECHILD
    } while (r < 0 && errno == EINTR);
    CHECK_OR_EXIT(r == -1 && errno == ECHILD, 2);
    return 0;
  });
  EXPECT_EXITED_ZERO(status, "2 a zombie was reaped (SA_NOCLDWAIT ignored)");
}

// ---- SIG-035 SIGSTOP / SIGCONT ---------------------------------------------

// Catches: SIGSTOP stopping only one thread, SIGCONT not resuming all, or
// waitpid not reporting the stop / continue.
TEST(SigOs, SigstopStopsEveryThreadAndSigcontResumesThem) {
  ipc::testing::RawPipe ready;
  ipc::testing::RawPipe hold;
  Child child([&] {
    std::thread t([&] { ReadOne(hold.read.get()); });
    ::write(ready.write.get(), "r", 1);
    ReadOne(hold.read.get());
    t.join();
    return 0;
  });
  ASSERT_EQ(ReadOne(ready.read.get()), 1);
  ASSERT_THAT(::kill(child.pid(), SIGSTOP), SyscallSucceeds());
  int st = 0;
  ASSERT_THAT(::waitpid(child.pid(), &st, WUNTRACED),
              SyscallSucceedsWithValue(child.pid()));
  EXPECT_TRUE(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP)
      << DescribeWaitStatus(st);
  std::vector<char> stopped = ThreadStates(child.pid());
  EXPECT_GE(stopped.size(), 2u);
  for (char s : stopped)
    EXPECT_EQ(s, 'T') << "a thread kept running while the process was stopped";
  ASSERT_THAT(::kill(child.pid(), SIGCONT), SyscallSucceeds());
  ASSERT_THAT(::waitpid(child.pid(), &st, WCONTINUED),
              SyscallSucceedsWithValue(child.pid()));
  EXPECT_TRUE(WIFCONTINUED(st)) << DescribeWaitStatus(st);
  for (char s : ThreadStates(child.pid()))
    EXPECT_NE(s, 'T') << "a thread stayed stopped after SIGCONT";
}

// ---- SIG-036 the mask is per thread ----------------------------------------

// Catches: pthread_sigmask changing other threads' masks, or a new thread not
// inheriting its creator's mask.
TEST(SigOs, PthreadSigmaskIsPerThreadAndInheritedByNewThreads) {
  sigset_t usr2 = make_sigset({SIGUSR2});
  sigset_t old;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr2, &old), 0);
  std::atomic<int> inherited{-1};
  std::atomic<int> changed_own{-1};
  std::thread t([&] {
    inherited = IsBlocked(SIGUSR2);
    Block({SIGWINCH});
    Unblock({SIGUSR2});
    changed_own = IsBlocked(SIGWINCH) && !IsBlocked(SIGUSR2);
  });
  t.join();
  bool main_kept = IsBlocked(SIGUSR2) && !IsBlocked(SIGWINCH);
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, &old, nullptr), 0);
  EXPECT_EQ(inherited, 1) << "new thread did not inherit the creator's mask";
  EXPECT_EQ(changed_own, 1);
  EXPECT_TRUE(main_kept)
      << "another thread's pthread_sigmask changed this thread's mask";
}

TEST(SigLayer, ScopedSignalMaskChangesOnlyTheCallingThread) {
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR2})));
  std::atomic<int> other_blocked{-1};
  std::thread t([&] {
    auto own = ScopedSignalMask::unblock(make_sigset({SIGUSR2}));
    other_blocked = IsBlocked(SIGUSR2);
  });
  t.join();
  EXPECT_EQ(other_blocked, 0);
  EXPECT_TRUE(IsBlocked(SIGUSR2));
  ASSERT_OK(m.restore());
}

// ---- SIG-037 signalfd (Linux) ----------------------------------------------

// Catches: signalfd not reporting a blocked pending signal (with its siginfo),
// not consuming it, or reporting a signal outside its set.
TEST(SigOs, SignalfdReadsAndConsumesBlockedPendingSignals) {
  int status = RunInChild([] {
    const int rt = SIGRTMIN;
    CHECK_OR_EXIT(Block({SIGUSR1, rt, SIGUSR2}) == 0, 1);
    sigset_t set = make_sigset({SIGUSR1, rt});
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    CHECK_OR_EXIT(fd >= 0, 2);
    ::raise(SIGUSR2);  // not in the set
    Sigqueue(::getpid(), rt, 31);
    Sigqueue(::getpid(), rt, 32);
    ::kill(::getpid(), SIGUSR1);
    signalfd_siginfo in[4] = {};
    ssize_t n = ::read(fd, in, sizeof in);
    CHECK_OR_EXIT(n == static_cast<ssize_t>(3 * sizeof(signalfd_siginfo)), 3);
    CHECK_OR_EXIT(in[0].ssi_signo == static_cast<unsigned>(SIGUSR1) &&
                      in[0].ssi_code == SI_USER,
                  4);
    CHECK_OR_EXIT(
        in[1].ssi_signo == static_cast<unsigned>(rt) && in[1].ssi_int == 31, 5);
    CHECK_OR_EXIT(
        in[2].ssi_signo == static_cast<unsigned>(rt) && in[2].ssi_int == 32, 6);
    CHECK_OR_EXIT(in[1].ssi_pid == static_cast<unsigned>(::getpid()) &&
                      in[1].ssi_code == SI_QUEUE,
                  7);
    CHECK_OR_EXIT(!IsPending(SIGUSR1) && !IsPending(rt) && IsPending(SIGUSR2),
                  8);
    errno = 0;
    CHECK_OR_EXIT(::read(fd, in, sizeof in) == -1 && errno == EAGAIN, 9);
    errno = 0;
    CHECK_OR_EXIT(::read(fd, in, sizeof in[0] - 1) == -1 && errno == EINVAL,
                  10);
    ::close(fd);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3 wrong count, 4-7 wrong records, 8 not consumed or took "
                     "SIGUSR2, 9 no EAGAIN, 10 short buffer");
}

// Catches: a signalfd seeing a signal that is not blocked (it must be delivered
// normally instead).
TEST(SigOs, SignalfdMissesSignalsThatAreNotBlocked) {
  int status = RunInChild([] {
    ResetObservations();
    CHECK_OR_EXIT(SetAction(SIGUSR1, CountHandler) == 0, 1);
    sigset_t set = make_sigset({SIGUSR1});
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    CHECK_OR_EXIT(fd >= 0, 2);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(g_hits == 1, 3);
    signalfd_siginfo in = {};
    errno = 0;
    CHECK_OR_EXIT(::read(fd, &in, sizeof in) == -1 && errno == EAGAIN, 4);
    ::close(fd);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status, "3 handler did not run, 4 signalfd took an unblocked signal");
}

TEST(SigLayer, SignalFdReadsBlockedSignalsWithSiginfo) {
  int status = RunInChild([] {
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR2}));
    CHECK_OR_EXIT(m.ok(), 1);
    auto sfd =
        ipc::SignalFd::create(make_sigset({SIGUSR2}), /*nonblocking=*/true);
    CHECK_OR_EXIT(sfd.ok(), 2);
    CHECK_OR_EXIT((::fcntl(sfd->fd(), F_GETFD) & FD_CLOEXEC) != 0, 3);
    auto empty = sfd->read();
    CHECK_OR_EXIT(!empty.ok() && empty.error().code() == EAGAIN, 4);
    Sigqueue(::getpid(), SIGUSR2, 77);
    auto got = sfd->read(Soon());
    CHECK_OR_EXIT(got.ok() &&
                      got->ssi_signo == static_cast<unsigned>(SIGUSR2) &&
                      got->ssi_int == 77,
                  5);
    CHECK_OR_EXIT(!IsPending(SIGUSR2), 6);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "3 not close-on-exec, 4 no EAGAIN when empty, 5 wrong "
                     "record, 6 not consumed");
}

// ---- SIG-038 sigtimedwait is never restarted -------------------------------

// Catches: sigtimedwait restarted (or not interrupted) by a handled signal
// outside its set even with SA_RESTART, which would hide the handler's event.
TEST(SigOs, SigtimedwaitIsInterruptedByAHandlerEvenWithSaRestart) {
  Child child([] {
    ResetObservations();
    if (SetAction(SIGUSR2, CountHandler, SA_RESTART) != 0 ||
        Block({SIGUSR1}) != 0)
      return 1;
    sigset_t set = make_sigset({SIGUSR1});
    struct timespec limit = {std::chrono::seconds(kPatience).count(), 0};
    errno = 0;
    int r = ::sigtimedwait(&set, nullptr, &limit);
    int e = errno;
    if (r != -1 || e != EINTR) return 2;
    return g_hits == 1 ? 0 : 3;
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigtimedwait, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR2), SyscallSucceeds());
  int status = child.wait();
  EXPECT_EXITED_ZERO(status, "2 restarted or not EINTR, 3 handler did not run");
}

TEST(SigLayer, WaitSignalSurfacesOrRetriesEintrAsAsked) {
  int status = RunInChild([] {
    ResetObservations();
    auto h = ScopedSigaction::install(SIGUSR2, CountHandler, SA_RESTART);
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR1, SIGUSR2}));
    CHECK_OR_EXIT(h.ok() && m.ok(), 1);
    // A SIGUSR2 pending and blocked; wait_signal's own mask does not unblock
    // it, so drive the interruption from a helper process instead.
    pid_t me = ::getpid();
    int go[2];
    CHECK_OR_EXIT(::pipe2(go, O_CLOEXEC) == 0, 2);
    CHECK_OR_EXIT(Unblock({SIGUSR2}) == 0, 3);
    pid_t helper = ::fork();
    if (helper == 0) {
      if (!fault::wait_until_blocked(me, me, SYS_rt_sigtimedwait, Soon()).ok())
        ::_exit(1);
      ::kill(me, SIGUSR2);
      if (!fault::wait_until_blocked(me, me, SYS_rt_sigtimedwait, Soon()).ok())
        ::_exit(2);
      ::kill(me, SIGUSR2);  // second wait: kRetry keeps waiting...
      if (!fault::wait_until_blocked(me, me, SYS_rt_sigtimedwait, Soon()).ok())
        ::_exit(3);
      ::kill(me, SIGUSR1);  // ...until the awaited signal comes
      ::_exit(0);
    }
    auto first = ipc::wait_signal(make_sigset({SIGUSR1}), std::nullopt,
                                  ipc::Eintr::kSurface);
    CHECK_OR_EXIT(!first.ok() && first.error().code() == EINTR, 4);
    auto second = ipc::wait_signal(make_sigset({SIGUSR1}), std::nullopt,
                                   ipc::Eintr::kRetry);
    CHECK_OR_EXIT(second.ok() && second->si_signo == SIGUSR1, 5);
    int st = 0;
    ::waitpid(helper, &st, 0);
    CHECK_OR_EXIT(ExitedWith(st, 0), 6);
    CHECK_OR_EXIT(g_hits == 2, 7);
    return 0;
  });
  EXPECT_EXITED_ZERO(status,
                     "4 kSurface did not return EINTR, 5 kRetry gave up, 6 "
                     "helper, 7 handler count");
}

// ---- SIG-039 glibc folds SI_TKILL into SI_USER (glibc) ---------------------

// Catches: a change in what a program sees as si_code for a tgkill/raise
// signal taken synchronously: the kernel says SI_TKILL (as handlers and
// signalfd see it), glibc's sigtimedwait and sigwaitinfo rewrite it to SI_USER.
TEST(SigOs, GlibcSigwaitFoldsSiTkillIntoSiUserButTheKernelReportsSiTkill) {
  int status = RunInChild([] {
    CHECK_OR_EXIT(Block({SIGUSR1}) == 0, 1);
    sigset_t set = make_sigset({SIGUSR1});
    struct timespec zero = {0, 0};
    siginfo_t si = {};
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(
        RawSigtimedwait(set, &si, &zero) == SIGUSR1 && si.si_code == SI_TKILL,
        2);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(
        ::sigtimedwait(&set, &si, &zero) == SIGUSR1 && si.si_code == SI_USER,
        3);
    ::raise(SIGUSR1);
    CHECK_OR_EXIT(::sigwaitinfo(&set, &si) == SIGUSR1 && si.si_code == SI_USER,
                  4);
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC);
    CHECK_OR_EXIT(fd >= 0, 5);
    ::raise(SIGUSR1);
    signalfd_siginfo in = {};
    CHECK_OR_EXIT(::read(fd, &in, sizeof in) == static_cast<ssize_t>(sizeof in),
                  6);
    ::close(fd);
    CHECK_OR_EXIT(in.ssi_code == SI_TKILL, 7);
    // kill() is SI_USER everywhere.
    ::kill(::getpid(), SIGUSR1);
    CHECK_OR_EXIT(
        RawSigtimedwait(set, &si, &zero) == SIGUSR1 && si.si_code == SI_USER,
        8);
    return 0;
  });
  EXPECT_EXITED_ZERO(
      status,
      "2 kernel not SI_TKILL, 3/4 glibc did not fold, 7 signalfd, "
      "8 kill not SI_USER");
}

// ===========================================================================
// SIG-040 … SIG-048: behaviours gVisor and LTP check (kill permission within a
// session, addressing by thread id, forged siginfo, tgkill and pidfd errors,
// stop/continue discarding, sighold/sigrelse, kill(INT_MIN), sigsuspend
// EFAULT); and SIG-014/015/016 through every path that exposes the order.
// ===========================================================================

// The hexadecimal signal set `field` ("SigPnd", "ShdPnd", "SigBlk") of
// /proc/<pid>/task/<tid>/status; 0 if unreadable.
std::uint64_t ProcSignalSet(pid_t pid, pid_t tid, const char* field) {
  std::string path = "/proc/" + std::to_string(pid) + "/task/" +
                     std::to_string(tid) + "/status";
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return 0;
  char line[256];
  std::uint64_t value = 0;
  std::size_t n = std::strlen(field);
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, field, n) == 0 && line[n] == ':') {
      value = std::strtoull(line + n + 1, nullptr, 16);
      break;
    }
  }
  std::fclose(f);
  return value;
}

bool InSet(std::uint64_t set, int sig) { return (set >> (sig - 1)) & 1; }

// Whether /proc/self/status lists the pending sets ProcSignalSet reads
// (gVisor's does not).
bool ProcShowsPendingSets() {
  FILE* f = std::fopen("/proc/self/status", "re");
  if (f == nullptr) return false;
  char line[256];
  bool shd = false, sig = false;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    shd = shd || std::strncmp(line, "ShdPnd:", 7) == 0;
    sig = sig || std::strncmp(line, "SigPnd:", 7) == 0;
  }
  std::fclose(f);
  return shd && sig;
}

// fork() for a process a test child starts itself: it dies with that child
// (a failed check _exits the child at once, before any cleanup could run).
// getppid() is 0 in the first process of a new PID namespace.
pid_t ForkDyingWithParent() {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    pid_t now = ::getppid();
    if (now != parent && now != 0) ::_exit(99);  // the parent is already gone
  }
  return pid;
}

// ---- SIG-040 SIGCONT to another user's process in the same session ---------

// In a forked child (the test's session): a root target stops itself in a
// process group of its own (or after setsid()), and a sender dropped to uid
// 65534 signals it.
void SigcontAcrossUsers(bool target_in_other_session) {
  Block({SIGCHLD});  // CLD_CONTINUED is awaited, not raced
  int ready[2];
  TEST_CHECK_SUCCESS(::pipe2(ready, O_CLOEXEC));
  pid_t target = ForkDyingWithParent();
  if (target == 0) {
    if (target_in_other_session ? ::setsid() < 0 : ::setpgid(0, 0) != 0)
      ::_exit(21);
    ::write(ready[1], "r", 1);
    ::raise(SIGSTOP);
    ::_exit(0);
  }
  TEST_CHECK_SUCCESS(target);
  TEST_CHECK(ReadOne(ready[0]) == 1);
  int st = 0;
  TEST_CHECK(::waitpid(target, &st, WUNTRACED) == target && WIFSTOPPED(st));
  TakePending({SIGCHLD});  // the CLD_STOPPED notice
  pid_t sender = ForkDyingWithParent();
  if (sender == 0) {
    CHILD_SKIP_UNLESS(DropPrivileges(), "cannot become uid/gid 65534");
    TEST_CHECK_ERRNO(::kill(target, SIGUSR1), EPERM);
    TEST_CHECK_ERRNO(::kill(target, 0), EPERM);
    if (target_in_other_session) {
      TEST_CHECK_ERRNO(::kill(target, SIGCONT), EPERM);
    } else {
      TEST_CHECK_SUCCESS(::kill(target, SIGCONT));
    }
    ::_exit(0);
  }
  TEST_CHECK_SUCCESS(sender);
  TEST_CHECK(::waitpid(sender, &st, 0) == sender);
  CHILD_SKIP_UNLESS(!ExitedWith(st, ::ipc::testing::kCannotSetUp),
                    "cannot become uid/gid 65534 (only uid 0 mapped)");
  TEST_CHECK_MSG(ExitedWith(st, 0),
                 "the unprivileged sender's checks failed (on its stderr)");
  if (!target_in_other_session) {
    // Continued: SIGCHLD with CLD_CONTINUED (or the exit that follows).
    siginfo_t si = {};
    TEST_CHECK_MSG(
        AwaitSignal({SIGCHLD}, &si) == SIGCHLD &&
            (si.si_code == CLD_CONTINUED || si.si_code == CLD_EXITED),
        "the target was not continued");
  } else {
    auto state = fault::read_task_state(target, target);
    TEST_CHECK_MSG(state.ok() && state->state == 'T',
                   "the refused SIGCONT continued the target");
  }
  ::kill(target, SIGKILL);
  ::waitpid(target, &st, 0);
}

// Catches: a sandbox that applies the uid rule to SIGCONT (job control of a
// setuid program from its shell breaks), one that exempts every signal inside
// a session, or one that lets SIGCONT cross sessions.
TEST(SigOs, SigcontReachesAnotherUsersProcessOnlyInTheSameSession) {
  EXPECT_CHILD_OK(RunInChild([] { SigcontAcrossUsers(false); }))
      << "same session";
  EXPECT_CHILD_OK(RunInChild([] { SigcontAcrossUsers(true); }))
      << "another session";
}

// ---- SIG-041 kill() with a thread id --------------------------------------

// Catches: kill(tid) of a non-leader thread failing ESRCH (a pid table without
// thread ids) or acting as a thread-directed tgkill.
TEST(SigOs, KillOfANonLeaderTidSignalsTheWholeProcess) {
  EXPECT_CHILD_OK(RunInChild([] {
    CHILD_SKIP_UNLESS(ProcShowsPendingSets(),
                      "/proc/<pid>/status has no SigPnd/ShdPnd lines");
    TEST_CHECK_SUCCESS(Block({SIGUSR1}));  // in every thread: inherited
    int tid_pipe[2], hold[2];
    TEST_CHECK_SUCCESS(::pipe2(tid_pipe, O_CLOEXEC));
    TEST_CHECK_SUCCESS(::pipe2(hold, O_CLOEXEC));
    std::thread t([&] {
      pid_t me = Gettid();
      ::write(tid_pipe[1], &me, sizeof me);
      ReadOne(hold[0]);
    });
    pid_t tid = 0;
    TEST_CHECK(::read(tid_pipe[0], &tid, sizeof tid) == sizeof tid);
    TEST_CHECK(tid != ::getpid());
    TEST_CHECK_SUCCESS(::kill(tid, 0));
    TEST_CHECK_SUCCESS(::syscall(SYS_kill, tid, 0));
    TEST_CHECK_SUCCESS(::kill(tid, SIGUSR1));
    // Process-directed: in the shared set, not the thread's own.
    TEST_CHECK_MSG(
        InSet(ProcSignalSet(::getpid(), tid, "ShdPnd"), SIGUSR1) &&
            !InSet(ProcSignalSet(::getpid(), tid, "SigPnd"), SIGUSR1),
        "not process-directed (/proc ShdPnd/SigPnd)");
    TEST_CHECK_MSG(IsPending(SIGUSR1), "not pending for the main thread");
    TEST_CHECK(TakePending({SIGUSR1}) == SIGUSR1);
    // Contrast: tgkill to the same tid is thread-directed.
    TEST_CHECK_SUCCESS(::tgkill(::getpid(), tid, SIGUSR1));
    TEST_CHECK_MSG(InSet(ProcSignalSet(::getpid(), tid, "SigPnd"), SIGUSR1) &&
                       !IsPending(SIGUSR1),
                   "tgkill was not thread-directed");
    ::close(hold[1]);
    t.join();
    // Once the thread is gone from /proc the number is no process.
    std::string task = "/proc/self/task/" + std::to_string(tid);
    auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (::access(task.c_str(), F_OK) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    std::string reused = "/proc/" + std::to_string(tid);
    if (::kill(tid, 0) == 0 && ::access(reused.c_str(), F_OK) == 0) return;
    TEST_CHECK_ERRNO(::kill(tid, 0), ESRCH);
  }));
}

// ---- SIG-042 forged siginfo ------------------------------------------------

struct ForgeReport {
  int signo, code, pid, uid, value;
};

long RawSigqueueinfo(pid_t pid, int sig, siginfo_t* info) {
  return ::syscall(SYS_rt_sigqueueinfo, pid, sig, info);
}

long RawTgsigqueueinfo(pid_t tgid, pid_t tid, int sig, siginfo_t* info) {
  return ::syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, info);
}

siginfo_t Forged(int sig, int code, int value) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  info.si_signo = sig;
  info.si_code = code;
  info.si_pid = 4242;
  info.si_uid = 77;
  info.si_value.sival_int = value;
  return info;
}

// In a target process: reports each of `count` signals of `sigs` (the
// kernel's siginfo, SIG-039) on `report`, then waits in pause().
[[noreturn]] void ReportSignals(std::initializer_list<int> sigs, int count,
                                int report) {
  for (int i = 0; i < count; ++i) {
    siginfo_t si = {};
    int sig = AwaitSignal(sigs, &si);
    ForgeReport r = {sig, si.si_code, si.si_pid, static_cast<int>(si.si_uid),
                     si.si_value.sival_int};
    ::write(report, &r, sizeof r);
  }
  for (;;) ::pause();
}

// Catches: a kernel or sandbox that forwards user-supplied siginfo claiming
// to come from kill(), tgkill() or the kernel (si_code >= 0, SI_TKILL) to
// another process — a forged SI_KERNEL fools programs that trust it.
TEST(SigOs, ForgedSiCodeToAnotherProcessFailsEperm) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK_SUCCESS(Block({SIGUSR1}));
    int report[2];
    TEST_CHECK_SUCCESS(::pipe2(report, O_CLOEXEC));
    pid_t target = ForkDyingWithParent();
    if (target == 0) ReportSignals({SIGUSR1}, 1, report[1]);
    TEST_CHECK_SUCCESS(target);
    ::close(report[1]);
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, target, 0));
    for (int forged : {SI_USER, SI_KERNEL, SI_TKILL}) {
      siginfo_t info = Forged(SIGUSR1, forged, 1);
      TEST_CHECK_ERRNO(RawSigqueueinfo(target, SIGUSR1, &info), EPERM);
      TEST_CHECK_ERRNO(RawTgsigqueueinfo(target, target, SIGUSR1, &info),
                       EPERM);
      if (pidfd >= 0) {
        TEST_CHECK_ERRNO(
            ::syscall(SYS_pidfd_send_signal, pidfd, SIGUSR1, &info, 0), EPERM);
      }
    }
    // A negative code is the caller's to choose, fields and all.
    siginfo_t queued = Forged(SIGUSR1, SI_QUEUE, 5);
    TEST_CHECK_SUCCESS(RawSigqueueinfo(target, SIGUSR1, &queued));
    ForgeReport got = {};
    TEST_CHECK(::read(report[0], &got, sizeof got) == sizeof got);
    TEST_CHECK_MSG(got.signo == SIGUSR1 && got.code == SI_QUEUE &&
                       got.pid == 4242 && got.uid == 77 && got.value == 5,
                   "the SI_QUEUE siginfo arrived altered");
    ::kill(target, SIGKILL);
    ::waitpid(target, nullptr, 0);
    if (pidfd >= 0) ::close(pidfd);
    // To itself a process may send any code.
    siginfo_t self = Forged(SIGUSR1, SI_USER, 9);
    TEST_CHECK_SUCCESS(RawSigqueueinfo(::getpid(), SIGUSR1, &self));
    siginfo_t si = {};
    TEST_CHECK(TakePending({SIGUSR1}, &si) == SIGUSR1);
    TEST_CHECK(si.si_code == SI_USER && si.si_pid == 4242);
  }));
}

// ---- SIG-043 tgkill argument errors ----------------------------------------

// Catches: tgkill accepting non-positive ids or a tid outside the thread group
// (a signal then reaches the wrong process), through glibc's tgkill() and
// the system call.
TEST(SigOs, TgkillRejectsBadIdsAndTidsOfOtherThreadGroups) {
  using Call = std::function<int(pid_t, pid_t, int)>;
  const std::pair<const char*, Call> calls[] = {
      {"glibc tgkill",
       [](pid_t g, pid_t t, int s) { return ::tgkill(g, t, s); }},
      {"raw tgkill",
       [](pid_t g, pid_t t, int s) {
         return static_cast<int>(::syscall(SYS_tgkill, g, t, s));
       }},
  };
  std::promise<pid_t> started;
  std::promise<void> finish;
  std::thread live([&] {
    started.set_value(Gettid());
    finish.get_future().wait();
  });
  pid_t live_tid = started.get_future().get();
  pid_t gone_tid = 0;
  std::thread([&] { gone_tid = Gettid(); }).join();
  std::string task = "/proc/self/task/" + std::to_string(gone_tid);
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (::access(task.c_str(), F_OK) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  Child other([] { ::pause(); });
  pid_t me = ::getpid();
  for (const auto& [name, call] : calls) {
    SCOPED_TRACE(name);
    // Signal 0 throughout: nothing is delivered even where a call wrongly
    // succeeds.
    EXPECT_THAT(call(-1, live_tid, 0), SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(call(0, live_tid, 0), SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(call(me, -1, 0), SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(call(me, 0, 0), SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(call(me, live_tid, -1), SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(call(me, live_tid, NSIG), SyscallFailsWithErrno(EINVAL));
    EXPECT_THAT(call(me, other.pid(), 0), SyscallFailsWithErrno(ESRCH))
        << "a tid of another thread group";
    EXPECT_THAT(call(other.pid(), Gettid(), 0), SyscallFailsWithErrno(ESRCH))
        << "our tid under another tgid";
    if (::access(("/proc/" + std::to_string(gone_tid)).c_str(), F_OK) != 0) {
      EXPECT_THAT(call(me, gone_tid, 0), SyscallFailsWithErrno(ESRCH))
          << "an exited thread";
    }
    EXPECT_THAT(call(me, live_tid, 0), SyscallSucceeds());
  }
  finish.set_value();
  live.join();
}

// ---- SIG-044 SIGCONT and stop signals discard each other -------------------

// Catches: a SIGSTOP still pending after SIGCONT (the process stops again —
// gVisor's SIGCONTAbortsSIGSTOP race, made deterministic: a stopped process
// keeps a second SIGSTOP pending), and the symmetric discards.
TEST(SigOs, SigcontDiscardsPendingStopSignalsAndViceVersa) {
  EXPECT_CHILD_OK(RunInChild([] {
    pid_t kid = ForkDyingWithParent();
    if (kid == 0) {
      ::raise(SIGSTOP);
      ::_exit(0);
    }
    TEST_CHECK_SUCCESS(kid);
    int st = 0;
    TEST_CHECK(::waitpid(kid, &st, WUNTRACED) == kid && WIFSTOPPED(st));
    TEST_CHECK_SUCCESS(::kill(kid, SIGSTOP));
    bool was_pending = InSet(ProcSignalSet(kid, kid, "ShdPnd"), SIGSTOP);
    TEST_CHECK_SUCCESS(::kill(kid, SIGCONT));
    bool still_pending = InSet(ProcSignalSet(kid, kid, "ShdPnd"), SIGSTOP);
    // SIGCONT wakes a stopped process before kill() returns; then its next
    // stop or exit must be the exit.
    auto state = fault::read_task_state(kid, kid);
    TEST_CHECK_MSG(
        !state.ok() || state->state != 'T',
        "still stopped after SIGCONT (the pending SIGSTOP was kept)");
    TEST_CHECK(::waitpid(kid, &st, WUNTRACED) == kid);
    TEST_CHECK_MSG(!WIFSTOPPED(st), "stopped again after SIGCONT");
    TEST_CHECK_MSG(ExitedWith(st, 0), "did not run on to exit 0");
    TEST_CHECK_MSG(!(was_pending && still_pending),
                   "SIGSTOP still pending in /proc after SIGCONT");
  })) << "a second SIGSTOP pending for a stopped process";

  // A blocked pending SIGTSTP is discarded by SIGCONT; the child sees it in
  // its own sigpending.
  EXPECT_CHILD_OK(RunInChild([] {
    CHILD_SKIP_UNLESS(ProcShowsPendingSets(),
                      "/proc/<pid>/status has no SigPnd/ShdPnd lines");
    int ready[2], go[2];
    TEST_CHECK_SUCCESS(::pipe2(ready, O_CLOEXEC));
    TEST_CHECK_SUCCESS(::pipe2(go, O_CLOEXEC));
    pid_t kid = ForkDyingWithParent();
    if (kid == 0) {
      ::close(go[1]);
      Block({SIGTSTP, SIGCONT});
      ::write(ready[1], "r", 1);
      ReadOne(go[0]);
      TEST_CHECK_MSG(!IsPending(SIGTSTP), "SIGTSTP still pending (sigpending)");
      TEST_CHECK_MSG(IsPending(SIGCONT), "SIGCONT not pending");
      ::_exit(0);
    }
    TEST_CHECK_SUCCESS(kid);
    ::close(go[0]);
    TEST_CHECK(ReadOne(ready[0]) == 1);
    TEST_CHECK_SUCCESS(::kill(kid, SIGTSTP));
    TEST_CHECK(InSet(ProcSignalSet(kid, kid, "ShdPnd"), SIGTSTP));
    TEST_CHECK_SUCCESS(::kill(kid, SIGCONT));
    bool tstp_left = InSet(ProcSignalSet(kid, kid, "ShdPnd"), SIGTSTP);
    ::close(go[1]);
    int st = 0;
    TEST_CHECK(::waitpid(kid, &st, 0) == kid);
    TEST_CHECK_MSG(!tstp_left, "SIGTSTP still pending in /proc after SIGCONT");
    TEST_CHECK_MSG(ExitedWith(st, 0), "the child's own check failed");
  })) << "a blocked pending SIGTSTP";

  // A blocked pending SIGCONT is discarded by a stop signal.
  EXPECT_CHILD_OK(RunInChild([] {
    CHILD_SKIP_UNLESS(ProcShowsPendingSets(),
                      "/proc/<pid>/status has no SigPnd/ShdPnd lines");
    int ready[2];
    TEST_CHECK_SUCCESS(::pipe2(ready, O_CLOEXEC));
    pid_t kid = ForkDyingWithParent();
    if (kid == 0) {
      SetAction(SIGCONT, CountHandler);
      Block({SIGCONT});
      ::write(ready[1], "r", 1);
      for (;;) ::pause();
    }
    TEST_CHECK_SUCCESS(kid);
    TEST_CHECK(ReadOne(ready[0]) == 1);
    TEST_CHECK_SUCCESS(::kill(kid, SIGCONT));
    TEST_CHECK(InSet(ProcSignalSet(kid, kid, "ShdPnd"), SIGCONT));
    TEST_CHECK_SUCCESS(::kill(kid, SIGSTOP));
    int st = 0;
    TEST_CHECK(::waitpid(kid, &st, WUNTRACED) == kid && WIFSTOPPED(st));
    TEST_CHECK_MSG(!InSet(ProcSignalSet(kid, kid, "ShdPnd"), SIGCONT),
                   "SIGCONT still pending after SIGSTOP");
    ::kill(kid, SIGKILL);
    ::waitpid(kid, &st, 0);
  })) << "a blocked pending SIGCONT";
}

// ---- SIG-045 pidfd_send_signal ---------------------------------------------

// Catches: pidfd_send_signal that ignores unknown flags, signals through a
// descriptor that is no pidfd, reaches a reaped process, or loses what kill()
// would report (si_code SI_USER, the sender's pid).
TEST(SigOs, PidfdSendSignalActsLikeKillOnThePidfdsProcess) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK_SUCCESS(Block({SIGUSR1, SIGUSR2}));
    int report[2];
    TEST_CHECK_SUCCESS(::pipe2(report, O_CLOEXEC));
    pid_t target = ForkDyingWithParent();
    if (target == 0) ReportSignals({SIGUSR1, SIGUSR2}, 2, report[1]);
    TEST_CHECK_SUCCESS(target);
    ::close(report[1]);
    int fd = ::pidfd_open(target, 0);
    int open_errno = errno;  // CHILD_SKIP_UNLESS clears errno first
    CHILD_SKIP_UNLESS(fd >= 0 || open_errno != ENOSYS,
                      "pidfd_open is not implemented (ENOSYS)");
    TEST_CHECK_SUCCESS(fd);
    TEST_CHECK_ERRNO(::pidfd_send_signal(fd, SIGUSR1, nullptr, 8), EINVAL);
    TEST_CHECK_ERRNO(::pidfd_send_signal(fd, SIGUSR1, nullptr, 3), EINVAL);
    TEST_CHECK_ERRNO(::pidfd_send_signal(fd, -1, nullptr, 0), EINVAL);
    TEST_CHECK_ERRNO(::pidfd_send_signal(report[0], SIGUSR1, nullptr, 0),
                     EBADF);
    TEST_CHECK_SUCCESS(::pidfd_send_signal(fd, SIGUSR1, nullptr, 0));
    ForgeReport got = {};
    TEST_CHECK(::read(report[0], &got, sizeof got) == sizeof got);
    TEST_CHECK_MSG(
        got.signo == SIGUSR1 && got.code == SI_USER && got.pid == ::getpid(),
        "not what kill() reports (SI_USER, the sender's pid)");
    siginfo_t queued = Forged(SIGUSR2, SI_QUEUE, 7);
    TEST_CHECK_SUCCESS(
        ::syscall(SYS_pidfd_send_signal, fd, SIGUSR2, &queued, 0));
    TEST_CHECK(::read(report[0], &got, sizeof got) == sizeof got);
    TEST_CHECK_MSG(
        got.signo == SIGUSR2 && got.code == SI_QUEUE && got.value == 7,
        "the SI_QUEUE siginfo arrived altered");
    TEST_CHECK_SUCCESS(::pidfd_send_signal(fd, SIGKILL, nullptr, 0));
    int st = 0;
    TEST_CHECK(::waitpid(target, &st, 0) == target);
    TEST_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    TEST_CHECK_ERRNO(::pidfd_send_signal(fd, 0, nullptr, 0), ESRCH);
    ::close(fd);
    // A zombie still takes it; its /proc/<pid> directory is a pidfd too.
    pid_t zombie = ForkDyingWithParent();
    if (zombie == 0) ::_exit(0);
    TEST_CHECK_SUCCESS(zombie);
    int zfd = ::pidfd_open(zombie, 0);
    TEST_CHECK_SUCCESS(zfd);
    siginfo_t wi = {};
    TEST_CHECK_SUCCESS(::waitid(P_PID, zombie, &wi, WEXITED | WNOWAIT));
    TEST_CHECK_SUCCESS(::pidfd_send_signal(zfd, 0, nullptr, 0));
    ::waitpid(zombie, &st, 0);
    ::close(zfd);
    pid_t victim = ForkDyingWithParent();
    if (victim == 0) {
      Unblock({SIGUSR1, SIGUSR2});
      for (;;) ::pause();
    }
    TEST_CHECK_SUCCESS(victim);
    std::string dir = "/proc/" + std::to_string(victim);
    int dfd = ::open(dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    TEST_CHECK_SUCCESS(dfd);
    TEST_CHECK_SUCCESS(::pidfd_send_signal(dfd, SIGTERM, nullptr, 0));
    TEST_CHECK(::waitpid(victim, &st, 0) == victim);
    TEST_CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
                   "SIGTERM through a /proc/<pid> directory fd did not kill");
    ::close(dfd);
    TEST_CHECK_ERRNO(::pidfd_open(::getpid(), 1), EINVAL);
    TEST_CHECK_ERRNO(::pidfd_open(-1, 0), EINVAL);
  }));
}

// ---- SIG-046 sighold / sigrelse --------------------------------------------

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
int Sighold(int sig) { return ::sighold(sig); }
int Sigrelse(int sig) { return ::sigrelse(sig); }
#pragma GCC diagnostic pop

// Catches: sighold/sigrelse that do not change the mask, accept invalid
// signals, or release a pending signal only later.
TEST(SigOs, SigholdBlocksAndSigrelseUnblocksAndDelivers) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK_SUCCESS(Sighold(SIGUSR2));
    TEST_CHECK_MSG(IsBlocked(SIGUSR2), "sighold did not block");
    ::raise(SIGUSR2);  // default action: would end the process
    TEST_CHECK(IsPending(SIGUSR2));
    TEST_CHECK(TakePending({SIGUSR2}) == SIGUSR2);
    TEST_CHECK_SUCCESS(Sigrelse(SIGUSR2));
    TEST_CHECK_MSG(!IsBlocked(SIGUSR2), "sigrelse did not unblock");
    for (int bad : {0, -1, NSIG, 99}) {
      TEST_CHECK_ERRNO(Sighold(bad), EINVAL);
      TEST_CHECK_ERRNO(Sigrelse(bad), EINVAL);
    }
  }));
  // sigrelse delivers the pending signal before it returns: the default
  // action ends the child inside the call.
  EXPECT_THAT(RunInChild([] {
                TEST_CHECK(SetDefaultRaw(SIGUSR2));
                TEST_CHECK_SUCCESS(Sighold(SIGUSR2));
                ::raise(SIGUSR2);
                Sigrelse(SIGUSR2);
                TEST_FAIL("sigrelse returned with SIGUSR2 still undelivered");
              }),
              ChildKilledBy(SIGUSR2));
}

// ---- SIG-047 kill(INT_MIN) -------------------------------------------------

// Catches: -INT_MIN overflowing into a process group or a broadcast. The
// sending half runs as pid 1 of a new PID namespace with one other process in
// its group, so a broadcasting OS hurts nothing outside it.
TEST(SigOs, KillOfIntMinFailsEsrchAndSignalsNobody) {
  EXPECT_THAT(::kill(INT_MIN, 0), SyscallFailsWithErrno(ESRCH));
  EXPECT_THAT(::syscall(SYS_kill, INT_MIN, 0), SyscallFailsWithErrno(ESRCH));
  EXPECT_CHILD_OK(RunInChild([] {
    CHILD_SKIP_UNLESS(::unshare(CLONE_NEWPID) == 0,
                      "kill(INT_MIN, 0) is checked; the half that sends a "
                      "real signal needs a PID namespace");
    pid_t init = ForkDyingWithParent();  // pid 1 of the namespace
    if (init == 0) {
      Block({SIGUSR1});
      int ready[2], hold[2];
      TEST_CHECK_SUCCESS(::pipe2(ready, O_CLOEXEC));
      TEST_CHECK_SUCCESS(::pipe2(hold, O_CLOEXEC));
      pid_t member = ForkDyingWithParent();
      if (member == 0) {
        ::close(hold[1]);
        ::write(ready[1], "r", 1);
        ReadOne(hold[0]);
        TEST_CHECK_MSG(!IsPending(SIGUSR1),
                       "a member of the group received kill(INT_MIN)");
        ::_exit(0);
      }
      TEST_CHECK_SUCCESS(member);
      TEST_CHECK(ReadOne(ready[0]) == 1);
      TEST_CHECK_ERRNO(::kill(INT_MIN, SIGUSR1), ESRCH);
      TEST_CHECK_MSG(!IsPending(SIGUSR1), "the caller received kill(INT_MIN)");
      ::close(hold[1]);
      int st = 0;
      TEST_CHECK(::waitpid(member, &st, 0) == member);
      TEST_CHECK_MSG(ExitedWith(st, 0), "the group member's check failed");
      ::_exit(0);
    }
    TEST_CHECK_SUCCESS(init);
    int st = 0;
    TEST_CHECK(::waitpid(init, &st, 0) == init);
    TEST_CHECK_MSG(ExitedWith(st, 0), "a check in the namespace failed");
  }));
}

// ---- SIG-048 sigsuspend with a bad mask pointer ----------------------------

// Catches: a sigsuspend that suspends (with some mask) instead of failing
// EFAULT — it would then wait for a signal forever (the child's patience
// turns that into a failure).
TEST(SigOs, SigsuspendWithABadMaskPointerFailsEfault) {
  EXPECT_CHILD_OK(RunInChild([] {
    void* page =
        ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TEST_CHECK(page != MAP_FAILED);
    TEST_CHECK_SUCCESS(Block({SIGUSR1}));
    TEST_CHECK_ERRNO(::sigsuspend(static_cast<sigset_t*>(page)), EFAULT);
    TEST_CHECK_ERRNO(::syscall(SYS_rt_sigsuspend, page, kKernelSigsetSize),
                     EFAULT);
    TEST_CHECK_ERRNO(::syscall(SYS_rt_sigsuspend, nullptr, kKernelSigsetSize),
                     EFAULT);
    TEST_CHECK_MSG(IsBlocked(SIGUSR1), "the mask changed");
  }));
}

// ---- SIG-014 / SIG-015 / SIG-016 through every path ------------------------

// How a test takes its pending signals.
enum class Path {
  kRawRtSigtimedwait,
  kSigtimedwait,
  kSigwaitinfo,
  kSigwait,
  kSignalfdOneRead,
  kSignalfdEachRecord,
  kHandlers,
};

struct PathCase {
  const char* name;
  Path path;
  bool has_values;  // sigwait reports the number only
};

void PrintTo(const PathCase& c, std::ostream* os) { *os << c.name; }

class SigDeliveryOrder : public ::testing::TestWithParam<PathCase> {};

// One delivery as (signal, si_value); value -1 where the path has none.
struct Taken {
  int sig;
  int value;
  bool operator==(const Taken& o) const {
    return sig == o.sig && value == o.value;
  }
};

void PrintTo(const Taken& t, std::ostream* os) {
  *os << ipc::signal_name(t.sig) << "(" << t.value << ")";
}

std::atomic<int> g_taken_len{0};
Taken g_taken[32];

void RecordingHandler(int sig, siginfo_t* info, void*) {
  int i = g_taken_len.fetch_add(1);
  if (i < 32)
    g_taken[i] = {sig,
                  info->si_code == SI_QUEUE ? info->si_value.sival_int : -1};
}

// The scenario every path sees, in a forked child: SIGUSR1, SIGTERM,
// SIGRTMIN and SIGRTMIN+1 blocked; queued SIGRTMIN+1 (100), SIGRTMIN 1..5,
// SIGRTMIN+1 (101), SIGUSR1 three times (41, 42, 43), SIGTERM once. Returns
// what `path` took, in order; {0, 0} at the end if anything stayed pending;
// empty and a failure if the child could not run the scenario.
std::vector<Taken> TakeScenario(const PathCase& c) {
  RawPipe out;
  ipc::testing::ChildResult result = RunInChild([&] {
    const int lo = SIGRTMIN, hi = SIGRTMIN + 1;
    const std::initializer_list<int> all = {SIGUSR1, SIGTERM, lo, hi};
    TEST_CHECK(Block(all) == 0);
    int sfd = -1;
    if (c.path == Path::kSignalfdOneRead ||
        c.path == Path::kSignalfdEachRecord) {
      sigset_t set = make_sigset(all);
      sfd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
      TEST_CHECK(sfd >= 0);
    }
    if (c.path == Path::kHandlers) {
      for (int sig : all) {
        struct sigaction sa = {};
        sa.sa_sigaction = RecordingHandler;
        sa.sa_flags = SA_SIGINFO;
        sa.sa_mask = make_sigset(all);  // one after the other, never nested
        TEST_CHECK(::sigaction(sig, &sa, nullptr) == 0);
      }
    }
    TEST_CHECK(Sigqueue(::getpid(), hi, 100) == 0);
    for (int v = 1; v <= 5; ++v) TEST_CHECK(Sigqueue(::getpid(), lo, v) == 0);
    TEST_CHECK(Sigqueue(::getpid(), hi, 101) == 0);
    for (int v = 41; v <= 43; ++v)  // a standard signal sent three times
      TEST_CHECK(Sigqueue(::getpid(), SIGUSR1, v) == 0);
    TEST_CHECK(::kill(::getpid(), SIGTERM) == 0);

    std::vector<Taken> taken;
    sigset_t set = make_sigset(all);
    struct timespec zero = {0, 0};
    auto any_pending = [&] {
      sigset_t p;
      ::sigpending(&p);
      for (int sig : all) {
        if (sigismember(&p, sig)) return true;
      }
      return false;
    };
    auto value_of = [](const siginfo_t& si) {
      return si.si_code == SI_QUEUE ? si.si_value.sival_int : -1;
    };
    switch (c.path) {
      case Path::kRawRtSigtimedwait:
        for (siginfo_t si = {}; RawSigtimedwait(set, &si, &zero) > 0;)
          taken.push_back({si.si_signo, value_of(si)});
        break;
      case Path::kSigtimedwait:
        for (siginfo_t si = {}; ::sigtimedwait(&set, &si, &zero) > 0;)
          taken.push_back({si.si_signo, value_of(si)});
        break;
      case Path::kSigwaitinfo:
        while (any_pending()) {  // never blocks
          siginfo_t si = {};
          TEST_CHECK_SUCCESS(::sigwaitinfo(&set, &si));
          taken.push_back({si.si_signo, value_of(si)});
        }
        break;
      case Path::kSigwait:
        while (any_pending()) {
          int sig = 0;
          TEST_CHECK(::sigwait(&set, &sig) == 0);
          taken.push_back({sig, -1});
        }
        break;
      case Path::kSignalfdOneRead: {
        signalfd_siginfo in[16] = {};
        ssize_t n = ::read(sfd, in, sizeof in);
        TEST_CHECK_SUCCESS(n);
        for (ssize_t i = 0; i < n / static_cast<ssize_t>(sizeof in[0]); ++i) {
          taken.push_back({static_cast<int>(in[i].ssi_signo),
                           in[i].ssi_code == SI_QUEUE ? in[i].ssi_int : -1});
        }
        break;
      }
      case Path::kSignalfdEachRecord:
        for (signalfd_siginfo in = {};
             ::read(sfd, &in, sizeof in) == static_cast<ssize_t>(sizeof in);) {
          taken.push_back({static_cast<int>(in.ssi_signo),
                           in.ssi_code == SI_QUEUE ? in.ssi_int : -1});
        }
        break;
      case Path::kHandlers:
        g_taken_len = 0;
        Unblock(all);  // every handler runs before this returns
        for (int i = 0; i < g_taken_len.load() && i < 32; ++i)
          taken.push_back(g_taken[i]);
        break;
    }
    if (any_pending()) taken.push_back({0, 0});  // something was left behind
    ssize_t bytes = static_cast<ssize_t>(taken.size() * sizeof(Taken));
    TEST_CHECK(::write(out.write.get(), taken.data(),
                       static_cast<std::size_t>(bytes)) == bytes);
  });
  out.write.reset();
  std::string bytes = conformance::testing::ReadToEof(out.read.get());
  EXPECT_TRUE(result.ok()) << "the scenario could not run in the child: "
                           << result.describe();
  std::vector<Taken> taken(bytes.size() / sizeof(Taken));
  // Nothing taken leaves data() null, which memcpy must not get (UBSan).
  if (!taken.empty())
    std::memcpy(taken.data(), bytes.data(), taken.size() * sizeof(Taken));
  return taken;
}

bool IsRealTime(int sig) { return sig >= SIGRTMIN && sig <= SIGRTMAX; }

// TSan keeps one pending instance per signal number for the handlers it
// defers: the handler path is judged without it.
#define SKIP_HANDLERS_UNDER_TSAN(c)                                        \
  do {                                                                     \
    if ((c).path == Path::kHandlers && sanitizers::kThread)                \
      GTEST_SKIP() << "TSan keeps one pending instance per signal number " \
                      "for the handlers it defers; the other paths run";   \
  } while (0)

// SIG-014. Catches: a path that queues a standard signal (three SIGUSR1
// deliveries), keeps the last instance's value instead of the first, or
// leaves something pending.
TEST_P(SigDeliveryOrder, StandardSignalIsTakenOnceWithItsFirstValue) {
  const PathCase& c = GetParam();
  SKIP_HANDLERS_UNDER_TSAN(c);
  std::vector<Taken> taken = TakeScenario(c);
  std::vector<Taken> usr1;
  for (const Taken& t : taken) {
    if (t.sig == SIGUSR1 || t.sig == 0) usr1.push_back(t);
  }
  EXPECT_THAT(usr1,
              ::testing::ElementsAre(Taken{SIGUSR1, c.has_values ? 41 : -1}))
      << "all taken: " << ::testing::PrintToString(taken)
      << " ({0, 0}: signals were left pending)";
}

// SIG-015. Catches: a path that loses or reorders real-time instances or
// values, or takes the higher real-time signal first.
TEST_P(SigDeliveryOrder, RealTimeInstancesComeInSendOrderLowestFirst) {
  const PathCase& c = GetParam();
  SKIP_HANDLERS_UNDER_TSAN(c);
  std::vector<Taken> taken = TakeScenario(c);
  std::vector<Taken> rt;
  for (const Taken& t : taken) {
    if (IsRealTime(t.sig) || t.sig == 0) rt.push_back(t);
  }
  const int lo = SIGRTMIN, hi = SIGRTMIN + 1;
  auto v = [&](int value) { return c.has_values ? value : -1; };
  EXPECT_THAT(rt, ::testing::ElementsAre(Taken{lo, v(1)}, Taken{lo, v(2)},
                                         Taken{lo, v(3)}, Taken{lo, v(4)},
                                         Taken{lo, v(5)}, Taken{hi, v(100)},
                                         Taken{hi, v(101)}))
      << "all taken: " << ::testing::PrintToString(taken);
}

// SIG-016. Catches: a path that takes a real-time signal before a pending
// standard one, or the standard ones highest first.
TEST_P(SigDeliveryOrder, StandardSignalsComeFirstLowestNumberFirst) {
  const PathCase& c = GetParam();
  SKIP_HANDLERS_UNDER_TSAN(c);
  std::vector<Taken> taken = TakeScenario(c);
  std::vector<int> order;
  for (const Taken& t : taken) order.push_back(IsRealTime(t.sig) ? -1 : t.sig);
  // The standard ones, then only real-time ones (-1).
  std::vector<int> want = {SIGUSR1, SIGTERM};
  want.resize(taken.size() >= 2 ? taken.size() : 2, -1);
  EXPECT_EQ(order, want) << "all taken: " << ::testing::PrintToString(taken)
                         << " (-1 = a real-time signal)";
}

INSTANTIATE_TEST_SUITE_P(
    Paths, SigDeliveryOrder,
    ::testing::Values(
        PathCase{"RawRtSigtimedwait", Path::kRawRtSigtimedwait, true},
        PathCase{"Sigtimedwait", Path::kSigtimedwait, true},
        PathCase{"Sigwaitinfo", Path::kSigwaitinfo, true},
        PathCase{"Sigwait", Path::kSigwait, false},
        PathCase{"SignalfdOneRead", Path::kSignalfdOneRead, true},
        PathCase{"SignalfdEachRecord", Path::kSignalfdEachRecord, true},
        PathCase{"Handlers", Path::kHandlers, true}),
    [](const ::testing::TestParamInfo<PathCase>& info) {
      return info.param.name;
    });

// ---- SIG-017, SIG-031, SIG-009/027: the other libc entry points -----------

// Catches: sigwaitinfo or a signalfd that cannot see a signal that is ignored
// but blocked (it must stay pending until taken).
TEST(SigOs, IgnoredButBlockedSignalIsTakenBySigwaitinfoAndSignalfd) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK_SUCCESS(SetAction(SIGUSR1, SIG_IGN));
    TEST_CHECK_SUCCESS(Block({SIGUSR1}));
    sigset_t set = make_sigset({SIGUSR1});
    ::raise(SIGUSR1);
    TEST_CHECK_MSG(IsPending(SIGUSR1), "discarded although blocked");
    siginfo_t si = {};
    TEST_CHECK_MSG(::sigwaitinfo(&set, &si) == SIGUSR1,
                   "sigwaitinfo did not take it");
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    TEST_CHECK_SUCCESS(fd);
    ::raise(SIGUSR1);
    signalfd_siginfo in = {};
    TEST_CHECK_MSG(
        ::read(fd, &in, sizeof in) == static_cast<ssize_t>(sizeof in) &&
            in.ssi_signo == static_cast<unsigned>(SIGUSR1),
        "the signalfd did not take it");
    ::close(fd);
    TEST_CHECK_MSG(!IsPending(SIGUSR1), "left pending");
  }));
}

// Catches: glibc's sigwait (used by daemons' signal threads) not consuming a
// pending signal, running its handler instead, or returning the wrong number.
TEST(SigOs, SigwaitConsumesAPendingSignalWithoutItsHandler) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_CHECK_SUCCESS(SetAction(SIGUSR2, CountHandler));
    TEST_CHECK_SUCCESS(Block({SIGUSR1, SIGUSR2}));
    ::raise(SIGUSR2);
    sigset_t set = make_sigset({SIGUSR1, SIGUSR2});
    int sig = 0;
    TEST_CHECK(::sigwait(&set, &sig) == 0);
    TEST_CHECK(sig == SIGUSR2);
    TEST_CHECK_MSG(!IsPending(SIGUSR2), "left pending");
    TEST_CHECK_MSG(g_hits == 0, "its handler ran");
  }));
}

// Catches: glibc's tgkill() (not the system call) reaching another thread or
// the whole process instead of exactly the named thread.
TEST(SigOs, GlibcTgkillTargetsExactlyTheNamedThread) {
  EXPECT_CHILD_OK(RunInChild([] {
    CHILD_SKIP_UNLESS(ProcShowsPendingSets(),
                      "/proc/<pid>/status has no SigPnd/ShdPnd lines");
    TEST_CHECK_SUCCESS(Block({SIGUSR1}));
    std::promise<pid_t> started;
    std::promise<void> finish;
    std::atomic<int> seen{-1};
    std::thread t([&] {
      started.set_value(Gettid());
      finish.get_future().wait();
      seen = TakePending({SIGUSR1});
    });
    pid_t tid = started.get_future().get();
    TEST_CHECK_SUCCESS(::tgkill(::getpid(), tid, SIGUSR1));
    TEST_CHECK_MSG(!IsPending(SIGUSR1), "pending for the caller");
    TEST_CHECK_MSG(InSet(ProcSignalSet(::getpid(), tid, "SigPnd"), SIGUSR1),
                   "not pending for the named thread");
    finish.set_value();
    t.join();
    TEST_CHECK_MSG(seen == SIGUSR1, "the thread could not take it");
  }));
}

// Catches: pthread_sigqueue (glibc's thread-directed sigqueue) losing the
// value, the SI_QUEUE code, the sender's pid, or the queueing of real-time
// instances to one thread.
TEST(SigOs, PthreadSigqueueQueuesToOneThreadWithSiQueue) {
  EXPECT_CHILD_OK(RunInChild([] {
    const int rt = SIGRTMIN;
    TEST_CHECK_SUCCESS(Block({rt}));
    std::promise<void> queued;
    std::atomic<int> code{0};
    std::thread t([&] {
      queued.get_future().wait();
      for (int v = 1; v <= 3; ++v) {
        siginfo_t si = {};
        if (TakePending({rt}, &si) != rt || si.si_code != SI_QUEUE ||
            si.si_pid != ::getpid() || si.si_value.sival_int != v) {
          code = 10 + v;
          return;
        }
      }
      if (TakePending({rt}) != 0) code = 14;
    });
    for (int v = 1; v <= 3; ++v) {
      union sigval val;
      val.sival_int = v;
      TEST_CHECK(::pthread_sigqueue(t.native_handle(), rt, val) == 0);
    }
    TEST_CHECK_MSG(!IsPending(rt), "pending for the caller");
    queued.set_value();
    t.join();
    TEST_CHECK_MSG(code.load() == 0,
                   "an instance was lost or altered, or an extra one came");
  }));
}

}  // namespace
