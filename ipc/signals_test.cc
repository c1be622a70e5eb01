// ipc/signals_test.cc — ScopedSigaction, ScopedSignalMask, wait_signal,
// SignalFd, Notifier and call_blocking against the real kernel. Signals that
// must interrupt a blocked call are sent with fault::interrupt_when_blocked
// (tgkill to the thread, once it sleeps in the call); everything else is
// thread-directed (raise, pthread_sigqueue), so other threads never see it.
#include "ipc/signals.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include "fault/blocked.h"
#include "fault/libc_syscalls.h"
#include "ipc/sys.h"
#include "ipc/testing/test_util.h"
#include "sanitizers/probe.h"

namespace ipc {
namespace {

using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::FailsWith;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr auto kBlockedTimeout = 10s;  // for fault::interrupt_when_blocked

// ---- handlers and their observations (lock-free atomics: async-signal-safe)
// --

std::atomic<int> g_count{0};
void count_handler(int) { g_count.fetch_add(1); }

void other_handler(int) {}

std::atomic<int> g_info_signo{0}, g_info_code{0}, g_info_pid{0}, g_info_uid{-1};
void info_handler(int sig, siginfo_t* si, void*) {
  g_info_signo.store(sig);
  g_info_code.store(si->si_code);
  g_info_pid.store(si->si_pid);
  g_info_uid.store(static_cast<int>(si->si_uid));
}

std::atomic<int> g_usr2_blocked_in_handler{-1};
void mask_probe_handler(int) {
  sigset_t m;
  pthread_sigmask(SIG_BLOCK, nullptr, &m);
  g_usr2_blocked_in_handler.store(sigismember(&m, SIGUSR2));
}

std::atomic<Notifier*> g_notifier{nullptr};
void notify_handler(int) { g_notifier.load()->notify(); }

// ---- raw (libc) observation of the process state ---------------------------

struct sigaction CurrentAction(int sig) {
  struct sigaction act = {};
  EXPECT_THAT(::sigaction(sig, nullptr, &act), SyscallSucceeds());
  return act;
}

// Handler, flags and mask equal (sigset_t is compared member by member: only
// the kernel's 64 bits of it are meaningful).
::testing::AssertionResult SameAction(const struct sigaction& a,
                                      const struct sigaction& b) {
  if (a.sa_handler != b.sa_handler) {
    return ::testing::AssertionFailure()
           << "handlers differ: " << reinterpret_cast<void*>(a.sa_handler)
           << " vs " << reinterpret_cast<void*>(b.sa_handler);
  }
  if (a.sa_flags != b.sa_flags) {
    return ::testing::AssertionFailure() << "flags differ: " << std::hex
                                         << a.sa_flags << " vs " << b.sa_flags;
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&a.sa_mask, sig) != sigismember(&b.sa_mask, sig)) {
      return ::testing::AssertionFailure()
             << "masks differ at " << signal_name(sig);
    }
  }
  return ::testing::AssertionSuccess();
}

// Whether the installed action of `sig` blocks `member` while its handler runs.
bool HandlerMaskHas(int sig, int member) {
  struct sigaction act = CurrentAction(sig);
  return sigismember(&act.sa_mask, member) == 1;
}

void SetRawAction(int sig, void (*handler)(int), int flags,
                  std::initializer_list<int> mask) {
  struct sigaction act = {};
  act.sa_handler = handler;
  act.sa_flags = flags;
  act.sa_mask = make_sigset(mask);
  ASSERT_THAT(::sigaction(sig, &act, nullptr), SyscallSucceeds());
}

sigset_t CurrentMask() {
  sigset_t m;
  sigemptyset(&m);
  EXPECT_EQ(pthread_sigmask(SIG_BLOCK, nullptr, &m), 0);
  return m;
}
bool IsBlocked(int sig) {
  sigset_t m = CurrentMask();
  return sigismember(&m, sig) == 1;
}
bool IsPending(int sig) {
  sigset_t p;
  sigemptyset(&p);
  EXPECT_THAT(sigpending(&p), SyscallSucceeds());
  return sigismember(&p, sig) == 1;
}

int RtSig(int n) { return SIGRTMIN + n; }

// The error message of a failed result; "" (which no expectation matches) when
// it succeeded.
template <typename T>
std::string Message(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().message();
}

// A thread that publishes its kernel tid before running `body`, so the test
// can wait for it to block and signal it.
template <typename T>
class Worker {
 public:
  explicit Worker(std::function<T()> body) {
    std::promise<pid_t> tid;
    auto tid_future = tid.get_future();
    thread_ = std::thread(
        [this, body = std::move(body), tid = std::move(tid)]() mutable {
          tid.set_value(fault::current_tid());
          result_ = body();
        });
    tid_ = tid_future.get();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() {
    if (thread_.joinable()) thread_.join();
  }
  pid_t tid() const { return tid_; }
  T join() {
    thread_.join();
    return std::move(*result_);
  }

 private:
  std::thread thread_;
  pid_t tid_ = 0;
  std::optional<T> result_;
};

Status InterruptWhenBlocked(pid_t tid, int sig, long syscall_nr) {
  return fault::interrupt_when_blocked(0, tid, sig, syscall_nr,
                                       deadline_in(kBlockedTimeout));
}
Status WaitUntilBlocked(pid_t tid, long syscall_nr) {
  return fault::wait_until_blocked(0, tid, syscall_nr,
                                   deadline_in(kBlockedTimeout));
}

// Saves the actions of the signals tests use and this thread's mask, and puts
// everything back afterwards with plain libc — even if the code under test is
// broken — after discarding signals a test left pending. Also resets the
// system-call seam that some tests replace entries of.
class SignalsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_count = 0;
    g_info_signo = 0;
    g_info_code = 0;
    g_info_pid = 0;
    g_info_uid = -1;
    g_usr2_blocked_in_handler = -1;
    for (int sig : TestSignals()) saved_[sig] = CurrentAction(sig);
    saved_mask_ = CurrentMask();
    // Start from a known state: default actions, test signals unblocked.
    for (int sig : TestSignals()) SetRawAction(sig, SIG_DFL, 0, {});
    sigset_t all = AllTestSignals();
    ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &all, nullptr), 0);
  }

  void TearDown() override {
    sys::reset_table();
    sigset_t all = AllTestSignals();
    ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &all, nullptr), 0);
    struct timespec zero = {0, 0};
    while (::sigtimedwait(&all, nullptr, &zero) > 0) {
    }
    for (auto& [sig, act] : saved_)
      ASSERT_THAT(::sigaction(sig, &act, nullptr), SyscallSucceeds());
    ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr), 0);
  }

  static std::vector<int> TestSignals() {
    std::vector<int> sigs = {SIGUSR1, SIGUSR2};
    for (int n = 0; n <= 8; ++n) sigs.push_back(RtSig(n));
    return sigs;
  }
  static sigset_t AllTestSignals() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : TestSignals()) sigaddset(&s, sig);
    return s;
  }

 private:
  std::map<int, struct sigaction> saved_;
  sigset_t saved_mask_;
};

using ScopedSigactionTest = SignalsTest;
using ScopedSignalMaskTest = SignalsTest;
using WaitSignalTest = SignalsTest;
using SignalFdTest = SignalsTest;
using NotifierTest = SignalsTest;
using CallBlockingTest = SignalsTest;

// ---- names and sets --------------------------------------------------------

TEST(SignalName, NamesClassicAndRealTimeSignalsAndNonSignals) {
  EXPECT_EQ(signal_name(SIGUSR1), "SIGUSR1");
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGRTMIN), "SIGRTMIN");
  EXPECT_EQ(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
  EXPECT_EQ(signal_name(0), "signal 0");
  EXPECT_EQ(signal_name(-1), "signal -1");
  EXPECT_EQ(signal_name(99), "signal 99");
}

TEST(MakeSigset, HoldsExactlyTheGivenSignals) {
  sigset_t s = make_sigset({SIGUSR1, SIGRTMIN + 1});
  for (int sig = 1; sig < NSIG; ++sig) {
    EXPECT_EQ(sigismember(&s, sig) == 1, sig == SIGUSR1 || sig == SIGRTMIN + 1)
        << sig;
  }
}

TEST(MakeSigset, LeavesOutNumbersThatAreNotSignals) {
  sigset_t s = make_sigset({0, SIGUSR2, 1000, -5});
  for (int sig = 1; sig < NSIG; ++sig)
    EXPECT_EQ(sigismember(&s, sig) == 1, sig == SIGUSR2) << sig;
  sigset_t none = make_sigset({});
  for (int sig = 1; sig < NSIG; ++sig)
    EXPECT_NE(sigismember(&none, sig), 1) << sig;
}

// ---- ScopedSigaction -------------------------------------------------------

TEST_F(ScopedSigactionTest, InstallsActionAndScopeEndRestoresThePreviousOne) {
  SetRawAction(SIGUSR1, other_handler, SA_RESTART, {SIGUSR2});
  const struct sigaction before = CurrentAction(SIGUSR1);
  {
    sigset_t mask = make_sigset({SIGRTMIN});
    auto a = ASSERT_OK_AND_VALUE(
        ScopedSigaction::install(SIGUSR1, count_handler, SA_NODEFER, &mask));
    EXPECT_EQ(a.signal(), SIGUSR1);
    EXPECT_TRUE(SameAction(a.previous(), before));
    struct sigaction now = CurrentAction(SIGUSR1);
    EXPECT_EQ(now.sa_handler, count_handler);
    EXPECT_NE(now.sa_flags & SA_NODEFER, 0);
    EXPECT_EQ(now.sa_flags & SA_RESTART, 0);
    EXPECT_EQ(sigismember(&now.sa_mask, SIGRTMIN), 1);
    EXPECT_EQ(sigismember(&now.sa_mask, SIGUSR2), 0);
  }
  EXPECT_TRUE(SameAction(CurrentAction(SIGUSR1), before));
}

TEST_F(ScopedSigactionTest, HandlerRunsOnRaise) {
  auto a =
      ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR1, count_handler));
  ASSERT_THAT(raise(SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(g_count.load(), 1);
  ASSERT_THAT(raise(SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(g_count.load(), 2);
}

TEST_F(ScopedSigactionTest, MaskArgumentIsBlockedWhileTheHandlerRuns) {
  {
    sigset_t mask = make_sigset({SIGUSR2});
    auto a = ASSERT_OK_AND_VALUE(
        ScopedSigaction::install(SIGUSR1, mask_probe_handler, 0, &mask));
    ASSERT_THAT(raise(SIGUSR1), SyscallSucceeds());
    EXPECT_EQ(g_usr2_blocked_in_handler.load(), 1);
    EXPECT_TRUE(HandlerMaskHas(SIGUSR1, SIGUSR2));
  }
  auto a = ASSERT_OK_AND_VALUE(
      ScopedSigaction::install(SIGUSR1, mask_probe_handler));
  ASSERT_THAT(raise(SIGUSR1), SyscallSucceeds());
  // TSan runs every handler with all signals blocked (its own wrapper is
  // installed with a full sa_mask), so "not blocked in the handler" cannot be
  // seen there.
  if constexpr (!sanitizers::kThread) {
    EXPECT_EQ(g_usr2_blocked_in_handler.load(), 0);
  }
  EXPECT_FALSE(HandlerMaskHas(SIGUSR1, SIGUSR2));
}

TEST_F(ScopedSigactionTest, InfoHandlerGetsSiginfo) {
  auto a = ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR2, info_handler));
  struct sigaction now = CurrentAction(SIGUSR2);
  EXPECT_NE(now.sa_flags & SA_SIGINFO, 0);
  EXPECT_EQ(now.sa_sigaction, info_handler);
  ASSERT_THAT(raise(SIGUSR2), SyscallSucceeds());
  EXPECT_EQ(g_info_signo.load(), SIGUSR2);
  EXPECT_EQ(g_info_code.load(),
            SI_TKILL);  // raise() is tgkill(getpid(), gettid(), sig)
  EXPECT_EQ(g_info_pid.load(), getpid());
  EXPECT_EQ(g_info_uid.load(), static_cast<int>(getuid()));
}

TEST_F(ScopedSigactionTest,
       ResetHandFlagMakesTheSecondRaiseTakeTheDefaultAction) {
  int status = RunInChild([] {
    auto a = ScopedSigaction::install(SIGUSR1, count_handler, SA_RESETHAND);
    if (!a) return 2;
    raise(SIGUSR1);
    if (g_count.load() != 1) return 3;
    raise(SIGUSR1);  // default action of SIGUSR1: terminate
    return 4;
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1)
      << DescribeWaitStatus(status);
}

TEST_F(ScopedSigactionTest, SetDispositionIgnoresAndDefaults) {
  {
    auto ign =
        ASSERT_OK_AND_VALUE(ScopedSigaction::set_disposition(SIGUSR1, SIG_IGN));
    EXPECT_EQ(CurrentAction(SIGUSR1).sa_handler, SIG_IGN);
    EXPECT_EQ(ign.previous().sa_handler, SIG_DFL);
  }
  EXPECT_EQ(CurrentAction(SIGUSR1).sa_handler, SIG_DFL);

  int ignored = RunInChild([] {
    auto ign = ScopedSigaction::set_disposition(SIGUSR1, SIG_IGN);
    if (!ign) return 2;
    raise(SIGUSR1);
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(ignored) && WEXITSTATUS(ignored) == 0)
      << DescribeWaitStatus(ignored);

  int defaulted = RunInChild([] {
    auto handler = ScopedSigaction::install(SIGUSR1, count_handler);
    auto dfl = ScopedSigaction::set_disposition(SIGUSR1, SIG_DFL);
    if (!handler || !dfl) return 2;
    raise(SIGUSR1);
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(defaulted) && WTERMSIG(defaulted) == SIGUSR1)
      << DescribeWaitStatus(defaulted);

  int restored = RunInChild([] {
    {
      auto ign = ScopedSigaction::set_disposition(SIGUSR1, SIG_IGN);
      if (!ign) return 2;
    }
    raise(SIGUSR1);  // SIG_DFL is back
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(restored) && WTERMSIG(restored) == SIGUSR1)
      << DescribeWaitStatus(restored);
}

TEST_F(ScopedSigactionTest, InvalidSignalsFailWithEinvalNamingTheSignal) {
  auto zero = ScopedSigaction::install(0, count_handler);
  EXPECT_THAT(zero, FailsWith(EINVAL));
  EXPECT_THAT(Message(zero), HasSubstr("sigaction(signal 0)"));

  auto too_big = ScopedSigaction::install(NSIG, info_handler);
  EXPECT_THAT(too_big, FailsWith(EINVAL));
  EXPECT_THAT(Message(too_big), HasSubstr("signal 65"));

  auto kill = ScopedSigaction::install(SIGKILL, count_handler);
  EXPECT_THAT(kill, FailsWith(EINVAL));
  EXPECT_EQ(Message(kill),
            "sigaction(SIGKILL): Invalid argument (SIGKILL cannot be caught, "
            "ignored or reset)");
  auto stop = ScopedSigaction::set_disposition(SIGSTOP, SIG_IGN);
  EXPECT_THAT(stop, FailsWith(EINVAL));
  EXPECT_THAT(Message(stop), HasSubstr("SIGSTOP"));
  EXPECT_THAT(ScopedSigaction::set_disposition(SIGKILL, SIG_DFL),
              FailsWith(EINVAL));
  EXPECT_THAT(ScopedSigaction::install(SIGSTOP, info_handler),
              FailsWith(EINVAL));

  // The kernel agrees: SIGKILL's action cannot be changed at all.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  EXPECT_THAT(::sigaction(SIGKILL, &dfl, nullptr),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(ScopedSigactionTest, RejectsDispositionsAsHandlersAndMismatchedFlags) {
  const struct sigaction before = CurrentAction(SIGUSR1);
  EXPECT_THAT(ScopedSigaction::install(SIGUSR1, SIG_IGN), FailsWith(EINVAL));
  EXPECT_THAT(ScopedSigaction::install(SIGUSR1, SIG_DFL), FailsWith(EINVAL));
  EXPECT_THAT(
      ScopedSigaction::install(SIGUSR1, ScopedSigaction::Handler{nullptr}),
      FailsWith(EINVAL));
  EXPECT_THAT(
      ScopedSigaction::install(SIGUSR1, ScopedSigaction::InfoHandler{nullptr}),
      FailsWith(EINVAL));
  auto siginfo = ScopedSigaction::install(SIGUSR1, count_handler, SA_SIGINFO);
  EXPECT_THAT(siginfo, FailsWith(EINVAL));
  EXPECT_THAT(Message(siginfo), HasSubstr("SA_SIGINFO"));
  EXPECT_THAT(ScopedSigaction::set_disposition(SIGUSR1, count_handler),
              FailsWith(EINVAL));
  EXPECT_TRUE(SameAction(CurrentAction(SIGUSR1), before));
}

TEST_F(ScopedSigactionTest, SignalReservedByLibcReportsTheSigactionError) {
  // glibc keeps SIGRTMIN-2 and SIGRTMIN-1 (SIGCANCEL, SIGSETXID) for itself and
  // its sigaction() refuses them, although the kernel would accept them.
  auto r = ScopedSigaction::install(SIGRTMIN - 2, count_handler);
  EXPECT_THAT(r, FailsWith(EINVAL));
  EXPECT_EQ(Message(r), "sigaction(signal 32): Invalid argument");
}

TEST_F(ScopedSigactionTest, ExplicitRestoreReportsSuccessAndDisarms) {
  const struct sigaction before = CurrentAction(SIGUSR1);
  {
    auto a =
        ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR1, count_handler));
    EXPECT_OK(a.restore());
    EXPECT_TRUE(SameAction(CurrentAction(SIGUSR1), before));
    EXPECT_EQ(a.signal(), 0);
    SetRawAction(SIGUSR1, other_handler, 0, {});
    EXPECT_OK(a.restore());  // nothing left to restore
  }
  EXPECT_EQ(CurrentAction(SIGUSR1).sa_handler, other_handler);
}

TEST_F(ScopedSigactionTest, FailingSigactionIsReportedByInstallAndRestore) {
  auto a =
      ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR1, count_handler));
  sys::table().sigaction.store(
      [](int, const struct sigaction*, struct sigaction*) {
        errno = EFAULT;
        return -1;
      });
  auto install = ScopedSigaction::install(SIGUSR2, count_handler);
  Status restore = a.restore();
  sys::reset_table();
  EXPECT_THAT(install, FailsWith(EFAULT));
  EXPECT_EQ(Message(install), "sigaction(SIGUSR2): Bad address");
  EXPECT_THAT(restore, FailsWith(EFAULT));
  EXPECT_EQ(Message(restore),
            "sigaction(SIGUSR1): Bad address (restoring the previous action)");
  EXPECT_EQ(CurrentAction(SIGUSR1).sa_handler,
            count_handler);  // the failed restore changed nothing
  EXPECT_EQ(CurrentAction(SIGUSR2).sa_handler, SIG_DFL);
}

TEST_F(ScopedSigactionTest, MoveTransfersTheRestore) {
  const struct sigaction before = CurrentAction(SIGUSR1);
  {
    auto a =
        ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR1, count_handler));
    {
      ScopedSigaction b = std::move(a);
      EXPECT_EQ(b.signal(), SIGUSR1);
      EXPECT_EQ(
          a.signal(),
          0);  // NOLINT(bugprone-use-after-move): checking the moved-from state
      EXPECT_EQ(CurrentAction(SIGUSR1).sa_handler, count_handler);
    }
    EXPECT_TRUE(SameAction(CurrentAction(SIGUSR1), before));
    SetRawAction(SIGUSR1, other_handler, 0, {});
  }
  EXPECT_EQ(CurrentAction(SIGUSR1).sa_handler,
            other_handler);  // moved-from `a` restored nothing
}

TEST_F(ScopedSigactionTest, MoveAssignmentRestoresTheOverwrittenAction) {
  const struct sigaction usr1_before = CurrentAction(SIGUSR1);
  const struct sigaction usr2_before = CurrentAction(SIGUSR2);
  {
    auto a =
        ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR1, count_handler));
    auto b =
        ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR2, count_handler));
    a = std::move(b);
    EXPECT_TRUE(SameAction(CurrentAction(SIGUSR1), usr1_before));
    EXPECT_EQ(CurrentAction(SIGUSR2).sa_handler, count_handler);
    EXPECT_EQ(a.signal(), SIGUSR2);
  }
  EXPECT_TRUE(SameAction(CurrentAction(SIGUSR2), usr2_before));
}

// ---- ScopedSignalMask ------------------------------------------------------

TEST_F(ScopedSignalMaskTest, BlockAddsToTheMaskAndRestores) {
  sigset_t rt0 = make_sigset({RtSig(0)});
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &rt0, nullptr), 0);
  const sigset_t before = CurrentMask();
  ASSERT_FALSE(IsBlocked(SIGUSR1));
  {
    auto m =
        ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR1})));
    EXPECT_TRUE(IsBlocked(SIGUSR1));
    EXPECT_TRUE(IsBlocked(RtSig(0)));  // added to, not replaced
    EXPECT_FALSE(IsBlocked(SIGUSR2));
    for (int sig = 1; sig < NSIG; ++sig) {
      EXPECT_EQ(sigismember(&m.previous(), sig), sigismember(&before, sig))
          << sig;
    }
  }
  EXPECT_FALSE(IsBlocked(SIGUSR1));
  EXPECT_TRUE(IsBlocked(RtSig(0)));
}

TEST_F(ScopedSignalMaskTest, UnblockRemovesFromTheMaskAndRestores) {
  sigset_t both = make_sigset({SIGUSR1, SIGUSR2});
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &both, nullptr), 0);
  {
    auto m =
        ASSERT_OK_AND_VALUE(ScopedSignalMask::unblock(make_sigset({SIGUSR2})));
    EXPECT_FALSE(IsBlocked(SIGUSR2));
    EXPECT_TRUE(IsBlocked(SIGUSR1));  // only removed what was asked
  }
  EXPECT_TRUE(IsBlocked(SIGUSR2));
  EXPECT_TRUE(IsBlocked(SIGUSR1));
}

TEST_F(ScopedSignalMaskTest, SetReplacesTheMaskAndRestores) {
  sigset_t usr1 = make_sigset({SIGUSR1});
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr1, nullptr), 0);
  {
    auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::set(make_sigset({SIGUSR2})));
    EXPECT_TRUE(IsBlocked(SIGUSR2));
    EXPECT_FALSE(IsBlocked(SIGUSR1));
  }
  EXPECT_TRUE(IsBlocked(SIGUSR1));
  EXPECT_FALSE(IsBlocked(SIGUSR2));
}

TEST_F(ScopedSignalMaskTest, BlockedSignalStaysPendingUntilTheScopeEnds) {
  auto a =
      ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR1, count_handler));
  {
    auto m =
        ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR1})));
    ASSERT_THAT(raise(SIGUSR1), SyscallSucceeds());
    EXPECT_EQ(g_count.load(), 0);
    EXPECT_TRUE(IsPending(SIGUSR1));
  }
  // Unblocking delivers it before pthread_sigmask returns.
  EXPECT_EQ(g_count.load(), 1);
  EXPECT_FALSE(IsPending(SIGUSR1));
}

TEST_F(ScopedSignalMaskTest, OnlyTheCallingThreadsMaskChanges) {
  std::promise<void> blocked;
  Worker<int> other([go = blocked.get_future().share()] {
    go.wait();
    return IsBlocked(SIGUSR2) ? 1 : 0;
  });
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR2})));
  blocked.set_value();
  EXPECT_EQ(other.join(), 0);
  EXPECT_TRUE(IsBlocked(SIGUSR2));
}

TEST_F(ScopedSignalMaskTest, RestoreOnAnotherThreadFailsAndChangesNothing) {
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR1})));
  Worker<std::pair<int, bool>> other([&m] {
    Status s = m.restore();
    return std::make_pair(s ? 0 : s.error().code(), IsBlocked(SIGUSR1));
  });
  auto [code, blocked_there] = other.join();
  EXPECT_EQ(code, EINVAL);
  EXPECT_TRUE(blocked_there);  // inherited at creation, and left alone
  EXPECT_TRUE(IsBlocked(SIGUSR1));
  EXPECT_OK(m.restore());
  EXPECT_FALSE(IsBlocked(SIGUSR1));
}

TEST_F(ScopedSignalMaskTest, MoveTransfersTheRestore) {
  {
    auto a =
        ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR1})));
    {
      ScopedSignalMask b = std::move(a);
      EXPECT_OK(a.restore());  // NOLINT(bugprone-use-after-move): moved-from
                               // restores nothing
      EXPECT_TRUE(IsBlocked(SIGUSR1));
    }
    EXPECT_FALSE(IsBlocked(SIGUSR1));
  }
  {
    auto a =
        ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR1})));
    auto b =
        ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR2})));
    // Assignment restores a's snapshot at once (taken before either block).
    a = std::move(b);
    EXPECT_FALSE(IsBlocked(SIGUSR1));
    EXPECT_FALSE(IsBlocked(SIGUSR2));
    ASSERT_OK(
        a.restore());  // b's snapshot, taken after a's block: SIGUSR1 blocked
    EXPECT_TRUE(IsBlocked(SIGUSR1));
    sigset_t usr1 = make_sigset({SIGUSR1});
    ASSERT_EQ(pthread_sigmask(SIG_UNBLOCK, &usr1, nullptr), 0);
  }
  {
    auto a =
        ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR1})));
    ASSERT_OK(a.restore());
    auto b =
        ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR2})));
    a = std::move(b);  // a had nothing left to restore; it now owns b's restore
    EXPECT_TRUE(IsBlocked(SIGUSR2));
  }
  EXPECT_FALSE(IsBlocked(SIGUSR2));
}

TEST_F(ScopedSignalMaskTest, ReportsTheErrorNumberPthreadSigmaskReturns) {
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(make_sigset({SIGUSR1})));
  // pthread_sigmask returns its error and leaves errno alone.
  sys::table().pthread_sigmask.store([](int, const sigset_t*, sigset_t*) {
    errno = 0;
    return EINVAL;
  });
  auto block = ScopedSignalMask::block(make_sigset({SIGUSR2}));
  Status restore = m.restore();
  sys::reset_table();
  EXPECT_THAT(block, FailsWith(EINVAL));
  EXPECT_EQ(Message(block),
            "pthread_sigmask(SIG_BLOCK {SIGUSR2}): Invalid argument");
  EXPECT_THAT(restore, FailsWith(EINVAL));
  EXPECT_THAT(Message(restore), HasSubstr("restoring the previous mask"));
  EXPECT_TRUE(IsBlocked(SIGUSR1));
}

// ---- wait_signal -----------------------------------------------------------

TEST_F(WaitSignalTest, ReturnsTheQueuedSignalWithItsSiginfo) {
  sigset_t set = make_sigset({RtSig(1)});
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(set));
  union sigval value = {};
  value.sival_int = 42;
  ASSERT_EQ(pthread_sigqueue(pthread_self(), RtSig(1), value), 0);
  auto info = ASSERT_OK_AND_VALUE(wait_signal(set, 1s));
  EXPECT_EQ(info.si_signo, RtSig(1));
  EXPECT_EQ(info.si_code, SI_QUEUE);
  EXPECT_EQ(info.si_value.sival_int, 42);
  EXPECT_EQ(info.si_pid, getpid());
  EXPECT_FALSE(IsPending(RtSig(1)));
}

TEST_F(WaitSignalTest, TimesOutWithEagain) {
  sigset_t set = make_sigset({RtSig(2)});
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(set));
  auto start = Clock::now();
  auto r = wait_signal(set, 30ms);
  EXPECT_GE(Clock::now() - start, 30ms);
  EXPECT_THAT(r, FailsWith(EAGAIN));
  EXPECT_EQ(Message(r),
            "sigtimedwait({SIGRTMIN+2}): Resource temporarily unavailable "
            "(timed out after 30 ms)");
}

TEST_F(WaitSignalTest, ZeroOrNegativeTimeoutPolls) {
  sigset_t set = make_sigset({RtSig(2)});
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(set));
  EXPECT_THAT(wait_signal(set, 0ns), FailsWith(EAGAIN));
  EXPECT_THAT(wait_signal(set, -5s), FailsWith(EAGAIN));
  ASSERT_THAT(raise(RtSig(2)), SyscallSucceeds());
  auto info = ASSERT_OK_AND_VALUE(wait_signal(set, 0ns));
  EXPECT_EQ(info.si_signo, RtSig(2));
}

// nanoseconds::max() must not overflow into a deadline in the past (which
// would return EAGAIN at once instead of waiting).
TEST_F(WaitSignalTest, LongestTimeoutWaits) {
  sigset_t set = make_sigset({RtSig(2)});
  Worker<Result<siginfo_t>> waiter([&]() -> Result<siginfo_t> {
    auto m = ScopedSignalMask::block(set);
    if (!m) return std::move(m).error();
    return wait_signal(set, std::chrono::nanoseconds::max());
  });
  ASSERT_OK(InterruptWhenBlocked(waiter.tid(), RtSig(2), SYS_rt_sigtimedwait));
  auto info = ASSERT_OK_AND_VALUE(waiter.join());
  EXPECT_EQ(info.si_signo, RtSig(2));
}

TEST_F(WaitSignalTest, WithoutTimeoutWaitsUntilTheSignalArrives) {
  sigset_t set = make_sigset({RtSig(3)});
  Worker<Result<siginfo_t>> waiter([&]() -> Result<siginfo_t> {
    auto m = ScopedSignalMask::block(set);
    if (!m) return std::move(m).error();
    return wait_signal(set, std::nullopt);
  });
  ASSERT_OK(InterruptWhenBlocked(waiter.tid(), RtSig(3), SYS_rt_sigtimedwait));
  auto info = ASSERT_OK_AND_VALUE(waiter.join());
  EXPECT_EQ(info.si_signo, RtSig(3));
  // The kernel says SI_TKILL; glibc's sigtimedwait folds that into SI_USER.
  EXPECT_EQ(info.si_code, SI_USER);
  EXPECT_EQ(info.si_pid, getpid());
}

// A handled signal outside the set interrupts sigtimedwait even with
// SA_RESTART.
TEST_F(WaitSignalTest, SurfacesEintrFromAHandledSignal) {
  auto a = ASSERT_OK_AND_VALUE(
      ScopedSigaction::install(SIGUSR1, count_handler, SA_RESTART));
  sigset_t set = make_sigset({RtSig(4)});
  Worker<Result<siginfo_t>> waiter([&]() -> Result<siginfo_t> {
    auto m = ScopedSignalMask::block(set);
    if (!m) return std::move(m).error();
    return wait_signal(set, 10s, Eintr::kSurface);
  });
  ASSERT_OK(InterruptWhenBlocked(waiter.tid(), SIGUSR1, SYS_rt_sigtimedwait));
  auto r = waiter.join();
  EXPECT_THAT(r, FailsWith(EINTR));
  EXPECT_EQ(g_count.load(), 1);
}

TEST_F(WaitSignalTest, RetriesEintrAndKeepsWaiting) {
  auto a =
      ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR1, count_handler));
  sigset_t set = make_sigset({RtSig(4)});
  Worker<Result<siginfo_t>> waiter([&]() -> Result<siginfo_t> {
    auto m = ScopedSignalMask::block(set);
    if (!m) return std::move(m).error();
    return wait_signal(set, 10s, Eintr::kRetry);
  });
  ASSERT_OK(InterruptWhenBlocked(waiter.tid(), SIGUSR1, SYS_rt_sigtimedwait));
  // Back in sigtimedwait after the handler: now send what it waits for.
  ASSERT_OK(InterruptWhenBlocked(waiter.tid(), RtSig(4), SYS_rt_sigtimedwait));
  auto info = ASSERT_OK_AND_VALUE(waiter.join());
  EXPECT_EQ(info.si_signo, RtSig(4));
  EXPECT_EQ(g_count.load(), 1);
}

// ---- SignalFd --------------------------------------------------------------

TEST_F(SignalFdTest, ReadsARaisedBlockedSignal) {
  sigset_t set = make_sigset({RtSig(5)});
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(set));
  auto sfd = ASSERT_OK_AND_VALUE(SignalFd::create(set));
  EXPECT_NE(fcntl(sfd.fd(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(fcntl(sfd.fd(), F_GETFL) & O_NONBLOCK, 0);
  ASSERT_THAT(raise(RtSig(5)), SyscallSucceeds());
  auto info = ASSERT_OK_AND_VALUE(sfd.read());
  EXPECT_EQ(info.ssi_signo, static_cast<uint32_t>(RtSig(5)));
  EXPECT_EQ(info.ssi_code, SI_TKILL);
  EXPECT_EQ(info.ssi_pid, static_cast<uint32_t>(getpid()));
  EXPECT_FALSE(IsPending(RtSig(5)));
}

TEST_F(SignalFdTest, NonblockingReadWithNothingPendingFailsEagain) {
  sigset_t set = make_sigset({RtSig(5)});
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(set));
  auto sfd = ASSERT_OK_AND_VALUE(SignalFd::create(set, /*nonblocking=*/true));
  EXPECT_NE(fcntl(sfd.fd(), F_GETFL) & O_NONBLOCK, 0);
  auto r = sfd.read();
  EXPECT_THAT(r, FailsWith(EAGAIN));
  EXPECT_THAT(Message(r), HasSubstr("read(signalfd="));
}

TEST_F(SignalFdTest, DeadlinePassesWithEtimedout) {
  sigset_t set = make_sigset({RtSig(5)});
  auto m = ASSERT_OK_AND_VALUE(ScopedSignalMask::block(set));
  for (bool nonblocking : {false, true}) {
    auto sfd = ASSERT_OK_AND_VALUE(SignalFd::create(set, nonblocking));
    auto start = Clock::now();
    EXPECT_THAT(sfd.read(deadline_in(30ms)), FailsWith(ETIMEDOUT))
        << nonblocking;
    EXPECT_GE(Clock::now() - start, 30ms);
    ASSERT_THAT(raise(RtSig(5)), SyscallSucceeds());
    auto info = ASSERT_OK_AND_VALUE(sfd.read(deadline_in(10s)));
    EXPECT_EQ(info.ssi_signo, static_cast<uint32_t>(RtSig(5)));
  }
}

TEST_F(SignalFdTest, BlockingReadWaitsAndRetriesEintr) {
  auto a = ASSERT_OK_AND_VALUE(
      ScopedSigaction::install(SIGUSR1, count_handler));  // no SA_RESTART
  sigset_t set = make_sigset({RtSig(6)});
  Worker<Result<signalfd_siginfo>> reader([&]() -> Result<signalfd_siginfo> {
    auto m = ScopedSignalMask::block(set);
    if (!m) return std::move(m).error();
    auto sfd = SignalFd::create(set);
    if (!sfd) return std::move(sfd).error();
    return sfd->read();
  });
  ASSERT_OK(InterruptWhenBlocked(reader.tid(), SIGUSR1, SYS_read));
  ASSERT_OK(InterruptWhenBlocked(reader.tid(), RtSig(6), SYS_read));
  auto info = ASSERT_OK_AND_VALUE(reader.join());
  EXPECT_EQ(info.ssi_signo, static_cast<uint32_t>(RtSig(6)));
  EXPECT_EQ(g_count.load(), 1);
}

TEST_F(SignalFdTest, ReadOnAMovedFromObjectFailsEbadf) {
  auto a = ASSERT_OK_AND_VALUE(SignalFd::create(make_sigset({RtSig(5)}), true));
  SignalFd b = std::move(a);
  EXPECT_EQ(a.fd(), -1);  // NOLINT(bugprone-use-after-move)
  EXPECT_THAT(a.read(), FailsWith(EBADF));
  EXPECT_THAT(b.read(), FailsWith(EAGAIN));
}

TEST_F(SignalFdTest, ShortReadIsReportedAsEio) {
  auto sfd =
      ASSERT_OK_AND_VALUE(SignalFd::create(make_sigset({RtSig(5)}), true));
  sys::table().read.store([](int, void*, size_t) -> ssize_t { return 4; });
  auto r = sfd.read();
  sys::reset_table();
  EXPECT_THAT(r, FailsWith(EIO));
}

TEST_F(SignalFdTest, CreateFailsWithoutFreeDescriptors) {
  int status = RunInChild([] {
    struct rlimit none = {0, 0};
    if (getrlimit(RLIMIT_NOFILE, &none) != 0) return 2;
    none.rlim_cur = 0;
    if (setrlimit(RLIMIT_NOFILE, &none) != 0) return 3;
    auto r = SignalFd::create(make_sigset({RtSig(5)}));
    if (r) return 4;
    if (r.error().code() != EMFILE) return 5;
    return r.error().message().rfind("signalfd({SIGRTMIN+5}): ", 0) == 0 ? 0
                                                                         : 6;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeWaitStatus(status);
}

// ---- Notifier --------------------------------------------------------------

TEST_F(NotifierTest, DescriptorIsCloseOnExecAndNonblocking) {
  auto n = ASSERT_OK_AND_VALUE(Notifier::create());
  EXPECT_NE(fcntl(n.fd(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(fcntl(n.fd(), F_GETFL) & O_NONBLOCK, 0);
}

TEST_F(NotifierTest, DrainReturnsTheCountAndZeroWhenNone) {
  auto n = ASSERT_OK_AND_VALUE(Notifier::create());
  EXPECT_EQ(ASSERT_OK_AND_VALUE(n.drain()), 0u);
  n.notify();
  n.notify();
  n.notify();
  EXPECT_EQ(ASSERT_OK_AND_VALUE(n.drain()), 3u);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(n.drain()), 0u);
}

TEST_F(NotifierTest, WaitReturnsTheCoalescedCountThenTimesOut) {
  auto n = ASSERT_OK_AND_VALUE(Notifier::create());
  for (int i = 0; i < 5; ++i) n.notify();
  EXPECT_EQ(ASSERT_OK_AND_VALUE(n.wait()), 5u);
  auto start = Clock::now();
  EXPECT_THAT(n.wait(deadline_in(30ms)), FailsWith(ETIMEDOUT));
  EXPECT_GE(Clock::now() - start, 30ms);
}

TEST_F(NotifierTest, NotifyFromASignalHandlerWakesWaitInAnotherThread) {
  auto n = ASSERT_OK_AND_VALUE(Notifier::create());
  g_notifier = &n;
  auto a =
      ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR2, notify_handler));
  Worker<Result<std::uint64_t>> waiter(
      [&n] { return n.wait(deadline_in(kBlockedTimeout)); });
  ASSERT_OK(WaitUntilBlocked(waiter.tid(), fault::kSysPoll));
  ASSERT_THAT(raise(SIGUSR2),
              SyscallSucceeds());  // the handler runs on this thread
  EXPECT_EQ(ASSERT_OK_AND_VALUE(waiter.join()), 1u);
}

TEST_F(NotifierTest, WaitRetriesWhenTheHandlerInterruptsItsOwnPoll) {
  auto n = ASSERT_OK_AND_VALUE(Notifier::create());
  g_notifier = &n;
  auto a =
      ASSERT_OK_AND_VALUE(ScopedSigaction::install(SIGUSR2, notify_handler));
  Worker<Result<std::uint64_t>> waiter(
      [&n] { return n.wait(deadline_in(kBlockedTimeout)); });
  ASSERT_OK(InterruptWhenBlocked(waiter.tid(), SIGUSR2, fault::kSysPoll));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(waiter.join()), 1u);
}

TEST_F(NotifierTest, NotifyPreservesErrno) {
  auto n = ASSERT_OK_AND_VALUE(Notifier::create());
  // Fill the counter to its maximum, so that notify's write fails (EAGAIN).
  const std::uint64_t max = 0xfffffffffffffffe;
  ASSERT_THAT(::write(n.fd(), &max, sizeof max), SyscallSucceeds());
  const std::uint64_t one = 1;
  ASSERT_THAT(::write(n.fd(), &one, sizeof one), SyscallFailsWithErrno(EAGAIN));
  errno = EDOM;
  n.notify();
  EXPECT_EQ(errno, EDOM);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(n.drain()), max);
}

TEST_F(NotifierTest, MovedFromNotifierFailsEbadfInsteadOfBlocking) {
  auto a = ASSERT_OK_AND_VALUE(Notifier::create());
  Notifier b = std::move(a);
  EXPECT_EQ(a.fd(), -1);  // NOLINT(bugprone-use-after-move)
  a.notify();             // ignored
  EXPECT_THAT(a.drain(), FailsWith(EBADF));
  EXPECT_THAT(a.wait(deadline_in(10s)), FailsWith(EBADF));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(b.drain()), 0u);
}

TEST_F(NotifierTest, ShortReadIsReportedAsEio) {
  auto n = ASSERT_OK_AND_VALUE(Notifier::create());
  sys::table().read.store([](int, void*, size_t) -> ssize_t { return 3; });
  auto drained = n.drain();
  auto waited = n.wait();
  sys::reset_table();
  EXPECT_THAT(drained, FailsWith(EIO));
  EXPECT_THAT(waited, FailsWith(EIO));
}

TEST_F(NotifierTest, CreateFailsWithoutFreeDescriptors) {
  int status = RunInChild([] {
    struct rlimit lim = {};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 2;
    lim.rlim_cur = 0;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) return 3;
    auto r = Notifier::create();
    if (r) return 4;
    if (r.error().code() != EMFILE) return 5;
    return r.error().message().rfind("eventfd(", 0) == 0 ? 0 : 6;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeWaitStatus(status);
}

// ---- call_blocking ---------------------------------------------------------

TEST(CallBlocking, RetriesOnlyEintrAndOnlyWhenAsked) {
  int calls = 0;
  auto eintr_twice_then_7 = [&calls] {
    ++calls;
    if (calls <= 2) {
      errno = EINTR;
      return -1;
    }
    return 7;
  };
  EXPECT_EQ(call_blocking(Eintr::kRetry, eintr_twice_then_7), 7);
  EXPECT_EQ(calls, 3);

  calls = 0;
  EXPECT_EQ(call_blocking(Eintr::kSurface, eintr_twice_then_7), -1);
  EXPECT_EQ(errno, EINTR);
  EXPECT_EQ(calls, 1);

  calls = 0;
  auto eio = [&calls]() -> long {
    ++calls;
    errno = EIO;
    return -1;
  };
  EXPECT_EQ(call_blocking(Eintr::kRetry, eio), -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_EQ(calls, 1);
}

struct PipeFds {
  Fd read_end, write_end;
};
PipeFds MakePipe() {
  int p[2] = {-1, -1};
  EXPECT_THAT(pipe2(p, O_CLOEXEC), SyscallSucceeds());
  return {Fd(p[0]), Fd(p[1])};
}

struct ReadOutcome {
  ssize_t result;
  int error;
  int calls;
  char byte;
};

// A thread that reads one byte from `fd` through call_blocking.
Worker<ReadOutcome> StartReader(int fd, Eintr eintr) {
  return Worker<ReadOutcome>([fd, eintr] {
    ReadOutcome out = {0, 0, 0, 0};
    out.result = call_blocking(eintr, [&] {
      ++out.calls;
      return ::read(fd, &out.byte, 1);
    });
    out.error = out.result < 0 ? errno : 0;
    return out;
  });
}

TEST_F(CallBlockingTest, SurfacesEintrFromARealSignal) {
  auto a = ASSERT_OK_AND_VALUE(
      ScopedSigaction::install(SIGUSR1, count_handler));  // no SA_RESTART
  PipeFds p = MakePipe();
  auto reader = StartReader(p.read_end.get(), Eintr::kSurface);
  ASSERT_OK(InterruptWhenBlocked(reader.tid(), SIGUSR1, SYS_read));
  // A correct reader returns and its thread ends (ESRCH). If it is back in
  // read(2) instead, the EINTR was retried: give it a byte so the join ends.
  if (WaitUntilBlocked(reader.tid(), SYS_read)) {
    ADD_FAILURE() << "kSurface retried the interrupted read";
    ASSERT_THAT(::write(p.write_end.get(), "z", 1), SyscallSucceeds());
  }
  ReadOutcome out = reader.join();
  EXPECT_EQ(out.result, -1);
  EXPECT_EQ(out.error, EINTR);
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(g_count.load(), 1);
}

TEST_F(CallBlockingTest, RetriesEintrFromARealSignalAndThenGetsTheData) {
  auto a = ASSERT_OK_AND_VALUE(
      ScopedSigaction::install(SIGUSR1, count_handler));  // no SA_RESTART
  PipeFds p = MakePipe();
  auto reader = StartReader(p.read_end.get(), Eintr::kRetry);
  ASSERT_OK(InterruptWhenBlocked(reader.tid(), SIGUSR1, SYS_read));
  ASSERT_OK(WaitUntilBlocked(reader.tid(), SYS_read));  // in read again
  ASSERT_THAT(::write(p.write_end.get(), "x", 1), SyscallSucceeds());
  ReadOutcome out = reader.join();
  EXPECT_EQ(out.result, 1);
  EXPECT_EQ(out.byte, 'x');
  EXPECT_EQ(out.calls, 2);
  EXPECT_EQ(g_count.load(), 1);
}

// With SA_RESTART the kernel restarts read(2) itself: even kSurface sees no
// EINTR.
TEST_F(CallBlockingTest, SaRestartRestartsReadInTheKernel) {
  auto a = ASSERT_OK_AND_VALUE(
      ScopedSigaction::install(SIGUSR1, count_handler, SA_RESTART));
  PipeFds p = MakePipe();
  auto reader = StartReader(p.read_end.get(), Eintr::kSurface);
  ASSERT_OK(InterruptWhenBlocked(reader.tid(), SIGUSR1, SYS_read));
  ASSERT_OK(WaitUntilBlocked(reader.tid(), SYS_read));
  ASSERT_THAT(::write(p.write_end.get(), "y", 1), SyscallSucceeds());
  ReadOutcome out = reader.join();
  EXPECT_EQ(out.result, 1);
  EXPECT_EQ(out.byte, 'y');
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(g_count.load(), 1);
}

}  // namespace
}  // namespace ipc
