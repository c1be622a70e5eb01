// conformance/selftest/tee_consumes.cc — deviation: tee moves the bytes like
// splice instead of copying them, so the source pipe loses them (tee(2);
// PIPE-049).
#include <fcntl.h>
#include <sys/types.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) ssize_t tee(
    int in, int out, size_t len, unsigned int flags) {
  static auto* real =
      selftest::next<ssize_t(int, loff_t*, int, loff_t*, size_t, unsigned)>(
          "splice");
  return real(in, nullptr, out, nullptr, len, flags);
}
