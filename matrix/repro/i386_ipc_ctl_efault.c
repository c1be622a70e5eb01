// msgctl/shmctl IPC_STAT and IPC_SET with an unreadable, unwritable buffer
// (MSG-047, SHM-034) in a 32-bit x86 program: msgctl(2) and shmctl(2) say
// EFAULT. glibc 2.36's i386 wrappers pass the kernel a structure of their own
// and convert it to or from the caller's (the 64-bit time_t layout) in user
// space, so that copy faults (SIGSEGV), while the kernel's compat layer fails
// the raw system call with EFAULT. Each call runs in a child.
// Build: i686-linux-gnu-gcc -static -o i386_ipc_ctl_efault i386_ipc_ctl_efault.c
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void in_child(const char* what, long (*fn)(int, void*), int id,
                     void* bad) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    long r = fn(id, bad);
    printf("  %-36s returned %ld (%s)\n", what, r,
           r == -1 ? strerror(errno) : "success");
    fflush(stdout);
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    printf("  %-36s killed by signal %d (%s)\n", what, WTERMSIG(status),
           strsignal(WTERMSIG(status)));
}

static long libc_msgctl_stat(int id, void* b) { return msgctl(id, IPC_STAT, b); }
static long libc_msgctl_set(int id, void* b) { return msgctl(id, IPC_SET, b); }
static long raw_msgctl_stat(int id, void* b) {
  return syscall(SYS_msgctl, id, IPC_STAT, b);
}
static long libc_shmctl_stat(int id, void* b) { return shmctl(id, IPC_STAT, b); }
static long raw_shmctl_stat(int id, void* b) {
  return syscall(SYS_shmctl, id, IPC_STAT, b);
}

int main(void) {
  void* bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  int s = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  printf("buffer on a PROT_NONE page (EFAULT expected), sizeof(void*) = %zu:\n",
         sizeof(void*));
  in_child("msgctl(IPC_STAT) [glibc]", libc_msgctl_stat, q, bad);
  in_child("msgctl(IPC_SET) [glibc]", libc_msgctl_set, q, bad);
  in_child("syscall(SYS_msgctl, IPC_STAT)", raw_msgctl_stat, q, bad);
  in_child("shmctl(IPC_STAT) [glibc]", libc_shmctl_stat, s, bad);
  in_child("syscall(SYS_shmctl, IPC_STAT)", raw_shmctl_stat, s, bad);
  msgctl(q, IPC_RMID, NULL);
  shmctl(s, IPC_RMID, NULL);
  return 0;
}
