// POSIX message queue mode and the umask (MSG-096): mq_open with mode 0666
// (with and without file-type bits) and 0600 under umask 022; fstat shows
// what the queue got (Linux: 0644, 0600, 0644 — "masked against the umask").
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <errno.h>
int main(void) {
  umask(022);
  unsigned modes[] = {0666, 0600, 0666 | S_IFIFO};
  for (int i = 0; i < 3; i++) {
    char name[32]; snprintf(name, sizeof name, "/ipct-m%d", i);
    mq_unlink(name);
    mqd_t q = mq_open(name, O_CREAT | O_RDWR, modes[i], NULL);
    struct stat st; int r = fstat(q, &st);
    printf("mode %06o -> q %d fstat %d st_mode %06o\n", modes[i], q, r, r == 0 ? st.st_mode : 0);
    mq_unlink(name);
  }
  return 0;
}
