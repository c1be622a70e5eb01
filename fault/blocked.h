// fault/blocked.h — detect that a thread is blocked inside a system call, and
// deliver a real signal to it at that moment.
//
// A signal sent "a little later" may land before the call blocks (the handler
// runs, the call then blocks) and make a test flaky. Instead we poll
// /proc/<pid>/task/<tid>/stat (state 'S' = interruptible sleep) and
// /proc/<pid>/task/<tid>/syscall (number of the system call the task is in),
// and only then send the signal with tgkill(2): the kernel itself returns EINTR
// or restarts the call.
#pragma once

#include <sys/types.h>

#include <optional>

#include "ipc/fd.h"
#include "ipc/result.h"

namespace fault {

// Kernel thread id of the calling thread.
pid_t current_tid();

struct TaskState {
  char state = '?';              // field 3 of stat: R, S, D, T, Z, ...
  std::optional<long> syscall;   // syscall number if the task is blocked in one
};

// Reads the state of thread `tid` of process `pid` (pid 0 = this process).
ipc::Result<TaskState> read_task_state(pid_t pid, pid_t tid);

// Waits until thread `tid` of `pid` sleeps interruptibly inside system call
// `syscall_nr` (any system call if nullopt). ETIMEDOUT after the deadline,
// ESRCH if the thread is gone.
ipc::Status wait_until_blocked(pid_t pid, pid_t tid, std::optional<long> syscall_nr,
                               ipc::Deadline deadline);

// wait_until_blocked, then tgkill(pid, tid, sig).
ipc::Status interrupt_when_blocked(pid_t pid, pid_t tid, int sig, std::optional<long> syscall_nr,
                                   ipc::Deadline deadline);

}  // namespace fault
