// conformance/selftest/shm_not_zeroed.cc — deviation: a System V segment that
// shmget has just created holds stale bytes (0xa5) instead of zeros
// (shmget(2): "initialized to zero"). Only segments that are certainly new
// (IPC_PRIVATE, or IPC_CREAT | IPC_EXCL) are dirtied.
#include <sys/ipc.h>
#include <sys/shm.h>

#include <cstring>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int shmget(key_t key,
                                                             size_t size,
                                                             int flags) {
  static auto* real = selftest::next<int(key_t, size_t, int)>("shmget");
  int id = real(key, size, flags);
  bool fresh = key == IPC_PRIVATE ||
               (flags & (IPC_CREAT | IPC_EXCL)) == (IPC_CREAT | IPC_EXCL);
  if (id < 0 || !fresh || size == 0) return id;
  void* p = ::shmat(id, nullptr, 0);
  if (p != reinterpret_cast<void*>(-1)) {
    std::memset(p, 0xa5, size);
    ::shmdt(p);
  }
  return id;
}
