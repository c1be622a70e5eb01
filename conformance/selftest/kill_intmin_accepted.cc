// conformance/selftest/kill_intmin_accepted.cc — deviation: kill(INT_MIN, sig)
// succeeds (as if -INT_MIN named a process group) instead of failing ESRCH
// (SIG-047). Nothing is sent: the shim only reports success.
#include <signal.h>
#include <sys/types.h>

#include <climits>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int kill(pid_t pid, int sig) {
  static auto* real = selftest::next<int(pid_t, int)>("kill");
  if (pid == INT_MIN) return 0;
  return real(pid, sig);
}
