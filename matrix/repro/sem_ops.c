// System V and POSIX semaphores (SEM-007, SEM-014, SEM-016, SEM-017,
// SEM-020, SEM-028, SEM-031, SEM-042): each line is one call and what it
// returned, the expected Linux result in parentheses.
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void show(const char* what, long r) {
  printf("%-58s -> %ld%s%s\n", what, r, r < 0 ? " errno " : "",
         r < 0 ? strerrorname_np(errno) : "");
}

static int op(int id, short num, short delta, short flags) {
  struct sembuf b = {num, delta, flags};
  return semop(id, &b, 1);
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  int keyed = semget(0x5e5e, 1, IPC_CREAT | 0600);
  show("semctl(GETNCNT, semnum 2 of 1) (EINVAL)", semctl(id, 2, GETNCNT));
  show("semctl(SETVAL, semnum 2 of 1) (EINVAL)", semctl(id, 2, SETVAL, 1));

  // SEM_UNDO at exit, and GETPID afterwards.
  pid_t c = fork();
  if (c == 0) _exit(op(id, 0, 2, SEM_UNDO) == 0 ? 0 : 1);
  waitpid(c, NULL, 0);
  show("value after a child's +2 SEM_UNDO and exit (0)", semctl(id, 0, GETVAL));
  long pid = semctl(id, 0, GETPID);
  printf("%-58s -> %s\n", "GETPID after it (the child's pid)",
         pid == c ? "the child's pid" : pid == 0 ? "0" : "another pid");

  // GETPID after a plain semop by a child.
  semctl(id, 0, SETVAL, 0);
  c = fork();
  if (c == 0) _exit(op(id, 0, 1, 0) == 0 ? 0 : 1);
  waitpid(c, NULL, 0);
  pid = semctl(id, 0, GETPID);
  printf("%-58s -> %s\n", "GETPID after a child's semop +1 (the child's pid)",
         pid == c ? "the child's pid" : pid == 0 ? "0" : "another pid");

  // An adjustment past SEMAEM.
  semctl(id, 0, SETVAL, 32767);
  op(id, 0, -32767, SEM_UNDO);
  op(id, 0, 1, 0);
  show("semop(-1, SEM_UNDO) with adjustment 32767 (ERANGE)",
       op(id, 0, -1, SEM_UNDO | IPC_NOWAIT));

  // Another user on a 0600 set of root's.
  c = fork();
  if (c == 0) {
    if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
      _exit(1);
    show("as uid 65534: semget(key, 1, 0400) (EACCES)", semget(0x5e5e, 1, 0400));
    show("as uid 65534: semctl(IPC_RMID) (EPERM)", semctl(keyed, 0, IPC_RMID));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  semctl(keyed, 0, IPC_RMID);
  semctl(id, 0, IPC_RMID);

  // sem_timedwait interrupted by an SA_RESTART handler.
  sem_t s;
  sem_init(&s, 0, 0);
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = {{0, 0}, {0, 200 * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 2;
  show("sem_timedwait, SA_RESTART handler after 0.2 s (EINTR)",
       sem_timedwait(&s, &deadline));
  return 0;
}
