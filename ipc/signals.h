// ipc/signals.h — signals for the IPC layer and its tests: scoped handlers and
// masks, synchronous waiting (sigtimedwait, signalfd), an async-signal-safe
// wake-up (eventfd), and the EINTR retry policy for blocking calls.
//
// Rules of thumb (signal(7), pthread_sigmask(3)):
//   * A handler and the disposition are per process; the mask is per thread.
//     A process-directed signal (kill, sigqueue) goes to ANY thread that does
//     not block it, so block it in every thread (before creating them: masks
//     are inherited) or direct it at one thread (tgkill, pthread_kill).
//   * With SA_RESTART the kernel restarts read/write/open/wait/ioctl/flock and
//     the like on a handled signal. msgrcv, msgsnd, semop, semtimedop, poll,
//     select, epoll_wait, nanosleep, sigtimedwait and sigsuspend NEVER restart:
//     they fail with EINTR whatever the flags say. For those the caller's Eintr
//     choice (call_blocking, wait_signal) is what decides.
//   * Restore nested scopes in reverse order (RAII does this by itself).
#pragma once

#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "ipc/fd.h"
#include "ipc/result.h"

namespace ipc {

// "SIGUSR1", "SIGRTMIN+3", or "signal 99" for numbers that name no signal.
std::string signal_name(int sig);

// A set holding exactly `sigs`. Numbers that glibc refuses (outside 1..64, and
// the two real-time signals glibc keeps for itself) are left out.
sigset_t make_sigset(std::initializer_list<int> sigs);

// ---- handlers --------------------------------------------------------------

// Installs an action for one signal and puts the previous one back on
// destruction (or on restore()). Move-only; a moved-from object restores
// nothing.
class ScopedSigaction {
 public:
  using Handler = void (*)(int);
  using InfoHandler = void (*)(int, siginfo_t*, void*);

  // Installs `handler` with `flags` (SA_RESTART, SA_RESETHAND, SA_NODEFER, ...)
  // and `mask` (signals blocked while it runs; empty if null — the signal
  // itself is blocked too unless SA_NODEFER). EINVAL for a bad signal number,
  // SIGKILL, SIGSTOP, SIG_DFL/SIG_IGN/null (use set_disposition), or SA_SIGINFO
  // with a one-argument handler.
  static Result<ScopedSigaction> install(int sig, Handler handler,
                                         int flags = 0,
                                         const sigset_t* mask = nullptr);
  // The same for a three-argument handler; SA_SIGINFO is added to `flags`.
  static Result<ScopedSigaction> install(int sig, InfoHandler handler,
                                         int flags = 0,
                                         const sigset_t* mask = nullptr);
  // Sets SIG_IGN or SIG_DFL (EINVAL for anything else).
  static Result<ScopedSigaction> set_disposition(int sig, Handler disposition);

  ScopedSigaction(ScopedSigaction&& other) noexcept;
  ScopedSigaction& operator=(ScopedSigaction&& other) noexcept;
  ScopedSigaction(const ScopedSigaction&) = delete;
  ScopedSigaction& operator=(const ScopedSigaction&) = delete;
  ~ScopedSigaction() { (void)restore(); }

  int signal() const { return sig_; }
  // The action that was in place before install()/set_disposition().
  const struct sigaction& previous() const { return previous_; }
  // Puts the previous action back now and reports a failure. Afterwards the
  // object restores nothing (a second call, or the destructor, is a no-op).
  Status restore();

 private:
  ScopedSigaction(int sig, const struct sigaction& previous)
      : sig_(sig), previous_(previous) {}
  static Result<ScopedSigaction> apply(int sig, const struct sigaction& action);

  int sig_ = 0;  // 0: nothing to restore
  struct sigaction previous_ = {};
};

// ---- masks -----------------------------------------------------------------

// Changes the signal mask of the CALLING THREAD (pthread_sigmask) and puts the
// old mask back on destruction. Must be restored on the thread that created it:
// restore() elsewhere fails with EINVAL and changes nothing. Restoring sets the
// whole snapshot taken at creation: when scopes end out of order (also by
// move-assigning one over another) the mask is the snapshot restored last.
class ScopedSignalMask {
 public:
  static Result<ScopedSignalMask> block(const sigset_t& set);    // mask |= set
  static Result<ScopedSignalMask> unblock(const sigset_t& set);  // mask &= ~set
  static Result<ScopedSignalMask> set(const sigset_t& set);      // mask = set

  ScopedSignalMask(ScopedSignalMask&& other) noexcept;
  ScopedSignalMask& operator=(ScopedSignalMask&& other) noexcept;
  ScopedSignalMask(const ScopedSignalMask&) = delete;
  ScopedSignalMask& operator=(const ScopedSignalMask&) = delete;
  ~ScopedSignalMask() { (void)restore(); }

  // The thread's mask before the change.
  const sigset_t& previous() const { return previous_; }
  // Puts the old mask back now; afterwards the object restores nothing. Signals
  // that were pending and become unblocked are delivered before it returns.
  Status restore();

 private:
  ScopedSignalMask(const sigset_t& previous, pthread_t owner)
      : active_(true), previous_(previous), owner_(owner) {}
  static Result<ScopedSignalMask> change(int how, const char* what,
                                         const sigset_t& set);

  bool active_ = false;
  sigset_t previous_ = {};
  pthread_t owner_ = {};
};

// ---- waiting for signals synchronously -------------------------------------

// Takes one pending signal of `set` (sigtimedwait). The signals of `set` must
// be blocked (in every thread, for process-directed ones), or they are
// delivered normally instead. `timeout`: nullopt waits forever; zero or
// negative polls; on expiry EAGAIN with detail "timed out after N ms". A
// handled signal outside `set` interrupts the wait with EINTR (never restarted,
// even with SA_RESTART): kRetry waits again for the remaining time, kSurface
// returns the EINTR error.
Result<siginfo_t> wait_signal(const sigset_t& set,
                              std::optional<std::chrono::nanoseconds> timeout,
                              Eintr eintr = Eintr::kRetry);

// A signalfd(2) descriptor (close-on-exec) that reports the pending signals of
// its set as data. The CALLER must block those signals (ScopedSignalMask) in
// the reading thread — and in all threads for process-directed ones — or they
// are delivered normally and never reach the descriptor. A thread-directed
// signal is only readable by the thread it was sent to.
class SignalFd {
 public:
  static Result<SignalFd> create(const sigset_t& set, bool nonblocking = false);

  int fd() const { return fd_.get(); }
  // Reads one signal (dequeuing it). A signalfd read is all-or-nothing: it
  // returns whole signalfd_siginfo records, never a part of one. EINTR is
  // retried. With a deadline: ETIMEDOUT when none arrives in time. Without one:
  // blocks, or fails EAGAIN at once on a non-blocking descriptor.
  Result<signalfd_siginfo> read(Deadline deadline = kNoDeadline);

 private:
  explicit SignalFd(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

// A wake-up that is safe to trigger from a signal handler: an eventfd(2)
// (close-on-exec, non-blocking) counter. Typical use: the handler calls
// notify(); a thread waits in wait(), or polls fd() in its own loop.
class Notifier {
 public:
  static Result<Notifier> create();

  int fd() const { return fd_.get(); }
  // Adds 1 to the counter. Async-signal-safe (a single write(2)) and errno is
  // left unchanged. Failures are ignored: the only one possible on a valid
  // Notifier is a full counter (2^64 - 2), which still leaves it readable.
  void notify() noexcept;
  // Waits until notified and returns how many notify() calls happened since the
  // last wait()/drain() (they coalesce), resetting the count to 0. EINTR is
  // retried; ETIMEDOUT after the deadline.
  Result<std::uint64_t> wait(Deadline deadline = kNoDeadline);
  // Like wait() without blocking: 0 when nothing was notified.
  Result<std::uint64_t> drain();

 private:
  explicit Notifier(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

// ---- EINTR -----------------------------------------------------------------

// Runs f() — a call returning an integer, -1 with errno on failure — and, with
// Eintr::kRetry, runs it again for as long as it fails with EINTR. With
// kSurface the EINTR failure is returned as is. Returns f()'s last result
// (errno is f()'s). See the top of this file for which calls the kernel
// restarts by itself under SA_RESTART and which always need this decision.
//   ssize_t n = call_blocking(Eintr::kRetry, [&] { return ::read(fd, buf, len);
//   });
template <typename F>
auto call_blocking(Eintr eintr, F&& f) -> decltype(f()) {
  using R = decltype(f());
  static_assert(std::is_integral_v<R>,
                "call_blocking needs a call returning an integer");
  for (;;) {
    R r = f();
    if (r == static_cast<R>(-1) && errno == EINTR && eintr == Eintr::kRetry)
      continue;
    return r;
  }
}

}  // namespace ipc
