// fault/libc_syscalls.h — the system call a blocking libc function sleeps in
// on this architecture, as /proc/<pid>/task/<tid>/syscall shows it.
//
// Tests wait for a thread to block "in msgrcv" by comparing the number /proc
// shows with SYS_msgrcv (fault/blocked.h). Which number that is depends on the
// architecture's system call table and on how glibc was built:
// - AArch64 (the asm-generic table) has no pause, poll or epoll_wait: glibc's
//   pause() and poll() call ppoll, epoll_wait() calls epoll_pwait;
// - i386 glibc, built for kernels before 5.1, reaches msgsnd, msgrcv, semop
//   and semtimedop through the ipc(2) multiplexer: /proc shows SYS_ipc with
//   the operation (MSGRCV = 12, ...) as its first argument; i386 has no
//   plain semtimedop number at all (only semtimedop_time64);
// - glibc's semop() is semtimedop with no timeout everywhere.
// Tests name the call with SYS_<name> or, for the calls some architectures
// lack, with the constants below; syscall_is() matches what /proc shows.
#pragma once

#include <sys/syscall.h>

#include <optional>

#include "ipc/sys.h"

namespace fault {

#ifdef SYS_pause
inline constexpr long kSysPause = SYS_pause;
#else
inline constexpr long kSysPause = SYS_ppoll;  // glibc: ppoll(NULL, 0, ...)
#endif
#ifdef SYS_poll
inline constexpr long kSysPoll = SYS_poll;
#else
inline constexpr long kSysPoll = SYS_ppoll;
#endif
#ifdef SYS_epoll_wait
inline constexpr long kSysEpollWait = SYS_epoll_wait;
#else
inline constexpr long kSysEpollWait = SYS_epoll_pwait;
#endif
#ifdef SYS_semtimedop
inline constexpr long kSysSemtimedop = SYS_semtimedop;  // also semop()
#else
inline constexpr long kSysSemtimedop = SYS_semtimedop_time64;  // or ipc(2)
#endif

// True if a thread that /proc shows in system call `nr` with first argument
// `arg0` is inside the call `wanted` (a SYS_* number or a constant above).
bool syscall_is(long wanted, long nr, unsigned long arg0);

// The system call in which glibc's function for `call` sleeps when it blocks
// (open: openat; poll: kSysPoll; ...), or nullopt for the calls that do not
// sleep or whose number varies (any system call then matches).
std::optional<long> libc_sleeps_in(ipc::sys::Call call);

}  // namespace fault
