// conformance/selftest/exec_resets_ignored.cc — deviation: execve resets
// ignored signals to their default action, where POSIX XSH exec says signals
// set to SIG_IGN stay ignored in the new image. glibc's execv/execvp reach
// the kernel through an internal execve that no preload can see, so each entry
// point is covered here (posix_spawn is not).
#include <signal.h>
#include <unistd.h>

#include "conformance/selftest/next.h"

namespace {

void reset_ignored_signals() {
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa;
    if (::sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN)
      ::signal(sig, SIG_DFL);
  }
}

using Exec = int(const char*, char* const[]);
using ExecEnv = int(const char*, char* const[], char* const[]);

}  // namespace

extern "C" __attribute__((visibility("default"))) int execve(
    const char* path, char* const argv[], char* const envp[]) {
  static auto* real = selftest::next<ExecEnv>("execve");
  reset_ignored_signals();
  return real(path, argv, envp);
}

extern "C" __attribute__((visibility("default"))) int execvpe(
    const char* file, char* const argv[], char* const envp[]) {
  static auto* real = selftest::next<ExecEnv>("execvpe");
  reset_ignored_signals();
  return real(file, argv, envp);
}

extern "C" __attribute__((visibility("default"))) int execv(
    const char* path, char* const argv[]) {
  static auto* real = selftest::next<Exec>("execv");
  reset_ignored_signals();
  return real(path, argv);
}

extern "C" __attribute__((visibility("default"))) int execvp(
    const char* file, char* const argv[]) {
  static auto* real = selftest::next<Exec>("execvp");
  reset_ignored_signals();
  return real(file, argv);
}
