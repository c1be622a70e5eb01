// fault/seccomp_filter.cc — the call-to-system-call table, routing of
// notified calls, and the BPF program built from the table.
#include "fault/seccomp_filter.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cstddef>
#include <string>

namespace fault::seccomp {
namespace {

// How a system call's path argument decides between two calls.
enum class PathRule {
  kNone,        // the path does not matter
  kOutsideShm,  // counts if the path is not under /dev/shm/
  kUnderShm,    // counts if the path is under /dev/shm/
  kEmpty,       // counts if the path is "" (fstat's form of newfstatat)
};

constexpr std::string_view kShmPrefix = "/dev/shm/";

// One system call that carries `call`, optionally only when
// (args[cond_arg] & mask) == value (low 32 bits, checked in BPF) and when its
// path argument satisfies `path`.
struct Entry {
  Call call;
  long nr;
  int cond_arg = -1;
  std::uint32_t mask = 0;
  std::uint32_t value = 0;
  PathRule path = PathRule::kNone;
  int path_arg = -1;
};

const std::vector<Entry>& table() {
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> t = {
        {Call::read, SYS_read},
        {Call::write, SYS_write},
        {Call::pread, SYS_pread64},
        {Call::pwrite, SYS_pwrite64},
        {Call::lseek, SYS_lseek},
        {Call::poll, SYS_ppoll},
        {Call::close, SYS_close},
        {Call::open, SYS_openat, -1, 0, 0, PathRule::kOutsideShm, 1},
        {Call::open, SYS_openat2, -1, 0, 0, PathRule::kOutsideShm, 1},
        {Call::shm_open, SYS_openat, -1, 0, 0, PathRule::kUnderShm, 1},
        {Call::shm_open, SYS_openat2, -1, 0, 0, PathRule::kUnderShm, 1},
        {Call::fstat, SYS_fstat},
        {Call::fstat, SYS_newfstatat, 3, AT_EMPTY_PATH, AT_EMPTY_PATH,
         PathRule::kEmpty, 1},
        {Call::fcntl, SYS_fcntl},
        {Call::ioctl, SYS_ioctl},
        {Call::pipe2, SYS_pipe2},
        {Call::mkfifo, SYS_mknodat, 2, S_IFMT, S_IFIFO},
        {Call::unlink, SYS_unlinkat, 2, AT_REMOVEDIR, 0, PathRule::kOutsideShm,
         1},
        {Call::shm_unlink, SYS_unlinkat, 2, AT_REMOVEDIR, 0,
         PathRule::kUnderShm, 1},
        {Call::msgget, SYS_msgget},
        {Call::msgsnd, SYS_msgsnd},
        {Call::msgrcv, SYS_msgrcv},
        {Call::msgctl, SYS_msgctl},
        {Call::shmget, SYS_shmget},
        {Call::shmat, SYS_shmat},
        {Call::shmdt, SYS_shmdt},
        {Call::shmctl, SYS_shmctl},
        {Call::semget, SYS_semget},
        {Call::semop, SYS_semop},
        {Call::semtimedop, SYS_semtimedop},
        {Call::semctl, SYS_semctl},
        {Call::ftruncate, SYS_ftruncate},
        {Call::mmap, SYS_mmap},
        {Call::munmap, SYS_munmap},
        {Call::sigaction, SYS_rt_sigaction},
        {Call::pthread_sigmask, SYS_rt_sigprocmask},
        {Call::sigtimedwait, SYS_rt_sigtimedwait},
        {Call::signalfd, SYS_signalfd4},
        {Call::eventfd, SYS_eventfd2},
    };
    // The older system calls that aarch64 never had.
#ifdef SYS_open
    t.push_back({Call::open, SYS_open, -1, 0, 0, PathRule::kOutsideShm, 0});
    t.push_back({Call::open, SYS_creat, -1, 0, 0, PathRule::kOutsideShm, 0});
    t.push_back({Call::shm_open, SYS_open, -1, 0, 0, PathRule::kUnderShm, 0});
    t.push_back({Call::shm_open, SYS_creat, -1, 0, 0, PathRule::kUnderShm, 0});
    t.push_back({Call::poll, SYS_poll});
    t.push_back({Call::pipe2, SYS_pipe});
    t.push_back({Call::mkfifo, SYS_mknod, 1, S_IFMT, S_IFIFO});
    t.push_back({Call::unlink, SYS_unlink, -1, 0, 0, PathRule::kOutsideShm, 0});
    t.push_back(
        {Call::shm_unlink, SYS_unlink, -1, 0, 0, PathRule::kUnderShm, 0});
    t.push_back({Call::signalfd, SYS_signalfd});
    t.push_back({Call::eventfd, SYS_eventfd});
#endif
    return t;
  }();
  return entries;
}

// The process-tracking system calls.
Kind tracking_kind(long nr) {
  switch (nr) {
    case SYS_clone:
    case SYS_clone3:
#ifdef SYS_fork
    case SYS_fork:
    case SYS_vfork:
#endif
      return Kind::kClone;
    case SYS_execve:
    case SYS_execveat:
      return Kind::kExec;
    case SYS_exit_group:
      return Kind::kExitGroup;
#if defined(__x86_64__)
    case SYS_rt_sigreturn:
      return Kind::kSigreturn;
#endif
    default:
      return Kind::kOther;
  }
}

std::vector<long> tracking_syscalls() {
  std::vector<long> v = {SYS_clone, SYS_clone3, SYS_execve, SYS_execveat,
                         SYS_exit_group};
#ifdef SYS_fork
  v.push_back(SYS_fork);
  v.push_back(SYS_vfork);
#endif
#if defined(__x86_64__)
  v.push_back(SYS_rt_sigreturn);
#endif
  return v;
}

bool armed_in(Call call, CallSet armed) {
  return (armed & call_bit(call)) != 0;
}

bool cond_holds(const Entry& e, const struct seccomp_data& data) {
  if (e.cond_arg < 0) return true;
  auto low = static_cast<std::uint32_t>(
      data.args[static_cast<std::size_t>(e.cond_arg)]);
  return (low & e.mask) == e.value;
}

bool path_matches(PathRule rule, std::string_view path) {
  switch (rule) {
    case PathRule::kNone:
      return true;
    case PathRule::kOutsideShm:
      return path.substr(0, kShmPrefix.size()) != kShmPrefix;
    case PathRule::kUnderShm:
      return path.substr(0, kShmPrefix.size()) == kShmPrefix;
    case PathRule::kEmpty:
      return path.empty();
  }
  return false;
}

// BPF helpers.
struct sock_filter stmt(std::uint16_t code, std::uint32_t k) {
  return BPF_STMT(code, k);
}
struct sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt,
                        std::uint8_t jf) {
  return BPF_JUMP(code, k, jt, jf);
}
constexpr std::uint32_t kNrOffset = offsetof(struct seccomp_data, nr);
constexpr std::uint32_t kArchOffset = offsetof(struct seccomp_data, arch);
constexpr std::uint32_t arg_low_offset(int i) {
  // Little-endian: the low 32 bits of args[i] come first.
  return static_cast<std::uint32_t>(offsetof(struct seccomp_data, args) +
                                    8 * static_cast<std::size_t>(i));
}
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "arg_low_offset assumes a little-endian ABI");

}  // namespace

std::uint32_t native_arch() {
#if defined(__x86_64__)
  return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  return AUDIT_ARCH_AARCH64;
#else
#error "fault/seccomp_filter: add this architecture's AUDIT_ARCH value"
#endif
}

ipc::Status check_plan(const Plan& plan) {
  for (std::size_t r = 0; r < plan.rules.size(); ++r) {
    const Rule& rule = plan.rules[r];
    if ((rule.calls & ~kNoSyscall) != 0) continue;
    Plan one;
    one.rules.push_back(rule);
    return ipc::Error(
        EINVAL, "rule " + std::to_string(r + 1) + " (" + one.to_string() +
                    "): " + calls_to_string(rule.calls) +
                    " has no system call of its own (ftok is a stat(2) of "
                    "its path inside libc, the POSIX semaphore calls work on "
                    "memory); --mechanism=seccomp cannot see it, use "
                    "--mechanism=preload");
  }
  return ipc::Status();
}

Route route(const struct seccomp_data& data, CallSet armed) {
  long nr = data.nr;
  if (Kind k = tracking_kind(nr); k != Kind::kOther) return Route{k};
  const Entry* first = nullptr;
  for (const Entry& e : table()) {
    if (e.nr != nr || !armed_in(e.call, armed) || !cond_holds(e, data))
      continue;
    if (e.path != PathRule::kNone) {
      Route r{Kind::kPath};
      r.path_arg = e.path_arg;
      return r;
    }
    if (first == nullptr) first = &e;
  }
  if (first == nullptr) return Route{};
  Route r{Kind::kCall};
  r.call = first->call;
  return r;
}

std::optional<Call> route_path(long nr, std::string_view path, CallSet armed) {
  for (const Entry& e : table()) {
    if (e.nr == nr && armed_in(e.call, armed) && path_matches(e.path, path))
      return e.call;
  }
  return std::nullopt;
}

std::size_t size_arg(Call call, const struct seccomp_data& data) {
  return call_can_short(call) ? static_cast<std::size_t>(data.args[2]) : 0;
}

int fd_arg(Call call, const struct seccomp_data& data) {
  if (call == Call::mmap) return static_cast<int>(data.args[4]);
  if (call == Call::poll || !call_takes_fd(call)) return -1;
  return static_cast<int>(data.args[0]);
}

std::optional<std::uint64_t> clone_flags(const struct seccomp_data& data) {
  switch (data.nr) {
    case SYS_clone:
      return data.args[0];
#ifdef SYS_fork
    case SYS_fork:
      return SIGCHLD;
    case SYS_vfork:
      return CLONE_VM | CLONE_VFORK | SIGCHLD;
#endif
    default:
      return std::nullopt;
  }
}

std::vector<long> syscalls_of(Call call) {
  std::vector<long> out;
  for (const Entry& e : table()) {
    if (e.call != call) continue;
    bool seen = false;
    for (long nr : out) seen = seen || nr == e.nr;
    if (!seen) out.push_back(e.nr);
  }
  return out;
}

std::vector<struct sock_filter> build_filter(CallSet armed) {
  constexpr std::uint32_t kNotify = SECCOMP_RET_USER_NOTIF;
  constexpr std::uint32_t kAllow = SECCOMP_RET_ALLOW;
  std::vector<struct sock_filter> p;
  // Another ABI (int 0x80 on x86_64): allow.
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArchOffset));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, native_arch(), 1, 0));
  p.push_back(stmt(BPF_RET | BPF_K, kAllow));
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kNrOffset));
#if defined(__x86_64__)
  // x32 system calls (bit 30): allow.
  p.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
  p.push_back(stmt(BPF_RET | BPF_K, kAllow));
#endif
  // One block per (system call, condition); the accumulator holds nr at the
  // start of each block.
  auto unconditional = [&](long nr) {
    p.push_back(
        jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(nr), 0, 1));
    p.push_back(stmt(BPF_RET | BPF_K, kNotify));
  };
  for (long nr : tracking_syscalls()) unconditional(nr);
  std::vector<const Entry*> done;
  for (const Entry& e : table()) {
    if (!armed_in(e.call, armed)) continue;
    bool same = false;
    for (const Entry* d : done) {
      same = same || (d->nr == e.nr && d->cond_arg == e.cond_arg &&
                      d->mask == e.mask && d->value == e.value);
    }
    if (same) continue;
    done.push_back(&e);
    if (e.cond_arg < 0) {
      unconditional(e.nr);
      continue;
    }
    // jeq nr -> test the argument; a failed test reloads nr for the next
    // block.
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K,
                     static_cast<std::uint32_t>(e.nr), 0, 5));
    p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arg_low_offset(e.cond_arg)));
    p.push_back(stmt(BPF_ALU | BPF_AND | BPF_K, e.mask));
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, e.value, 0, 1));
    p.push_back(stmt(BPF_RET | BPF_K, kNotify));
    p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kNrOffset));
  }
  p.push_back(stmt(BPF_RET | BPF_K, kAllow));
  return p;
}

}  // namespace fault::seccomp
