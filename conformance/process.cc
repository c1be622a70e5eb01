// conformance/process.cc — runfiles lookup and fork/isolate/exec/wait.
#include "conformance/process.h"

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
      "XML_OUTPUT_FILE",       "TEST_PREMATURE_EXIT_FILE", "TESTBRIDGE_TEST_ONLY",
      "TEST_SHARD_INDEX",      "TEST_TOTAL_SHARDS",        "TEST_SHARD_STATUS_FILE",
      "TEST_INFRASTRUCTURE_FAILURE_FILE", "TEST_UNDECLARED_OUTPUTS_DIR",
      "GTEST_OUTPUT",          "GTEST_FILTER",             "GTEST_SHARD_INDEX",
      "GTEST_TOTAL_SHARDS",    "IPCT_PRIVATE_DEV_SHM",
  };
  std::string name = entry.substr(0, entry.find('='));
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

std::string var_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

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

// In the forked child: enter the isolation. Returns false (errno set, message
// written to `err_fd`) on failure. `dev_shm_var` receives
// "IPCT_PRIVATE_DEV_SHM=<inode>" for kPrivateIpcAndDevShm.
bool enter_isolation(Isolation isolation, int err_fd, char* dev_shm_var, std::size_t var_size) {
  if (isolation == Isolation::kNone) return true;
  if (::unshare(CLONE_NEWIPC) != 0) {
    child_say(err_fd, "unshare(CLONE_NEWIPC)");
    return false;
  }
  if (isolation != Isolation::kPrivateIpcAndDevShm) return true;
  if (::unshare(CLONE_NEWNS) != 0) {
    child_say(err_fd, "unshare(CLONE_NEWNS)");
    return false;
  }
  // Keep our mounts from propagating back to the caller's namespace.
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    child_say(err_fd, "mount(/, MS_REC|MS_PRIVATE)");
    return false;
  }
  if (::mount("ipct-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
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

// Waits for `pid` at most `timeout` (0 = forever); kills it on timeout.
ipc::Result<int> wait_child(pid_t pid, std::chrono::milliseconds timeout, bool* timed_out) {
  *timed_out = false;
  if (timeout.count() > 0) {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
      struct pollfd p = {pidfd, POLLIN, 0};
      int r;
      do {
        r = ::poll(&p, 1, static_cast<int>(timeout.count()));
      } while (r < 0 && errno == EINTR);
      ::close(pidfd);
      if (r == 0) {
        *timed_out = true;
        ::kill(pid, SIGKILL);
      }
    }
    // Without pidfd_open (old kernels) we wait without a bound.
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ipc::Error::from_errno("waitpid", "pid=" + std::to_string(pid));
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

}  // namespace

std::string runfiles_dir(const char* argv0) {
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0' && is_dir(std::string(v) + "/" + kWorkspace)) return v;
  }
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir = std::string(self, static_cast<std::size_t>(n)) + ".runfiles";
    if (is_dir(dir + "/" + kWorkspace)) return dir;
  }
  if (argv0 != nullptr && *argv0 != '\0') {
    std::string dir = std::string(argv0) + ".runfiles";
    if (is_dir(dir + "/" + kWorkspace)) return dir;
  }
  return {};
}

ipc::Result<std::string> runfile(const std::string& workspace_relative, const char* argv0) {
  std::string root = runfiles_dir(argv0);
  if (root.empty()) {
    return ipc::Error(ENOENT, "runfile", workspace_relative,
                      "no runfiles tree ($RUNFILES_DIR, $TEST_SRCDIR, <binary>.runfiles)");
  }
  std::string path = root + "/" + kWorkspace + "/" + workspace_relative;
  if (::access(path.c_str(), F_OK) != 0) return ipc::Error::from_errno("access", path);
  return path;
}

std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    if (is_test_runner_variable(entry)) continue;
    bool replaced = false;
    for (const std::string& x : extra) replaced = replaced || var_name(x) == var_name(entry);
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

ipc::Result<RunResult> run_program(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) return ipc::Error(EINVAL, "run_program", "", "empty argv");
  int out_fd = options.output_fd;
  int capture = -1;
  if (out_fd < 0) {
    capture = ::memfd_create("ipct-output", MFD_CLOEXEC);
    if (capture < 0) return ipc::Error::from_errno("memfd_create", argv[0]);
    out_fd = capture;
  }
  // Everything the child needs is built before fork.
  std::vector<std::string> env = child_environment(options.env);
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
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    if (capture >= 0) ::close(capture);
    return ipc::Error(e, "fork", argv[0]);
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    if (::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) ::_exit(126);
    if (!enter_isolation(options.isolation, 2, dev_shm_var, sizeof dev_shm_var)) ::_exit(126);
    if (dev_shm_var[0] == '\0') envp[envp.size() - 2] = nullptr;
    ::execve(argp[0], argp.data(), envp.data());
    child_say(2, argp[0]);
    ::_exit(127);
  }
  RunResult result;
  auto status = wait_child(pid, options.timeout, &result.timed_out);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (capture >= 0) {
    result.output = read_all_from_start(capture);
    ::close(capture);
  }
  if (!status) return std::move(status).error();
  result.wait_status = *status;
  return result;
}

ipc::Status isolation_available(Isolation isolation) {
  if (isolation == Isolation::kNone) return ipc::ok_status();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ipc::Error::from_errno("pipe2", "probe");
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return ipc::Error(e, "fork", "probe");
  }
  if (pid == 0) {
    char unused[64];
    int fail = 0;
    if (!enter_isolation(isolation, -1, unused, sizeof unused)) fail = errno;
    ssize_t w = ::write(fds[1], &fail, sizeof fail);
    (void)w;
    ::_exit(0);
  }
  ::close(fds[1]);
  int fail = EIO;
  ssize_t n;
  do {
    n = ::read(fds[0], &fail, sizeof fail);
  } while (n < 0 && errno == EINTR);
  ::close(fds[0]);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof fail) return ipc::Error(EIO, "probe isolation", "child died");
  if (fail != 0) {
    return ipc::Error(fail, "unshare",
                      isolation == Isolation::kPrivateIpc ? "CLONE_NEWIPC"
                                                          : "CLONE_NEWIPC|CLONE_NEWNS + tmpfs");
  }
  return ipc::ok_status();
}

ino_t namespace_inode(const char* name, pid_t pid) {
  std::string path = (pid == 0 ? std::string("/proc/self") : "/proc/" + std::to_string(pid)) +
                     "/ns/" + name;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

}  // namespace conformance
