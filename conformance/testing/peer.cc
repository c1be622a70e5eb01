// conformance/testing/peer.cc — a separately exec'd program for tests that
// need an unrelated process (it shares nothing with the test but what it
// inherits or is told on its command line).
//
//   peer fd-inode FD          prints "ino=<n> fifo=<0|1>"; exit 3 if FD is not open
//   peer write-fd FD TEXT     writes TEXT to the inherited descriptor FD
//   peer read-path PATH MAX   opens PATH read-only, one read(MAX), prints the bytes
//   peer write-path PATH TEXT opens PATH write-only, writes TEXT
//   peer ftok PATH PROJ                    prints "key=0x%08x"
//   peer msg-send PATH PROJ TYPE TEXT      ftok → msgget(key, 0) → msgsnd(TYPE, TEXT)
//   peer msg-recv PATH PROJ TYPE MAX       msgrcv(TYPE, MAX, IPC_NOWAIT); prints "type=<t> text=<bytes>"
//   peer shm-write PATH PROJ OFFSET TEXT   ftok → shmget(key, 0, 0) → shmat → TEXT at OFFSET → shmdt
//   peer shm-read PATH PROJ OFFSET LEN     prints LEN bytes at OFFSET of that segment
//   peer pshm-write NAME OFFSET TEXT       shm_open(NAME, O_RDWR) → pwrite(TEXT, OFFSET)
//   peer pshm-read NAME OFFSET LEN         shm_open(NAME, O_RDONLY) → pread(LEN, OFFSET); prints them
//   peer sigstate SIGNO                    prints "handler=<default|ignore|catch> blocked=<0|1> pending=<0|1>"
//   peer altstack                          prints "disabled=<0|1> size=<ss_size>" (sigaltstack)
//   peer msg-send-id ID TYPE TEXT          msgsnd(ID, TYPE, TEXT) on a queue id given as a number
//   peer fds                               prints the open descriptors, e.g. "0 1 2"
//   peer pause                             waits in pause() until a signal ends it
//
//   peer --unrelated STATUS GO SECONDS MODE ARGS...
//       how conformance/testing/unrelated.cc starts an unrelated peer: waits
//       for a byte on descriptor GO, writes "launcher <pid> session <sid>" to
//       STATUS, runs MODE ARGS in a child, writes "peer <pid> ancestry
//       <parent>,<grandparent>,..." and then "status <wait status>" (after
//       SIGKILLing the child and "timeout" if SECONDS passed).
//
// The peer deliberately uses raw libc calls, not ipc/: it stands for someone
// else's program. Exit status: 0 success, 2 usage, 3 EBADF on FD, 4-7 other
// failures (the errno is printed to stderr).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

int fail(const char* what, int code) {
  std::fprintf(stderr, "peer: %s: %s\n", what, std::strerror(errno));
  return code;
}

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

int fd_inode(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return errno == EBADF ? 3 : fail("fstat", 4);
  std::printf("ino=%lu fifo=%d\n", static_cast<unsigned long>(st.st_ino),
              S_ISFIFO(st.st_mode) ? 1 : 0);
  return 0;
}

int read_path(const char* path, std::size_t max) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("open", 6);
  std::vector<char> buf(max);
  ssize_t n;
  do {
    n = ::read(fd, buf.data(), buf.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail("read", 7);
  ::close(fd);
  return write_all(1, buf.data(), static_cast<std::size_t>(n))
             ? 0
             : fail("write(stdout)", 7);
}

int write_path(const char* path, const char* text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("open", 6);
  bool ok = write_all(fd, text, std::strlen(text));
  ::close(fd);
  return ok ? 0 : fail("write", 5);
}

key_t key_of(const char* path, const char* proj) {
  return ::ftok(path, static_cast<int>(std::strtol(proj, nullptr, 0)));
}

int print_key(const char* path, const char* proj) {
  key_t key = key_of(path, proj);
  if (key == -1) return fail("ftok", 4);
  std::printf("key=0x%08x\n", static_cast<unsigned>(key));
  return 0;
}

int msg_send(const char* path, const char* proj, long type, const char* text) {
  key_t key = key_of(path, proj);
  if (key == -1) return fail("ftok", 4);
  int qid = ::msgget(key, 0);
  if (qid < 0) return fail("msgget", 4);
  std::size_t len = std::strlen(text);
  std::vector<char> msg(sizeof(long) + len);
  std::memcpy(msg.data(), &type, sizeof type);
  std::memcpy(msg.data() + sizeof(long), text, len);
  while (::msgsnd(qid, msg.data(), len, 0) != 0) {
    if (errno != EINTR) return fail("msgsnd", 4);
  }
  return 0;
}

int msg_recv(const char* path, const char* proj, long type, std::size_t max) {
  key_t key = key_of(path, proj);
  if (key == -1) return fail("ftok", 4);
  int qid = ::msgget(key, 0);
  if (qid < 0) return fail("msgget", 4);
  std::vector<char> msg(sizeof(long) + max);
  ssize_t n = ::msgrcv(qid, msg.data(), max, type, IPC_NOWAIT);
  if (n < 0) return fail("msgrcv", 4);
  long got;
  std::memcpy(&got, msg.data(), sizeof got);
  std::printf("type=%ld text=", got);
  std::fflush(stdout);
  return write_all(1, msg.data() + sizeof(long), static_cast<std::size_t>(n))
             ? 0
             : fail("write(stdout)", 7);
}

// Attaches the segment of ftok(path, proj); nullptr (errno set) on failure.
char* attach(const char* path, const char* proj, int shmflg) {
  key_t key = key_of(path, proj);
  if (key == -1) return nullptr;
  int id = ::shmget(key, 0, 0);
  if (id < 0) return nullptr;
  void* p = ::shmat(id, nullptr, shmflg);
  return p == reinterpret_cast<void*>(-1) ? nullptr : static_cast<char*>(p);
}

int shm_write(const char* path, const char* proj, std::size_t offset,
              const char* text) {
  char* p = attach(path, proj, 0);
  if (p == nullptr) return fail("shm attach", 4);
  std::memcpy(p + offset, text, std::strlen(text));
  return ::shmdt(p) == 0 ? 0 : fail("shmdt", 4);
}

int shm_read(const char* path, const char* proj, std::size_t offset,
             std::size_t len) {
  char* p = attach(path, proj, SHM_RDONLY);
  if (p == nullptr) return fail("shm attach", 4);
  bool ok = write_all(1, p + offset, len);
  ::shmdt(p);
  return ok ? 0 : fail("write(stdout)", 7);
}

int pshm_write(const char* name, off_t offset, const char* text) {
  int fd = ::shm_open(name, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return fail("shm_open", 4);
  ssize_t n = ::pwrite(fd, text, std::strlen(text), offset);
  ::close(fd);
  if (n < 0) return fail("pwrite", 4);
  return static_cast<std::size_t>(n) == std::strlen(text) ? 0 : 5;
}

int pshm_read(const char* name, off_t offset, std::size_t len) {
  int fd = ::shm_open(name, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return fail("shm_open", 4);
  std::vector<char> buf(len);
  ssize_t n = ::pread(fd, buf.data(), len, offset);
  ::close(fd);
  if (n < 0) return fail("pread", 4);
  return write_all(1, buf.data(), static_cast<std::size_t>(n))
             ? 0
             : fail("write(stdout)", 7);
}

int sig_state(int signo) {
  struct sigaction sa;
  sigset_t blocked, pending;
  if (::sigaction(signo, nullptr, &sa) != 0) return fail("sigaction", 4);
  if (::sigprocmask(SIG_SETMASK, nullptr, &blocked) != 0 ||
      ::sigpending(&pending) != 0) {
    return fail("sigprocmask", 4);
  }
  const char* handler = sa.sa_handler == SIG_DFL   ? "default"
                        : sa.sa_handler == SIG_IGN ? "ignore"
                                                   : "catch";
  std::printf("handler=%s blocked=%d pending=%d\n", handler,
              ::sigismember(&blocked, signo), ::sigismember(&pending, signo));
  return 0;
}

int alt_stack() {
  stack_t old;
  if (::sigaltstack(nullptr, &old) != 0) return fail("sigaltstack", 4);
  std::printf("disabled=%d size=%zu\n",
              (old.ss_flags & SS_DISABLE) != 0 ? 1 : 0, old.ss_size);
  return 0;
}

int msg_send_id(int qid, long type, const char* text) {
  std::size_t len = std::strlen(text);
  std::vector<char> msg(sizeof(long) + len);
  std::memcpy(msg.data(), &type, sizeof type);
  std::memcpy(msg.data() + sizeof(long), text, len);
  while (::msgsnd(qid, msg.data(), len, 0) != 0) {
    if (errno != EINTR) return fail("msgsnd", 4);
  }
  return 0;
}

int list_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return fail("opendir(/proc/self/fd)", 4);
  int own = ::dirfd(d);
  std::vector<int> fds;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    if (fd != own) fds.push_back(fd);
  }
  ::closedir(d);
  std::sort(fds.begin(), fds.end());
  for (std::size_t i = 0; i < fds.size(); ++i)
    std::printf(i == 0 ? "%d" : " %d", fds[i]);
  std::printf("\n");
  return 0;
}

// The parent of `pid` from /proc/<pid>/stat (after the last ')' of comm);
// 0 at the top of the PID namespace, -1 if unreadable.
pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  char state = 0;
  long ppid = -1;
  if (std::sscanf(stat.c_str() + close + 1, " %c %ld", &state, &ppid) != 2)
    return -1;
  return static_cast<pid_t>(ppid);
}

volatile sig_atomic_t g_alarm = 0;
void on_alarm(int) { g_alarm = 1; }

int dispatch(int argc, char** argv);

// See the header comment: the unrelated peer's launcher (process B of
// unrelated.cc), already in its own session.
int run_unrelated(int argc, char** argv) {
  if (argc < 6) return 2;
  int status_fd = std::atoi(argv[2]);
  int go_fd = std::atoi(argv[3]);
  unsigned seconds = static_cast<unsigned>(std::strtoul(argv[4], nullptr, 10));
  char go;
  ssize_t n;
  do {
    n = ::read(go_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  ::close(go_fd);
  if (n != 1) return fail("read(go)", 5);
  ::dprintf(status_fd, "launcher %d session %d\n", static_cast<int>(::getpid()),
            static_cast<int>(::getsid(0)));
  std::fflush(stdout);
  pid_t child = ::fork();
  if (child < 0) return fail("fork", 5);
  if (child == 0) {
    ::close(status_fd);
    std::exit(dispatch(argc - 4, argv + 4));
  }
  std::string chain = std::to_string(::getpid());
  for (pid_t p = ::getppid(); p > 0; p = parent_of(p))
    chain += "," + std::to_string(p);
  ::dprintf(status_fd, "peer %d ancestry %s\n", static_cast<int>(child),
            chain.c_str());
  struct sigaction sa = {};
  sa.sa_handler = on_alarm;  // no SA_RESTART: waitpid returns EINTR
  ::sigaction(SIGALRM, &sa, nullptr);
  ::alarm(seconds);
  int ws = 0;
  while (::waitpid(child, &ws, 0) < 0) {
    if (errno != EINTR) return fail("waitpid", 5);
    if (g_alarm) {
      ::kill(child, SIGKILL);
      ::dprintf(status_fd, "timeout\n");
      g_alarm = 0;
    }
  }
  ::dprintf(status_fd, "status %d\n", ws);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "--unrelated") return run_unrelated(argc, argv);
  return dispatch(argc, argv);
}

namespace {

// argv[1] is the mode.
int dispatch(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fd-inode" && argc == 3) return fd_inode(std::atoi(argv[2]));
  if (mode == "write-fd" && argc == 4) {
    if (write_all(std::atoi(argv[2]), argv[3], std::strlen(argv[3]))) return 0;
    return errno == EBADF ? 3 : fail("write", 5);
  }
  if (mode == "read-path" && argc == 4)
    return read_path(argv[2], std::strtoul(argv[3], nullptr, 10));
  if (mode == "write-path" && argc == 4) return write_path(argv[2], argv[3]);
  auto num = [](const char* s) { return std::strtoul(s, nullptr, 0); };
  if (mode == "ftok" && argc == 4) return print_key(argv[2], argv[3]);
  if (mode == "msg-send" && argc == 6)
    return msg_send(argv[2], argv[3], std::atol(argv[4]), argv[5]);
  if (mode == "msg-recv" && argc == 6)
    return msg_recv(argv[2], argv[3], std::atol(argv[4]), num(argv[5]));
  if (mode == "shm-write" && argc == 6)
    return shm_write(argv[2], argv[3], num(argv[4]), argv[5]);
  if (mode == "shm-read" && argc == 6)
    return shm_read(argv[2], argv[3], num(argv[4]), num(argv[5]));
  if (mode == "pshm-write" && argc == 5)
    return pshm_write(argv[2], static_cast<off_t>(num(argv[3])), argv[4]);
  if (mode == "pshm-read" && argc == 5)
    return pshm_read(argv[2], static_cast<off_t>(num(argv[3])), num(argv[4]));
  if (mode == "sigstate" && argc == 3) return sig_state(std::atoi(argv[2]));
  if (mode == "altstack" && argc == 2) return alt_stack();
  if (mode == "msg-send-id" && argc == 5)
    return msg_send_id(std::atoi(argv[2]), std::atol(argv[3]), argv[4]);
  if (mode == "fds" && argc == 2) return list_fds();
  if (mode == "pause" && argc == 2) {
    ::pause();
    return 0;
  }
  std::fprintf(
      stderr,
      "usage: peer fd-inode FD | write-fd FD TEXT | read-path PATH MAX | "
      "write-path PATH TEXT\n"
      "     | ftok PATH PROJ | msg-send PATH PROJ TYPE TEXT | msg-recv PATH "
      "PROJ TYPE MAX\n"
      "     | shm-write PATH PROJ OFFSET TEXT | shm-read PATH PROJ OFFSET LEN\n"
      "     | pshm-write NAME OFFSET TEXT | pshm-read NAME OFFSET LEN | "
      "sigstate SIGNO | altstack\n"
      "     | msg-send-id ID TYPE TEXT | fds | pause\n"
      "     | --unrelated STATUS GO SECONDS MODE ARGS...\n");
  return 2;
}

}  // namespace
