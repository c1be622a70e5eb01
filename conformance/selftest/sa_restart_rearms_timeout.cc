// conformance/selftest/sa_restart_rearms_timeout.cc — deviation: a timed call
// restarted after an SA_RESTART handler starts its timeout afresh instead of
// keeping the original expiry (POSIX XSH sigaction(): the restarted call's
// timeout is unspecified but no longer than the original; EINTR-021). The
// shim takes over the restart of mq_timedreceive: sigaction drops SA_RESTART
// (remembering that it was asked for), and mq_timedreceive, interrupted,
// calls the kernel again with the time that was left at its start.
#include <errno.h>
#include <mqueue.h>
#include <signal.h>
#include <time.h>

#include <atomic>

#include "conformance/selftest/next.h"

namespace {
std::atomic<bool> g_restart_asked{false};
}  // namespace

extern "C" __attribute__((visibility("default"))) int sigaction(
    int sig, const struct sigaction* act, struct sigaction* old) {
  static auto* real =
      selftest::next<int(int, const struct sigaction*, struct sigaction*)>(
          "sigaction");
  if (act == nullptr || (act->sa_flags & SA_RESTART) == 0)
    return real(sig, act, old);
  g_restart_asked = true;
  struct sigaction copy = *act;
  copy.sa_flags &= ~SA_RESTART;
  return real(sig, &copy, old);
}

extern "C" __attribute__((visibility("default"))) ssize_t mq_timedreceive(
    mqd_t q, char* buf, size_t len, unsigned* prio,
    const struct timespec* abs) {
  static auto* real =
      selftest::next<ssize_t(mqd_t, char*, size_t, unsigned*,
                             const struct timespec*)>("mq_timedreceive");
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  long long left =
      (abs->tv_sec - now.tv_sec) * 1000000000LL + (abs->tv_nsec - now.tv_nsec);
  struct timespec expiry = *abs;
  for (;;) {
    ssize_t r = real(q, buf, len, prio, &expiry);
    if (r >= 0 || errno != EINTR || !g_restart_asked) return r;
    ::clock_gettime(CLOCK_REALTIME, &now);  // re-armed in full
    long long ns = now.tv_nsec + (left > 0 ? left : 0);
    expiry.tv_sec = now.tv_sec + static_cast<time_t>(ns / 1000000000);
    expiry.tv_nsec = static_cast<long>(ns % 1000000000);
  }
}
