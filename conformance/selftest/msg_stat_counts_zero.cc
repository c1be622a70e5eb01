// conformance/selftest/msg_stat_counts_zero.cc — deviation: msgctl's IPC_STAT
// and MSG_STAT report an empty queue (msg_qnum and msg_cbytes 0) whatever it
// holds, as a layer that does not track its queues' contents would (msgctl(2):
// "msg_qnum: number of messages currently in the queue").
#include <sys/ipc.h>
#include <sys/msg.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int msgctl(
    int id, int cmd, struct msqid_ds* buf) {
  static auto* real = selftest::next<int(int, int, struct msqid_ds*)>("msgctl");
  int r = real(id, cmd, buf);
  if (r >= 0 && (cmd == IPC_STAT || cmd == MSG_STAT) && buf != nullptr) {
    buf->msg_qnum = 0;
    buf->__msg_cbytes = 0;
  }
  return r;
}
