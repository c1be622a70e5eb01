// fault/ipcfault.cc — the ipcfault CLI: runs a program under a fault plan,
// through one of two mechanisms.
//
//   ipcfault [--mechanism=auto|preload|seccomp] --plan PLAN [--log FILE]
//            [--seed N] [--fork-reset] -- program args...
//
// preload: libipcfault.so (fault/preload.cc) is prepended to LD_PRELOAD, the
// plan goes into IPCFAULT_PLAN (and IPCFAULT_LOG / IPCFAULT_SEED /
// IPCFAULT_FORK), and ipcfault execs the program. seccomp: a supervisor
// answers the program's system calls (fault/seccomp_supervisor.h). auto (the
// default) takes seccomp for a static executable, which the dynamic loader
// never starts, and preload otherwise.
//
// Everything that can be checked is checked before the program starts (exit
// 2 with a message naming the problem): the plan, the options, the log file
// (created or opened for appending), the library's path. A program that
// cannot be found or executed: exit 127.
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "cli/number.h"
#include "cli/output_file.h"
#include "cli/quote.h"
#include "fault/executable.h"
#include "fault/explore.h"
#include "fault/isolated_run.h"
#include "fault/plan.h"
#include "fault/seccomp_filter.h"
#include "fault/seccomp_supervisor.h"

namespace {

constexpr char kUsage[] =
    R"(usage: ipcfault [--mechanism=auto|preload|seccomp] --plan PLAN [--log FILE]
                [--seed N] [--fork-reset] -- PROGRAM [ARGS...]
       ipcfault explore [OPTIONS] -- PROGRAM [ARGS...]   (explore --help)

Runs PROGRAM with the calls PLAN names failed, shortened, delayed or
signalled, on a schedule that replays exactly.

  --plan PLAN    the fault plan (below); checked before PROGRAM starts
  --mechanism M  preload: libipcfault.so in LD_PRELOAD interposes the libc
                 functions (dynamically linked programs); seccomp: a seccomp
                 filter hands the system calls to a supervisor process (any
                 program: static ones, raw syscall(2)); auto (default):
                 seccomp for a static executable, else preload
  --log FILE     each process appends "ipcfault: pid=N", the plan, its seed,
                 its call counts and one line per injected fault (with its
                 ordinal); preload: at exit(3); seccomp: when the process
                 image ends (exit, exec or a signal)
  --seed N       seed for p= triggers and short=random (overrides seed= in PLAN)
  --fork-reset   a fork child starts with fresh counters; by default it
                 continues the parent's counts. exec always starts afresh.

PLAN := RULE (';' RULE)*      RULE := CALLS ':' EFFECT ['@' TRIGGER] (',' fd=N | ',' tid=N)*
  CALLS    read|write|... (ipc/sys.h), groups io msg shm sig all; each counts
           every libc name of its call (open: open64, openat, __open_2, ...;
           read: __read_chk; lseek: lseek64; see docs/fault-injection.md)
  EFFECT   ERRNO (EINTR, EAGAIN, EIO, ...) | short=N|half|random | delay=10ms
           | signal=SIGUSR1 | interrupt=SIGUSR1 (once asleep in the call) | pass
  TRIGGER  N | N..M | N+ | N+K | N..M+K | p=0.25     (none: every call)
  seed=N   as a rule of its own
Examples: 'read:EINTR@1'   'read:short=1; msgsnd:EAGAIN@3'   'io:EINTR@p=0.1; seed=7'

preload does not see static binaries, direct syscall(2), nor calls glibc makes
internally (inside fopen, stdio, ...); seccomp sees every system call of the
named kinds (docs/fault-injection.md maps calls to system calls). Programs
that retry EINTR themselves (coreutils cat) hide injected EINTRs.
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ipcfault: %s\n(ipcfault --help for usage)\n",
               message.c_str());
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
    if (::access(c.c_str(), R_OK) == 0 &&
        ::realpath(c.c_str(), resolved) != nullptr) {
      return resolved;
    }
  }
  return "";
}

// `path` made absolute (a program that changes directory still finds it).
std::string absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

enum class Mechanism { kAuto, kPreload, kSeccomp };

struct RunOptions {
  const char* plan = nullptr;
  const char* log = nullptr;
  const char* seed = nullptr;
  bool fork_reset = false;
  Mechanism mechanism = Mechanism::kAuto;
};

int run_preload(const RunOptions& o, const char* argv0, char** program) {
  std::string library = find_library(argv0);
  if (library.empty()) {
    std::fprintf(
        stderr,
        "ipcfault: libipcfault.so not found next to %s or in its runfiles\n",
        argv0);
    return 2;
  }
  // ld.so splits LD_PRELOAD at spaces and colons and ignores what it cannot
  // load: the program would run without any fault.
  if (library.find_first_of(" :") != std::string::npos) {
    std::fprintf(stderr,
                 "ipcfault: the path of libipcfault.so ('%s') contains a space "
                 "or a colon, which the dynamic loader would split in "
                 "LD_PRELOAD (the program would run without faults); install "
                 "ipcfault elsewhere or use --mechanism=seccomp\n",
                 library.c_str());
    return 2;
  }
  std::string preload = library;
  if (const char* old = getenv("LD_PRELOAD"); old != nullptr && *old != '\0') {
    preload += std::string(":") + old;
  }
  ::setenv("LD_PRELOAD", preload.c_str(), 1);
  ::setenv("IPCFAULT_PLAN", o.plan, 1);
  if (o.log != nullptr) {
    ::setenv("IPCFAULT_LOG", absolute(o.log).c_str(), 1);
  } else {
    ::unsetenv("IPCFAULT_LOG");
  }
  if (o.seed != nullptr) {
    ::setenv("IPCFAULT_SEED", o.seed, 1);
  } else {
    ::unsetenv("IPCFAULT_SEED");
  }
  if (o.fork_reset) {
    ::setenv("IPCFAULT_FORK", "reset", 1);
  } else {
    ::unsetenv("IPCFAULT_FORK");
  }
  ::execvp(program[0], program);
  std::fprintf(stderr, "ipcfault: cannot run %s: %s\n", program[0],
               std::strerror(errno));
  return 127;
}

int run_seccomp(const RunOptions& o, fault::Plan plan,
                const fault::Executable& exe, char** program, int log_fd) {
  if (auto s = fault::seccomp::check_plan(plan); !s) {
    return usage_error("bad plan for --mechanism=seccomp: " +
                       s.error().message());
  }
  if (o.seed != nullptr) {
    plan.seed = *cli::parse_number<std::uint64_t>("--seed", o.seed);
  }
  fault::seccomp::Options options;
  options.plan = std::move(plan);
  options.log_fd = log_fd;
  options.fork_reset = o.fork_reset;
  ipc::Status s = fault::seccomp::exec_supervised(options, exe.path, program);
  std::fprintf(stderr, "ipcfault: cannot run %s under seccomp: %s\n",
               program[0], s.error().message().c_str());
  return s.error().op() == "execve" ? 127 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "--isolated-run") {
    return fault::isolated_run_main(argc - 1, argv + 1);
  }
  if (argc > 1 && std::string_view(argv[1]) == "explore") {
    char self[PATH_MAX];
    if (::realpath("/proc/self/exe", self) == nullptr) {
      std::fprintf(stderr, "ipcfault: cannot find its own executable: %s\n",
                   std::strerror(errno));
      return 2;
    }
    std::string shown = argv[0];
    if (shown.find('/') != std::string::npos) shown = absolute(shown);
    return fault::explore_main(argc - 1, argv + 1, self, shown.c_str());
  }
  RunOptions o;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view inline_value;
    bool has_inline = false;
    if (arg.substr(0, 2) == "--") {
      if (std::size_t eq = arg.find('='); eq != std::string_view::npos) {
        inline_value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
    }
    // The option's value: after '=' or the next argument.
    auto value = [&](const char** out) {
      if (has_inline) {
        *out = argv[i] + (arg.size() + 1);
        return true;
      }
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    auto once = [&](const char* current) {
      return current == nullptr;  // a second --plan/--log/--seed is an error
    };
    if (arg == "--") {
      ++i;
      break;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--plan") {
      if (!once(o.plan))
        return usage_error(
            "--plan given twice (write one plan; rules are joined with ';')");
      if (!value(&o.plan)) return usage_error("--plan needs a value");
    } else if (arg == "--log") {
      if (!once(o.log)) return usage_error("--log given twice");
      if (!value(&o.log)) return usage_error("--log needs a value");
    } else if (arg == "--seed") {
      if (!once(o.seed)) return usage_error("--seed given twice");
      if (!value(&o.seed)) return usage_error("--seed needs a value");
    } else if (arg == "--mechanism") {
      const char* m = nullptr;
      if (!value(&m)) return usage_error("--mechanism needs a value");
      std::string_view mv = m;
      if (mv == "auto") {
        o.mechanism = Mechanism::kAuto;
      } else if (mv == "preload") {
        o.mechanism = Mechanism::kPreload;
      } else if (mv == "seccomp") {
        o.mechanism = Mechanism::kSeccomp;
      } else {
        return usage_error("bad --mechanism " + cli::quote(mv) +
                           ": auto, preload or seccomp");
      }
    } else if (arg == "--fork-reset" && !has_inline) {
      o.fork_reset = true;
    } else {
      (void)inline_value;
      return usage_error("unknown option " + cli::quote(argv[i]));
    }
  }
  if (o.plan == nullptr) return usage_error("--plan is required");
  if (i >= argc) return usage_error("no program given (put it after --)");
  char** program = argv + i;

  auto plan = fault::parse_plan(o.plan);
  if (!plan) return usage_error("bad plan: " + plan.error().message());
  if (o.seed != nullptr) {
    if (auto seed = cli::parse_number<std::uint64_t>("--seed", o.seed); !seed) {
      const ipc::Error& e = seed.error();
      return usage_error(
          "bad --seed " + cli::quote(o.seed) + ": " +
          (e.detail().empty() ? std::strerror(e.code()) : e.detail()));
    }
  }

  auto exe = fault::find_executable(program[0]);
  if (!exe) {
    std::fprintf(stderr, "ipcfault: cannot run %s: %s\n", program[0],
                 exe.error().message().c_str());
    return 127;
  }
  Mechanism mechanism = o.mechanism;
  if (mechanism == Mechanism::kAuto) {
    mechanism = exe->linkage == fault::Linkage::kStatic ? Mechanism::kSeccomp
                                                        : Mechanism::kPreload;
  } else if (mechanism == Mechanism::kPreload &&
             exe->linkage == fault::Linkage::kStatic) {
    return usage_error(
        exe->path +
        " is statically linked: LD_PRELOAD cannot reach it (the dynamic "
        "loader never runs); use --mechanism=seccomp (the default for "
        "static programs)");
  }

  // The log must be writable before the program starts (opened for
  // appending, never through a link planted in a sticky directory).
  int log_fd = -1;
  if (o.log != nullptr) {
    auto fd = cli::open_log_for_append(absolute(o.log));
    if (!fd) return usage_error("bad --log: " + fd.error().message());
    log_fd = *fd;
  }
  if (mechanism == Mechanism::kSeccomp) {
    return run_seccomp(o, std::move(plan).value(), *exe, program, log_fd);
  }
  if (log_fd >= 0) ::close(log_fd);
  return run_preload(o, argv[0], program);
}
