// conformance/signals_test.cc — signals: dispositions, masks, delivery. What
// signal(7), sigaction(2), sigprocmask(2), kill(2), sigwaitinfo(2),
// sigaltstack(2) and POSIX XSH 2.4 promise, checked on the raw OS calls (SigOs)
// and, where ipc/signals.h exposes the behaviour, on the layer (SigLayer).
// Catalogue: conformance/catalog/signals.txt (SIG-001 … SIG-039).
//
// How the tests stay deterministic and hermetic:
//  - Anything that changes process-wide state (dispositions, pending signals,
//    process groups) runs in a forked child (RunInChild / Child) whose checks
//    (TEST_CHECK, ipc/testing/child.h) name the expression, errno and line
//    that failed; the parent's EXPECT_CHILD_OK prints that.
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
using ::ipc::testing::RetryEINTR;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;

// The kernel's sigset size for the rt_sig* calls (8 bytes on Linux/x86-64 and
// arm64).
constexpr std::size_t kKernelSigsetSize = _NSIG / 8;

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
  int r = RetryEINTR(RawSigtimedwait)(set, info, &limit);
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
  return RetryEINTR(::read)(fd, &c, 1);
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
  std::string out = conformance::testing::ReadToEof(fds[0]);
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
  EXPECT_CHILD_OK(RunInChild([] {
    sigset_t all, now;
    sigfillset(&all);
    TEST_PCHECK(::sigprocmask(SIG_BLOCK, &all, nullptr) == 0);
    TEST_PCHECK(::sigprocmask(SIG_BLOCK, nullptr, &now) == 0);
    TEST_CHECK(sigismember(&now, SIGKILL) == 0 &&
               sigismember(&now, SIGSTOP) == 0);
    TEST_CHECK(sigismember(&now, SIGUSR1) == 1 &&
               sigismember(&now, SIGTERM) == 1);
    // The raw call with every bit set: accepted, the two bits dropped.
    std::uint64_t bits = ~std::uint64_t{0}, back = 0;
    TEST_PCHECK(::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &bits, nullptr,
                          kKernelSigsetSize) == 0);
    TEST_PCHECK(::syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &back,
                          kKernelSigsetSize) == 0);
    std::uint64_t unblockable =
        (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1));
    TEST_CHECK(back == (~std::uint64_t{0} & ~unblockable));
  }));
}

// Catches: a process that blocks everything escaping SIGSTOP or SIGKILL.
TEST(SigOs, FullyBlockedProcessStillStopsAndDies) {
  ipc::testing::RawPipe hold;
  Child child([&] {
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    hold.write.reset();
    TEST_CHECK(ReadOne(hold.read.get()) == 0);
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
  EXPECT_THAT(child.wait(), ChildKilledBy(SIGKILL));
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
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_PCHECK(
        SetAction(SIGUSR1, CountHandler, SA_RESTART, {SIGUSR2, SIGRTMIN}) == 0);
    struct sigaction ign = {}, old = {};
    ign.sa_handler = SIG_IGN;
    TEST_PCHECK(::sigaction(SIGUSR1, &ign, &old) == 0);
    TEST_CHECK(old.sa_handler == CountHandler);
    TEST_CHECK((old.sa_flags & SA_RESTART) != 0 &&
               (old.sa_flags & SA_NODEFER) == 0);
    TEST_CHECK(sigismember(&old.sa_mask, SIGUSR2) == 1 &&
               sigismember(&old.sa_mask, SIGRTMIN) == 1);
    TEST_CHECK(sigismember(&old.sa_mask, SIGTERM) == 0);
    for (int i = 0; i < 2; ++i) {
      struct sigaction cur = {};
      TEST_PCHECK(::sigaction(SIGUSR1, nullptr, &cur) == 0);
      TEST_CHECK(cur.sa_handler == SIG_IGN);
    }
    // Both NULL: a no-op.
    TEST_PCHECK(::sigaction(SIGUSR1, nullptr, nullptr) == 0);
    TEST_CHECK(Disposition(SIGUSR1) == SIG_IGN);
  }));
}

TEST(SigLayer, PreviousHoldsTheReplacedActionAndRestorePutsItBack) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_PCHECK(SetAction(SIGUSR2, OrderHandler, SA_RESTART, {SIGWINCH}) == 0);
    auto a = ScopedSigaction::set_disposition(SIGUSR2, SIG_IGN);
    TEST_CHECK(a.ok());
    TEST_CHECK(a->previous().sa_handler == OrderHandler);
    TEST_CHECK((a->previous().sa_flags & SA_RESTART) != 0);
    TEST_CHECK(sigismember(&a->previous().sa_mask, SIGWINCH) == 1);
    TEST_CHECK(Disposition(SIGUSR2) == SIG_IGN);
    TEST_CHECK(a->restore().ok());
    TEST_CHECK(Disposition(SIGUSR2) == OrderHandler);
  }));
}

// ---- SIG-006 mask while a handler runs -------------------------------------

// Catches: the delivered signal or sa_mask not blocked inside the handler, or
// the handler's mask left in place after it returns.
TEST(SigOs, HandlerRunsWithItsSignalAndSaMaskBlockedThenTheMaskReturns) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, MaskProbeHandler, 0, {SIGUSR2}) == 0);
    TEST_CHECK(::raise(SIGUSR1) == 0 && g_hits == 1);
    TEST_CHECK(g_mask_had_sig == 1);
    TEST_CHECK(g_mask_had_usr2 == 1);
    // ThreadSanitizer runs handlers with everything blocked: "not blocked" is
    // only observable without it.
    TEST_CHECK(sanitizers::kThread || g_mask_had_winch == 0);
    TEST_CHECK(!IsBlocked(SIGUSR1) && !IsBlocked(SIGUSR2));
  }));
}

// Catches: a signal raised from its own handler (no SA_NODEFER) delivered
// nested instead of after the handler returns.
TEST(SigOs, WithoutNodeferTheOwnSignalWaitsUntilTheHandlerReturns) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, NestingHandler) == 0);
    TEST_PCHECK(::raise(SIGUSR1) == 0);
    TEST_CHECK(g_hits == 2);       // the second one was not lost...
    TEST_CHECK(g_max_depth == 1);  // ...but ran after the first returned
  }));
}

TEST(SigLayer, SaMaskArgumentIsBlockedInsideTheHandler) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    sigset_t mask = make_sigset({SIGUSR2});
    auto a = ScopedSigaction::install(SIGUSR1, MaskProbeHandler, 0, &mask);
    TEST_CHECK(a.ok());
    ::raise(SIGUSR1);
    TEST_CHECK(g_hits == 1 && g_mask_had_usr2 == 1 && g_mask_had_sig == 1);
    TEST_CHECK(!IsBlocked(SIGUSR2));
  }));
}

// ---- SIG-007 SA_NODEFER ----------------------------------------------------

// Catches: SA_NODEFER ignored (the own signal still deferred until return).
TEST(SigOs, NodeferLetsTheOwnSignalInterruptItsHandler) {
  if (sanitizers::kThread)
    GTEST_SKIP() << "ThreadSanitizer's handler wrapper blocks every signal, so "
                    "nesting cannot happen";
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, NestingHandler, SA_NODEFER) == 0);
    TEST_PCHECK(::raise(SIGUSR1) == 0);
    TEST_CHECK(g_hits == 2);
    TEST_CHECK(g_max_depth == 2);
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, MaskProbeHandler, SA_NODEFER) == 0);
    ::raise(SIGUSR1);
    TEST_CHECK(g_mask_had_sig == 0);
  }));
}

// ---- SIG-008 SA_RESETHAND --------------------------------------------------

// Catches: the handler staying installed (second signal caught again), the
// disposition not reset already on entry, or (Linux) the signal unmasked
// inside a SA_RESETHAND handler without SA_NODEFER.
TEST(SigOs, ResethandResetsTheDispositionOnEntry) {
  ipc::testing::ChildResult died = RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, MaskProbeHandler, SA_RESETHAND) == 0);
    ::raise(SIGUSR1);
    TEST_CHECK(g_hits == 1);
    TEST_CHECK(g_disposition_was_default == 1);
    // Linux; POSIX also allows SA_NODEFER behaviour.
    TEST_CHECK(g_mask_had_sig == 1);
    TEST_CHECK(Disposition(SIGUSR1) == SIG_DFL);
    ::raise(SIGUSR1);  // default action: terminate
    TEST_FAIL("the second SIGUSR1 was caught again");
  });
  EXPECT_THAT(died, ChildKilledBy(SIGUSR1));
}

// Catches: SA_RESETHAND | SA_NODEFER still masking the signal inside the
// handler.
TEST(SigOs, ResethandWithNodeferDoesNotMaskTheSignal) {
  if (sanitizers::kThread)
    GTEST_SKIP() << "ThreadSanitizer's handler wrapper blocks every signal";
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(
        SetAction(SIGUSR1, MaskProbeHandler, SA_RESETHAND | SA_NODEFER) == 0);
    ::raise(SIGUSR1);
    TEST_CHECK(g_hits == 1 && g_mask_had_sig == 0);
  }));
}

TEST(SigLayer, ResetHandMakesTheSecondSignalTakeTheDefaultAction) {
  ipc::testing::ChildResult died = RunInChild([] {
    ResetObservations();
    auto a = ScopedSigaction::install(SIGUSR2, CountHandler, SA_RESETHAND);
    TEST_CHECK(a.ok());
    ::raise(SIGUSR2);
    TEST_CHECK(g_hits == 1);
    ::raise(SIGUSR2);
    TEST_FAIL("the second SIGUSR2 was caught again");
  });
  EXPECT_THAT(died, ChildKilledBy(SIGUSR2));
}

// ---- SIG-009 siginfo fields ------------------------------------------------

// Catches: wrong si_code for kill/tgkill/sigqueue, wrong sender pid/uid, or a
// lost sigqueue value (seen synchronously through sigwaitinfo).
TEST(SigOs, SiginfoIdentifiesTheSenderAndHowItWasSent) {
  EXPECT_CHILD_OK(RunInChild([] {
    const int rt = SIGRTMIN;
    TEST_CHECK(Block({SIGUSR1, SIGUSR2, rt}) == 0);
    siginfo_t si = {};
    TEST_PCHECK(::kill(::getpid(), SIGUSR1) == 0);
    TEST_CHECK(TakePending({SIGUSR1}, &si) == SIGUSR1);
    TEST_CHECK(si.si_signo == SIGUSR1 && si.si_code == SI_USER);
    TEST_CHECK(si.si_pid == ::getpid() && si.si_uid == ::getuid());
    TEST_PCHECK(Tgkill(Gettid(), SIGUSR2) == 0);
    TEST_CHECK(TakePending({SIGUSR2}, &si) == SIGUSR2 &&
               si.si_code == SI_TKILL);
    TEST_CHECK(si.si_pid == ::getpid() && si.si_uid == ::getuid());
    TEST_PCHECK(Sigqueue(::getpid(), rt, 4242) == 0);
    TEST_CHECK(TakePending({rt}, &si) == rt && si.si_code == SI_QUEUE);
    TEST_CHECK(si.si_value.sival_int == 4242 && si.si_pid == ::getpid());
    // Another process as sender: si_pid is that process, not the receiver.
    pid_t sender = ::fork();
    if (sender == 0) {
      TEST_PCHECK(Sigqueue(::getppid(), rt, -7) == 0);
      ::_exit(0);
    }
    TEST_CHECK(AwaitSignal({rt}, &si) == rt);
    int st = 0;
    ::waitpid(sender, &st, 0);
    TEST_CHECK(si.si_pid == sender && si.si_code == SI_QUEUE &&
               si.si_value.sival_int == -7);
  }));
}

// Catches: a SA_SIGINFO handler given other fields than sigwaitinfo reports.
TEST(SigOs, InfoHandlerReceivesTheSameFields) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetInfoAction(SIGUSR1, InfoHandler) == 0);
    // Delivered before kill returns (SIG-026)
    TEST_PCHECK(::kill(::getpid(), SIGUSR1) == 0);
    TEST_CHECK(g_hits == 1 && g_info_null == 0);
    TEST_CHECK(g_info_signo == SIGUSR1 && g_info_code == SI_USER &&
               g_info_pid == ::getpid());
    TEST_CHECK(g_info_uid == static_cast<int>(::getuid()));
    const int rt = SIGRTMIN + 1;
    TEST_CHECK(SetInfoAction(rt, InfoHandler) == 0 && Block({rt}) == 0);
    TEST_PCHECK(Sigqueue(::getpid(), rt, 99) == 0);
    TEST_CHECK_ERRNO(SuspendUnblocking({rt}), EINTR);
    TEST_CHECK(g_hits == 2 && g_info_signo == rt && g_info_code == SI_QUEUE &&
               g_info_value == 99);
  }));
}

TEST(SigLayer, InfoHandlerAndWaitSignalReportSigqueueValueAndSender) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    const int rt = SIGRTMIN + 2;
    auto a = ScopedSigaction::install(rt, InfoHandler);
    TEST_CHECK(a.ok());
    auto m = ScopedSignalMask::block(make_sigset({rt}));
    TEST_CHECK(m.ok());
    TEST_PCHECK(Sigqueue(::getpid(), rt, 5) == 0);
    auto si = ipc::wait_signal(make_sigset({rt}), std::chrono::nanoseconds(0));
    TEST_CHECK(si.ok() && si->si_signo == rt && si->si_code == SI_QUEUE);
    TEST_CHECK(si->si_value.sival_int == 5 && si->si_pid == ::getpid());
    TEST_CHECK(g_hits == 0);  // taken synchronously, the handler did not run
    TEST_PCHECK(Sigqueue(::getpid(), rt, 6) == 0);
    TEST_CHECK(SuspendUnblocking({rt}) == -1 && g_hits == 1 &&
               g_info_value == 6);
  }));
}

// ---- SIG-010 siginfo for pthread_kill --------------------------------------

// Catches: a NULL siginfo pointer for a signal from pthread_kill/raise.
TEST(SigOs, InfoHandlerGetsSiginfoEvenForPthreadKill) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetInfoAction(SIGUSR2, InfoHandler) == 0);
    TEST_CHECK(::pthread_kill(::pthread_self(), SIGUSR2) == 0);
    TEST_CHECK(g_hits == 1 && g_info_null == 0);
    TEST_CHECK(g_info_signo == SIGUSR2 && g_info_code == SI_TKILL &&
               g_info_pid == ::getpid());
  }));
}

// ---- SIG-011 unblocking delivers before sigprocmask returns ----------------

// Catches: a pending signal that stays pending after being unblocked, or whose
// delivery waits past sigprocmask's return (the default action must kill the
// process inside the call).
TEST(SigOs, UnblockingAPendingSignalDeliversItBeforeSigprocmaskReturns) {
  ipc::testing::ChildResult died = RunInChild([] {
    TEST_CHECK(SetDefaultRaw(SIGTERM));
    TEST_CHECK(Block({SIGTERM}) == 0);
    TEST_PCHECK(::raise(SIGTERM) == 0);
    TEST_CHECK(IsPending(SIGTERM));
    sigset_t set = make_sigset({SIGTERM});
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    TEST_FAIL("sigprocmask returned before SIGTERM was delivered");
  });
  EXPECT_THAT(died, ChildKilledBy(SIGTERM));
}

TEST(SigLayer, RestoringTheMaskDeliversThePendingSignalBeforeReturning) {
  ipc::testing::ChildResult died = RunInChild([] {
    TEST_CHECK(SetDefaultRaw(SIGHUP));
    auto m = ScopedSignalMask::block(make_sigset({SIGHUP}));
    TEST_CHECK(m.ok());
    ::raise(SIGHUP);
    TEST_CHECK(IsPending(SIGHUP));
    (void)m->restore();
    // _exits: the destructor must not get a second chance.
    TEST_FAIL("restore() returned before SIGHUP was delivered");
  });
  EXPECT_THAT(died, ChildKilledBy(SIGHUP));
}

// ---- SIG-012 sigprocmask arguments -----------------------------------------

// Catches: an unknown `how` accepted, bad pointers not reported as EFAULT, both
// sets NULL refused, or set == oldset not returning the old mask.
TEST(SigOs, SigprocmaskRejectsBadHowAndBadPointersAndAllowsAliasing) {
  EXPECT_CHILD_OK(RunInChild([] {
    sigset_t set = make_sigset({SIGUSR1});
    TEST_CHECK_ERRNO(::sigprocmask(12345, &set, nullptr), EINVAL);
    // Error number, not -1.
    TEST_CHECK(::pthread_sigmask(12345, &set, nullptr) == EINVAL);
    TEST_CHECK(!IsBlocked(SIGUSR1));
    void* page =
        ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TEST_CHECK(page != MAP_FAILED);
    TEST_CHECK_ERRNO(::syscall(SYS_rt_sigprocmask, SIG_BLOCK, page, nullptr,
                               kKernelSigsetSize),
                     EFAULT);
    TEST_CHECK_ERRNO(::syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, page,
                               kKernelSigsetSize),
                     EFAULT);
    TEST_PCHECK(::sigprocmask(SIG_BLOCK, nullptr, nullptr) == 0);
    // Aliased sets: the old mask comes back in the same variable, the new one
    // applies. (glibc declares the pointers restrict, so this goes to the
    // kernel.)
    sigset_t usr2 = make_sigset({SIGUSR2});
    TEST_PCHECK(::sigprocmask(SIG_SETMASK, &usr2, nullptr) == 0);
    std::uint64_t both = 1ULL << (SIGUSR1 - 1);
    TEST_PCHECK(::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &both, &both,
                          kKernelSigsetSize) == 0);
    TEST_CHECK(both == (1ULL << (SIGUSR2 - 1)));
    TEST_CHECK(IsBlocked(SIGUSR1) && !IsBlocked(SIGUSR2));
  }));
}

// ---- SIG-013 sigpending ----------------------------------------------------

// Catches: sigpending missing a blocked pending signal, reporting one that was
// not sent, or still reporting it after it was consumed.
TEST(SigOs, SigpendingReportsExactlyTheBlockedPendingSignals) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(Block({SIGUSR1, SIGUSR2, SIGRTMIN}) == 0);
    sigset_t p;
    TEST_PCHECK(::sigpending(&p) == 0);
    for (int s = 1; s < NSIG; ++s) TEST_CHECK(sigismember(&p, s) != 1);
    ::raise(SIGUSR1);
    Sigqueue(::getpid(), SIGRTMIN, 1);
    TEST_PCHECK(::sigpending(&p) == 0);
    for (int s = 1; s < NSIG; ++s) {
      TEST_CHECK((sigismember(&p, s) == 1) == (s == SIGUSR1 || s == SIGRTMIN));
    }
    TEST_CHECK(TakePending({SIGUSR1}) == SIGUSR1 &&
               TakePending({SIGRTMIN}) == SIGRTMIN);
    TEST_CHECK(!IsPending(SIGUSR1) && !IsPending(SIGRTMIN));
  }));
}

// ---- SIG-014 standard signals do not queue ---------------------------------

// Catches: several instances of a standard signal queued (several deliveries),
// or the first instance's siginfo replaced by a later one.
TEST(SigOs, StandardSignalsDoNotQueueAndKeepTheFirstSiginfo) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(Block({SIGUSR1}) == 0);
    for (int v = 1; v <= 3; ++v)
      TEST_PCHECK(Sigqueue(::getpid(), SIGUSR1, v) == 0);
    ::kill(::getpid(), SIGUSR1);
    siginfo_t si = {};
    TEST_CHECK(TakePending({SIGUSR1}, &si) == SIGUSR1);
    TEST_CHECK(si.si_code == SI_QUEUE && si.si_value.sival_int == 1);
    TEST_CHECK(TakePending({SIGUSR1}) == 0);
    // With a handler: five sends while blocked, one delivery.
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, CountHandler) == 0);
    for (int i = 0; i < 5; ++i) ::kill(::getpid(), SIGUSR1);
    TEST_CHECK_ERRNO(SuspendUnblocking({SIGUSR1}), EINTR);
    TEST_CHECK(g_hits == 1 && !IsPending(SIGUSR1));
  }));
}

TEST(SigLayer, WaitSignalTakesOneInstanceOfACoalescedStandardSignal) {
  EXPECT_CHILD_OK(RunInChild([] {
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR2}));
    TEST_CHECK(m.ok());
    for (int v = 10; v < 13; ++v) Sigqueue(::getpid(), SIGUSR2, v);
    auto first =
        ipc::wait_signal(make_sigset({SIGUSR2}), std::chrono::nanoseconds(0));
    TEST_CHECK(first.ok() && first->si_value.sival_int == 10);
    auto second =
        ipc::wait_signal(make_sigset({SIGUSR2}), std::chrono::nanoseconds(0));
    TEST_CHECK(!second.ok() && second.error().code() == EAGAIN);
  }));
}

// ---- SIG-015 real-time signals queue ---------------------------------------

// Catches: real-time instances coalesced, values lost or reordered, or the
// higher-numbered real-time signal taken first.
TEST(SigOs, RealTimeSignalsQueueEveryInstanceInOrderLowestFirst) {
  EXPECT_CHILD_OK(RunInChild([] {
    const int lo = SIGRTMIN, hi = SIGRTMIN + 1;
    TEST_CHECK(Block({lo, hi}) == 0);
    TEST_PCHECK(Sigqueue(::getpid(), hi, 100) == 0);
    for (int v = 1; v <= 5; ++v) TEST_PCHECK(Sigqueue(::getpid(), lo, v) == 0);
    TEST_PCHECK(Sigqueue(::getpid(), hi, 101) == 0);
    siginfo_t si = {};
    for (int v = 1; v <= 5; ++v) {
      TEST_CHECK(TakePending({lo, hi}, &si) == lo);
      TEST_CHECK(si.si_value.sival_int == v);
    }
    TEST_CHECK(TakePending({lo, hi}, &si) == hi &&
               si.si_value.sival_int == 100);
    TEST_CHECK(TakePending({lo, hi}, &si) == hi &&
               si.si_value.sival_int == 101);
    TEST_CHECK(TakePending({lo, hi}) == 0);
  }));
}

// Catches: no limit on queued real-time signals (unbounded kernel memory) or
// a wrong errno at the limit. The count is per real user, so it includes any
// other process of that user: the test only asserts the bound and the errno.
TEST(SigOs, SigqueueFailsEagainAtRlimitSigpending) {
  EXPECT_CHILD_OK(RunInChild([] {
    // 64, or the hard limit if that is lower (gVisor reports 0).
    struct rlimit old;
    TEST_PCHECK(::getrlimit(RLIMIT_SIGPENDING, &old) == 0);
    const rlim_t kLimit = std::min<rlim_t>(64, old.rlim_max);
    struct rlimit rl = {kLimit, kLimit};
    TEST_PCHECK(::setrlimit(RLIMIT_SIGPENDING, &rl) == 0);
    TEST_CHECK(Block({SIGRTMIN}) == 0);
    int queued = 0;
    int err = 0;
    for (int i = 0; i < static_cast<int>(kLimit) + 2; ++i) {
      if (Sigqueue(::getpid(), SIGRTMIN, i) != 0) {
        err = errno;
        break;
      }
      ++queued;
    }
    TEST_CHECK(err == EAGAIN);
    TEST_CHECK(queued <= static_cast<int>(kLimit) &&
               (kLimit == 0 || queued >= 1));
    int drained = 0;
    while (TakePending({SIGRTMIN}) == SIGRTMIN) ++drained;
    TEST_CHECK(drained == queued);
    TEST_CHECK(kLimit == 0 ||
               Sigqueue(::getpid(), SIGRTMIN, 0) == 0);  // room again
  }));
}

TEST(SigLayer, WaitSignalReturnsQueuedRealTimeValuesInOrder) {
  EXPECT_CHILD_OK(RunInChild([] {
    const int rt = SIGRTMIN + 3;
    auto m = ScopedSignalMask::block(make_sigset({rt}));
    TEST_CHECK(m.ok());
    for (int v = 1; v <= 3; ++v) Sigqueue(::getpid(), rt, v * 11);
    for (int v = 1; v <= 3; ++v) {
      auto si =
          ipc::wait_signal(make_sigset({rt}), std::chrono::nanoseconds(0));
      TEST_CHECK(si.ok() && si->si_value.sival_int == v * 11);
    }
  }));
}

// ---- SIG-016 standard before real-time (Linux) -----------------------------

// Catches: a pending real-time signal selected before a pending standard one.
TEST(SigOs, PendingStandardSignalIsTakenBeforeARealTimeOne) {
  EXPECT_CHILD_OK(RunInChild([] {
    const int rt = SIGRTMIN;
    TEST_CHECK(Block({SIGUSR1, SIGTERM, rt}) == 0);
    Sigqueue(::getpid(), rt, 1);  // generated first
    ::raise(SIGTERM);
    ::raise(SIGUSR1);
    TEST_CHECK(TakePending({SIGUSR1, SIGTERM, rt}) == SIGUSR1);
    TEST_CHECK(TakePending({SIGUSR1, SIGTERM, rt}) == SIGTERM);
    TEST_CHECK(TakePending({SIGUSR1, SIGTERM, rt}) == rt);
    // With handlers: each handler blocks the others, so one delivery per
    // sigsuspend.
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, OrderHandler, 0, {rt}) == 0);
    TEST_PCHECK(SetAction(rt, OrderHandler, 0, {SIGUSR1}) == 0);
    Sigqueue(::getpid(), rt, 2);
    ::raise(SIGUSR1);
    TEST_PCHECK(SuspendUnblocking({SIGUSR1, rt}) == -1);
    TEST_CHECK(g_order_len >= 1 && g_order[0] == SIGUSR1);
    if (g_order_len == 1) SuspendUnblocking({SIGUSR1, rt});
    TEST_CHECK(g_order_len == 2 && g_order[1] == rt);
  }));
}

// ---- SIG-017 ignored: discarded unless blocked (Linux) ---------------------

// Catches: an ignored unblocked signal left pending, or an ignored blocked one
// discarded (sigtimedwait could then never take it).
TEST(SigOs, IgnoredSignalIsDiscardedUnlessBlocked) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_PCHECK(SetAction(SIGUSR1, SIG_IGN) == 0);
    ::raise(SIGUSR1);
    TEST_CHECK(Block({SIGUSR1}) == 0);
    TEST_CHECK(!IsPending(SIGUSR1));
    TEST_CHECK(TakePending({SIGUSR1}) == 0);
    ::raise(SIGUSR1);  // ignored but blocked now
    TEST_CHECK(IsPending(SIGUSR1));
    TEST_CHECK(TakePending({SIGUSR1}) == SIGUSR1);
  }));
}

// ---- SIG-018 SIG_IGN discards a pending signal -----------------------------

// Catches: a pending signal surviving a change to SIG_IGN (or to SIG_DFL when
// the default is to ignore).
TEST(SigOs, IgnoringAPendingSignalDiscardsIt) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_CHECK(SetAction(SIGUSR1, CountHandler) == 0 &&
               Block({SIGUSR1, SIGURG}) == 0);
    ::raise(SIGUSR1);
    TEST_CHECK(IsPending(SIGUSR1));
    TEST_PCHECK(SetAction(SIGUSR1, SIG_IGN) == 0);
    TEST_CHECK(!IsPending(SIGUSR1));
    TEST_CHECK(SetAction(SIGUSR1, CountHandler) == 0 &&
               Unblock({SIGUSR1}) == 0);
    TEST_CHECK(g_hits == 0);
    // SIGURG's default action is to ignore: SIG_DFL discards it as well.
    TEST_PCHECK(SetAction(SIGURG, CountHandler) == 0);
    ::raise(SIGURG);
    TEST_CHECK(IsPending(SIGURG));
    TEST_CHECK(SetDefaultRaw(SIGURG));
    TEST_CHECK(!IsPending(SIGURG));
  }));
}

TEST(SigLayer, SetDispositionIgnoreDiscardsThePendingSignal) {
  EXPECT_CHILD_OK(RunInChild([] {
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR2}));
    TEST_CHECK(m.ok());
    ::raise(SIGUSR2);
    TEST_CHECK(IsPending(SIGUSR2));
    {
      auto ign = ScopedSigaction::set_disposition(SIGUSR2, SIG_IGN);
      TEST_CHECK(ign.ok());
      TEST_CHECK(!IsPending(SIGUSR2));
    }
    TEST_CHECK(m->restore().ok());  // SIGUSR2's default would kill us here
  }));
}

// ---- SIG-019 fork ----------------------------------------------------------

// Catches: a fork child that loses dispositions or the mask, or inherits the
// parent's pending signals or alarm.
TEST(SigOs, ForkChildInheritsDispositionsAndMaskButNoPendingSignalsOrAlarm) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(SetAction(SIGUSR1, CountHandler) == 0 &&
               SetAction(SIGUSR2, SIG_IGN) == 0);
    TEST_CHECK(Block({SIGTERM, SIGRTMIN}) == 0);
    ::raise(SIGTERM);
    Sigqueue(::getpid(), SIGRTMIN, 1);
    ::alarm(1000);
    pid_t pid = ::fork();
    if (pid == 0) {
      TEST_CHECK_MSG(Disposition(SIGUSR1) == CountHandler,
                     "the handler was not inherited");
      TEST_CHECK_MSG(Disposition(SIGUSR2) == SIG_IGN,
                     "SIG_IGN was not inherited");
      TEST_CHECK_MSG(
          IsBlocked(SIGTERM) && IsBlocked(SIGRTMIN) && !IsBlocked(SIGUSR1),
          "the mask was not inherited");
      TEST_CHECK_MSG(!IsPending(SIGTERM) && !IsPending(SIGRTMIN),
                     "pending signals were inherited");
      TEST_CHECK_MSG(::alarm(0) == 0, "the alarm was inherited");
      ::_exit(0);
    }
    int st = 0;
    TEST_PCHECK(::waitpid(pid, &st, 0) == pid);
    TEST_CHECK(IsPending(SIGTERM) &&
               ::alarm(0) > 0);  // the parent keeps its own
    TEST_CHECK_MSG(ExitedWith(st, 0), "the fork child's checks failed");
  }));
}

// ---- SIG-020 execve --------------------------------------------------------

// Catches: an alternate signal stack surviving execve (its memory is gone
// with the old image; execve(2) says the stack is not preserved). The control
// inside the child: sigaltstack must have taken (a failed check there prints
// itself on stderr and PeerAfter returns "exit ..."). A
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
    TEST_PCHECK(::sigaltstack(&ss, nullptr) == 0);
    TEST_PCHECK(::sigaltstack(nullptr, &now) == 0);
    TEST_CHECK((now.ss_flags & SS_DISABLE) == 0 &&
               now.ss_size == sizeof stack_mem);
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
  Child child([] {});
  siginfo_t si = {};
  ASSERT_THAT(
      ::waitid(P_PID, static_cast<id_t>(child.pid()), &si, WEXITED | WNOWAIT),
      SyscallSucceeds());
  EXPECT_THAT(::kill(child.pid(), 0), SyscallSucceeds())
      << "a zombie still exists";
  pid_t pid = child.pid();
  EXPECT_CHILD_OK(child.wait());
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
  EXPECT_CHILD_OK(RunInChild([] {
    pid_t root_parent = ::getppid();
    CHILD_SKIP_UNLESS(DropPrivileges(),
                      "cannot drop privileges here (only uid 0 mapped)");
    TEST_CHECK_ERRNO(::kill(root_parent, 0), EPERM);
    // Harmless if wrongly sent.
    TEST_CHECK_ERRNO(::kill(root_parent, SIGWINCH), EPERM);
    TEST_CHECK_ERRNO(Sigqueue(root_parent, SIGWINCH, 0), EPERM);
  }));
}

// ---- SIG-024 process groups ------------------------------------------------

// In the calling process (a group leader): two children in its group that die
// of SIGTERM; `send` signals them; both must die and the caller must have got
// it too (blocked, pending). `how` names the send in a failed check.
void SignalOwnGroup(const char* how, const std::function<int()>& send) {
  int ready[2], hold[2];
  TEST_PCHECK(::pipe2(ready, O_CLOEXEC) == 0 && ::pipe2(hold, O_CLOEXEC) == 0);
  pid_t members[2];
  for (pid_t& m : members) {
    m = ::fork();
    if (m == 0) {
      ::close(hold[1]);
      Unblock({SIGTERM});
      ::write(ready[1], "r", 1);
      ReadOne(hold[0]);  // EOF: the caller went on without killing it
      TEST_FAIL("a group member outlived the group's SIGTERM");
    }
  }
  ::close(hold[0]);
  for (int i = 0; i < 2; ++i) TEST_CHECK_MSG(ReadOne(ready[0]) == 1, how);
  TEST_PCHECK(send() == 0);
  for (pid_t m : members) {
    int st = 0;
    ::waitpid(m, &st, 0);
    TEST_CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, how);
  }
  TEST_CHECK_MSG(TakePending({SIGTERM}) == SIGTERM, how);
  ::close(hold[1]);
  ::close(ready[0]);
  ::close(ready[1]);
}

// Catches: kill(0, ...) or kill(-pgid, ...) missing a member of the group, or
// reaching a process outside it.
TEST(SigOs, KillZeroAndNegativePgidSignalEveryGroupMemberOnly) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(SetDefaultRaw(SIGTERM) && Block({SIGTERM}) == 0);
    TEST_PCHECK(::setpgid(0, 0) == 0);
    // An outsider in its own group, SIGTERM blocked: reports whether it got
    // one.
    int ready[2], go[2];
    TEST_CHECK(::pipe2(ready, O_CLOEXEC) == 0 && ::pipe2(go, O_CLOEXEC) == 0);
    pid_t outsider = ::fork();
    if (outsider == 0) {
      ::close(go[1]);
      TEST_PCHECK(::setpgid(0, 0) == 0);
      ::write(ready[1], "r", 1);
      ReadOne(go[0]);
      TEST_CHECK_MSG(!IsPending(SIGTERM), "the outsider was signalled");
      ::_exit(0);
    }
    ::close(go[0]);
    TEST_CHECK(ReadOne(ready[0]) == 1);
    SignalOwnGroup("kill(0, SIGTERM)", [] { return ::kill(0, SIGTERM); });
    SignalOwnGroup("kill(-getpgrp(), SIGTERM)",
                   [] { return ::kill(-::getpgrp(), SIGTERM); });
    ::close(go[1]);
    int st = 0;
    TEST_PCHECK(::waitpid(outsider, &st, 0) == outsider);
    TEST_CHECK_MSG(ExitedWith(st, 0), "the outsider's check failed");
  }));
}

// ---- SIG-025 kill(-1) skips the caller (Linux) -----------------------------

// Catches: kill(-1, sig) signalling the caller itself, or missing another
// process. Runs in a private PID namespace so that -1 reaches nothing else.
TEST(SigOs, KillMinusOneSignalsOthersButNotTheCaller) {
  EXPECT_CHILD_OK(RunInChild([] {
    CHILD_SKIP_UNLESS(::unshare(CLONE_NEWPID) == 0,
                      "cannot create a PID namespace here");
    pid_t init = ::fork();
    if (init == 0) {
      // pid 1 of the namespace.
      Block({SIGUSR1});
      int ready[2], hold[2];
      TEST_PCHECK(::pipe2(ready, O_CLOEXEC) == 0 &&
                  ::pipe2(hold, O_CLOEXEC) == 0);
      pid_t target = ::fork();
      if (target == 0) {
        ::close(hold[1]);
        ::write(ready[1], "r", 1);
        ReadOne(hold[0]);
        TEST_CHECK_MSG(IsPending(SIGUSR1), "another process missed kill(-1)");
        ::_exit(0);
      }
      TEST_CHECK(ReadOne(ready[0]) == 1);
      pid_t sender = ::fork();
      if (sender == 0) {
        TEST_PCHECK(::kill(-1, SIGUSR1) == 0);
        TEST_CHECK_MSG(!IsPending(SIGUSR1), "kill(-1) signalled the caller");
        ::_exit(0);
      }
      int st = 0;
      ::waitpid(sender, &st, 0);
      TEST_CHECK_MSG(ExitedWith(st, 0), "the sender's check failed");
      ::close(hold[1]);
      ::waitpid(target, &st, 0);
      TEST_CHECK_MSG(ExitedWith(st, 0), "the target's check failed");
      TEST_CHECK_MSG(!IsPending(SIGUSR1),  // never a target of kill(-1)
                     "kill(-1) signalled init");
      ::_exit(0);
    }
    TEST_PCHECK(init >= 0);
    int st = 0;
    ::waitpid(init, &st, 0);
    TEST_CHECK_MSG(ExitedWith(st, 0), "a check in the namespace failed");
  }));
}

// ---- SIG-026 delivery to self before kill/raise returns --------------------

// Catches: a signal sent to oneself delivered only later (the default action
// must end the process inside kill/raise).
TEST(SigOs, SignalSentToSelfIsDeliveredBeforeKillReturns) {
  ipc::testing::ChildResult by_kill = RunInChild([] {
    TEST_CHECK(SetDefaultRaw(SIGTERM) && Unblock({SIGTERM}) == 0);
    ::kill(::getpid(), SIGTERM);
    TEST_FAIL("kill returned before SIGTERM was delivered");
  });
  EXPECT_THAT(by_kill, ChildKilledBy(SIGTERM));
  ipc::testing::ChildResult by_raise = RunInChild([] {
    TEST_CHECK(SetDefaultRaw(SIGALRM) && Unblock({SIGALRM}) == 0);
    ::raise(SIGALRM);
    TEST_FAIL("raise returned before SIGALRM was delivered");
  });
  EXPECT_THAT(by_raise, ChildKilledBy(SIGALRM));
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, CountHandler) == 0);
    ::kill(::getpid(), SIGUSR1);
    TEST_CHECK_MSG(g_hits == 1, "the handler had not run when kill returned");
  }));
}

// ---- SIG-027 which thread gets it ------------------------------------------

// Catches: a process-directed signal delivered to a thread that blocks it, or a
// tgkill'd signal visible to (or taken by) another thread.
TEST(SigOs, ProcessDirectedSignalGoesToTheThreadThatHasItUnblocked) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, TidHandler) == 0);
    // Inherited by the worker, which unblocks it.
    TEST_CHECK(Block({SIGUSR1}) == 0);
    int fds[2];
    TEST_PCHECK(::pipe2(fds, O_CLOEXEC) == 0);
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
    TEST_CHECK(blocked.ok());
    TEST_CHECK(g_hits == 1 && g_handler_tid == worker_tid);
    TEST_CHECK(read_result == -1 && read_errno == EINTR);
    TEST_CHECK(!IsPending(SIGUSR1));
  }));
}

TEST(SigOs, TgkillTargetsExactlyOneThread) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(Block({SIGUSR2}) == 0);
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
    TEST_PCHECK(Tgkill(worker_tid, SIGUSR2) == 0);
    worker.join();
    TEST_CHECK(blocked.ok());
    TEST_CHECK(worker_got == SIGUSR2 && worker_code == SI_TKILL);
    TEST_CHECK(!IsPending(SIGUSR2) && TakePending({SIGUSR2}) == 0);
    // And the other way round: one for the main thread is not the worker's.
    TEST_PCHECK(Tgkill(Gettid(), SIGUSR2) == 0);
    std::atomic<int> seen_by_other{-1};
    std::thread other([&] { seen_by_other = IsPending(SIGUSR2) ? 1 : 0; });
    other.join();
    TEST_CHECK(seen_by_other == 0 && IsPending(SIGUSR2));
  }));
}

// ---- SIG-028 default actions -----------------------------------------------

// Raises `sig` with the default action in a child. `core_dir`: where a core may
// go (the child makes it tiny), or empty to forbid core files.
ipc::testing::ChildResult RaiseWithDefaultAction(int sig,
                                                 const std::string& core_dir) {
  return RunInChild([&] {
    TEST_CHECK(SetDefaultRaw(sig) && Unblock({sig}) == 0);
    struct rlimit rl = {0, 0};
    if (!core_dir.empty()) {
      TEST_PCHECK(::chdir(core_dir.c_str()) == 0);
      int f = ::open("/proc/self/coredump_filter", O_WRONLY | O_CLOEXEC);
      TEST_PCHECK(f >= 0 && ::write(f, "0", 1) == 1);
      ::close(f);
      rl = {64 << 20, 64 << 20};
    }
    TEST_PCHECK(::setrlimit(RLIMIT_CORE, &rl) == 0);
    ::raise(sig);  // exits 0 if the default action is to ignore
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
    ipc::testing::ChildResult r = RaiseWithDefaultAction(sig, "");
    EXPECT_TRUE(r.killed_by(sig) && !WCOREDUMP(r.status))
        << ipc::signal_name(sig) << ": " << r.describe();
  }
  for (int sig : {SIGCHLD, SIGURG, SIGWINCH}) {
    EXPECT_CHILD_OK(RaiseWithDefaultAction(sig, "")) << ipc::signal_name(sig);
  }
}

// Catches: a Core signal that only terminates (no core where one may be
// written).
TEST(SigOs, CoreActionSignalsDumpCore) {
  bool cores_here = CoreFilesGoToTheWorkingDirectory();
  TempDir dir;
  for (int sig : {SIGQUIT, SIGILL, SIGABRT, SIGFPE, SIGSEGV, SIGBUS}) {
    ipc::testing::ChildResult r =
        RaiseWithDefaultAction(sig, cores_here ? dir.path() : "");
    EXPECT_THAT(r, ChildKilledBy(sig)) << ipc::signal_name(sig);
    if (cores_here) {
      EXPECT_TRUE(WCOREDUMP(r.status))
          << ipc::signal_name(sig) << ": " << r.describe();
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
    TEST_PCHECK(SetAction(SIGUSR1, CountHandler) == 0 &&
                SetAction(SIGUSR2, SIG_IGN) == 0);
    TEST_CHECK_ERRNO(::pause(), EINTR);
    TEST_CHECK_MSG(g_hits == 1, "pause returned before the handler ran");
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      fault::kSysPause, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR2), SyscallSucceeds());
  EXPECT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      fault::kSysPause, Soon()))
      << "pause ended on an ignored signal";
  ASSERT_THAT(::kill(child.pid(), SIGUSR1), SyscallSucceeds());
  EXPECT_CHILD_OK(child.wait());
}

TEST(SigOs, SigkillEndsAPausedProcess) {
  Child child([] {
    ::pause();
    TEST_FAIL("pause returned");
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      fault::kSysPause, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGKILL), SyscallSucceeds());
  EXPECT_THAT(child.wait(), ChildKilledBy(SIGKILL));
}

// ---- SIG-030 sigsuspend ----------------------------------------------------

// Catches: sigsuspend not installing its mask (pending signal not delivered or
// an excluded one let through), returning without EINTR, or not restoring the
// previous mask.
TEST(SigOs, SigsuspendInstallsTheMaskWaitsAndRestores) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, MaskProbeHandler) == 0);
    TEST_CHECK(Block({SIGUSR1}) == 0);
    ::raise(SIGUSR1);  // pending: sigsuspend must deliver it at once
    sigset_t during = make_sigset({SIGUSR2});
    TEST_CHECK_ERRNO(::sigsuspend(&during), EINTR);
    TEST_CHECK(g_hits == 1);
    // The suspend mask applied in the handler.
    TEST_CHECK(g_mask_had_usr2 == 1);
    TEST_CHECK(IsBlocked(SIGUSR1) && !IsBlocked(SIGUSR2));
  }));
}

// Catches: sigsuspend returning while only blocked (by its mask) signals
// arrive.
TEST(SigOs, SigsuspendSleepsThroughSignalsItsMaskBlocks) {
  Child child([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, CountHandler) == 0 &&
                SetAction(SIGUSR2, CountHandler) == 0);
    TEST_CHECK(Block({SIGUSR1, SIGUSR2}) == 0);
    sigset_t during = make_sigset({SIGUSR2});
    TEST_CHECK_ERRNO(::sigsuspend(&during), EINTR);
    // Back under the old mask: SIGUSR2 arrived blocked and is still pending.
    TEST_CHECK_MSG(g_hits == 1, "the masked signal was delivered");
    TEST_CHECK_MSG(IsPending(SIGUSR2), "the masked signal is not pending");
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigsuspend, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR2), SyscallSucceeds());
  EXPECT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigsuspend, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR1), SyscallSucceeds());
  EXPECT_CHILD_OK(child.wait());
}

// ---- SIG-031 sigtimedwait / sigwaitinfo ------------------------------------

// Catches: sigtimedwait running the handler instead of returning the signal,
// leaving it pending, a timeout or zero timeout not giving EAGAIN, or a bad
// timespec accepted.
TEST(SigOs, SigtimedwaitConsumesAPendingSignalWithoutItsHandler) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_CHECK(SetAction(SIGUSR1, CountHandler) == 0 && Block({SIGUSR1}) == 0);
    ::raise(SIGUSR1);
    sigset_t set = make_sigset({SIGUSR1});
    siginfo_t si = {};
    TEST_CHECK(::sigwaitinfo(&set, &si) == SIGUSR1 && si.si_signo == SIGUSR1);
    TEST_CHECK(g_hits == 0 && !IsPending(SIGUSR1));
    struct timespec zero = {0, 0};
    TEST_CHECK_ERRNO(::sigtimedwait(&set, nullptr, &zero), EAGAIN);
    struct timespec short_wait = {
        0, 20 * 1000 * 1000};  // the call under test times out
    auto start = std::chrono::steady_clock::now();
    TEST_CHECK_ERRNO(::sigtimedwait(&set, nullptr, &short_wait), EAGAIN);
    TEST_CHECK(std::chrono::steady_clock::now() - start >=
               std::chrono::milliseconds(19));
    for (struct timespec bad :
         {timespec{0, 1000000000}, timespec{0, -1}, timespec{-1, 0}}) {
      TEST_CHECK_ERRNO(::sigtimedwait(&set, nullptr, &bad), EINVAL);
    }
  }));
}

// Catches: sigwaitinfo returning before a signal arrives, or missing one sent
// by another process while it sleeps.
TEST(SigOs, SigwaitinfoSleepsUntilASignalOfItsSetArrives) {
  Child child([] {
    TEST_CHECK(Block({SIGUSR1}) == 0);
    sigset_t set = make_sigset({SIGUSR1});
    siginfo_t si = {};
    TEST_PCHECK(::sigwaitinfo(&set, &si) == SIGUSR1);
    TEST_CHECK_MSG(si.si_pid == ::getppid() && si.si_code == SI_USER,
                   "wrong sender");
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigtimedwait, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR1), SyscallSucceeds());
  EXPECT_CHILD_OK(child.wait());
}

TEST(SigLayer, WaitSignalTimesOutWithEagainAndTakesPendingSignals) {
  EXPECT_CHILD_OK(RunInChild([] {
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR1}));
    TEST_CHECK(m.ok());
    auto none =
        ipc::wait_signal(make_sigset({SIGUSR1}), std::chrono::milliseconds(5));
    TEST_CHECK(!none.ok() && none.error().code() == EAGAIN);
    ::raise(SIGUSR1);
    auto got = ipc::wait_signal(make_sigset({SIGUSR1}), std::nullopt);
    // raise() is tgkill (SI_TKILL), which glibc's sigtimedwait reports as
    // SI_USER (SIG-039).
    TEST_CHECK(got.ok() && got->si_signo == SIGUSR1 && got->si_code == SI_USER);
    TEST_CHECK(!IsPending(SIGUSR1));
  }));
}

// ---- SIG-032 SIGKILL cannot be waited for ----------------------------------

// Catches: sigtimedwait accepting SIGKILL (the process would survive it).
TEST(SigOs, SigtimedwaitCannotAcceptSigkill) {
  Child child([] {
    Block({SIGUSR1});
    sigset_t set = make_sigset({SIGKILL, SIGUSR1});
    struct timespec limit = {std::chrono::seconds(kPatience).count(), 0};
    int r = ::sigtimedwait(&set, nullptr, &limit);
    TEST_CHECK_MSG(r != SIGKILL, "sigtimedwait returned SIGKILL");
    TEST_FAIL("sigtimedwait returned before SIGKILL ended the process");
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigtimedwait, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGKILL), SyscallSucceeds());
  EXPECT_THAT(child.wait(), ChildKilledBy(SIGKILL));
}

// ---- SIG-033 alternate signal stack ----------------------------------------

// Catches: a SA_ONSTACK handler run on the normal stack, SS_ONSTACK not
// reported inside it, a change while on it allowed, or bad sizes/flags
// accepted.
TEST(SigOs, OnstackHandlerRunsOnTheAlternateStack) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    constexpr std::size_t kSize = 1 << 18;
    void* mem = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TEST_CHECK(mem != MAP_FAILED);
    stack_t ss = {};
    ss.ss_sp = mem;
    ss.ss_size = kSize;
    TEST_PCHECK(::sigaltstack(&ss, nullptr) == 0);
    stack_t cur = {};
    TEST_CHECK(::sigaltstack(nullptr, &cur) == 0 && cur.ss_sp == mem &&
               cur.ss_size == kSize);
    TEST_CHECK((cur.ss_flags & SS_ONSTACK) == 0);
    TEST_PCHECK(SetAction(SIGUSR1, AltStackHandler, SA_ONSTACK) == 0);
    ::raise(SIGUSR1);
    TEST_CHECK(g_hits == 1);
    long base = reinterpret_cast<long>(mem);
    TEST_CHECK(g_frame >= base && g_frame < base + static_cast<long>(kSize));
    TEST_CHECK(g_on_altstack == 1);
    TEST_CHECK(g_altstack_change_errno == EPERM);
    // Argument errors (the stack is not in use now).
    stack_t tiny = {};
    tiny.ss_sp = mem;
    tiny.ss_size = 1;
    TEST_CHECK_ERRNO(::sigaltstack(&tiny, nullptr), ENOMEM);
    stack_t bad_flags = ss;
    bad_flags.ss_flags = 0x1234;
    TEST_CHECK_ERRNO(::sigaltstack(&bad_flags, nullptr), EINVAL);
    stack_t off = {};
    off.ss_flags = SS_DISABLE;
    TEST_PCHECK(::sigaltstack(&off, nullptr) == 0);
    TEST_CHECK(::sigaltstack(nullptr, &cur) == 0 &&
               (cur.ss_flags & SS_DISABLE) != 0);
  }));
}

// ---- SIG-034 SIGCHLD -------------------------------------------------------

// Catches: no SIGCHLD (or wrong si_code/si_pid/si_status) when a child exits or
// stops, or SA_NOCLDSTOP not suppressing the stop notice.
TEST(SigOs, SigchldReportsExitAndStopUnlessNocldstop) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(Block({SIGCHLD}) == 0);
    pid_t kid = ::fork();
    if (kid == 0) ::_exit(7);
    siginfo_t si = {};
    TEST_CHECK(AwaitSignal({SIGCHLD}, &si) == SIGCHLD);
    TEST_CHECK(si.si_code == CLD_EXITED && si.si_pid == kid &&
               si.si_status == 7);
    int st = 0;
    ::waitpid(kid, &st, 0);
    // Stop without SA_NOCLDSTOP: CLD_STOPPED.
    kid = ::fork();
    if (kid == 0) {
      ::raise(SIGSTOP);
      ::_exit(0);
    }
    TEST_CHECK(::waitpid(kid, &st, WUNTRACED) == kid && WIFSTOPPED(st));
    TEST_CHECK(AwaitSignal({SIGCHLD}, &si) == SIGCHLD &&
               si.si_code == CLD_STOPPED);
    ::kill(kid, SIGKILL);
    ::waitpid(kid, &st, 0);
    TakePending({SIGCHLD});
    // With SA_NOCLDSTOP: no signal for the stop, one for the death.
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDSTOP;
    TEST_PCHECK(::sigaction(SIGCHLD, &sa, nullptr) == 0);
    kid = ::fork();
    if (kid == 0) {
      ::raise(SIGSTOP);
      ::_exit(0);
    }
    TEST_CHECK(::waitpid(kid, &st, WUNTRACED) == kid && WIFSTOPPED(st));
    TEST_CHECK(TakePending({SIGCHLD}) == 0);
    ::kill(kid, SIGKILL);
    TEST_CHECK(AwaitSignal({SIGCHLD}, &si) == SIGCHLD &&
               si.si_code == CLD_KILLED);
    ::waitpid(kid, &st, 0);
  }));
}

// Catches: SA_NOCLDWAIT leaving a zombie to wait for.
TEST(SigOs, NocldwaitLeavesNoZombieToWaitFor) {
  EXPECT_CHILD_OK(RunInChild([] {
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    TEST_PCHECK(::sigaction(SIGCHLD, &sa, nullptr) == 0);
    pid_t kid = ::fork();
    if (kid == 0) ::_exit(3);
    int st = 0;
    // Blocks until the child is gone, then ECHILD.
    TEST_CHECK_ERRNO(RetryEINTR(::waitpid)(-1, &st, 0), ECHILD);
  }));
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
  EXPECT_CHILD_OK(RunInChild([] {
    const int rt = SIGRTMIN;
    TEST_CHECK(Block({SIGUSR1, rt, SIGUSR2}) == 0);
    sigset_t set = make_sigset({SIGUSR1, rt});
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    TEST_CHECK(fd >= 0);
    ::raise(SIGUSR2);  // not in the set
    Sigqueue(::getpid(), rt, 31);
    Sigqueue(::getpid(), rt, 32);
    ::kill(::getpid(), SIGUSR1);
    signalfd_siginfo in[4] = {};
    ssize_t n = ::read(fd, in, sizeof in);
    TEST_CHECK(n == static_cast<ssize_t>(3 * sizeof(signalfd_siginfo)));
    TEST_CHECK(in[0].ssi_signo == static_cast<unsigned>(SIGUSR1) &&
               in[0].ssi_code == SI_USER);
    TEST_CHECK(in[1].ssi_signo == static_cast<unsigned>(rt) &&
               in[1].ssi_int == 31);
    TEST_CHECK(in[2].ssi_signo == static_cast<unsigned>(rt) &&
               in[2].ssi_int == 32);
    TEST_CHECK(in[1].ssi_pid == static_cast<unsigned>(::getpid()) &&
               in[1].ssi_code == SI_QUEUE);
    TEST_CHECK(!IsPending(SIGUSR1) && !IsPending(rt) && IsPending(SIGUSR2));
    TEST_CHECK_ERRNO(::read(fd, in, sizeof in), EAGAIN);
    TEST_CHECK_ERRNO(::read(fd, in, sizeof in[0] - 1), EINVAL);
    ::close(fd);
  }));
}

// Catches: a signalfd seeing a signal that is not blocked (it must be delivered
// normally instead).
TEST(SigOs, SignalfdMissesSignalsThatAreNotBlocked) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR1, CountHandler) == 0);
    sigset_t set = make_sigset({SIGUSR1});
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    TEST_CHECK(fd >= 0);
    ::raise(SIGUSR1);
    TEST_CHECK(g_hits == 1);
    signalfd_siginfo in = {};
    TEST_CHECK_ERRNO(::read(fd, &in, sizeof in), EAGAIN);
    ::close(fd);
  }));
}

TEST(SigLayer, SignalFdReadsBlockedSignalsWithSiginfo) {
  EXPECT_CHILD_OK(RunInChild([] {
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR2}));
    TEST_CHECK(m.ok());
    auto sfd =
        ipc::SignalFd::create(make_sigset({SIGUSR2}), /*nonblocking=*/true);
    TEST_CHECK(sfd.ok());
    TEST_PCHECK((::fcntl(sfd->fd(), F_GETFD) & FD_CLOEXEC) != 0);
    auto empty = sfd->read();
    TEST_CHECK(!empty.ok() && empty.error().code() == EAGAIN);
    Sigqueue(::getpid(), SIGUSR2, 77);
    auto got = sfd->read(Soon());
    TEST_CHECK(got.ok() && got->ssi_signo == static_cast<unsigned>(SIGUSR2) &&
               got->ssi_int == 77);
    TEST_CHECK(!IsPending(SIGUSR2));
  }));
}

// ---- SIG-038 sigtimedwait is never restarted -------------------------------

// Catches: sigtimedwait restarted (or not interrupted) by a handled signal
// outside its set even with SA_RESTART, which would hide the handler's event.
TEST(SigOs, SigtimedwaitIsInterruptedByAHandlerEvenWithSaRestart) {
  Child child([] {
    ResetObservations();
    TEST_PCHECK(SetAction(SIGUSR2, CountHandler, SA_RESTART) == 0);
    TEST_CHECK(Block({SIGUSR1}) == 0);
    sigset_t set = make_sigset({SIGUSR1});
    struct timespec limit = {std::chrono::seconds(kPatience).count(), 0};
    TEST_CHECK_ERRNO(::sigtimedwait(&set, nullptr, &limit), EINTR);
    TEST_CHECK_MSG(g_hits == 1, "the handler did not run");
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(),
                                      SYS_rt_sigtimedwait, Soon()));
  ASSERT_THAT(::kill(child.pid(), SIGUSR2), SyscallSucceeds());
  EXPECT_CHILD_OK(child.wait());
}

TEST(SigLayer, WaitSignalSurfacesOrRetriesEintrAsAsked) {
  EXPECT_CHILD_OK(RunInChild([] {
    ResetObservations();
    auto h = ScopedSigaction::install(SIGUSR2, CountHandler, SA_RESTART);
    auto m = ScopedSignalMask::block(make_sigset({SIGUSR1, SIGUSR2}));
    TEST_CHECK(h.ok() && m.ok());
    // A SIGUSR2 pending and blocked; wait_signal's own mask does not unblock
    // it, so drive the interruption from a helper process instead.
    pid_t me = ::getpid();
    int go[2];
    TEST_PCHECK(::pipe2(go, O_CLOEXEC) == 0);
    TEST_CHECK(Unblock({SIGUSR2}) == 0);
    pid_t helper = ::fork();
    if (helper == 0) {
      TEST_CHECK_MSG(
          fault::wait_until_blocked(me, me, SYS_rt_sigtimedwait, Soon()).ok(),
          "the first wait_signal never blocked");
      ::kill(me, SIGUSR2);
      TEST_CHECK_MSG(
          fault::wait_until_blocked(me, me, SYS_rt_sigtimedwait, Soon()).ok(),
          "the second wait_signal never blocked");
      ::kill(me, SIGUSR2);  // second wait: kRetry keeps waiting...
      TEST_CHECK_MSG(
          fault::wait_until_blocked(me, me, SYS_rt_sigtimedwait, Soon()).ok(),
          "kRetry did not wait again after EINTR");
      ::kill(me, SIGUSR1);  // ...until the awaited signal comes
      ::_exit(0);
    }
    auto first = ipc::wait_signal(make_sigset({SIGUSR1}), std::nullopt,
                                  ipc::Eintr::kSurface);
    TEST_CHECK(!first.ok() && first.error().code() == EINTR);
    auto second = ipc::wait_signal(make_sigset({SIGUSR1}), std::nullopt,
                                   ipc::Eintr::kRetry);
    TEST_CHECK(second.ok() && second->si_signo == SIGUSR1);
    int st = 0;
    ::waitpid(helper, &st, 0);
    TEST_CHECK_MSG(ExitedWith(st, 0), "the helper's check failed");
    TEST_CHECK(g_hits == 2);
  }));
}

// ---- SIG-039 glibc folds SI_TKILL into SI_USER (glibc) ---------------------

// Catches: a change in what a program sees as si_code for a tgkill/raise
// signal taken synchronously: the kernel says SI_TKILL (as handlers and
// signalfd see it), glibc's sigtimedwait and sigwaitinfo rewrite it to SI_USER.
TEST(SigOs, GlibcSigwaitFoldsSiTkillIntoSiUserButTheKernelReportsSiTkill) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(Block({SIGUSR1}) == 0);
    sigset_t set = make_sigset({SIGUSR1});
    struct timespec zero = {0, 0};
    siginfo_t si = {};
    ::raise(SIGUSR1);
    TEST_CHECK(RawSigtimedwait(set, &si, &zero) == SIGUSR1 &&
               si.si_code == SI_TKILL);
    ::raise(SIGUSR1);
    TEST_CHECK(::sigtimedwait(&set, &si, &zero) == SIGUSR1 &&
               si.si_code == SI_USER);
    ::raise(SIGUSR1);
    TEST_CHECK(::sigwaitinfo(&set, &si) == SIGUSR1 && si.si_code == SI_USER);
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC);
    TEST_CHECK(fd >= 0);
    ::raise(SIGUSR1);
    signalfd_siginfo in = {};
    TEST_PCHECK(::read(fd, &in, sizeof in) == static_cast<ssize_t>(sizeof in));
    ::close(fd);
    TEST_CHECK(in.ssi_code == SI_TKILL);
    // kill() is SI_USER everywhere.
    ::kill(::getpid(), SIGUSR1);
    TEST_CHECK(RawSigtimedwait(set, &si, &zero) == SIGUSR1 &&
               si.si_code == SI_USER);
  }));
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
    TEST_PCHECK(target_in_other_session ? ::setsid() >= 0
                                        : ::setpgid(0, 0) == 0);
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
    TEST_CHECK(Block({SIGUSR1}) == 0);  // in every thread: inherited
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
    TEST_CHECK(Block({SIGUSR1}) == 0);
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
    TEST_CHECK(Block({SIGUSR1, SIGUSR2}) == 0);
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
  ipc::testing::ChildResult died = RunInChild([] {
    TEST_CHECK(SetDefaultRaw(SIGUSR2));
    TEST_CHECK_SUCCESS(Sighold(SIGUSR2));
    ::raise(SIGUSR2);
    Sigrelse(SIGUSR2);
    TEST_FAIL("sigrelse returned with SIGUSR2 still undelivered");
  });
  EXPECT_THAT(died, ChildKilledBy(SIGUSR2));
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
    TEST_CHECK(Block({SIGUSR1}) == 0);
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
    TEST_CHECK(Block({SIGUSR1}) == 0);
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
    TEST_CHECK(Block({SIGUSR1, SIGUSR2}) == 0);
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
    TEST_CHECK(Block({SIGUSR1}) == 0);
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
    TEST_CHECK(Block({rt}) == 0);
    std::promise<void> queued;
    // A failed check in the thread ends the whole child (_exit).
    std::thread t([&] {
      queued.get_future().wait();
      for (int v = 1; v <= 3; ++v) {
        siginfo_t si = {};
        TEST_CHECK_MSG(TakePending({rt}, &si) == rt && si.si_code == SI_QUEUE &&
                           si.si_pid == ::getpid() &&
                           si.si_value.sival_int == v,
                       "an instance was lost or altered");
      }
      TEST_CHECK_MSG(TakePending({rt}) == 0, "an extra instance came");
    });
    for (int v = 1; v <= 3; ++v) {
      union sigval val;
      val.sival_int = v;
      TEST_CHECK(::pthread_sigqueue(t.native_handle(), rt, val) == 0);
    }
    TEST_CHECK_MSG(!IsPending(rt), "pending for the caller");
    queued.set_value();
    t.join();
  }));
}

}  // namespace
