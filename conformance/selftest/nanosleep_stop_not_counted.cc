// conformance/selftest/nanosleep_stop_not_counted.cc — deviation: time spent
// stopped (SIGSTOP … SIGCONT) does not count as slept, so a nanosleep
// interrupted by a stop sleeps on after SIGCONT as if the stop had not
// happened. Linux restarts it with its absolute expiry (restart_syscall(2)),
// so a sleep whose expiry passed while stopped returns at once (EINTR-020).
// The shim sleeps in 10 ms slices and counts each slice as its nominal length
// only: a slice that spans a stop counts 10 ms.
#include <errno.h>
#include <time.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int nanosleep(
    const struct timespec* req, struct timespec* rem) {
  static auto* real = selftest::next<int(clockid_t, int, const struct timespec*,
                                         struct timespec*)>("clock_nanosleep");
  if (req == nullptr || req->tv_nsec < 0 || req->tv_nsec >= 1000000000 ||
      req->tv_sec < 0) {
    errno = EINVAL;
    return -1;
  }
  constexpr long long kSlice = 10 * 1000 * 1000;
  long long left = req->tv_sec * 1000000000LL + req->tv_nsec;
  while (left > 0) {
    long long n = left < kSlice ? left : kSlice;
    struct timespec slice = {0, static_cast<long>(n)};
    int e = real(CLOCK_MONOTONIC, 0, &slice, nullptr);
    if (e != 0) {
      if (rem != nullptr) {
        rem->tv_sec = static_cast<time_t>(left / 1000000000);
        rem->tv_nsec = static_cast<long>(left % 1000000000);
      }
      errno = e;
      return -1;
    }
    left -= n;
  }
  return 0;
}
