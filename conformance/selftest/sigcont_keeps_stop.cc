// conformance/selftest/sigcont_keeps_stop.cc — deviation: generating SIGCONT
// does not discard the target's pending stop signals (POSIX XSH 2.4.1 says it
// must). What such an OS shows, made deterministic: a stopped process with a
// stop signal pending stays stopped (it would stop again at once), and a
// running one keeps its pending (blocked) stop signals next to SIGCONT
// (SIG-044).
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "conformance/selftest/next.h"

namespace {

// The pending signals of `pid` (its own and the process-wide set), and
// whether it is stopped.
std::uint64_t pending_of(pid_t pid, bool* stopped) {
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return 0;
  char line[256];
  std::uint64_t set = 0;
  *stopped = false;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "State:", 6) == 0)
      *stopped = std::strchr(line, 'T') != nullptr;
    if (std::strncmp(line, "ShdPnd:", 7) == 0 ||
        std::strncmp(line, "SigPnd:", 7) == 0) {
      set |= std::strtoull(line + 7, nullptr, 16);
    }
  }
  std::fclose(f);
  return set;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int kill(pid_t pid, int sig) {
  static auto* real = selftest::next<int(pid_t, int)>("kill");
  if (sig != SIGCONT || pid <= 0) return real(pid, sig);
  bool stopped = false;
  std::uint64_t before = pending_of(pid, &stopped);
  std::uint64_t stops = 0;
  for (int stop : {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU})
    stops |= before & (std::uint64_t{1} << (stop - 1));
  if (stops != 0 && stopped) return 0;  // it would stop again at once
  int r = real(pid, sig);
  for (int stop : {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}) {
    if ((stops >> (stop - 1)) & 1) real(pid, stop);
  }
  return r;
}
