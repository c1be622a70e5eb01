// Pipe and FIFO rules (PIPE-028/034, FIFO-020): F_SETPIPE_SZ rounds up to a
// power-of-two number of pages; a zero-length write without readers returns
// 0 without SIGPIPE; a FIFO's unread data goes when its last descriptor
// closes.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  int p[2];
  pipe(p);
  printf("F_SETPIPE_SZ 10000 -> %d (16384 expected)\n", fcntl(p[1], F_SETPIPE_SZ, 10000));
  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  errno = 0;
  ssize_t n = write(p[1], "", 0);
  printf("write(0 bytes) without readers -> %zd %s (0 expected)\n", n,
         n < 0 ? strerrorname_np(errno) : "");
  mkfifo("/tmp/ipct-fifo", 0600);
  int r = open("/tmp/ipct-fifo", O_RDONLY | O_NONBLOCK);
  int w = open("/tmp/ipct-fifo", O_WRONLY);
  write(w, "gone", 4);
  close(w);
  close(r);
  r = open("/tmp/ipct-fifo", O_RDONLY | O_NONBLOCK);
  char buf[8];
  n = read(r, buf, sizeof buf);
  printf("read after the last close -> %zd %s (-1 EAGAIN or 0 expected)\n", n,
         n < 0 ? strerrorname_np(errno) : "");
  unlink("/tmp/ipct-fifo");
  return 0;
}
