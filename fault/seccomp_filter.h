// fault/seccomp_filter.h — which system calls carry each call of the plan
// language, and the seccomp BPF program that hands exactly those to the
// supervisor (fault/seccomp_supervisor.h).
//
// A plan names libc functions; the kernel sees system calls. glibc (x86_64 and
// aarch64) makes them as follows, and so do static programs and raw
// syscall(2) callers that use the same system calls:
//
//   plan call        system calls counted as that call
//   read, write      read, write
//   pread, pwrite    pread64, pwrite64
//   lseek            lseek
//   poll             poll, ppoll
//   close            close
//   open             open, openat, openat2, creat   (path outside /dev/shm/)
//   shm_open         the same, path under /dev/shm/ (glibc's shm_open)
//   fstat            fstat, newfstatat(fd, "", AT_EMPTY_PATH) (glibc's fstat)
//   fcntl, ioctl     fcntl, ioctl
//   pipe2            pipe, pipe2
//   mkfifo           mknod, mknodat with S_IFIFO
//   unlink           unlink, unlinkat without AT_REMOVEDIR (path outside
//                    /dev/shm/)
//   shm_unlink       the same, path under /dev/shm/ (glibc's shm_unlink)
//   msgget ... shmctl  the System V calls of the same names
//   ftruncate, mmap, munmap   the same names
//   sigaction        rt_sigaction
//   pthread_sigmask  rt_sigprocmask (sigprocmask too)
//   sigtimedwait     rt_sigtimedwait (sigwaitinfo and sigwait too)
//   signalfd         signalfd, signalfd4
//   eventfd          eventfd, eventfd2
//   semget, semctl   the System V calls of the same names
//   semtimedop       semtimedop, and so glibc's semop (which makes that call
//                    with no timeout)
//   semop            semop (the system call, which glibc does not use)
//   ftok             none: it is a stat(2) of its path inside libc
//   sem_open ... sem_getvalue  none: the POSIX semaphore calls work on a
//                    futex word in memory (sem_post and sem_trywait often
//                    make no system call at all) or open or unlink a file of
//                    /dev/shm, which counts as shm_open / shm_unlink
//   A plan whose rule names only calls without a system call is refused.
//
// The supervisor also sees the calls that create and replace processes
// (clone, clone3, fork, vfork, execve, execveat) and exit_group, to keep one
// engine per process with the preload library's fork and exec semantics, and
// (x86_64) rt_sigreturn, to recognise a call the kernel restarts after a
// signal handler: the preload library sees such a call once.
//
// Only the native system-call ABI is filtered: x32 calls (x86_64 numbers with
// bit 30 set) and 32-bit int 0x80 calls run unfiltered (never injected).
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "fault/plan.h"
#include "ipc/result.h"

namespace fault::seccomp {

// The AUDIT_ARCH_* value of the native ABI this build filters.
std::uint32_t native_arch();

// Calls of the plan language with no system call of their own.
constexpr CallSet kNoSyscall =
    call_bit(Call::ftok) | call_bit(Call::sem_open) |
    call_bit(Call::sem_close) | call_bit(Call::sem_unlink) |
    call_bit(Call::sem_init) | call_bit(Call::sem_destroy) |
    call_bit(Call::sem_wait) | call_bit(Call::sem_trywait) |
    call_bit(Call::sem_timedwait) | call_bit(Call::sem_post) |
    call_bit(Call::sem_getvalue);

// OK if every rule of `plan` names at least one call that has a system call;
// otherwise EINVAL naming the rule ("rule 1 (ftok:EIO): ftok has no system
// call of its own; ...").
ipc::Status check_plan(const Plan& plan);

// What the supervisor does with one notified system call.
enum class Kind {
  kCall,       // a call of the plan language: `call`
  kPath,       // decided by its path argument: read it, then route_path()
  kClone,      // clone, clone3, fork, vfork
  kExec,       // execve, execveat
  kExitGroup,  // exit_group
  kSigreturn,  // rt_sigreturn (x86_64): a signal handler returns
  kOther,      // none of ours (let it run)
};

struct Route {
  Kind kind = Kind::kOther;
  Call call = Call::read;  // kCall
  int path_arg = -1;       // kPath: the argument holding the path
};

// Routes a notified system call (`data`, as the kernel reported it), given
// the calls the plan arms.
Route route(const struct seccomp_data& data, CallSet armed);

// For a kPath route: the call that a system call `nr` on `path` (its first
// bytes are enough: "/dev/shm/" or the empty string) counts as, or nullopt if
// it counts as none that is armed.
std::optional<Call> route_path(long nr, std::string_view path, CallSet armed);

// The byte count of read/write/pread/pwrite (0 otherwise) and the descriptor
// argument (-1 if none; poll: the caller reads it from memory when nfds == 1).
std::size_t size_arg(Call call, const struct seccomp_data& data);
int fd_arg(Call call, const struct seccomp_data& data);

// The clone flags of a clone/fork/vfork system call (clone3: nullopt, they
// are in memory at args[0]).
std::optional<std::uint64_t> clone_flags(const struct seccomp_data& data);

// The system calls that carry `call` (empty for ftok), for docs and tests.
std::vector<long> syscalls_of(Call call);

// The BPF program: SECCOMP_RET_USER_NOTIF for the system calls of the `armed`
// calls (with the argument conditions above that BPF can check) and the
// process-tracking calls, SECCOMP_RET_ALLOW for everything else.
std::vector<struct sock_filter> build_filter(CallSet armed);

}  // namespace fault::seccomp
