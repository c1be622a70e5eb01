// ipc/signals.cc — scoped sigaction and signal masks, sigtimedwait, signalfd
// and the eventfd Notifier, all through the ipc::sys seam.
#include "ipc/signals.h"

#include <string.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "ipc/sys.h"

namespace ipc {
namespace {

// Longer timeouts are cut to this, which keeps deadline arithmetic from
// overflowing (nanoseconds::max() would) without a visible difference.
constexpr std::chrono::nanoseconds kLongestTimeout =
    std::chrono::hours(24 * 365 * 100);

// "{SIGUSR1,SIGRTMIN+1}" for error contexts.
std::string describe_set(const sigset_t& set) {
  std::string s = "{";
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&set, sig) != 1) continue;
    if (s.size() > 1) s += ',';
    s += signal_name(sig);
  }
  return s + "}";
}

// EINVAL naming the signal when `sig` cannot be given an action at all.
std::optional<Error> invalid_for_sigaction(int sig) {
  if (sig < 1 || sig >= NSIG) {
    return Error(
        EINVAL, "sigaction", signal_name(sig),
        "not a signal number; valid are 1.." + std::to_string(NSIG - 1));
  }
  if (sig == SIGKILL || sig == SIGSTOP) {
    return Error(EINVAL, "sigaction", signal_name(sig),
                 signal_name(sig) + " cannot be caught, ignored or reset");
  }
  return std::nullopt;
}

bool is_disposition(ScopedSigaction::Handler h) {
  return h == SIG_DFL || h == SIG_IGN;
}

struct timespec to_timespec(std::chrono::nanoseconds d) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(d);
  struct timespec ts = {};
  ts.tv_sec = static_cast<time_t>(secs.count());
  ts.tv_nsec = static_cast<long>((d - secs).count());
  return ts;
}

}  // namespace

std::string signal_name(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    return sig == SIGRTMIN ? "SIGRTMIN"
                           : "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
  if (const char* abbrev = ::sigabbrev_np(sig))
    return std::string("SIG") + abbrev;
#else
  if (sig > 0 && sig < NSIG)
    return "signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
#endif
  return "signal " + std::to_string(sig);
}

sigset_t make_sigset(std::initializer_list<int> sigs) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : sigs) (void)sigaddset(&set, sig);  // refuses invalid numbers
  return set;
}

// ---- ScopedSigaction -------------------------------------------------------

Result<ScopedSigaction> ScopedSigaction::apply(int sig,
                                               const struct sigaction& action) {
  if (auto bad = invalid_for_sigaction(sig)) return std::move(*bad);
  struct sigaction old = {};
  if (sys::sigaction(sig, &action, &old) != 0) {
    return Error::from_errno("sigaction", signal_name(sig));
  }
  return ScopedSigaction(sig, old);
}

Result<ScopedSigaction> ScopedSigaction::install(int sig, Handler handler,
                                                 int flags,
                                                 const sigset_t* mask) {
  if (handler == nullptr || is_disposition(handler) || handler == SIG_ERR) {
    return Error(
        EINVAL, "sigaction", signal_name(sig),
        "not a handler function; use set_disposition for SIG_DFL/SIG_IGN");
  }
  if ((flags & SA_SIGINFO) != 0) {
    return Error(EINVAL, "sigaction", signal_name(sig),
                 "SA_SIGINFO needs a handler taking (int, siginfo_t*, void*)");
  }
  struct sigaction act = {};
  act.sa_handler = handler;
  act.sa_flags = flags;
  if (mask != nullptr) {
    act.sa_mask = *mask;
  } else {
    sigemptyset(&act.sa_mask);
  }
  return apply(sig, act);
}

Result<ScopedSigaction> ScopedSigaction::install(int sig, InfoHandler handler,
                                                 int flags,
                                                 const sigset_t* mask) {
  if (handler == nullptr) {
    return Error(EINVAL, "sigaction", signal_name(sig), "null handler");
  }
  struct sigaction act = {};
  act.sa_sigaction = handler;
  act.sa_flags = flags | SA_SIGINFO;
  if (mask != nullptr) {
    act.sa_mask = *mask;
  } else {
    sigemptyset(&act.sa_mask);
  }
  return apply(sig, act);
}

Result<ScopedSigaction> ScopedSigaction::set_disposition(int sig,
                                                         Handler disposition) {
  if (!is_disposition(disposition)) {
    return Error(
        EINVAL, "sigaction", signal_name(sig),
        "set_disposition takes SIG_DFL or SIG_IGN; use install for a handler");
  }
  struct sigaction act = {};
  act.sa_handler = disposition;
  sigemptyset(&act.sa_mask);
  return apply(sig, act);
}

ScopedSigaction::ScopedSigaction(ScopedSigaction&& other) noexcept
    : sig_(std::exchange(other.sig_, 0)), previous_(other.previous_) {}

ScopedSigaction& ScopedSigaction::operator=(ScopedSigaction&& other) noexcept {
  if (this != &other) {
    (void)restore();
    sig_ = std::exchange(other.sig_, 0);
    previous_ = other.previous_;
  }
  return *this;
}

Status ScopedSigaction::restore() {
  int sig = std::exchange(sig_, 0);
  if (sig == 0) return ok_status();
  if (sys::sigaction(sig, &previous_, nullptr) != 0) {
    return Error::from_errno("sigaction", signal_name(sig))
        .with_detail("restoring the previous action");
  }
  return ok_status();
}

// ---- ScopedSignalMask ------------------------------------------------------

Result<ScopedSignalMask> ScopedSignalMask::change(int how, const char* what,
                                                  const sigset_t& set) {
  sigset_t old;
  sigemptyset(&old);
  // pthread_sigmask returns the error number; errno is untouched.
  if (int err = sys::pthread_sigmask(how, &set, &old); err != 0) {
    return Error(err, "pthread_sigmask",
                 std::string(what) + " " + describe_set(set));
  }
  return ScopedSignalMask(old, pthread_self());
}

Result<ScopedSignalMask> ScopedSignalMask::block(const sigset_t& set) {
  return change(SIG_BLOCK, "SIG_BLOCK", set);
}

Result<ScopedSignalMask> ScopedSignalMask::unblock(const sigset_t& set) {
  return change(SIG_UNBLOCK, "SIG_UNBLOCK", set);
}

Result<ScopedSignalMask> ScopedSignalMask::set(const sigset_t& set) {
  return change(SIG_SETMASK, "SIG_SETMASK", set);
}

ScopedSignalMask::ScopedSignalMask(ScopedSignalMask&& other) noexcept
    : active_(std::exchange(other.active_, false)),
      previous_(other.previous_),
      owner_(other.owner_) {}

ScopedSignalMask& ScopedSignalMask::operator=(
    ScopedSignalMask&& other) noexcept {
  if (this != &other) {
    (void)restore();
    active_ = std::exchange(other.active_, false);
    previous_ = other.previous_;
    owner_ = other.owner_;
  }
  return *this;
}

Status ScopedSignalMask::restore() {
  if (!active_) return ok_status();
  if (!pthread_equal(owner_, pthread_self())) {
    return Error(
        EINVAL, "pthread_sigmask", "SIG_SETMASK " + describe_set(previous_),
        "restore on a thread other than the one whose mask was changed");
  }
  active_ = false;
  if (int err = sys::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
      err != 0) {
    return Error(err, "pthread_sigmask",
                 "SIG_SETMASK " + describe_set(previous_),
                 "restoring the previous mask");
  }
  return ok_status();
}

// ---- waiting ---------------------------------------------------------------

Result<siginfo_t> wait_signal(const sigset_t& set,
                              std::optional<std::chrono::nanoseconds> timeout,
                              Eintr eintr) {
  Deadline deadline;
  std::chrono::nanoseconds limit{};
  if (timeout) {
    limit =
        std::clamp(*timeout, std::chrono::nanoseconds::zero(), kLongestTimeout);
    deadline = Clock::now() + limit;
  }
  for (;;) {
    struct timespec ts = {};
    if (deadline)
      ts = to_timespec(std::max<Clock::duration>(*deadline - Clock::now(), {}));
    siginfo_t info = {};
    if (sys::sigtimedwait(&set, &info, deadline ? &ts : nullptr) > 0)
      return info;
    if (errno == EINTR && eintr == Eintr::kRetry) continue;
    if (errno == EAGAIN) {
      auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(limit).count();
      return Error(EAGAIN, "sigtimedwait", describe_set(set),
                   "timed out after " + std::to_string(ms) + " ms");
    }
    return Error::from_errno("sigtimedwait", describe_set(set));
  }
}

Result<SignalFd> SignalFd::create(const sigset_t& set, bool nonblocking) {
  int flags = SFD_CLOEXEC | (nonblocking ? SFD_NONBLOCK : 0);
  int fd = sys::signalfd(-1, &set, flags);
  if (fd < 0) return Error::from_errno("signalfd", describe_set(set));
  return SignalFd(Fd(fd));
}

Result<signalfd_siginfo> SignalFd::read(Deadline deadline) {
  for (;;) {
    if (deadline) {
      if (auto s = wait_readable(fd_.get(), deadline); !s)
        return std::move(s).error();
    }
    signalfd_siginfo info = {};
    ssize_t n = sys::read(fd_.get(), &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info)) return info;
    if (n >= 0) {
      return Error(EIO, "read", "signalfd=" + std::to_string(fd_.get()),
                   "got " + std::to_string(n) + " bytes, not one record");
    }
    if (errno == EINTR) continue;
    // Another reader may have taken the signal poll announced: wait again.
    if (errno == EAGAIN && deadline) continue;
    return Error::from_errno("read", "signalfd=" + std::to_string(fd_.get()));
  }
}

// ---- Notifier --------------------------------------------------------------

Result<Notifier> Notifier::create() {
  int fd = sys::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Error::from_errno("eventfd", "EFD_CLOEXEC|EFD_NONBLOCK");
  return Notifier(Fd(fd));
}

void Notifier::notify() noexcept {
  int saved = errno;
  std::uint64_t one = 1;
  (void)sys::write(fd_.get(), &one, sizeof one);
  errno = saved;
}

Result<std::uint64_t> Notifier::drain() {
  for (;;) {
    std::uint64_t count = 0;
    ssize_t n = sys::read(fd_.get(), &count, sizeof count);
    if (n == static_cast<ssize_t>(sizeof count)) return count;
    if (n >= 0) {
      return Error(EIO, "read", "eventfd=" + std::to_string(fd_.get()),
                   "got " + std::to_string(n) + " bytes, not 8");
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return std::uint64_t{0};
    return Error::from_errno("read", "eventfd=" + std::to_string(fd_.get()));
  }
}

// Reads first (no poll when a notification is already there, and an invalid
// descriptor fails at once instead of being skipped by poll), then polls.
Result<std::uint64_t> Notifier::wait(Deadline deadline) {
  for (;;) {
    auto count = drain();
    if (!count || *count != 0) return count;
    if (auto s = wait_readable(fd_.get(), deadline, Eintr::kRetry); !s) {
      return std::move(s).error();
    }
  }
}

}  // namespace ipc
