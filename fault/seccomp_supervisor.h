// fault/seccomp_supervisor.h — fault injection for any program, static or
// dynamic, through seccomp user notification (ipcfault --mechanism=seccomp).
//
// exec_supervised() starts a supervisor process, installs in the calling
// process a seccomp filter that sends the system calls of the plan's calls
// (fault/seccomp_filter.h) to it (SECCOMP_RET_USER_NOTIF), and executes the
// program. The filter is inherited by every thread and child. The supervisor
// decides each call with the same Engine as the preload library and answers:
//
//   not due, pass     the call runs as asked (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
//   ERRNO             the call fails with ERRNO without running
//   delay=T           the call runs after T (other threads are not held)
//   signal=SIG        SIG is sent to the calling thread, its handler runs,
//                     then the call runs (answered ERESTARTNOINTR: the kernel
//                     delivers the signal and restarts the call, uncounted)
//   interrupt=SIG     the call runs; a worker tgkills the thread with SIG once
//                     it sleeps inside the call (/proc/<tid>/syscall, stat,
//                     wchan): EINTR, or a restart counted once (SA_RESTART)
//   short=N           the supervisor makes the transfer itself with the
//                     shorter count: it takes a copy of the descriptor
//                     (pidfd_getfd), reads or writes it, moves the bytes with
//                     process_vm_readv/writev and returns the count
//
// Counting follows the preload library: one engine per process image; a fork
// child continues its parent's counts (a copy taken when the parent entered
// clone/fork), or starts afresh with fork_reset; exec starts afresh; a vfork
// child (and any CLONE_VM child) is neither counted nor injected until it
// execs; threads share their process's counters. System calls made by the
// dynamic loader itself (instruction pointer inside ld.so) are not counted,
// as the preload library never sees them either.
//
// Differences from the preload library (docs/fault-injection.md has the
// whole list): every system call of a named kind is seen, including those
// libc makes internally (stdio's reads) and those of static programs and raw
// syscall(2); each process image writes its log, also one replaced by exec
// and one killed by a signal.
//
// The supervisor is a separate process (it is not the program's parent, so
// the program's own wait(2) never sees it). It runs until no process with the
// filter is left, writing each image's log as the image ends.
#pragma once

#include <string>

#include "fault/plan.h"
#include "ipc/result.h"

namespace fault::seccomp {

struct Options {
  Plan plan;        // must pass check_plan()
  int log_fd = -1;  // each image's log is appended here (-1: no log)
  bool fork_reset = false;
};

// Whether this kernel offers what the mechanism needs: EINVAL/ENOSYS naming
// the missing piece otherwise.
ipc::Status probe();

// Starts the supervisor, installs the filter in this (single-threaded)
// process and execve's `path` with `argv` and the current environment. Only
// returns on failure; the supervisor then exits by itself.
ipc::Status exec_supervised(const Options& options, const std::string& path,
                            char* const argv[]);

}  // namespace fault::seccomp
