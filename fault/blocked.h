// fault/blocked.h — detect that a thread is blocked inside a system call, and
// deliver a real signal to it at that moment.
//
// A signal sent "a little later" may land before the call blocks (the handler
// runs, the call then blocks) and make a test flaky. Instead we poll
// /proc/<pid>/task/<tid>/stat (state 'S' = interruptible sleep) and
// /proc/<pid>/task/<tid>/syscall (number of the system call the task is in),
// and only then send the signal with tgkill(2): the kernel itself returns EINTR
// or restarts the call.
//
// Not every OS has /proc/<pid>/task/<tid>/syscall (gVisor has not; nor has a
// kernel without CONFIG_HAVE_ARCH_TRACEHOOK), and under a user-mode emulator
// (qemu-aarch64 on x86-64) it shows the host's system call numbers, not the
// program's. What this one offers is probed
// once per process (blocked_introspection()); without the syscall file the
// fallback is the state letter alone: the thread must be seen in 'S' on two
// polls 2 ms apart (a thread inside a blocking call stays asleep; one that
// merely passes a lock rarely does twice). Callers that can, also make sure
// the thread has entered the call (BackgroundCall sets a flag right before
// it). $IPCT_BLOCKED_INTROSPECTION=state forces the fallback (to prove it on
// a full Linux), =syscall the exact mode.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <optional>

#include "ipc/fd.h"
#include "ipc/result.h"

namespace fault {

// Kernel thread id of the calling thread.
pid_t current_tid();

struct TaskState {
  char state = '?';             // field 3 of stat: R, S, D, T, Z, ...
  std::optional<long> syscall;  // syscall number if the task is blocked in one
  unsigned long arg0 = 0;       // and its first argument
};

// How this OS lets us see that a thread sleeps inside a system call.
enum class BlockedIntrospection {
  kSyscallFile,  // /proc/<pid>/task/<tid>/syscall and stat: exact
  kStateOnly,    // stat only: state 'S' (fallback, see above)
  kNone,         // neither: blocked state cannot be observed
};
// Probed once (then cached); honours $IPCT_BLOCKED_INTROSPECTION.
BlockedIntrospection blocked_introspection();
// Overrides the probed mode in this process (tests of the fallback).
void force_blocked_introspection_for_testing(BlockedIntrospection mode);
// "…/syscall and stat (exact system call)", for the report's host facts.
const char* describe(BlockedIntrospection mode);

// Reads the state of thread `tid` of process `pid` (pid 0 = this process).
ipc::Result<TaskState> read_task_state(pid_t pid, pid_t tid);

// Waits until thread `tid` of `pid` sleeps interruptibly inside system call
// `syscall_nr` (any system call if nullopt; matched with syscall_is() of
// libc_syscalls.h, so SYS_msgrcv also finds an i386 msgrcv through ipc(2);
// with kStateOnly the number cannot be checked). ETIMEDOUT after the
// deadline, ESRCH if the thread is gone, ENOTSUP at once under kNone,
// ECANCELED as soon as `*cancel` is seen true.
ipc::Status wait_until_blocked(pid_t pid, pid_t tid,
                               std::optional<long> syscall_nr,
                               ipc::Deadline deadline,
                               const std::atomic<bool>* cancel = nullptr);

// wait_until_blocked, then tgkill(pid, tid, sig).
ipc::Status interrupt_when_blocked(pid_t pid, pid_t tid, int sig,
                                   std::optional<long> syscall_nr,
                                   ipc::Deadline deadline);

}  // namespace fault
