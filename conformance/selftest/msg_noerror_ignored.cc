// conformance/selftest/msg_noerror_ignored.cc — deviation: msgrcv ignores
// MSG_NOERROR, so a message longer than msgsz fails with E2BIG instead of being
// truncated (msgop(2); POSIX XSH msgrcv()).
#include <sys/msg.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) ssize_t msgrcv(
    int qid, void* msgp, size_t sz, long type, int flags) {
  static auto* real =
      selftest::next<ssize_t(int, void*, size_t, long, int)>("msgrcv");
  return real(qid, msgp, sz, type, flags & ~MSG_NOERROR);
}
