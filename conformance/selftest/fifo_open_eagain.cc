// conformance/selftest/fifo_open_eagain.cc — deviation: open(O_WRONLY |
// O_NONBLOCK) of a FIFO that no process has open for reading fails with EAGAIN
// instead of ENXIO (POSIX XSH open() [ENXIO]; fifo(7)).
#include <fcntl.h>

#include <cerrno>
#include <cstdarg>

#include "conformance/selftest/next.h"

namespace {

int deviate(int r, int flags) {
  if (r < 0 && errno == ENXIO && (flags & O_ACCMODE) == O_WRONLY &&
      (flags & O_NONBLOCK) != 0) {
    errno = EAGAIN;
  }
  return r;
}

mode_t mode_arg(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) != 0
             ? static_cast<mode_t>(va_arg(ap, int))
             : 0;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int open(const char* path,
                                                           int flags, ...) {
  static auto* real = selftest::next<int(const char*, int, ...)>("open");
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return deviate(real(path, flags, mode), flags);
}

// glibc's fortified and 64-bit entry points, which callers may reach instead.
extern "C" __attribute__((visibility("default"))) int open64(const char* path,
                                                             int flags, ...) {
  static auto* real = selftest::next<int(const char*, int, ...)>("open64");
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return deviate(real(path, flags, mode), flags);
}

extern "C" __attribute__((visibility("default"))) int __open_2(const char* path,
                                                               int flags) {
  static auto* real = selftest::next<int(const char*, int)>("__open_2");
  return deviate(real(path, flags), flags);
}

extern "C" __attribute__((visibility("default"))) int openat(int dirfd,
                                                             const char* path,
                                                             int flags, ...) {
  static auto* real = selftest::next<int(int, const char*, int, ...)>("openat");
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return deviate(real(dirfd, path, flags, mode), flags);
}
