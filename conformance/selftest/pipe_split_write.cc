// conformance/selftest/pipe_split_write.cc — deviation: a write of n >= 2
// bytes to a pipe or FIFO transfers only the first half and returns that short
// count, even in blocking mode. POSIX XSH write() requires a blocking write to
// a pipe to return only after all n bytes are written (and n <= PIPE_BUF in one
// atomic piece).
#include <sys/stat.h>
#include <unistd.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) ssize_t write(int fd,
                                                                const void* buf,
                                                                size_t n) {
  static auto* real =
      selftest::next<ssize_t(int, const void*, size_t)>("write");
  struct stat st;
  if (n >= 2 && ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
    return real(fd, buf, n / 2);
  return real(fd, buf, n);
}
