// conformance/selftest/sighold_noop.cc — deviation: sighold() reports success
// without adding the signal to the mask (POSIX XSH sighold(); SIG-046).
#include <signal.h>

#include <cerrno>

extern "C" __attribute__((visibility("default"))) int sighold(int sig) {
  if (sig <= 0 || sig >= NSIG) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}
