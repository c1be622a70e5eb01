// The *_INFO and *_STAT commands of msgctl/shmctl (MSG-048, SHM-035): in a
// fresh IPC namespace with three queues and two segments, MSG_INFO and
// SHM_INFO return the highest used index (2 and 1), and MSG_STAT/SHM_STAT
// map index 0 to the first object's id.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/shm.h>

int main(void) {
  if (unshare(CLONE_NEWIPC) != 0) perror("unshare(CLONE_NEWIPC)");
  int q[3];
  for (int i = 0; i < 3; ++i) q[i] = msgget(IPC_PRIVATE, 0600);
  int s0 = shmget(IPC_PRIVATE, 5000, 0600);
  shmget(IPC_PRIVATE, 100, 0600);
  struct msginfo mi;
  int r = msgctl(0, MSG_INFO, (struct msqid_ds*)&mi);
  printf("msgctl(MSG_INFO) -> %d (2 expected), msgpool %d (3 expected)\n", r,
         mi.msgpool);
  struct msqid_ds md;
  r = msgctl(0, MSG_STAT, &md);
  printf("msgctl(0, MSG_STAT) -> %d%s%s (the id %d expected)\n", r,
         r < 0 ? " errno " : "", r < 0 ? strerrorname_np(errno) : "", q[0]);
  struct shm_info si;
  r = shmctl(0, SHM_INFO, (struct shmid_ds*)&si);
  printf("shmctl(SHM_INFO) -> %d (1 expected), used_ids %d (2 expected)\n", r,
         si.used_ids);
  struct shmid_ds sd;
  r = shmctl(0, SHM_STAT, &sd);
  printf("shmctl(0, SHM_STAT) -> %d%s%s (the id %d expected)\n", r,
         r < 0 ? " errno " : "", r < 0 ? strerrorname_np(errno) : "", s0);
  return 0;
}
