// conformance/selftest/ipc_set_keeps_owner.cc — deviation: IPC_SET ignores the
// new owner. msgctl/shmctl(IPC_SET) applies the mode (and msg_qbytes) but
// keeps the uid and gid the queue or segment had (msgctl(2), shmctl(2): the
// owner may hand it to another user; MSG-044, SHM-033, and the tests that hand
// an object to nobody before checking what nobody may then do). The shim reads
// the old owner with the real IPC_STAT and passes it to the real IPC_SET in a
// copy of the caller's buffer.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conformance/selftest/next.h"

namespace {

// The shim of msgctl and shmctl: `perm` is the buffer's ipc_perm field. The
// caller's buffer is copied with process_vm_readv, which fails instead of
// faulting, so a bad buffer still gets the real call's EFAULT.
template <typename Ds>
int Control(int (*real)(int, int, Ds*), struct ipc_perm Ds::*perm, int id,
            int cmd, Ds* buf) {
  Ds old = {};
  Ds copy = {};
  struct iovec to = {&copy, sizeof copy};
  struct iovec from = {buf, sizeof copy};
  if (cmd == IPC_SET && buf != nullptr && real(id, IPC_STAT, &old) == 0 &&
      ::process_vm_readv(::getpid(), &to, 1, &from, 1, 0) ==
          static_cast<ssize_t>(sizeof copy)) {
    (copy.*perm).uid = (old.*perm).uid;
    (copy.*perm).gid = (old.*perm).gid;
    return real(id, cmd, &copy);
  }
  return real(id, cmd, buf);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int msgctl(
    int id, int cmd, struct msqid_ds* buf) {
  static auto* real = selftest::next<int(int, int, struct msqid_ds*)>("msgctl");
  return Control(real, &msqid_ds::msg_perm, id, cmd, buf);
}

extern "C" __attribute__((visibility("default"))) int shmctl(
    int id, int cmd, struct shmid_ds* buf) {
  static auto* real = selftest::next<int(int, int, struct shmid_ds*)>("shmctl");
  return Control(real, &shmid_ds::shm_perm, id, cmd, buf);
}
