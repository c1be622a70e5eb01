// fault/subprocess.cc — posix_spawn, pipes polled to EOF, a deadline that
// kills the process group.
#include "fault/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <map>

extern char** environ;

namespace fault {
namespace {

void append(Captured& c, const char* p, std::size_t n, std::size_t keep) {
  for (std::size_t i = 0; i < n; ++i) {
    c.digest ^= static_cast<unsigned char>(p[i]);
    c.digest *= 0x100000001b3ULL;
  }
  c.length += n;
  if (c.data.size() < keep) c.data.append(p, std::min(n, keep - c.data.size()));
}

// The environment of the command: ours with the changes applied.
std::vector<std::string> command_env(const Command& c) {
  std::map<std::string, std::string> vars;
  std::vector<std::string> order;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    std::size_t eq = kv.find('=');
    std::string k = kv.substr(0, eq);
    if (vars.count(k) == 0) order.push_back(k);
    vars[k] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  for (const std::string& k : c.unset_env) vars.erase(k);
  for (const auto& [k, v] : c.set_env) {
    if (vars.count(k) == 0) order.push_back(k);
    vars[k] = v;
  }
  std::vector<std::string> out;
  for (const std::string& k : order) {
    if (auto it = vars.find(k); it != vars.end()) {
      out.push_back(k + "=" + it->second);
      vars.erase(it);
    }
  }
  return out;
}

struct Pipe {
  int read = -1, write = -1;
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
};

}  // namespace

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "status " + std::to_string(status);
}

ipc::Result<Completed> run_command(const Command& c) {
  if (c.argv.empty()) return ipc::Error(EINVAL, "run_command", "no argv");
  Pipe out, err, side;
  for (Pipe* p : {&out, &err, &side}) {
    if (p == &side && !c.side_channel) continue;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return ipc::Error::from_errno("pipe2");
    p->read = fds[0];
    p->write = fds[1];
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  std::string in = c.stdin_path.empty() ? "/dev/null" : c.stdin_path;
  ::posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  ::posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  if (c.side_channel)
    ::posix_spawn_file_actions_adddup2(&actions, side.write, 3);
  if (!c.cwd.empty())
    ::posix_spawn_file_actions_addchdir_np(&actions, c.cwd.c_str());
  sigset_t none, all;
  ::sigemptyset(&none);
  ::sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setpgroup(&attr, 0);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP);
  std::vector<std::string> env = command_env(c);
  std::vector<char*> envp, argv;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = c.argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  int rc =
      ::posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) return ipc::Error(rc, "posix_spawn", c.argv[0]);
  if (c.running != nullptr) c.running->store(pid);
  for (Pipe* p : {&out, &err, &side}) {
    if (p->write >= 0) ::close(p->write);
    p->write = -1;
  }

  Completed done;
  // Exit is watched through a pidfd, so that one poll waits for output, exit
  // and the deadline together.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool exited = pidfd < 0;  // without a pidfd (Linux < 5.3): reap at the end
  struct Stream {
    int fd;
    Captured* into;
  };
  std::vector<Stream> open_streams = {{out.read, &done.out},
                                      {err.read, &done.err}};
  if (c.side_channel) open_streams.push_back({side.read, &done.side});
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (c.timeout) deadline = start + *c.timeout;
  // After the kill, a process outside the group (one that left it) may still
  // hold a pipe: stop reading after a grace period.
  std::optional<std::chrono::steady_clock::time_point> give_up;
  std::vector<char> buf(65536);
  while (!open_streams.empty() || !exited) {
    auto now = std::chrono::steady_clock::now();
    if (give_up && now >= *give_up) break;
    if (!done.timed_out && deadline && now >= *deadline) {
      done.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      give_up = now + std::chrono::seconds(2);
    }
    auto until = done.timed_out ? give_up : deadline;
    int wait_ms = -1;
    if (until) {
      wait_ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(*until - now)
              .count() +
          1);
    }
    std::vector<struct pollfd> pfds;
    for (const Stream& s : open_streams) pfds.push_back({s.fd, POLLIN, 0});
    if (!exited) pfds.push_back({pidfd, POLLIN, 0});
    int n = ::poll(pfds.data(), pfds.size(), std::max(wait_ms, -1));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (!exited && pfds.back().revents != 0) {
      exited = true;
      pfds.pop_back();
    }
    for (std::size_t i = pfds.size(); i-- > 0;) {
      if (pfds[i].revents == 0) continue;
      ssize_t got = ::read(pfds[i].fd, buf.data(), buf.size());
      if (got > 0) {
        append(*open_streams[i].into, buf.data(), static_cast<std::size_t>(got),
               c.keep_bytes);
      } else if (got == 0 || errno != EINTR) {
        open_streams.erase(open_streams.begin() +
                           static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  int status = 0;
  // Cleared before the reap: until then the pid cannot be reused.
  if (c.running != nullptr) c.running->store(0);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  done.status = status;
  done.elapsed = std::chrono::steady_clock::now() - start;
  return done;
}

}  // namespace fault
