// A read(2) of a signalfd returns as many pending signals as fit in the
// buffer (SIG-037): three are queued, a buffer for four is offered.
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int fd = signalfd(-1, &set, SFD_NONBLOCK);
  union sigval v = {.sival_int = 31};
  sigqueue(getpid(), SIGRTMIN, v);
  v.sival_int = 32;
  sigqueue(getpid(), SIGRTMIN, v);
  kill(getpid(), SIGUSR1);
  struct signalfd_siginfo in[4];
  ssize_t n = read(fd, in, sizeof in);
  printf("read of 4 records' room -> %zd bytes = %zd records (3 expected)\n", n,
         n / (ssize_t)sizeof in[0]);
  return 0;
}
