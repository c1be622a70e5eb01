// conformance/selftest/ipc_set_keeps_ctime.cc — deviation: IPC_SET does not
// update the change time. After a successful msgctl/shmctl(IPC_SET), IPC_STAT
// of that queue or segment keeps reporting the msg_ctime/shm_ctime it had
// before (msgctl(2), shmctl(2): IPC_SET sets it to the current time; MSG-044,
// SHM-033). The shim reads the time with the real IPC_STAT before the first
// IPC_SET of an id and writes it back into every later IPC_STAT of that id.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>

#include <atomic>
#include <ctime>

#include "conformance/selftest/next.h"

namespace {

// The change time an object had before its first IPC_SET, per id: a few
// objects at a time are enough for one test process.
struct Kept {
  int id = -1;
  time_t ctime = 0;
};
constexpr int kSlots = 64;
Kept msg_kept[kSlots];
Kept shm_kept[kSlots];
std::atomic_flag busy = ATOMIC_FLAG_INIT;

class Lock {
 public:
  Lock() {
    while (busy.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~Lock() { busy.clear(std::memory_order_release); }
};

Kept* find(Kept* table, int id) {
  for (int i = 0; i < kSlots; ++i) {
    if (table[i].id == id) return &table[i];
  }
  return nullptr;
}

// Keeps the first time recorded for `id` (later IPC_SETs do not update it
// either).
void remember(Kept* table, int id, time_t t) {
  Lock lock;
  if (find(table, id) != nullptr) return;
  if (Kept* slot = find(table, -1)) *slot = {id, t};
}

void forget(Kept* table, int id) {
  Lock lock;
  if (Kept* k = find(table, id)) k->id = -1;
}

// The kept time of `id` into *t, if there is one.
void restore(Kept* table, int id, time_t* t) {
  Lock lock;
  if (Kept* k = find(table, id)) *t = k->ctime;
}

// The shim of msgctl and shmctl: `ctime` is the buffer's change time field.
template <typename Ds>
int Control(int (*real)(int, int, Ds*), Kept* table, time_t Ds::*ctime, int id,
            int cmd, Ds* buf) {
  Ds old = {};
  bool known = cmd == IPC_SET && real(id, IPC_STAT, &old) == 0;
  int r = real(id, cmd, buf);
  if (r != 0) return r;
  if (known) remember(table, id, old.*ctime);
  if (cmd == IPC_STAT && buf != nullptr) restore(table, id, &(buf->*ctime));
  if (cmd == IPC_RMID) forget(table, id);
  return r;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int msgctl(
    int id, int cmd, struct msqid_ds* buf) {
  static auto* real = selftest::next<int(int, int, struct msqid_ds*)>("msgctl");
  return Control(real, msg_kept, &msqid_ds::msg_ctime, id, cmd, buf);
}

extern "C" __attribute__((visibility("default"))) int shmctl(
    int id, int cmd, struct shmid_ds* buf) {
  static auto* real = selftest::next<int(int, int, struct shmid_ds*)>("shmctl");
  return Control(real, shm_kept, &shmid_ds::shm_ctime, id, cmd, buf);
}
