// ipc/testing/signals.cc — scoped dispositions, counting handler, masks.
#include "ipc/testing/signals.h"

#include <pthread.h>

#include <atomic>
#include <cerrno>

#include "gtest/gtest.h"
#include "ipc/testing/errno_name.h"

namespace ipc::testing {
namespace {

struct sigaction WithHandler(void (*handler)(int), int flags) {
  struct sigaction sa = {};
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sa;
}

struct sigaction WithInfoHandler(void (*handler)(int, siginfo_t*, void*),
                                 int flags) {
  struct sigaction sa = {};
  sa.sa_sigaction = handler;
  sa.sa_flags = flags | SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  return sa;
}

// One counter per signal number; lock-free, so safe to bump in a handler.
std::atomic<int> g_signal_counts[NSIG];
static_assert(std::atomic<int>::is_always_lock_free);
void CountSignal(int sig) {
  int saved = errno;
  g_signal_counts[sig].fetch_add(1);
  errno = saved;
}

}  // namespace

ScopedSigaction::ScopedSigaction(int sig, const struct sigaction& action)
    : sig_(sig) {
  ok_ = ::sigaction(sig, &action, &previous_) == 0;
  EXPECT_TRUE(ok_) << "sigaction(" << sig << "): " << ErrnoString(errno);
}

ScopedSigaction::ScopedSigaction(int sig, void (*handler)(int), int flags)
    : ScopedSigaction(sig, WithHandler(handler, flags)) {}

ScopedSigaction::ScopedSigaction(int sig,
                                 void (*handler)(int, siginfo_t*, void*),
                                 int flags)
    : ScopedSigaction(sig, WithInfoHandler(handler, flags)) {}

ScopedSigaction::ScopedSigaction(int sig) : sig_(sig) {
  ok_ = ::sigaction(sig, nullptr, &previous_) == 0;
  EXPECT_TRUE(ok_) << "sigaction(" << sig << "): " << ErrnoString(errno);
}

ScopedSigaction::~ScopedSigaction() {
  if (ok_) ::sigaction(sig_, &previous_, nullptr);
}

CountingHandler::CountingHandler(int sig, int flags)
    : sig_((g_signal_counts[sig].store(0), sig)),
      action_(sig, CountSignal, flags) {}

int CountingHandler::count() const { return g_signal_counts[sig_].load(); }

ScopedBlock::ScopedBlock(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::pthread_sigmask(SIG_BLOCK, &set, &old_);
}

ScopedBlock::~ScopedBlock() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

bool SignalPending(int sig) {
  sigset_t set;
  sigemptyset(&set);
  return ::sigpending(&set) == 0 && sigismember(&set, sig) == 1;
}

bool ConsumePending(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  struct timespec zero = {0, 0};
  return ::sigtimedwait(&set, nullptr, &zero) == sig;
}

}  // namespace ipc::testing
