// fault/blocked.cc — /proc-based blocked-state detection and tgkill delivery.
#include "fault/blocked.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fault/libc_syscalls.h"

namespace fault {
namespace {

std::string task_dir(pid_t pid, pid_t tid) {
  return "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) +
         "/task/" + std::to_string(tid);
}

// Reads a small /proc file with raw system calls: not the ipc seam (fault
// injection must not inject into its own observation), and not libc's
// wrappers (in the preload library those are the interposed functions).
ipc::Result<std::string> read_small(const std::string& path) {
  int fd = static_cast<int>(
      ::syscall(SYS_openat, AT_FDCWD, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd < 0) return ipc::Error::from_errno("open", path);
  char buf[512];
  ssize_t n;
  do {
    n = ::syscall(SYS_read, fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  int saved = errno;
  ::syscall(SYS_close, fd);
  if (n < 0) return ipc::Error(saved, "read", path);
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

pid_t current_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

namespace {
std::atomic<int> forced_mode{-1};
}  // namespace

void force_blocked_introspection_for_testing(BlockedIntrospection mode) {
  forced_mode.store(static_cast<int>(mode));
}

BlockedIntrospection blocked_introspection() {
  if (int forced = forced_mode.load(); forced >= 0)
    return static_cast<BlockedIntrospection>(forced);
  static const BlockedIntrospection mode = [] {
    const char* forced = std::getenv("IPCT_BLOCKED_INTROSPECTION");
    if (forced != nullptr && std::strcmp(forced, "state") == 0)
      return BlockedIntrospection::kStateOnly;
    if (forced != nullptr && std::strcmp(forced, "syscall") == 0)
      return BlockedIntrospection::kSyscallFile;
    std::string dir = task_dir(0, current_tid());
    if (!read_small(dir + "/stat")) return BlockedIntrospection::kNone;
    // Read by the thread itself, the file shows the read(2) it is in. Under
    // a user-mode emulator (qemu-user) it shows the host's number of that
    // call, which is not this ABI's SYS_read: such numbers cannot be used.
    auto sc = read_small(dir + "/syscall");
    if (sc && !sc->empty() &&
        ((std::isdigit(static_cast<unsigned char>((*sc)[0])) &&
          std::strtol(sc->c_str(), nullptr, 10) == SYS_read) ||
         sc->compare(0, 7, "running") == 0))
      return BlockedIntrospection::kSyscallFile;
    return BlockedIntrospection::kStateOnly;
  }();
  return mode;
}

const char* describe(BlockedIntrospection mode) {
  switch (mode) {
    case BlockedIntrospection::kSyscallFile:
      return "/proc/<pid>/task/<tid>/syscall and stat (exact system call)";
    case BlockedIntrospection::kStateOnly:
      return "fallback: /proc/<pid>/task/<tid>/stat state 'S' seen twice "
             "(no /proc/<pid>/task/<tid>/syscall, or one whose numbers are "
             "not this ABI's, as under a user-mode emulator)";
    case BlockedIntrospection::kNone:
      return "none (no /proc/<pid>/task/<tid>/stat): tests that need a "
             "blocked thread fail at once";
  }
  return "?";
}

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
  // "nr arg1 ... sp pc" when blocked in a call; "running" or "-1 sp pc"
  // otherwise.
  auto sc = read_small(dir + "/syscall");
  if (sc && !sc->empty() && sc->compare(0, 7, "running") != 0) {
    char* end = nullptr;
    long nr = std::strtol(sc->c_str(), &end, 10);
    if (end != sc->c_str() && nr >= 0) {
      st.syscall = nr;
      st.arg0 = std::strtoul(end, nullptr, 16);  // " 0x..."
    }
  }
  return st;
}

ipc::Status wait_until_blocked(pid_t pid, pid_t tid,
                               std::optional<long> syscall_nr,
                               ipc::Deadline deadline,
                               const std::atomic<bool>* cancel) {
  BlockedIntrospection mode = blocked_introspection();
  if (mode == BlockedIntrospection::kNone) {
    return ipc::Error(ENOTSUP, "wait_until_blocked", task_dir(pid, tid),
                      describe(mode));
  }
  bool exact = mode == BlockedIntrospection::kSyscallFile;
  ipc::Clock::time_point asleep_since{};
  bool asleep = false;
  for (unsigned spins = 0;; ++spins) {
    if (cancel != nullptr && cancel->load()) {
      return ipc::Error(ECANCELED, "wait_until_blocked", task_dir(pid, tid));
    }
    auto st = read_task_state(pid, tid);
    if (!st) {
      return ipc::Error(ESRCH, "wait_until_blocked", task_dir(pid, tid),
                        st.error().message());
    }
    if (exact) {
      bool in_call =
          st->syscall.has_value() &&
          (!syscall_nr || syscall_is(*syscall_nr, *st->syscall, st->arg0));
      if (st->state == 'S' && in_call) return ipc::ok_status();
    } else if (st->state == 'S') {
      // Asleep on two polls at least 2 ms apart.
      auto now = ipc::Clock::now();
      if (!asleep) {
        asleep = true;
        asleep_since = now;
      } else if (now - asleep_since >= std::chrono::milliseconds(2)) {
        return ipc::ok_status();
      }
    } else {
      asleep = false;
    }
    if (st->state == 'Z' || st->state == 'X') {
      return ipc::Error(ESRCH, "wait_until_blocked", task_dir(pid, tid),
                        "thread exited");
    }
    if (deadline && ipc::Clock::now() > *deadline) {
      std::string seen = std::string("last state ") + st->state + ", syscall " +
                         (st->syscall ? std::to_string(*st->syscall)
                          : exact     ? "none"
                                      : "unknown (no syscall file)");
      return ipc::Error(ETIMEDOUT, "wait_until_blocked", task_dir(pid, tid),
                        seen);
    }
    // Let the target run; back off to a short sleep once it takes a while.
    if (spins < 64 && !asleep) {
      ::sched_yield();
    } else {
      struct timespec ts = {0, (asleep ? 1000 : 50) * 1000};
      ::nanosleep(&ts, nullptr);
    }
  }
}

ipc::Status interrupt_when_blocked(pid_t pid, pid_t tid, int sig,
                                   std::optional<long> syscall_nr,
                                   ipc::Deadline deadline) {
  if (auto s = wait_until_blocked(pid, tid, syscall_nr, deadline); !s) return s;
  pid_t tgid = pid == 0 ? ::getpid() : pid;
  if (::syscall(SYS_tgkill, tgid, tid, sig) != 0) {
    return ipc::Error::from_errno("tgkill", "tid=" + std::to_string(tid));
  }
  return ipc::ok_status();
}

}  // namespace fault
