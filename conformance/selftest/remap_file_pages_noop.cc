// conformance/selftest/remap_file_pages_noop.cc — deviation: glibc's
// remap_file_pages reports success without doing anything, so a removed
// System V segment's last attachment stays mapped and alive (SHM-042).
#include <sys/mman.h>

extern "C" __attribute__((visibility("default"))) int remap_file_pages(
    void*, size_t, int, size_t, int) {
  return 0;
}
