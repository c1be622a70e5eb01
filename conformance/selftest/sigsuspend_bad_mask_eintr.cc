// conformance/selftest/sigsuspend_bad_mask_eintr.cc — deviation: sigsuspend
// with a mask it cannot read returns EINTR (as if it had waited and a handler
// had run) instead of EFAULT (sigsuspend(2); SIG-048).
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "conformance/selftest/next.h"

namespace {

// Whether the page holding `p` is readable (mincore fails ENOMEM on an
// unmapped one; a PROT_NONE page is caught by a probing write(2) to a pipe).
bool readable(const void* p) {
  if (p == nullptr) return false;
  int fds[2];
  if (::pipe(fds) != 0) return true;
  bool ok = ::write(fds[1], p, 1) == 1;
  ::close(fds[0]);
  ::close(fds[1]);
  return ok;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int sigsuspend(
    const sigset_t* mask) {
  static auto* real = selftest::next<int(const sigset_t*)>("sigsuspend");
  if (!readable(mask)) {
    errno = EINTR;
    return -1;
  }
  return real(mask);
}
