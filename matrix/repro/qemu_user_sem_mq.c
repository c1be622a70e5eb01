// Two differences of qemu's user-mode emulator (target qemu-user-arm64) that
// the suites show only as an unexpected errno: SEM-015 (semop with zero
// operations fails EFAULT for a NULL array, EINVAL otherwise: the emulator
// copies the array before the kernel checks the count) and MSG-053 (the raw
// mq_open system call takes the name without glibc's leading '/'; under the
// emulator it fails EINVAL). Run natively and, built for AArch64, under
// qemu-aarch64-static:
//   gcc -static -o native qemu_user_sem_mq.c && ./native
//   aarch64-linux-gnu-gcc -static -o arm64 qemu_user_sem_mq.c &&
//     qemu-aarch64-static ./arm64
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  struct sembuf one = {0, 1, 0};
  int r = semop(id, NULL, 0);
  printf("semop(id, NULL, 0) = %d %s\n", r, r ? strerror(errno) : "");
  r = semop(id, &one, 0);
  printf("semop(id, &op, 0) = %d %s\n", r, r ? strerror(errno) : "");
  semctl(id, 0, IPC_RMID);
  char name[64];
  snprintf(name, sizeof name, "ipct-qrepro-%d", getpid());
  long fd = syscall(SYS_mq_open, name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
  printf("raw mq_open(\"%s\") = %ld %s\n", name, fd, fd < 0 ? strerror(errno) : "");
  if (fd >= 0) syscall(SYS_mq_unlink, name);
  return 0;
}
