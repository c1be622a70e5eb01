// conformance/selftest/ipc_stat_dirty_time.cc — deviation: IPC_STAT leaves
// the upper half of each 64-bit time field as the caller's buffer had it (a
// compat layer copying only the low words), so times come out years off
// (KEY-019). The shim sets those halves to 0x0A0A0A0A after the real call.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cstdarg>
#include <cstdint>

#include "conformance/selftest/next.h"

namespace {

void dirty(time_t* t) {
  *t = static_cast<time_t>((static_cast<std::uint64_t>(*t) & 0xffffffffu) |
                           (std::uint64_t{0x0A0A0A0A} << 32));
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int msgctl(
    int id, int cmd, struct msqid_ds* buf) {
  static auto* real = selftest::next<int(int, int, struct msqid_ds*)>("msgctl");
  int r = real(id, cmd, buf);
  if (r == 0 && cmd == IPC_STAT && buf != nullptr) {
    dirty(&buf->msg_stime);
    dirty(&buf->msg_rtime);
    dirty(&buf->msg_ctime);
  }
  return r;
}

extern "C" __attribute__((visibility("default"))) int shmctl(
    int id, int cmd, struct shmid_ds* buf) {
  static auto* real = selftest::next<int(int, int, struct shmid_ds*)>("shmctl");
  int r = real(id, cmd, buf);
  if (r == 0 && cmd == IPC_STAT && buf != nullptr) {
    dirty(&buf->shm_atime);
    dirty(&buf->shm_dtime);
    dirty(&buf->shm_ctime);
  }
  return r;
}

extern "C" __attribute__((visibility("default"))) int semctl(int id, int num,
                                                             int cmd, ...) {
  static auto* real = selftest::next<int(int, int, int, ...)>("semctl");
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  int r = real(id, num, cmd, arg);
  if (r == 0 && cmd == IPC_STAT && arg != nullptr) {
    auto* buf = static_cast<struct semid_ds*>(arg);
    dirty(&buf->sem_otime);
    dirty(&buf->sem_ctime);
  }
  return r;
}
