// conformance/selftest/pidfd_flags_ignored.cc — deviation: pidfd_send_signal
// ignores its flags argument instead of failing EINVAL for unknown flags
// (pidfd_send_signal(2); SIG-045).
#include <signal.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int pidfd_send_signal(
    int pidfd, int sig, siginfo_t* info, unsigned int flags) {
  static auto* real = selftest::next<int(int, int, siginfo_t*, unsigned int)>(
      "pidfd_send_signal");
  (void)flags;
  return real(pidfd, sig, info, 0);
}
