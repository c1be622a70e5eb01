// conformance/selftest/sigpending_empty.cc — deviation: sigpending reports no
// pending signal whatever is pending (POSIX XSH sigpending(): "the set of
// signals that are blocked from delivery and pending").
#include <signal.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int sigpending(
    sigset_t* set) {
  static auto* real = selftest::next<int(sigset_t*)>("sigpending");
  int r = real(set);
  if (r == 0) sigemptyset(set);
  return r;
}
