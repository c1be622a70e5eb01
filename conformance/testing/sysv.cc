// conformance/testing/sysv.cc — see sysv.h.
#include "conformance/testing/sysv.h"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cerrno>

namespace conformance::testing {

KeyCleanup::~KeyCleanup() {
  if (int id = ::msgget(key_, 0); id >= 0) ::msgctl(id, IPC_RMID, nullptr);
  if (int id = ::shmget(key_, 0, 0); id >= 0) ::shmctl(id, IPC_RMID, nullptr);
  if (int id = ::semget(key_, 0, 0); id >= 0) ::semctl(id, 0, IPC_RMID);
}

void WaitUntilTimeIsAfter(time_t t) {
  struct timespec next = {t + 1, 0};
  while (::clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &next, nullptr) ==
         EINTR) {
  }
  while (::time(nullptr) <= t) {
    struct timespec tick = {0, 1000000};
    ::nanosleep(&tick, nullptr);
  }
}

}  // namespace conformance::testing
