// Differences of qemu's user-mode emulator (target qemu-user-arm64) whose
// cause is not visible from the suites' output (MSG-039/040, SIG-003, HW-008,
// HW-025, and the report's own PR_SET_CHILD_SUBREAPER probe). The same source is run
// natively and, built for AArch64, under qemu-aarch64-static:
//   gcc -static -o native qemu_user_sysv_signals.c && ./native
//   aarch64-linux-gnu-gcc -static -o arm64 qemu_user_sysv_signals.c &&
//     qemu-aarch64-static ./arm64
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  // 1. msg_lspid / msg_lrpid after one send and one receive by this process.
  int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  struct {
    long type;
    char text[4];
  } m = {1, "abc"};
  msgsnd(q, &m, sizeof m.text, 0);
  msgrcv(q, &m, sizeof m.text, 0, 0);
  struct msqid_ds ds;
  msgctl(q, IPC_STAT, &ds);
  msgctl(q, IPC_RMID, NULL);
  printf("getpid %d: msg_lspid %d, msg_lrpid %d (both expected = getpid)\n",
         (int)getpid(), (int)ds.msg_lspid, (int)ds.msg_lrpid);

  // 2. rt_sigprocmask(SIG_SETMASK, all 64 bits), then read the mask back.
  uint64_t all = ~(uint64_t)0, back = 0;
  long r = syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8);
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &back, 8);
  uint64_t expected = all & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
  printf("rt_sigprocmask all ones: %ld; read back %#018llx (expected %#018llx,"
         " missing %#llx)\n", r, (unsigned long long)back,
         (unsigned long long)expected, (unsigned long long)(expected & ~back));

  // 3. SIGSEGV (blocked above) sent by kill: stays pending.
  kill(getpid(), SIGSEGV);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  printf("blocked SIGSEGV sent by kill: %s\n",
         sigismember(&pending, SIGSEGV) ? "pending (expected)" : "NOT pending");

  // 4. The report's containment without a PID namespace.
  r = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  printf("prctl(PR_SET_CHILD_SUBREAPER, 1): %ld%s%s\n", r, r ? " " : "",
         r ? strerror(errno) : "");

  // 5. A session leader's controlling terminal: tcgetsid and tcgetpgrp.
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  grantpt(master);
  unlockpt(master);
  fflush(stdout);
  if (fork() == 0) {
    setsid();
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    long ctty = ioctl(slave, TIOCSCTTY, 0);
    errno = 0;
    pid_t sid = tcgetsid(slave);
    int sid_errno = errno;
    pid_t pgrp = tcgetpgrp(slave);
    printf("session leader %d, pgrp %d: TIOCSCTTY %ld, tcgetsid %d (%s), "
           "tcgetpgrp %d (both expected = %d)\n", (int)getpid(),
           (int)getpgrp(), ctty, (int)sid, sid_errno ? strerror(sid_errno) : "ok",
           (int)pgrp, (int)getpid());
    fflush(stdout);
    _exit(0);
  }
  wait(NULL);
  return 0;
}
