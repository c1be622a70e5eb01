// conformance/selftest/writev_as_writes.cc — deviation: writev is one write(2)
// per iovec, so a writev of <= PIPE_BUF bytes is neither atomic under
// contention nor all-or-nothing on a non-blocking pipe (POSIX XSH writev():
// "as write()"; PIPE-020, PIPE-023 through writev).
#include <sys/uio.h>
#include <unistd.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) ssize_t writev(
    int fd, const struct iovec* iov, int n) {
  static auto* real =
      selftest::next<ssize_t(int, const void*, size_t)>("write");
  ssize_t total = 0;
  for (int i = 0; i < n; ++i) {
    ssize_t w = real(fd, iov[i].iov_base, iov[i].iov_len);
    if (w < 0) return total > 0 ? total : w;
    total += w;
    if (static_cast<size_t>(w) < iov[i].iov_len) break;
  }
  return total;
}
