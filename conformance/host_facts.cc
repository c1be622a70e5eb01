// conformance/host_facts.cc — see host_facts.h. Probes run once, each in a
// throw-away child where it changes the process (unshare).
#include "conformance/host_facts.h"

#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "fault/blocked.h"

namespace conformance {
namespace {

std::string trimmed_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "unavailable";
  std::string s((std::istreambuf_iterator<char>(in)),
                std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// "readable", or "unavailable (<strerror>)".
std::string probe_readable(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("unavailable (") + std::strerror(errno) + ")";
  char c;
  ssize_t n = ::read(fd, &c, 1);
  int e = errno;
  ::close(fd);
  if (n < 0) return std::string("unavailable (read: ") + std::strerror(e) + ")";
  return "readable";
}

// In a throw-away child: unshare(flag). 0 or the errno.
int probe_unshare(int flag) {
  pid_t pid = ::fork();
  if (pid < 0) return errno;
  if (pid == 0) ::_exit(::unshare(flag) == 0 ? 0 : (errno & 0xff));
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
}

std::string probe_namespaces() {
  static const std::pair<int, const char*> kKinds[] = {
      {CLONE_NEWIPC, "ipc"}, {CLONE_NEWNS, "mnt"},  {CLONE_NEWPID, "pid"},
      {CLONE_NEWUTS, "uts"}, {CLONE_NEWNET, "net"}, {CLONE_NEWUSER, "user"},
  };
  std::string ok, missing;
  for (const auto& [flag, name] : kKinds) {
    int e = probe_unshare(flag);
    if (e == 0) {
      ok += (ok.empty() ? "" : " ") + std::string(name);
    } else {
      missing += (missing.empty() ? "" : ", ") + std::string(name) + " (" +
                 std::strerror(e) + ")";
    }
  }
  return (ok.empty() ? "none" : ok) +
         (missing.empty() ? "" : "; not: " + missing);
}

std::string probe_pty() {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return std::string("unavailable (posix_openpt: ") + std::strerror(errno) +
           ")";
  std::string out;
  char name[128];
  if (::grantpt(master) != 0 || ::unlockpt(master) != 0 ||
      ::ptsname_r(master, name, sizeof name) != 0) {
    out = std::string("unavailable (grantpt/unlockpt/ptsname: ") +
          std::strerror(errno) + ")";
  } else {
    int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
      out = "unavailable (open " + std::string(name) + ": " +
            std::strerror(errno) + ")";
    } else {
      out = "available (" + std::string(name) + ")";
      ::close(slave);
    }
  }
  ::close(master);
  return out;
}

std::string limit_str(rlim_t v) {
  return v == RLIM_INFINITY ? "unlimited" : std::to_string(v);
}

std::string probe_core_dumps() {
  std::string pattern = trimmed_file("/proc/sys/kernel/core_pattern");
  struct rlimit rl;
  std::string limit = ::getrlimit(RLIMIT_CORE, &rl) == 0
                          ? "RLIMIT_CORE " + limit_str(rl.rlim_cur) + "/" +
                                limit_str(rl.rlim_max)
                          : "RLIMIT_CORE unreadable";
  return "core_pattern '" + pattern + "', " + limit;
}

std::string probe_pidfd() {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (fd < 0)
    return std::string("unavailable (pidfd_open: ") + std::strerror(errno) +
           "): bounded waits poll waitpid";
  ::close(fd);
  return "available";
}

}  // namespace

Json collect_host_facts() {
  Json f = Json::object();
  struct utsname u;
  if (::uname(&u) == 0) {
    f.set("kernel", std::string(u.sysname) + " " + u.release + " " + u.version +
                        " " + u.machine);
  }
  f.set("libc", std::string("glibc ") + gnu_get_libc_version() + " (" +
                    gnu_get_libc_release() + ")");
  f.set("page_size", std::to_string(::sysconf(_SC_PAGESIZE)));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == 0) {
    long pipe_buf = ::fpathconf(fds[0], _PC_PIPE_BUF);
    f.set("pipe_buf", std::to_string(PIPE_BUF) +
                          " (fpathconf: " + std::to_string(pipe_buf) + ")");
    f.set("pipe_capacity_default",
          std::to_string(::fcntl(fds[0], F_GETPIPE_SZ)));
    ::close(fds[0]);
    ::close(fds[1]);
  }
  f.set("pipe_max_size", trimmed_file("/proc/sys/fs/pipe-max-size"));
  for (const char* k :
       {"msgmax", "msgmnb", "msgmni", "shmmax", "shmall", "shmmni"}) {
    f.set(k, trimmed_file(std::string("/proc/sys/kernel/") + k));
  }
  f.set("uid", std::to_string(::getuid()) + (::getuid() == 0 ? " (root)" : ""));
  f.set("blocked_state", fault::describe(fault::blocked_introspection()));
  f.set("proc_sysvipc", probe_readable("/proc/sysvipc/msg"));
  f.set("namespaces", probe_namespaces());
  f.set("pty", probe_pty());
  f.set("core_dumps", probe_core_dumps());
  f.set("pidfd", probe_pidfd());
  return f;
}

const std::vector<HostFactLabel>& host_fact_labels() {
  static const std::vector<HostFactLabel> kLabels = {
      {"kernel", "Kernel"},
      {"libc", "libc"},
      {"page_size", "Page size"},
      {"pipe_buf", "PIPE_BUF"},
      {"pipe_capacity_default", "Default pipe capacity (F_GETPIPE_SZ)"},
      {"pipe_max_size", "/proc/sys/fs/pipe-max-size"},
      {"msgmax", "kernel.msgmax"},
      {"msgmnb", "kernel.msgmnb"},
      {"msgmni", "kernel.msgmni"},
      {"shmmax", "kernel.shmmax"},
      {"shmall", "kernel.shmall"},
      {"shmmni", "kernel.shmmni"},
      {"uid", "Run as uid"},
      {"blocked_state", "Blocked-state introspection"},
      {"proc_sysvipc", "/proc/sysvipc"},
      {"namespaces", "Namespaces (unshare)"},
      {"pty", "Pseudo-terminals"},
      {"core_dumps", "Core dumps"},
      {"pidfd", "pidfd_open"},
  };
  return kLabels;
}

}  // namespace conformance
