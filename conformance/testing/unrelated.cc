// conformance/testing/unrelated.cc — see unrelated.h.
//
// The chain: we fork A; A forks B and exits at once; we reap A, so B has been
// reparented (the kernel reparents an exiting task's children before its
// parent can reap it). B starts a new session and execs
// `peer --unrelated STATUS GO SECONDS ARGS...`; the peer waits for our "go",
// forks C, which runs ARGS, and reports on STATUS: its pid and session, C's
// pid and ancestry, and C's wait status (or a timeout). Only B and C ever
// exist outside our tree; B and C are reaped by init (or the nearest child
// subreaper), and we wait until both are gone.
#include "conformance/testing/unrelated.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "conformance/process.h"
#include "ipc/fd.h"

namespace conformance::testing {
namespace {

// The descriptor numbers the peer gets its status and go pipes on.
constexpr int kStatusFd = 3;
constexpr int kGoFd = 4;

// The kernel's struct sigaction, for setting SIG_DFL with the raw call (past
// any sanitizer interceptor, async-signal-safe).
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  unsigned long mask;
};

// In B, between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_detached(int out, int status, int go, char* const* argv,
                                char* const* envp) {
  ::setsid();
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || ::dup2(null_fd, 0) < 0) ::_exit(126);
  // dup2 onto itself would keep FD_CLOEXEC: move everything above 4 first.
  int moved[3] = {::fcntl(out, F_DUPFD_CLOEXEC, 10),
                  ::fcntl(status, F_DUPFD_CLOEXEC, 10),
                  ::fcntl(go, F_DUPFD_CLOEXEC, 10)};
  if (moved[0] < 0 || moved[1] < 0 || moved[2] < 0) ::_exit(126);
  if (::dup2(moved[0], 1) < 0 || ::dup2(moved[0], 2) < 0 ||
      ::dup2(moved[1], kStatusFd) < 0 || ::dup2(moved[2], kGoFd) < 0) {
    ::_exit(126);
  }
  if (::syscall(SYS_close_range, kGoFd + 1, ~0U, 0) != 0) {
    for (int fd = kGoFd + 1; fd < 65536; ++fd) ::close(fd);
  }
  KernelSigaction dfl = {};  // SIG_DFL, no flags, nothing blocked
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  }
  unsigned long none = 0;
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
  ::execve(argv[0], argv, envp);
  const char msg[] = "exec-failed\n";
  ssize_t w = ::write(kStatusFd, msg, sizeof msg - 1);
  (void)w;
  ::_exit(127);
}

// Reads every descriptor of `fds` to end of file, at most until `deadline`.
// Returns false on timeout.
bool drain(std::vector<std::pair<int, std::string*>> fds,
           std::chrono::steady_clock::time_point deadline) {
  while (!fds.empty()) {
    std::vector<struct pollfd> p;
    for (auto& f : fds) p.push_back({f.first, POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    int r = ::poll(p.data(), p.size(), static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    for (std::size_t i = p.size(); i-- > 0;) {
      if (p[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        fds[i].second->append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  return true;
}

// Waits until `pid` has exited (a zombie counts: it is init's to reap), at
// most `patience`. True if it is gone.
// Without pidfd_open (gVisor's 2022 release, Linux < 5.3) it watches the
// state letter in /proc/<pid>/stat instead.
bool wait_gone(pid_t pid, std::chrono::milliseconds patience) {
  if (pid <= 0) return true;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0 && errno == ENOSYS) {
    auto deadline = std::chrono::steady_clock::now() + patience;
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    for (;;) {
      char buf[512];
      ssize_t n = -1;
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        n = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
      }
      if (n <= 0) return true;  // gone
      buf[n] = '\0';
      const char* close = std::strrchr(buf, ')');
      if (close != nullptr && (close[2] == 'Z' || close[2] == 'X')) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      struct timespec ts = {0, 1000 * 1000};
      ::nanosleep(&ts, nullptr);
    }
  }
  if (pidfd < 0) return errno == ESRCH;
  struct pollfd p = {pidfd, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, static_cast<int>(patience.count()));
  } while (r < 0 && errno == EINTR);
  ::close(pidfd);
  return r == 1;
}

// The value after `key ` in the status text ("peer 123 ..."), or -1.
long field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word == key) {
      long v = -1;
      if (in >> v) return v;
      return -1;
    }
  }
  return -1;
}

std::vector<pid_t> ancestry_of(const std::string& text) {
  std::vector<pid_t> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word != "ancestry") continue;
    std::string list;
    in >> list;
    std::istringstream items(list);
    std::string item;
    while (std::getline(items, item, ','))
      out.push_back(static_cast<pid_t>(std::atol(item.c_str())));
  }
  return out;
}

}  // namespace

ipc::Result<UnrelatedRun> RunUnrelatedPeer(const std::vector<std::string>& args,
                                           std::chrono::milliseconds timeout) {
  auto peer = runfile("conformance/testing/peer");
  if (!peer) return std::move(peer).error();
  int out[2], status[2], go[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return ipc::Error::from_errno("pipe2", "unrelated peer output");
  ipc::Fd out_r(out[0]), out_w(out[1]);
  if (::pipe2(status, O_CLOEXEC) != 0)
    return ipc::Error::from_errno("pipe2", "unrelated peer status");
  ipc::Fd status_r(status[0]), status_w(status[1]);
  if (::pipe2(go, O_CLOEXEC) != 0)
    return ipc::Error::from_errno("pipe2", "unrelated peer go");
  ipc::Fd go_r(go[0]), go_w(go[1]);

  // Everything B needs is built before fork.
  auto seconds = std::chrono::ceil<std::chrono::seconds>(timeout).count();
  std::vector<std::string> argv = {
      *peer, "--unrelated", std::to_string(kStatusFd), std::to_string(kGoFd),
      std::to_string(std::max<long>(1, seconds))};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> argp;
  for (auto& a : argv) argp.push_back(a.data());
  argp.push_back(nullptr);
  std::vector<std::string> env = child_environment({});
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t a = ::fork();
  if (a < 0) return ipc::Error::from_errno("fork", "unrelated peer");
  if (a == 0) {
    pid_t b = ::_Fork();  // no atfork handlers: A is a copy of a threaded test
    if (b == 0)
      exec_detached(out_w.get(), status_w.get(), go_r.get(), argp.data(),
                    envp.data());
    ::_exit(b < 0 ? 1 : 0);
  }
  out_w.reset();
  status_w.reset();
  go_r.reset();
  int a_status = 0;
  while (::waitpid(a, &a_status, 0) < 0) {
    if (errno != EINTR) return ipc::Error::from_errno("waitpid", "launcher");
  }
  if (!WIFEXITED(a_status) || WEXITSTATUS(a_status) != 0)
    return ipc::Error(ECHILD, "fork", "unrelated peer", "the launcher failed");
  // A is reaped, so B has a new parent: let it go on.
  if (::write(go_w.get(), "g", 1) != 1)
    return ipc::Error::from_errno("write", "unrelated peer go");
  go_w.reset();

  UnrelatedRun run;
  std::string report;
  auto deadline = std::chrono::steady_clock::now() + timeout + kPatience;
  bool finished =
      drain({{status_r.get(), &report}, {out_r.get(), &run.output}}, deadline);
  pid_t launcher = static_cast<pid_t>(field(report, "launcher"));
  run.pid = static_cast<pid_t>(field(report, "peer"));
  run.session = static_cast<pid_t>(field(report, "session"));
  run.ancestry = ancestry_of(report);
  if (!finished && launcher > 0)
    ::kill(-launcher, SIGKILL);  // B leads its group
  bool gone = wait_gone(launcher, kPatience) && wait_gone(run.pid, kPatience);

  if (report.find("exec-failed") != std::string::npos)
    return ipc::Error(ENOEXEC, "execve", *peer, run.output);
  if (!gone) {
    return ipc::Error(ETIMEDOUT, "unrelated peer", std::to_string(launcher),
                      "still running after SIGKILL");
  }
  for (pid_t p : {::getpid(), a}) {
    if (std::find(run.ancestry.begin(), run.ancestry.end(), p) !=
        run.ancestry.end()) {
      return ipc::Error(EPERM, "unrelated peer", std::to_string(run.pid),
                        "descends from pid " + std::to_string(p) +
                            " (ancestry: " + report + ")");
    }
  }
  if (run.session <= 0 || run.session == ::getsid(0)) {
    return ipc::Error(EPERM, "unrelated peer", std::to_string(run.pid),
                      "shares our session (" + report + ")");
  }
  if (!finished || report.find("timeout") != std::string::npos) {
    run.timed_out = true;
    return run;
  }
  long ws = field(report, "status");
  if (ws < 0) {
    return ipc::Error(EIO, "unrelated peer", std::to_string(run.pid),
                      "ended without reporting a status (" + report + ")");
  }
  run.wait_status = static_cast<int>(ws);
  return run;
}

}  // namespace conformance::testing
