// conformance/selftest/shm_unlink_keeps_name.cc — deviation: shm_unlink
// reports success but leaves the name in place, so a later shm_open finds the
// old object (POSIX XSH shm_unlink(): the name is removed before it returns).
// Runs only in the private /dev/shm the report gives each suite.
#include <sys/mman.h>

#include <cerrno>

extern "C" __attribute__((visibility("default"))) int shm_unlink(
    const char* name) {
  (void)name;
  return 0;
}
