// conformance/selftest/kill_tid_esrch.cc — deviation: kill() knows processes
// only, so the thread id of a non-leader thread fails ESRCH (Linux accepts it
// and signals the whole process: SIG-041).
#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "conformance/selftest/next.h"

namespace {

// The thread group of `tid` from /proc/<tid>/status, or 0.
pid_t tgid_of(pid_t tid) {
  std::string path = "/proc/" + std::to_string(tid) + "/status";
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return 0;
  char line[256];
  pid_t tgid = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "Tgid:", 5) == 0) {
      tgid = static_cast<pid_t>(std::atol(line + 5));
      break;
    }
  }
  std::fclose(f);
  return tgid;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int kill(pid_t pid, int sig) {
  static auto* real = selftest::next<int(pid_t, int)>("kill");
  if (pid > 0) {
    pid_t tgid = tgid_of(pid);
    if (tgid != 0 && tgid != pid) {
      errno = ESRCH;
      return -1;
    }
  }
  return real(pid, sig);
}
