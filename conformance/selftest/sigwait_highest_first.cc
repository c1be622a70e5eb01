// conformance/selftest/sigwait_highest_first.cc — deviation: glibc's
// sigtimedwait, sigwaitinfo and sigwait take the highest-numbered pending
// signal of the set first, where the kernel (and signal(7)) delivers standard
// signals before real-time ones and the lowest number first. The raw
// rt_sigtimedwait system call is untouched, so only the libc paths deviate
// (SIG-015, SIG-016 through SigDeliveryOrder/Sig*).
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace {

// The highest-numbered signal of `set` that is pending, or 0.
int highest_pending(const sigset_t* set) {
  sigset_t pending;
  if (::sigpending(&pending) != 0) return 0;
  for (int sig = NSIG - 1; sig > 0; --sig) {
    if (sigismember(set, sig) == 1 && sigismember(&pending, sig) == 1)
      return sig;
  }
  return 0;
}

// Takes `sig` (pending) through the raw call with a one-signal set.
int take(int sig, siginfo_t* info) {
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  struct timespec zero = {0, 0};
  return static_cast<int>(
      ::syscall(SYS_rt_sigtimedwait, &one, info, &zero, NSIG / 8));
}

int wait_any(const sigset_t* set, siginfo_t* info,
             const struct timespec* timeout) {
  return static_cast<int>(
      ::syscall(SYS_rt_sigtimedwait, set, info, timeout, NSIG / 8));
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int sigtimedwait(
    const sigset_t* set, siginfo_t* info, const struct timespec* timeout) {
  int sig = highest_pending(set);
  return sig != 0 ? take(sig, info) : wait_any(set, info, timeout);
}

extern "C" __attribute__((visibility("default"))) int sigwaitinfo(
    const sigset_t* set, siginfo_t* info) {
  int sig = highest_pending(set);
  return sig != 0 ? take(sig, info) : wait_any(set, info, nullptr);
}

extern "C" __attribute__((visibility("default"))) int sigwait(
    const sigset_t* set, int* out) {
  int sig = highest_pending(set);
  int r = sig != 0 ? take(sig, nullptr) : wait_any(set, nullptr, nullptr);
  if (r < 0) return errno;
  *out = r;
  return 0;
}
