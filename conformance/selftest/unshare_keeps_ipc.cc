// conformance/selftest/unshare_keeps_ipc.cc — deviation: unshare(CLONE_NEWIPC)
// reports success but the caller stays in its IPC namespace, so System V keys
// and ids and POSIX message queue names stay visible (ipc_namespaces(7);
// KEY-015, MSG-095). The other namespace flags are passed on.
#include <sched.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int unshare(int flags) {
  static auto* real = selftest::next<int(int)>("unshare");
  int rest = flags & ~CLONE_NEWIPC;
  return rest == 0 ? 0 : real(rest);
}
