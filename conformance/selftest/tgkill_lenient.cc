// conformance/selftest/tgkill_lenient.cc — deviation: glibc's tgkill() accepts
// a thread group or thread id <= 0 (tgkill(2): EINVAL) and reports success
// without sending anything (SIG-043).
#include <signal.h>
#include <sys/types.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int tgkill(pid_t tgid,
                                                             pid_t tid,
                                                             int sig) {
  static auto* real = selftest::next<int(pid_t, pid_t, int)>("tgkill");
  if (tgid <= 0 || tid <= 0) return 0;
  return real(tgid, tid, sig);
}
