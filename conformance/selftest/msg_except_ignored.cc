// conformance/selftest/msg_except_ignored.cc — deviation: msgrcv ignores
// MSG_EXCEPT, so msgtyp > 0 selects that type instead of the first message of
// any other type (msgop(2), Linux).
#include <sys/msg.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) ssize_t msgrcv(
    int qid, void* msgp, size_t sz, long type, int flags) {
  static auto* real =
      selftest::next<ssize_t(int, void*, size_t, long, int)>("msgrcv");
  return real(qid, msgp, sz, type, flags & ~MSG_EXCEPT);
}
