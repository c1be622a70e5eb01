// conformance/selftest/pipe_fstat_regular.cc — deviation: fstat of a pipe or
// FIFO descriptor reports a regular file (S_IFREG) instead of S_IFIFO, as an
// emulation backing pipes with files might (POSIX XSH pipe(), mkfifo():
// S_ISFIFO). glibc's older __fxstat entry points, which TSan's fstat
// interceptor calls, deviate the same way.
#include <sys/stat.h>

#include "conformance/selftest/next.h"

namespace {

template <class Stat>
int deviate(int r, Stat* st) {
  if (r == 0 && S_ISFIFO(st->st_mode))
    st->st_mode = (st->st_mode & ~S_IFMT) | S_IFREG;
  return r;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int fstat(int fd,
                                                            struct stat* st) {
  static auto* real = selftest::next<int(int, struct stat*)>("fstat");
  return deviate(real(fd, st), st);
}

extern "C" __attribute__((visibility("default"))) int __fxstat(
    int ver, int fd, struct stat* st) {
  static auto* real = selftest::next<int(int, int, struct stat*)>("__fxstat");
  return deviate(real(ver, fd, st), st);
}

extern "C" __attribute__((visibility("default"))) int __fxstat64(
    int ver, int fd, struct stat* st) {
  static auto* real = selftest::next<int(int, int, struct stat*)>("__fxstat64");
  return deviate(real(ver, fd, st), st);
}

extern "C" __attribute__((visibility("default"))) int fstat64(
    int fd, struct stat64* st) {
  static auto* real = selftest::next<int(int, struct stat64*)>("fstat64");
  return deviate(real(fd, st), st);
}
