// sanitizers/preload_shim.cc — a minimal fault-injection LD_PRELOAD shim: its
// pipe2() always fails with EDOM. The ASan and TSan self-tests preload it to
// prove that such a shim is reached through the sanitizer's own pipe2
// interceptor, which needs the runtime linked statically (-static-libasan,
// -static-libtsan with gcc), as the fault/ and conformance/ shims require.
// Built with -fno-sanitize=all (see BUILD): a gcc -static-libasan executable
// exports no __asan_* symbols for an instrumented shim to bind to.
#include <unistd.h>

#include <cerrno>

namespace {

__attribute__((constructor)) void announce() {
  static const char kMessage[] = "preload_shim: loaded\n";
  // Nothing to do if stderr is gone; the test then sees no marker and fails.
  if (::write(STDERR_FILENO, kMessage, sizeof kMessage - 1) < 0) return;
}

}  // namespace

extern "C" int pipe2(int fds[2], int flags) {
  (void)fds;
  (void)flags;
  errno = EDOM;
  return -1;
}
