// System V message queue operations whose results gVisor 20221219 gets
// wrong (MSG-014/046, MSG-023/060, MSG-028, MSG-029, MSG-042): each line
// prints what the call did.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct m { long type; char text[64]; };

static void send(int q, long type, const char* text) {
  struct m s = {type, ""};
  strcpy(s.text, text);
  msgsnd(q, &s, strlen(text), 0);
}

static void show(const char* what, long r) {
  printf("%-48s -> %ld%s%s\n", what, r, r < 0 ? " errno " : "",
         r < 0 ? strerrorname_np(errno) : "");
}

static int fresh(void) { return msgget(IPC_PRIVATE, 0600); }

int main(void) {
  struct m r;
  struct msqid_ds ds;
  // MSG_NOERROR truncation: 4 bytes of "0123456789" and the message removed.
  int q = fresh();
  send(q, 1, "0123456789");
  memset(&r, '#', sizeof r);
  show("msgrcv(msgsz 4, MSG_NOERROR) (4 expected)",
       msgrcv(q, &r, 4, 0, MSG_NOERROR | IPC_NOWAIT));
  msgctl(q, IPC_STAT, &ds);
  printf("  buffer '%.8s' ('0123####' expected), then qnum %lu cbytes %lu "
         "(0 0 expected)\n",
         r.text, (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes);
  msgctl(q, IPC_RMID, NULL);
  // msgsz above MSGMAX is legal (the kernel caps it).
  q = fresh();
  send(q, 1, "small");
  show("msgrcv(msgsz 65536) (5 expected)", msgrcv(q, &r, 65536, 0, IPC_NOWAIT));
  msgctl(q, IPC_RMID, NULL);
  // Negative types: the lowest type <= |msgtyp| each time, then ENOMSG.
  q = fresh();
  send(q, 3, "c");
  send(q, 2, "b1");
  send(q, 1, "a");
  send(q, 2, "b2");
  send(q, 4, "d");
  printf("msgrcv(msgtyp -3) until ENOMSG (1 2 2 3 expected):");
  while (msgrcv(q, &r, 64, -3, IPC_NOWAIT) >= 0) printf(" %ld", r.type);
  printf(" then %s\n", strerrorname_np(errno));
  msgctl(q, IPC_RMID, NULL);
  q = fresh();
  send(q, 5, "x");
  show("msgrcv(msgtyp LONG_MIN) (1 byte, type 5 expected)",
       msgrcv(q, &r, 64, LONG_MIN, IPC_NOWAIT));
  msgctl(q, IPC_RMID, NULL);
  // MSG_COPY into a buffer smaller than the message: E2BIG.
  q = fresh();
  send(q, 1, "0123456789");
  show("msgrcv(MSG_COPY, msgsz 4) (E2BIG expected)",
       msgrcv(q, &r, 4, 0, MSG_COPY | IPC_NOWAIT));
  // A removed queue's id is dead.
  show("msgctl(IPC_RMID)", msgctl(q, IPC_RMID, NULL));
  show("msgctl(IPC_RMID) again (EINVAL expected)", msgctl(q, IPC_RMID, NULL));
  show("msgctl(IPC_STAT) after (EINVAL expected)", msgctl(q, IPC_STAT, &ds));
  return 0;
}
