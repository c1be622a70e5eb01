// conformance/selftest/fstatfs_host_magic.cc — deviation: fstatfs on an
// anonymous pipe reports a tmpfs instead of the pipe file system
// (statfs(2): PIPEFS_MAGIC; PIPE-047), as an emulation that answers from its
// host file system would.
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int fstatfs(
    int fd, struct statfs* buf) {
  static auto* real = selftest::next<int(int, struct statfs*)>("fstatfs");
  int r = real(fd, buf);
  if (r == 0 && buf->f_type == PIPEFS_MAGIC) buf->f_type = TMPFS_MAGIC;
  return r;
}
