// System V permission checks for a process that is not the owner and has no
// capability (MSG-006/047, SHM-008/034, KEY-016): root creates a 0600 queue
// and segment, a child drops to uid/gid 65534 and tries to use them.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char* what, long r) {
  printf("%-44s -> %ld%s%s\n", what, r, r < 0 ? " errno " : "",
         r < 0 ? strerrorname_np(errno) : "");
}

int main(void) {
  int q = msgget(0x1e1e, IPC_CREAT | 0600);
  int s = shmget(0x1e1f, 4096, IPC_CREAT | 0600);
  pid_t c = fork();
  if (c == 0) {
    if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
      return 1;
    struct msqid_ds md;
    struct shmid_ds sd;
    show("msgget(key, 0600) (EACCES expected)", msgget(0x1e1e, 0600));
    show("msgctl(IPC_STAT) (EACCES expected)", msgctl(q, IPC_STAT, &md));
    show("msgctl(IPC_RMID) (EPERM expected)", msgctl(q, IPC_RMID, NULL));
    show("shmget(key, 0, 0600) (EACCES expected)", shmget(0x1e1f, 0, 0600));
    show("shmctl(IPC_RMID) (EPERM expected)", shmctl(s, IPC_RMID, &sd));
    return 0;
  }
  int st;
  waitpid(c, &st, 0);
  msgctl(q, IPC_RMID, NULL);
  shmctl(s, IPC_RMID, NULL);
  return 0;
}
