// fault/libc_syscalls.cc — matching the system call /proc shows against the
// call a test waits for (see libc_syscalls.h).
#include "fault/libc_syscalls.h"

namespace fault {
namespace {

#if defined(SYS_ipc)
// ipc(2) operation numbers (linux/ipc.h); the upper 16 bits of the first
// argument carry an interface version.
constexpr unsigned long kIpcSemop = 1;
constexpr unsigned long kIpcSemtimedop = 4;
constexpr unsigned long kIpcMsgsnd = 11;
constexpr unsigned long kIpcMsgrcv = 12;

// The ipc(2) operation that does the work of system call `wanted`, or 0.
unsigned long ipc_operation(long wanted) {
#if defined(SYS_msgsnd)
  if (wanted == SYS_msgsnd) return kIpcMsgsnd;
#endif
#if defined(SYS_msgrcv)
  if (wanted == SYS_msgrcv) return kIpcMsgrcv;
#endif
  if (wanted == kSysSemtimedop) return kIpcSemtimedop;
#if defined(SYS_semop)
  if (wanted == SYS_semop) return kIpcSemop;
#endif
  return 0;
}
#endif

}  // namespace

bool syscall_is(long wanted, long nr, unsigned long arg0) {
  if (nr == wanted) return true;
#if defined(SYS_ipc)
  if (nr == SYS_ipc) {
    unsigned long op = ipc_operation(wanted);
    return op != 0 && (arg0 & 0xffff) == op;
  }
#else
  (void)arg0;
#endif
  return false;
}

std::optional<long> libc_sleeps_in(ipc::sys::Call call) {
  using ipc::sys::Call;
  switch (call) {
    case Call::read:
      return SYS_read;
    case Call::write:
      return SYS_write;
    case Call::pread:
      return SYS_pread64;
    case Call::pwrite:
      return SYS_pwrite64;
    case Call::poll:
      return kSysPoll;
    case Call::open:
      return SYS_openat;  // glibc's open() too, since 2.26
    case Call::close:
      return SYS_close;
#ifdef SYS_fcntl64
    case Call::fcntl:
      return SYS_fcntl64;
#else
    case Call::fcntl:
      return SYS_fcntl;
#endif
    case Call::ioctl:
      return SYS_ioctl;
#ifdef SYS_msgsnd
    case Call::msgsnd:
      return SYS_msgsnd;  // i386 glibc: ipc(2), which syscall_is() matches
    case Call::msgrcv:
      return SYS_msgrcv;
#endif
    case Call::sigtimedwait:
      return SYS_rt_sigtimedwait;
    case Call::sem_wait:  // a futex wait when the count is 0
    case Call::sem_timedwait:
      return SYS_futex;
    case Call::semop:  // glibc: semtimedop with no timeout
    case Call::semtimedop:
      return kSysSemtimedop;
    default:
      return std::nullopt;
  }
}

}  // namespace fault
