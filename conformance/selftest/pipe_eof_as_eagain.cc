// conformance/selftest/pipe_eof_as_eagain.cc — deviation: a non-blocking read
// from an empty pipe or FIFO whose writers are all gone fails with EAGAIN
// instead of returning 0 (end of file). POSIX XSH read() requires 0.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) ssize_t read(int fd,
                                                               void* buf,
                                                               size_t n) {
  static auto* real = selftest::next<ssize_t(int, void*, size_t)>("read");
  ssize_t r = real(fd, buf, n);
  struct stat st;
  if (r == 0 && n > 0 && ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
      (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0) {
    errno = EAGAIN;
    return -1;
  }
  return r;
}
