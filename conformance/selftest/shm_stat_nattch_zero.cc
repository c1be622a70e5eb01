// conformance/selftest/shm_stat_nattch_zero.cc — deviation: shmctl's IPC_STAT
// and SHM_STAT report no attachments (shm_nattch 0) whatever is attached, as a
// layer that does not count its mappings would (shmctl(2): "shm_nattch: number
// of current attaches").
#include <sys/ipc.h>
#include <sys/shm.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int shmctl(
    int id, int cmd, struct shmid_ds* buf) {
  static auto* real = selftest::next<int(int, int, struct shmid_ds*)>("shmctl");
  int r = real(id, cmd, buf);
  if (r >= 0 && (cmd == IPC_STAT || cmd == SHM_STAT) && buf != nullptr) {
    buf->shm_nattch = 0;
  }
  return r;
}
