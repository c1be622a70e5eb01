// fault/explore_test_target.cc — small programs of ours with known error
// handling, for explore_test (built without sanitizers, dynamically linked):
//
//   copy_with_a_bug   stdin to stdout; reports read and write errors, but
//                     takes any write that does not fail for a complete one
//                     (a short write loses the rest of the buffer)
//   copy              the correct twin: retries EINTR, completes short
//                     writes, reports every error (exit 1)
//   queue             a System V message queue: send, receive, remove; on an
//                     error it reports and exits without removing the queue
//   fifo DIR          a FIFO in DIR: open, write, read, unlink; on an error
//                     it reports and exits without unlinking
//   shm               a POSIX shared memory object: shm_open, ftruncate,
//                     shm_unlink; on an error it exits without unlinking
//   abort-on-error    reads stdin; abort() on a read error
//   wait-on-eagain    reads stdin; on EAGAIN waits forever (pause)
//
// The binary is installed as "copy_with_a_bug" and as "explore_test_target";
// the name it is called by selects copy_with_a_bug.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "%s: %s\n", what, std::strerror(errno));
  return 1;
}

int copy_with_a_bug() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0) return fail("read");
    if (n == 0) return 0;
    if (::write(1, buf, static_cast<std::size_t>(n)) < 0) return fail("write");
  }
}

int copy() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read");
    if (n == 0) return 0;
    ssize_t done = 0;
    while (done < n) {
      ssize_t w = ::write(1, buf + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return fail("write");
      done += w;
    }
  }
}

int queue() {
  int q = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (q < 0) return fail("msgget");
  struct {
    long type;
    char text[8];
  } m = {1, "hello"};
  if (::msgsnd(q, &m, sizeof m.text, 0) != 0) return fail("msgsnd");
  if (::msgrcv(q, &m, sizeof m.text, 0, 0) < 0) return fail("msgrcv");
  if (::msgctl(q, IPC_RMID, nullptr) != 0) return fail("msgctl");
  std::printf("%s\n", m.text);
  return 0;
}

int fifo(const std::string& dir) {
  std::string path = dir + "/explore-test-fifo";
  if (::mkfifo(path.c_str(), 0600) != 0) return fail("mkfifo");
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail("open");
  char c = 'x';
  if (::write(fd, &c, 1) != 1) return fail("write");
  if (::read(fd, &c, 1) != 1) return fail("read");
  ::close(fd);
  if (::unlink(path.c_str()) != 0) return fail("unlink");
  std::printf("%c\n", c);
  return 0;
}

int shm() {
  const char* name = "/explore-test-shm";
  int fd = ::shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail("shm_open");
  if (::ftruncate(fd, 4096) != 0) return fail("ftruncate");
  ::close(fd);
  if (::shm_unlink(name) != 0) return fail("shm_unlink");
  std::printf("ok\n");
  return 0;
}

int abort_on_error() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0) std::abort();
    if (n == 0) return 0;
  }
}

int wait_on_eagain() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) {
      for (;;) ::pause();
    }
    if (n < 0) return fail("read");
    if (n == 0) return 0;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string self = argv[0];
  if (self.size() >= 15 && self.substr(self.size() - 15) == "copy_with_a_bug")
    return copy_with_a_bug();
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "copy") return copy();
  if (mode == "queue") return queue();
  if (mode == "fifo" && argc == 3) return fifo(argv[2]);
  if (mode == "shm") return shm();
  if (mode == "abort-on-error") return abort_on_error();
  if (mode == "wait-on-eagain") return wait_on_eagain();
  std::fprintf(stderr, "usage: explore_test_target MODE (see the source)\n");
  return 2;
}
