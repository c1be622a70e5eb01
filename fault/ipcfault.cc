// fault/ipcfault.cc — the ipcfault CLI: runs a program with libipcfault.so
// preloaded and a fault plan in its environment.
//
//   ipcfault --plan 'read:short=1; msgsnd:EAGAIN@3' [--log FILE] [--seed N] [--fork-reset]
//            -- program args...
//
// It checks the plan (a bad one: message on stderr, exit 2), finds
// libipcfault.so next to itself or in its runfiles, prepends it to
// LD_PRELOAD, sets IPCFAULT_PLAN / IPCFAULT_LOG / IPCFAULT_SEED /
// IPCFAULT_FORK (fault/preload.cc) and execvp's the program (exit 127 if that
// fails).
//
// Limits: static binaries and direct syscall(2) are not seen; calls glibc makes
// internally (inside fopen, stdio, getpwnam, ...) are not interposed. A program
// linked with the SHARED ASan runtime refuses to start unless libasan comes
// first in LD_PRELOAD (gcc's default; -static-libasan and clang are fine).
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "fault/plan.h"

namespace {

constexpr char kUsage[] = R"(usage: ipcfault --plan PLAN [--log FILE] [--seed N] [--fork-reset] -- PROGRAM [ARGS...]

Runs PROGRAM with libipcfault.so preloaded (LD_PRELOAD); the library fails,
shortens, delays or signals the libc calls PLAN names.

  --plan PLAN    the fault plan (below); checked before PROGRAM starts
  --log FILE     each process appends "ipcfault: pid=N", the plan, its seed
                 and one line per injected fault (with its ordinal) at exit(3)
  --seed N       seed for p= triggers and short=random (overrides seed= in PLAN)
  --fork-reset   a fork child starts with fresh counters; by default it
                 continues the parent's counts. exec always starts afresh.

PLAN := RULE (';' RULE)*      RULE := CALLS ':' EFFECT ['@' TRIGGER] (',' fd=N | ',' tid=N)*
  CALLS    read|write|... (ipc/sys.h), groups io msg shm sig all; open counts
           open/open64/openat/openat64, pread/pwrite also pread64/pwrite64
  EFFECT   ERRNO (EINTR, EAGAIN, EIO, ...) | short=N|half|random | delay=10ms
           | signal=SIGUSR1 | pass
  TRIGGER  N | N..M | N+ | N+K | N..M+K | p=0.25     (none: every call)
  seed=N   as a rule of its own
Examples: 'read:EINTR@1'   'read:short=1; msgsnd:EAGAIN@3'   'io:EINTR@p=0.1; seed=7'

Limits: static binaries and direct syscall(2) are not seen; calls glibc makes
internally (inside fopen, stdio, ...) are not interposed. Programs that retry
EINTR themselves (coreutils cat) hide injected EINTRs. Processes that leave
with _exit write no log.
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ipcfault: %s\n(ipcfault --help for usage)\n", message.c_str());
  return 2;
}

// Directory of this executable (symlinks resolved), "" if unknown.
std::string self_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string path(buf, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/'));
}

// libipcfault.so next to this binary, or in its runfiles; "" if not found.
std::string find_library(const char* argv0) {
  std::string candidates[] = {
      self_dir() + "/libipcfault.so",
      std::string(argv0) + ".runfiles/ipctorture/fault/libipcfault.so",
      std::string(getenv("RUNFILES_DIR") ? getenv("RUNFILES_DIR") : "") +
          "/ipctorture/fault/libipcfault.so",
  };
  for (const std::string& c : candidates) {
    char resolved[PATH_MAX];
    if (::access(c.c_str(), R_OK) == 0 && ::realpath(c.c_str(), resolved) != nullptr) {
      return resolved;
    }
  }
  return "";
}

bool is_decimal(std::string_view s) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  char* end = nullptr;
  errno = 0;
  std::strtoull(std::string(s).c_str(), &end, 10);
  return errno == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* plan_text = nullptr;
  const char* log = nullptr;
  const char* seed = nullptr;
  bool fork_reset = false;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](const char** out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (arg == "--") {
      ++i;
      break;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--plan") {
      if (!value(&plan_text)) return usage_error("--plan needs a value");
    } else if (arg == "--log") {
      if (!value(&log)) return usage_error("--log needs a value");
    } else if (arg == "--seed") {
      if (!value(&seed)) return usage_error("--seed needs a value");
    } else if (arg == "--fork-reset") {
      fork_reset = true;
    } else {
      return usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  if (plan_text == nullptr) return usage_error("--plan is required");
  if (i >= argc) return usage_error("no program given (put it after --)");

  auto plan = fault::parse_plan(plan_text);
  if (!plan) return usage_error("bad plan: " + plan.error().message());
  if (seed != nullptr && !is_decimal(seed)) {
    return usage_error("bad --seed '" + std::string(seed) + "': not a decimal number");
  }

  std::string library = find_library(argv[0]);
  if (library.empty()) {
    std::fprintf(stderr, "ipcfault: libipcfault.so not found next to %s or in its runfiles\n",
                 argv[0]);
    return 2;
  }
  std::string preload = library;
  if (const char* old = getenv("LD_PRELOAD"); old != nullptr && *old != '\0') {
    preload += std::string(":") + old;
  }
  ::setenv("LD_PRELOAD", preload.c_str(), 1);
  ::setenv("IPCFAULT_PLAN", plan_text, 1);
  if (log != nullptr) {
    // Absolute, so a program that changes directory still finds it.
    std::string path = log;
    if (path.empty() || path[0] != '/') {
      char cwd[PATH_MAX];
      if (::getcwd(cwd, sizeof cwd) != nullptr) path = std::string(cwd) + "/" + path;
    }
    ::setenv("IPCFAULT_LOG", path.c_str(), 1);
  } else {
    ::unsetenv("IPCFAULT_LOG");
  }
  if (seed != nullptr) {
    ::setenv("IPCFAULT_SEED", seed, 1);
  } else {
    ::unsetenv("IPCFAULT_SEED");
  }
  if (fork_reset) {
    ::setenv("IPCFAULT_FORK", "reset", 1);
  } else {
    ::unsetenv("IPCFAULT_FORK");
  }

  ::execvp(argv[i], argv + i);
  std::fprintf(stderr, "ipcfault: cannot run %s: %s\n", argv[i], std::strerror(errno));
  return 127;
}
