// conformance/selftest/splice_nonblock_ignored.cc — deviation: tee, splice and
// vmsplice ignore SPLICE_F_NONBLOCK and sleep on a full target or an empty
// source (splice(2): EAGAIN; PIPE-052).
#include <fcntl.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) ssize_t splice(
    int in, loff_t* in_off, int out, loff_t* out_off, size_t len,
    unsigned int flags) {
  static auto* real =
      selftest::next<ssize_t(int, loff_t*, int, loff_t*, size_t, unsigned)>(
          "splice");
  return real(in, in_off, out, out_off, len, flags & ~SPLICE_F_NONBLOCK);
}

extern "C" __attribute__((visibility("default"))) ssize_t tee(
    int in, int out, size_t len, unsigned int flags) {
  static auto* real =
      selftest::next<ssize_t(int, int, size_t, unsigned)>("tee");
  return real(in, out, len, flags & ~SPLICE_F_NONBLOCK);
}

extern "C" __attribute__((visibility("default"))) ssize_t vmsplice(
    int fd, const struct iovec* iov, size_t n, unsigned int flags) {
  static auto* real =
      selftest::next<ssize_t(int, const struct iovec*, size_t, unsigned)>(
          "vmsplice");
  return real(fd, iov, n, flags & ~SPLICE_F_NONBLOCK);
}
