// conformance/process.cc — data files (runfiles or bundle) and
// fork/isolate/contain/exec/wait.
#include "conformance/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace conformance {
namespace {

constexpr const char* kWorkspace = "ipctorture";

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Variables through which `bazel test` steers the GoogleTest binary it runs; a
// binary we start must not write its results into our XML file, shard itself
// or apply our --test_filter.
bool is_test_runner_variable(const std::string& entry) {
  static const char* const kNames[] = {
      "XML_OUTPUT_FILE",
      "TEST_PREMATURE_EXIT_FILE",
      "TESTBRIDGE_TEST_ONLY",
      "TEST_SHARD_INDEX",
      "TEST_TOTAL_SHARDS",
      "TEST_SHARD_STATUS_FILE",
      "TEST_INFRASTRUCTURE_FAILURE_FILE",
      "TEST_UNDECLARED_OUTPUTS_DIR",
      "GTEST_OUTPUT",
      "GTEST_FILTER",
      "GTEST_SHARD_INDEX",
      "GTEST_TOTAL_SHARDS",
      "IPCT_PRIVATE_DEV_SHM",
  };
  std::string name = entry.substr(0, entry.find('='));
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

// The path of this program, "" if /proc/self/exe is unreadable.
std::string self_exe() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  return n > 0 ? std::string(self, static_cast<std::size_t>(n)) : "";
}

bool is_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The unpacked bundle this program belongs to: $IPCT_BUNDLE_DIR, or the
// nearest directory holding a BUNDLE file, from the program's directory up
// to three levels above it. Empty if none.
std::string bundle_root() {
  const char* env = std::getenv("IPCT_BUNDLE_DIR");
  if (env != nullptr && *env != '\0' && is_file(std::string(env) + "/BUNDLE"))
    return env;
  std::string dir = self_exe();
  for (int up = 0; up < 4; ++up) {
    auto slash = dir.rfind('/');
    if (slash == std::string::npos || slash == 0) break;
    dir.resize(slash);
    if (is_file(dir + "/BUNDLE")) return dir;
  }
  return {};
}

std::string var_name(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

// Async-signal-safe message to `fd` from a forked child.
void child_say(int fd, const char* what) {
  int e = errno;
  const char* parts[] = {"ipct: ", what, ": ", std::strerror(e), "\n"};
  for (const char* p : parts) {
    ssize_t unused = ::write(fd, p, std::strlen(p));
    (void)unused;
  }
  errno = e;
}

// The pid of the child run_program is waiting for (for kill_running_child).
volatile sig_atomic_t g_running_child = 0;

// In the forked child: enter the isolation (the namespaces themselves are
// already unshared when `unshared` is true). Returns false (errno set, message
// written to `err_fd`) on failure. `dev_shm_var` receives
// "IPCT_PRIVATE_DEV_SHM=<inode>" for kPrivateIpcAndDevShm.
bool enter_isolation(Isolation isolation, bool unshared, int err_fd,
                     char* dev_shm_var, std::size_t var_size) {
  if (isolation == Isolation::kNone) return true;
  if (!unshared && ::unshare(CLONE_NEWIPC) != 0) {
    child_say(err_fd, "unshare(CLONE_NEWIPC)");
    return false;
  }
  if (isolation != Isolation::kPrivateIpcAndDevShm) return true;
  if (!unshared && ::unshare(CLONE_NEWNS) != 0) {
    child_say(err_fd, "unshare(CLONE_NEWNS)");
    return false;
  }
  // Keep our mounts from propagating back to the caller's namespace.
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    child_say(err_fd, "mount(/, MS_REC|MS_PRIVATE)");
    return false;
  }
  if (::mount("ipct-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
              "mode=1777") != 0) {
    child_say(err_fd, "mount(tmpfs, /dev/shm)");
    return false;
  }
  struct stat st;
  if (::stat("/proc/self/ns/mnt", &st) != 0) {
    child_say(err_fd, "stat(/proc/self/ns/mnt)");
    return false;
  }
  std::snprintf(dev_shm_var, var_size, "IPCT_PRIVATE_DEV_SHM=%lu",
                static_cast<unsigned long>(st.st_ino));
  return true;
}

// fork(2) into new namespaces: the raw clone system call without a new stack
// behaves like fork. The child of CLONE_NEWPID is pid 1 of the namespace.
pid_t fork_into(int ns_flags) {
  return static_cast<pid_t>(::syscall(SYS_clone, ns_flags | SIGCHLD, nullptr,
                                      nullptr, nullptr, nullptr));
}

// pid 1 of a PID namespace made for one program: mounts the namespace's own
// /proc, starts the program as pid 2, reaps everything, and when the program
// has ended kills whatever it left in the namespace. Writes the program's
// wait status to `status_fd` and exits 0 (126 if it could not start it).
[[noreturn]] void run_as_init(char* const argv[], char* const envp[],
                              int status_fd) {
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0) {
    child_say(2, "mount(proc, /proc) in the new PID namespace");
    ::_exit(126);
  }
  pid_t program = ::fork();
  if (program < 0) {
    child_say(2, "fork");
    ::_exit(126);
  }
  if (program == 0) {
    ::close(status_fd);
    // Its own session and group, visible in the namespace (init's are not:
    // they belong to the caller's namespace, and getpgrp() would say 0).
    ::setsid();
    ::execve(argv[0], argv, envp);
    child_say(2, argv[0]);
    ::_exit(127);
  }
  int program_status = 0;
  for (;;) {
    int st = 0;
    pid_t p = ::waitpid(-1, &st, 0);
    if (p < 0 && errno == EINTR) continue;
    if (p < 0) break;  // ECHILD: nothing is left
    if (p == program) {
      program_status = st;
      ::kill(-1, SIGKILL);  // everyone in the namespace but us
    }
  }
  ssize_t w = ::write(status_fd, &program_status, sizeof program_status);
  (void)w;
  ::_exit(0);
}

// What the cleanup needs of /proc/<pid>/stat.
struct ProcStat {
  char state = '?';
  pid_t ppid = 0, pgrp = 0;
  unsigned long long starttime = 0;  // clock ticks after boot
};

bool read_proc_stat(pid_t pid, ProcStat* out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%ld/stat", static_cast<long>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  // "pid (comm) S ppid pgrp session … starttime(22) …": comm may hold ')'
  // and spaces.
  const char* close = std::strrchr(buf, ')');
  if (close == nullptr) return false;
  int ppid = 0, pgrp = 0;
  if (std::sscanf(close + 1,
                  " %c %d %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
                  "%*s %*s %*s %*s %llu",
                  &out->state, &ppid, &pgrp, &out->starttime) != 4)
    return false;
  out->ppid = ppid;
  out->pgrp = pgrp;
  return true;
}

// The pids in /proc (empty if it cannot be read).
std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && pid > 0)
      out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  return out;
}

// True if the initial environment of `pid` holds the entry `token`
// ("NAME=value"). False when it cannot be read (another user's process
// without the privilege to read it, a zombie: empty).
bool environ_holds(pid_t pid, const std::string& token) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%ld/environ", static_cast<long>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string env(1, '\0');  // every entry is then preceded by a NUL
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || env.size() > (1u << 20)) break;
    env.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  env.push_back('\0');
  std::string entry = std::string(1, '\0') + token + std::string(1, '\0');
  return env.find(entry) != std::string::npos;
}

// A child of ours, as /proc showed it before the program was started.
struct KnownChild {
  pid_t pid;
  unsigned long long starttime;
};

std::vector<KnownChild> children_now() {
  std::vector<KnownChild> out;
  pid_t self = ::getpid();
  for (pid_t pid : all_pids()) {
    ProcStat st;
    if (read_proc_stat(pid, &st) && st.ppid == self)
      out.push_back({pid, st.starttime});
  }
  return out;
}

// Who belongs to one program started by run_program (kSubreaper and
// kProcessGroup): its process group, the holders of its token, and — as
// child subreaper — children of ours started with or after it that were not
// our children before it.
struct Ownership {
  pid_t program = 0;  // also its process group
  std::string token;  // "IPCT_RUN_TOKEN=…"
  bool subreaper = false;
  bool program_start_known = false;
  unsigned long long program_start = 0;
  std::vector<KnownChild> earlier_children;

  bool owns(pid_t pid, const ProcStat& st) const {
    if (st.pgrp == program) return true;
    if (subreaper && program_start_known && st.ppid == ::getpid() &&
        st.starttime >= program_start) {
      bool earlier = false;
      for (const KnownChild& k : earlier_children)
        earlier = earlier || (k.pid == pid && k.starttime == st.starttime);
      if (!earlier) return true;
    }
    return environ_holds(pid, token);
  }
};

// Cleanup after the program `own.program` has ended (it is a zombie, not yet
// reaped: its pid, which is its group's id, cannot be reused meanwhile).
// Kills the group and every other process the program owns, reaps the ones
// that are our children, and returns when none of them is alive any more
// (or after about 5 s of trying); returns how many were killed.
int kill_leftovers(const Ownership& own) {
  pid_t self = ::getpid();
  std::vector<KnownChild> killed;
  auto dead = [](char state) { return state == 'Z' || state == 'X'; };
  for (int round = 0; round < 5000; ++round) {
    // The group as a whole once /proc has been read (so that the count
    // includes its members), for members /proc does not show.
    if (round == 1) ::kill(-own.program, SIGKILL);
    bool waiting = false;  // for a process that is not ours to reap to die
    bool found = false;
    for (pid_t pid : all_pids()) {
      if (pid == self || pid == own.program) continue;
      ProcStat st;
      if (!read_proc_stat(pid, &st)) continue;  // gone meanwhile
      bool ours = st.ppid == self;
      // A zombie that is not ours to reap is dead already.
      if (dead(st.state) && !ours) continue;
      if (!own.owns(pid, st)) continue;
      found = true;
      ::kill(pid, SIGKILL);
      bool known = false;
      for (const KnownChild& k : killed)
        known = known || (k.pid == pid && k.starttime == st.starttime);
      if (!known) killed.push_back({pid, st.starttime});
      if (ours) {
        // SIGKILLed (or a zombie already): it is sure to be reapable.
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
      } else {
        waiting = true;  // dies soon; its parent reaps it
      }
    }
    // A process on its way out no longer shows its environment: those
    // killed stay waited for until they are zombies or gone.
    for (const KnownChild& k : killed) {
      ProcStat st;
      if (read_proc_stat(k.pid, &st) && st.starttime == k.starttime &&
          st.ppid != self && !dead(st.state))
        waiting = true;
    }
    if (!found && !waiting && round > 0) break;
    if (waiting) {
      struct timespec ts = {0, 1000 * 1000};
      ::nanosleep(&ts, nullptr);
    }
  }
  return static_cast<int>(killed.size());
}

// Waits until `pid` has ended, at most `timeout` (0 = forever), killing it on
// timeout; leaves it unreaped (a zombie) when `reap` is false. Returns its
// wait status when it reaps it, else 0.
ipc::Result<int> wait_child(pid_t pid, std::chrono::milliseconds timeout,
                            bool* timed_out, bool reap = true) {
  *timed_out = false;
  if (timeout.count() > 0) {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
      struct pollfd p = {pidfd, POLLIN, 0};
      auto deadline = std::chrono::steady_clock::now() + timeout;
      int r;
      for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        r = ::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 0)));
        if (r >= 0 || errno != EINTR) break;
      }
      ::close(pidfd);
      if (r == 0) {
        *timed_out = true;
        ::kill(pid, SIGKILL);
      }
    } else {
      // No pidfd_open (Linux < 5.3, some sandboxes): poll waitid.
      auto deadline = std::chrono::steady_clock::now() + timeout;
      for (;;) {
        siginfo_t si;
        si.si_pid = 0;
        if (::waitid(P_PID, static_cast<id_t>(pid), &si,
                     WEXITED | WNOHANG | WNOWAIT) == 0) {
          if (si.si_pid == pid) break;
        } else if (errno != EINTR) {
          return ipc::Error::from_errno("waitid", "pid=" + std::to_string(pid));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
          *timed_out = true;
          ::kill(pid, SIGKILL);
          break;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        ::nanosleep(&ts, nullptr);
      }
    }
  }
  if (!reap) {
    siginfo_t si;
    while (::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT) !=
           0) {
      if (errno != EINTR)
        return ipc::Error::from_errno("waitid", "pid=" + std::to_string(pid));
    }
    return 0;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return ipc::Error::from_errno("waitpid", "pid=" + std::to_string(pid));
  }
  return status;
}

std::string read_all_from_start(int fd) {
  std::string out;
  if (::lseek(fd, 0, SEEK_SET) < 0) return out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

std::string runfiles_dir(const char* argv0) {
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0' && is_dir(std::string(v) + "/" + kWorkspace))
      return v;
  }
  std::string self = self_exe();
  if (!self.empty() && is_dir(self + ".runfiles/" + kWorkspace))
    return self + ".runfiles";
  if (argv0 != nullptr && *argv0 != '\0') {
    std::string dir = std::string(argv0) + ".runfiles";
    if (is_dir(dir + "/" + kWorkspace)) return dir;
  }
  return {};
}

std::string data_root(const char* argv0) {
  std::string bundle = bundle_root();
  if (!bundle.empty()) return bundle;
  std::string runfiles = runfiles_dir(argv0);
  return runfiles.empty() ? runfiles : runfiles + "/" + kWorkspace;
}

bool running_from_bundle(const char*) { return !bundle_root().empty(); }

ipc::Result<std::string> runfile(const std::string& workspace_relative,
                                 const char* argv0) {
  std::string root = data_root(argv0);
  if (root.empty()) {
    return ipc::Error(ENOENT, "runfile", workspace_relative,
                      "no bundle (a BUNDLE file near the program) and no "
                      "runfiles tree ($RUNFILES_DIR, $TEST_SRCDIR, "
                      "<binary>.runfiles)");
  }
  std::string path = root + "/" + workspace_relative;
  if (::access(path.c_str(), F_OK) != 0)
    return ipc::Error::from_errno("access", path);
  return path;
}

std::vector<std::string> child_environment(
    const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    if (is_test_runner_variable(entry)) continue;
    bool replaced = false;
    for (const std::string& x : extra)
      replaced = replaced || var_name(x) == var_name(entry);
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<std::string> sanitised_environment(
    const std::vector<std::string>& extra, std::vector<std::string>* dropped) {
  static const char* const kKept[] = {
      "PATH",         "LD_PRELOAD",   "LD_LIBRARY_PATH", "ASAN_OPTIONS",
      "LSAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS",   "MSAN_OPTIONS",
  };
  static const char* const kSteering[] = {
      "GTEST_", "IPCT_",       "LD_",       "GLIBC_",          "MALLOC_",
      "TEST_",  "TESTBRIDGE_", "RUNFILES_", "XML_OUTPUT_FILE",
  };
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    std::string name = var_name(entry);
    bool replaced = false;
    for (const std::string& x : extra)
      replaced = replaced || var_name(x) == name;
    if (replaced) continue;
    bool keep = starts_with(name, "IPCT_SANITIZER");
    for (const char* k : kKept) keep = keep || name == k;
    if (keep) {
      env.push_back(entry);
      continue;
    }
    if (dropped != nullptr) {
      for (const char* prefix : kSteering) {
        if (starts_with(name, prefix)) {
          dropped->push_back(name);
          break;
        }
      }
    }
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

const char* containment_name(Containment c) {
  switch (c) {
    case Containment::kNone:
      return "none";
    case Containment::kPidNamespace:
      return "a PID namespace per suite";
    case Containment::kSubreaper:
      return "a process group per suite, the report as child subreaper";
    case Containment::kProcessGroup:
      return "a process group per suite, its other descendants found by a "
             "token in their environment";
  }
  return "?";
}

void kill_running_child() {
  pid_t pid = g_running_child;
  if (pid > 0) ::kill(pid, SIGKILL);
}

ipc::Result<RunResult> run_program(const std::vector<std::string>& argv,
                                   const RunOptions& options) {
  if (argv.empty()) return ipc::Error(EINVAL, "run_program", "", "empty argv");
  if (options.containment == Containment::kPidNamespace &&
      options.isolation != Isolation::kPrivateIpcAndDevShm) {
    return ipc::Error(EINVAL, "run_program", argv[0],
                      "a PID namespace needs kPrivateIpcAndDevShm (its own "
                      "/proc mount)");
  }
  int out_fd = options.output_fd;
  int capture = -1;
  if (out_fd < 0) {
    capture = ::memfd_create("ipct-output", MFD_CLOEXEC);
    if (capture < 0) return ipc::Error::from_errno("memfd_create", argv[0]);
    out_fd = capture;
  }
  int status_pipe[2] = {-1, -1};
  bool pid_ns = options.containment == Containment::kPidNamespace;
  if (pid_ns && ::pipe2(status_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    if (capture >= 0) ::close(capture);
    return ipc::Error(e, "pipe2", argv[0]);
  }
  bool grouped = options.containment == Containment::kSubreaper ||
                 options.containment == Containment::kProcessGroup;
  Ownership own;
  std::vector<std::string> extra_env = options.env;
  if (grouped) {
    own.subreaper = options.containment == Containment::kSubreaper &&
                    ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
    if (own.subreaper) own.earlier_children = children_now();
    static unsigned long serial = 0;
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    own.token = "IPCT_RUN_TOKEN=" + std::to_string(::getpid()) + "." +
                std::to_string(++serial) + "." + std::to_string(now.tv_sec) +
                "." + std::to_string(now.tv_nsec);
    extra_env.push_back(own.token);
  }
  // Everything the child needs is built before fork.
  std::vector<std::string> env = options.sanitise_environment
                                     ? sanitised_environment(extra_env)
                                     : child_environment(extra_env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  char dev_shm_var[64] = "";
  envp.push_back(dev_shm_var);  // filled (or left empty) in the child
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);
  pid_t parent = ::getpid();

  auto start = std::chrono::steady_clock::now();
  pid_t pid =
      pid_ns ? fork_into(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS) : ::fork();
  if (pid < 0) {
    int e = errno;
    if (capture >= 0) ::close(capture);
    if (pid_ns) {
      ::close(status_pipe[0]);
      ::close(status_pipe[1]);
    }
    return ipc::Error(e, pid_ns ? "clone(CLONE_NEWPID)" : "fork", argv[0]);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // (In a new PID namespace the parent is outside it: getppid() is 0.)
    if (!pid_ns && ::getppid() != parent) ::_exit(126);
    if (::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) ::_exit(126);
    if (!enter_isolation(options.isolation, pid_ns, 2, dev_shm_var,
                         sizeof dev_shm_var))
      ::_exit(126);
    if (dev_shm_var[0] == '\0') envp[envp.size() - 2] = nullptr;
    if (pid_ns) {
      ::close(status_pipe[0]);
      run_as_init(argp.data(), envp.data(), status_pipe[1]);
    }
    if (grouped) ::setpgid(0, 0);
    ::execve(argp[0], argp.data(), envp.data());
    child_say(2, argp[0]);
    ::_exit(127);
  }
  if (grouped) {
    ::setpgid(pid, pid);  // also in the parent: no window before exec
    own.program = pid;
    ProcStat st;
    own.program_start_known = read_proc_stat(pid, &st);
    own.program_start = st.starttime;
  }
  if (pid_ns) ::close(status_pipe[1]);
  g_running_child = pid;
  RunResult result;
  // A grouped program stays a zombie until its leftovers are gone: its pid,
  // the id of its group, cannot be given to another process meanwhile.
  auto status = wait_child(pid, options.timeout, &result.timed_out, !grouped);
  if (grouped) {
    result.leftovers_killed = kill_leftovers(own);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0) {
      if (errno != EINTR) {
        if (status)
          status =
              ipc::Error::from_errno("waitpid", "pid=" + std::to_string(pid));
        break;
      }
    }
    if (status) status = st;
    // Members of its group that /proc did not show (none mounted) and that
    // are our children: while one is left, the group's id stays taken.
    while (::waitpid(-pid, nullptr, WNOHANG) > 0) {
    }
  }
  g_running_child = 0;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (capture >= 0) {
    result.output = read_all_from_start(capture);
    ::close(capture);
  }
  int program_status = 0;
  bool got_program_status = false;
  if (pid_ns) {
    ssize_t n;
    do {
      n = ::read(status_pipe[0], &program_status, sizeof program_status);
    } while (n < 0 && errno == EINTR);
    got_program_status = n == sizeof program_status;
    ::close(status_pipe[0]);
  }
  if (!status) return std::move(status).error();
  // Init exits 0 after reporting the program's status; anything else (126:
  // could not start it; killed: timeout) is its own status.
  result.wait_status =
      got_program_status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0
          ? program_status
          : *status;
  return result;
}

ipc::Status isolation_available(Isolation isolation, Containment containment) {
  if (isolation == Isolation::kNone && containment == Containment::kNone)
    return ipc::ok_status();
  if (containment == Containment::kPidNamespace &&
      isolation != Isolation::kPrivateIpcAndDevShm)
    return ipc::Error(EINVAL, "probe",
                      "a PID namespace needs a mount namespace");
  if (containment == Containment::kSubreaper) {
    int was = 0;
    if (::prctl(PR_GET_CHILD_SUBREAPER, &was) != 0)
      return ipc::Error::from_errno("prctl", "PR_GET_CHILD_SUBREAPER");
  }
  bool subreaper = containment == Containment::kSubreaper;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return ipc::Error::from_errno("pipe2", "probe");
  bool pid_ns = containment == Containment::kPidNamespace;
  pid_t pid =
      pid_ns ? fork_into(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS) : ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return ipc::Error(
        e, pid_ns ? "clone" : "fork",
        pid_ns ? "CLONE_NEWPID|CLONE_NEWIPC|CLONE_NEWNS" : "probe");
  }
  if (pid == 0) {
    char unused[64];
    int fail[2] = {0, 0};  // errno, and 1 if it was PR_SET_CHILD_SUBREAPER
    if (!enter_isolation(isolation, pid_ns, -1, unused, sizeof unused)) {
      fail[0] = errno;
    } else if (pid_ns &&
               ::mount("proc", "/proc", "proc",
                       MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      fail[0] = errno;
    } else if (subreaper && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
      fail[0] = errno;  // qemu-user refuses it (EINVAL)
      fail[1] = 1;
    }
    ssize_t w = ::write(fds[1], fail, sizeof fail);
    (void)w;
    ::_exit(0);
  }
  ::close(fds[1]);
  int fail[2] = {EIO, 0};
  ssize_t n;
  do {
    n = ::read(fds[0], fail, sizeof fail);
  } while (n < 0 && errno == EINTR);
  ::close(fds[0]);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof fail) return ipc::Error(EIO, "probe isolation", "child died");
  if (fail[1] != 0)
    return ipc::Error(fail[0], "prctl", "PR_SET_CHILD_SUBREAPER");
  if (fail[0] != 0) {
    return ipc::Error(fail[0], pid_ns ? "clone/mount" : "unshare",
                      pid_ns ? "CLONE_NEWPID + mount(proc)"
                      : isolation == Isolation::kPrivateIpc
                          ? "CLONE_NEWIPC"
                          : "CLONE_NEWIPC|CLONE_NEWNS + tmpfs");
  }
  return ipc::ok_status();
}

ino_t namespace_inode(const char* name, pid_t pid) {
  std::string path =
      (pid == 0 ? std::string("/proc/self") : "/proc/" + std::to_string(pid)) +
      "/ns/" + name;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

}  // namespace conformance
