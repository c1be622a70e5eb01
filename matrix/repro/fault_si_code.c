// si_code of memory faults (HW-011/013, PSHM-019/027): a load from a
// PROT_NONE page is SEGV_ACCERR (2), a load beyond the end of a file mapping
// is BUS_ADRERR (2).
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void handler(int sig, siginfo_t* si, void* ctx) {
  (void)ctx;
  printf("  %s si_code %d\n", sig == SIGSEGV ? "SIGSEGV" : "SIGBUS", si->si_code);
  fflush(stdout);
  _exit(0);
}

static void touch(volatile char* p) {
  fflush(stdout);
  if (fork() == 0) {
    struct sigaction sa = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO};
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    (void)*p;
    _exit(1);
  }
  wait(NULL);
}

int main(void) {
  char* none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("load from PROT_NONE (SEGV_ACCERR = %d expected):\n", SEGV_ACCERR);
  touch(none);
  int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
  char* beyond = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);  // size 0
  printf("load beyond EOF of a /tmp file (SIGBUS BUS_ADRERR = %d expected):\n",
         BUS_ADRERR);
  touch(beyond);
  fd = memfd_create("ipct", 0);
  beyond = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);  // size 0
  printf("load beyond EOF of a memfd (SIGBUS BUS_ADRERR = %d expected):\n",
         BUS_ADRERR);
  touch(beyond);
  return 0;
}
