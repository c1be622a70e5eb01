// fault/preload_vfork.cc — libipcfault.so's vfork: marks the child of a
// vfork() until it execs, so that its calls neither count on nor consume its
// parent's schedule.
//
// A vfork child runs on its parent's thread: same memory, same stack, same
// thread-local storage, and no pthread_atfork handler runs. Without this, the
// child's calls advanced the parent's counters (a fault meant for the parent's
// Nth call fired on the child's), and a tid= rule saw the parent's cached
// thread id. The vfork below adds one to the calling thread's
// ipcfault_uncounted (fault/preload.h) before the system call; the parent,
// which resumes only once the child has exec'd or exited, takes it off again,
// so the mark is set exactly while the child shares the parent's memory
// (nested vforks nest).
// preload::triage() returns "no fault" while it is set. A child that execs
// loads the library again with the plan and counts afresh, as any exec does.
//
// posix_spawn (and system, popen, which glibc builds on it) starts its child
// with clone(CLONE_VM | CLONE_VFORK) inside libc, and the child makes only
// libc-internal calls, which are not interposed: it needs nothing here
// (preload_test checks it). A child the program makes itself with clone and
// CLONE_VM is not recognised.
//
// x86-64 only (the wrapper must keep its return address out of the stack the
// child will overwrite, as glibc's own vfork does); elsewhere vfork is not
// interposed and a vfork child counts on its parent's counters.
#include <sys/syscall.h>

#include <cerrno>

#include "fault/preload.h"

__thread unsigned ipcfault_uncounted = 0;

#if defined(__x86_64__)

static_assert(SYS_vfork == 58, "the wrapper below makes system call 58");

// The error path of the wrapper below (the parent, no child made).
extern "C" [[gnu::used]] int ipcfault_vfork_failed(int error) {
  errno = error;
  return -1;
}

// vfork and __vfork. The return address is popped into %rdi (registers are
// the child's own; the stack is not) and pushed back after the system call,
// as glibc's vfork does; %rcx and %r11 are clobbered by `syscall` anyway.
asm(R"(
    .text
    .globl vfork
    .globl __vfork
    .type vfork, @function
    .type __vfork, @function
    .p2align 4
vfork:
__vfork:
    .cfi_startproc
    movq ipcfault_uncounted@gottpoff(%rip), %rcx
    addl $1, %fs:(%rcx)
    popq %rdi
    .cfi_adjust_cfa_offset -8
    .cfi_register %rip, %rdi
    movl $58, %eax
    syscall
    pushq %rdi
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rip, 0
    testq %rax, %rax
    jz 1f
    movq ipcfault_uncounted@gottpoff(%rip), %rcx
    subl $1, %fs:(%rcx)
    cmpq $-4095, %rax
    jae 2f
1:
    ret
2:
    negl %eax
    movl %eax, %edi
    jmp ipcfault_vfork_failed
    .cfi_endproc
    .size vfork, .-vfork
    .size __vfork, .-__vfork
)");

#endif
