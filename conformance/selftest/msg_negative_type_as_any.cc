// conformance/selftest/msg_negative_type_as_any.cc — deviation: msgrcv treats
// a negative msgtyp like 0 (the oldest message of any type) instead of the
// lowest type <= |msgtyp| (msgop(2); POSIX XSH msgrcv(); MSG-023).
#include <sys/msg.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) ssize_t msgrcv(
    int qid, void* msgp, size_t sz, long type, int flags) {
  static auto* real =
      selftest::next<ssize_t(int, void*, size_t, long, int)>("msgrcv");
  return real(qid, msgp, sz, type < 0 ? 0 : type, flags);
}
