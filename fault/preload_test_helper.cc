// fault/preload_test_helper.cc — a small program of ours that preload_test
// runs under ipcfault (libipcfault.so):
//   write N         writes N bytes (byte i = i % 251) to stdout with ipc::write_full
//   rawread FILE    one read(2) of FILE; prints "read N bytes" or the error
//                   (exit 3 for EINTR, 1 for any other error)
//   forkread FILE   reads 1 byte, forks, parent and child each read 1 byte;
//                   prints "parent=ok|EIO|... child=ok|EIO|..." (the child
//                   leaves with exit(3) so that its ipcfault log is written)
//   sem NAME        the variadic semctl and sem_open: SETVAL 7, GETVAL,
//                   IPC_STAT and IPC_RMID on a private set; sem_open(NAME,
//                   O_CREAT|O_EXCL, 0640, 5), its value and file mode; prints
//                   "setval=ok getval=7 nsems=2 sem_open=ok value=5 mode=640"
//                   (an errno name in place of "ok" for a failed call)
#include <fcntl.h>
#include <semaphore.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ipc/fd.h"

namespace {

int do_write(long n) {
  std::vector<std::byte> data(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::byte>(i % 251);
  auto written = ipc::write_full(1, data);
  if (!written.ok()) {
    std::fprintf(stderr, "%s\n", written.error().message().c_str());
    return 1;
  }
  return 0;
}

int do_rawread(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "open %s: %s\n", path, std::strerror(errno));
    return 1;
  }
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0) {
    int e = errno;
    std::fprintf(stderr, "read: %s\n", std::strerror(e));
    return e == EINTR ? 3 : 1;
  }
  std::printf("read %zd bytes\n", n);
  return 0;
}

// "ok" or the errno name of one 1-byte read.
const char* read_one(int fd) {
  char c;
  if (::read(fd, &c, 1) == 1) return "ok";
  return errno == EIO ? "EIO" : "other";
}

int do_forkread(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || std::strcmp(read_one(fd), "ok") != 0) return 1;
  pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    const char* r = read_one(fd);
    std::exit(std::strcmp(r, "ok") == 0    ? 0
              : std::strcmp(r, "EIO") == 0 ? 5
                                           : 1);
  }
  const char* parent = read_one(fd);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 1;
  int code = WEXITSTATUS(status);
  std::printf("parent=%s child=%s\n", parent,
              code == 0   ? "ok"
              : code == 5 ? "EIO"
                          : "other");
  return 0;
}

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

const char* result_name(int r) {
  return r == -1 ? strerrorname_np(errno) : "ok";
}

int do_sem(const char* name) {
  ::umask(0);
  int id = ::semget(IPC_PRIVATE, 2, 0600);
  if (id < 0) return 1;
  union semun arg;
  arg.val = 7;
  const char* setval = result_name(::semctl(id, 1, SETVAL, arg));
  int getval = ::semctl(id, 1, GETVAL);
  struct semid_ds ds {};
  arg.buf = &ds;
  if (::semctl(id, 0, IPC_STAT, arg) != 0) ds.sem_nsems = 0;
  ::semctl(id, 0, IPC_RMID);
  std::printf("setval=%s getval=%d nsems=%lu ", setval, getval,
              static_cast<unsigned long>(ds.sem_nsems));
  sem_t* sem = ::sem_open(name, O_CREAT | O_EXCL, 0640, 5u);
  if (sem == SEM_FAILED) {
    std::printf("sem_open=%s\n", strerrorname_np(errno));
    return 0;
  }
  int value = -1;
  ::sem_getvalue(sem, &value);
  struct stat st {};
  ::stat((std::string("/dev/shm/sem.") + (name + 1)).c_str(), &st);
  ::sem_close(sem);
  ::sem_unlink(name);
  std::printf("sem_open=ok value=%d mode=%o\n", value,
              static_cast<unsigned>(st.st_mode & 0777));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "write" && argc == 3) return do_write(std::atol(argv[2]));
  if (mode == "rawread" && argc == 3) return do_rawread(argv[2]);
  if (mode == "forkread" && argc == 3) return do_forkread(argv[2]);
  if (mode == "sem" && argc == 3) return do_sem(argv[2]);
  std::fprintf(stderr,
               "usage: preload_test_helper write N | rawread FILE | forkread "
               "FILE | sem NAME\n");
  return 2;
}
