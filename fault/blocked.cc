// fault/blocked.cc — /proc-based blocked-state detection and tgkill delivery.
#include "fault/blocked.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace fault {
namespace {

std::string task_dir(pid_t pid, pid_t tid) {
  return "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) + "/task/" +
         std::to_string(tid);
}

// Reads a small /proc file with plain libc calls (not the ipc seam: fault
// injection must not inject into its own observation).
ipc::Result<std::string> read_small(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ipc::Error::from_errno("open", path);
  char buf[512];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  int saved = errno;
  ::close(fd);
  if (n < 0) return ipc::Error(saved, "read", path);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

pid_t current_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

ipc::Result<TaskState> read_task_state(pid_t pid, pid_t tid) {
  std::string dir = task_dir(pid, tid);
  auto stat = read_small(dir + "/stat");
  if (!stat) return std::move(stat).error();
  TaskState st;
  // "tid (comm) S ..." — comm may contain spaces and ')', so use the last ')'.
  auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) {
    return ipc::Error(EPROTO, "parse", dir + "/stat", "no state field");
  }
  st.state = (*stat)[close + 2];
  // "nr arg1 ... sp pc" when blocked in a call; "running" or "-1 sp pc" otherwise.
  auto sc = read_small(dir + "/syscall");
  if (sc && !sc->empty() && sc->compare(0, 7, "running") != 0) {
    char* end = nullptr;
    long nr = std::strtol(sc->c_str(), &end, 10);
    if (end != sc->c_str() && nr >= 0) st.syscall = nr;
  }
  return st;
}

ipc::Status wait_until_blocked(pid_t pid, pid_t tid, std::optional<long> syscall_nr,
                               ipc::Deadline deadline) {
  for (unsigned spins = 0;; ++spins) {
    auto st = read_task_state(pid, tid);
    if (!st) {
      return ipc::Error(ESRCH, "wait_until_blocked", task_dir(pid, tid), st.error().message());
    }
    bool in_call = syscall_nr ? (st->syscall == syscall_nr) : st->syscall.has_value();
    if (st->state == 'S' && in_call) return ipc::ok_status();
    if (st->state == 'Z' || st->state == 'X') {
      return ipc::Error(ESRCH, "wait_until_blocked", task_dir(pid, tid), "thread exited");
    }
    if (deadline && ipc::Clock::now() > *deadline) {
      std::string seen = std::string("last state ") + st->state + ", syscall " +
                         (st->syscall ? std::to_string(*st->syscall) : "none");
      return ipc::Error(ETIMEDOUT, "wait_until_blocked", task_dir(pid, tid), seen);
    }
    // Let the target run; back off to a short sleep once it takes a while.
    if (spins < 64) {
      ::sched_yield();
    } else {
      struct timespec ts = {0, 50 * 1000};
      ::nanosleep(&ts, nullptr);
    }
  }
}

ipc::Status interrupt_when_blocked(pid_t pid, pid_t tid, int sig, std::optional<long> syscall_nr,
                                   ipc::Deadline deadline) {
  if (auto s = wait_until_blocked(pid, tid, syscall_nr, deadline); !s) return s;
  pid_t tgid = pid == 0 ? ::getpid() : pid;
  if (::syscall(SYS_tgkill, tgid, tid, sig) != 0) {
    return ipc::Error::from_errno("tgkill", "tid=" + std::to_string(tid));
  }
  return ipc::ok_status();
}

}  // namespace fault
