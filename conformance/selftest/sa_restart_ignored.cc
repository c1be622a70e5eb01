// conformance/selftest/sa_restart_ignored.cc — deviation: sigaction drops
// SA_RESTART, so calls that signal(7) says are restarted (read, write, open,
// wait on pipes, FIFOs, ...) fail with EINTR instead.
#include <signal.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int sigaction(
    int sig, const struct sigaction* act, struct sigaction* old) {
  static auto* real =
      selftest::next<int(int, const struct sigaction*, struct sigaction*)>(
          "sigaction");
  if (act == nullptr) return real(sig, act, old);
  struct sigaction copy = *act;
  copy.sa_flags &= ~SA_RESTART;
  return real(sig, &copy, old);
}
