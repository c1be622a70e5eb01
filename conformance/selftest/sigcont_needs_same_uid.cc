// conformance/selftest/sigcont_needs_same_uid.cc — deviation: SIGCONT is held
// to the same user-id rule as every other signal, although kill(2) and POSIX
// XSH kill() let it reach any process of the sender's session (SIG-040).
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "conformance/selftest/next.h"

namespace {

// The real uid of `pid` from /proc/<pid>/status, or -1.
long uid_of(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return -1;
  char line[256];
  long uid = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "Uid:", 4) == 0) {
      uid = std::atol(line + 4);
      break;
    }
  }
  std::fclose(f);
  return uid;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int kill(pid_t pid, int sig) {
  static auto* real = selftest::next<int(pid_t, int)>("kill");
  if (sig == SIGCONT && pid > 0 && ::geteuid() != 0) {
    long target = uid_of(pid);
    if (target >= 0 && target != static_cast<long>(::getuid())) {
      errno = EPERM;
      return -1;
    }
  }
  return real(pid, sig);
}
