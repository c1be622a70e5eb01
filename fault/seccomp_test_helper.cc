// fault/seccomp_test_helper.cc — a small program that seccomp_test runs under
// ipcfault, built twice without sanitizers: statically (nothing but a kernel-
// side mechanism reaches it) and dynamically (to compare with the preload
// library). Every call goes straight to libc or syscall(2); results go to
// stdout with write(2), so that the plan's calls are the program's own.
//
//   rawread FILE        one syscall(SYS_read, ...) of 64 bytes: "read N" or
//                       "error NAME" (exit 3 for EINTR, 1 otherwise)
//   reads FILE N        N 1-byte read(2)s: "ok" or the errno name of each
//   sigread FILE        installs a SIGUSR1 handler (no SA_RESTART), one read:
//                       "handled=H n=N"
//   forkread FILE       1-byte reads: one, then fork; parent and child one
//                       each: "parent=R child=R"
//   vforkread FILE      one 1-byte read, vfork + exec /bin/true (the child
//                       calls read, close and write first), one more read:
//                       "first=R second=R"
//   execread FILE       one 1-byte read, then exec itself as "reads FILE 1"
//   threads FILE N      N threads, one 1-byte read each, joined: "eio=K"
//   write N             writes N bytes (byte i = i % 251) to stdout, looping
//                       over short writes
//   copy                copies stdin to stdout (read/write loop, short
//                       writes completed)
//   badread FILE        read(fd, (void*)8, 16), read(999, buf, 16), then 4
//                       bytes of fd: "R R BYTES" (a failed read must not move
//                       the offset)
//   restart             SIGUSR1 with SA_RESTART; a second thread waits until
//                       this one sleeps in read(2) on an empty pipe, signals
//                       it, waits for the handler, then writes 2 bytes; this
//                       thread reads 1 byte twice: "R R handled=H" (the
//                       watcher reads /proc with pread, which no plan here
//                       names)
//   asleep CALL FLAGS DIR  the call sleeps until a second thread acts, and
//                       that thread acts only once SIGUSR1's handler has run
//                       (so only a signal delivered during the call, as
//                       interrupt= sends it, lets it finish): CALL read (an
//                       empty pipe; then 1 byte is written), msgrcv (a new
//                       private queue; then 1 message is sent), fifo (open
//                       O_RDONLY of a new FIFO in DIR; then it is opened for
//                       writing); FLAGS restart (SA_RESTART) or none:
//                       "CALL=R handled=H" (R: ok, or the errno name)
//   names DIR           open, shm_open, mkfifo, fstat, unlink, shm_unlink in
//                       turn: "open=R shm_open=R mkfifo=R fstat=R unlink=R
//                       shm_unlink=R"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

namespace {

void say(const std::string& s) {
  std::string line = s + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(1, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::string result(long r) {
  if (r >= 0) return "ok";
  switch (errno) {
    case EIO:
      return "EIO";
    case EINTR:
      return "EINTR";
    case EACCES:
      return "EACCES";
    case ENOENT:
      return "ENOENT";
    default:
      return "errno" + std::to_string(errno);
  }
}

int open_or_die(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    say(std::string("open ") + path + ": " + strerror(errno));
    ::exit(1);
  }
  return fd;
}

std::string read1(int fd) {
  char c;
  return result(::read(fd, &c, 1));
}

int rawread(const char* path) {
  int fd = open_or_die(path);
  char buf[64];
  long n = ::syscall(SYS_read, fd, buf, sizeof buf);
  if (n < 0) {
    int e = errno;
    say("error " + result(n));
    return e == EINTR ? 3 : 1;
  }
  say("read " + std::to_string(n));
  return 0;
}

int reads(const char* path, int n) {
  int fd = open_or_die(path);
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? " " : "") + read1(fd);
  say(out);
  return 0;
}

volatile sig_atomic_t g_handled = 0;
void on_usr1(int) { g_handled = 1; }

int sigread(const char* path) {
  struct sigaction sa {};
  sa.sa_handler = on_usr1;
  ::sigaction(SIGUSR1, &sa, nullptr);
  int fd = open_or_die(path);
  char buf[64];
  long n = ::read(fd, buf, sizeof buf);
  say("handled=" + std::to_string(g_handled) +
      " n=" + (n < 0 ? result(n) : std::to_string(n)));
  return 0;
}

int forkread(const char* path) {
  int fd = open_or_die(path);
  if (read1(fd) != "ok") return 1;
  pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    std::string r = read1(fd);
    ::_exit(r == "ok" ? 0 : r == "EIO" ? 5 : 1);
  }
  std::string parent = read1(fd);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 1;
  int code = WEXITSTATUS(status);
  say("parent=" + parent + " child=" +
      (code == 0   ? "ok"
       : code == 5 ? "EIO"
                   : "other"));
  return 0;
}

int vforkread(const char* path) {
  int fd = open_or_die(path);
  std::string first = read1(fd);
  pid_t pid = ::vfork();
  if (pid == 0) {
    // Calls the plan may name, made in the parent's memory before exec.
    char c;
    (void)!::read(fd, &c, 0);
    ::close(-1);
    (void)!::write(2, "", 0);
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string second = read1(fd);
  say("first=" + first + " second=" + second);
  return 0;
}

int execread(const char* self, const char* path) {
  int fd = open_or_die(path);
  std::string first = read1(fd);
  say("first=" + first);
  char* argv[] = {const_cast<char*>(self), const_cast<char*>("reads"),
                  const_cast<char*>(path), const_cast<char*>("1"), nullptr};
  ::execv("/proc/self/exe", argv);
  return 127;
}

struct ThreadArg {
  int fd;
  std::string r;
};

void* thread_read(void* p) {
  auto* a = static_cast<ThreadArg*>(p);
  a->r = read1(a->fd);
  return nullptr;
}

int threads(const char* path, int n) {
  int fd = open_or_die(path);
  std::vector<pthread_t> ts(static_cast<std::size_t>(n));
  std::vector<ThreadArg> args(static_cast<std::size_t>(n), ThreadArg{fd, ""});
  for (int i = 0; i < n; ++i) {
    if (::pthread_create(&ts[static_cast<std::size_t>(i)], nullptr, thread_read,
                         &args[static_cast<std::size_t>(i)]) != 0)
      return 1;
  }
  int eio = 0;
  for (int i = 0; i < n; ++i) {
    ::pthread_join(ts[static_cast<std::size_t>(i)], nullptr);
    eio += args[static_cast<std::size_t>(i)].r == "EIO";
  }
  say("eio=" + std::to_string(eio));
  return 0;
}

int write_n(long n) {
  std::string data(static_cast<std::size_t>(n), '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i % 251);
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(1, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 1;
    done += static_cast<std::size_t>(w);
  }
  return 0;
}

int copy() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    if (n == 0) return 0;
    ssize_t done = 0;
    while (done < n) {
      ssize_t w = ::write(1, buf + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return 1;
      done += w;
    }
  }
}

int badread(const char* path) {
  int fd = open_or_die(path);
  long bad = ::syscall(SYS_read, fd, reinterpret_cast<void*>(8), 16);
  std::string first = result(bad);
  if (first.rfind("errno", 0) == 0 && errno == EFAULT) first = "EFAULT";
  char buf[16];
  long closed = ::syscall(SYS_read, 999, buf, sizeof buf);
  std::string second = result(closed);
  if (errno == EBADF) second = "EBADF";
  char four[5] = {};
  long n = ::syscall(SYS_read, fd, four, 4);
  say(first + " " + second + " " + (n == 4 ? std::string(four) : result(n)));
  return 0;
}

std::atomic<pid_t> g_reader{0};
std::atomic<int> g_restart_handled{0};
void on_usr1_restart(int) { g_restart_handled.store(1); }

// The first field of a small /proc file read with pread(2).
std::string proc_text(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[512];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

struct RestartArgs {
  int write_fd;
};

void* restart_watcher(void* p) {
  auto* a = static_cast<RestartArgs*>(p);
  pid_t tid;
  while ((tid = g_reader.load()) == 0) ::sched_yield();
  std::string task = "/proc/self/task/" + std::to_string(tid);
  // Asleep (state S) inside read (system call 0 on x86_64).
  for (;;) {
    std::string stat = proc_text(task + "/stat");
    std::size_t close = stat.rfind(')');
    bool sleeping = close != std::string::npos && close + 2 < stat.size() &&
                    stat[close + 2] == 'S';
    if (sleeping && proc_text(task + "/syscall").rfind("0 ", 0) == 0) break;
    ::sched_yield();
  }
  ::syscall(SYS_tgkill, ::getpid(), tid, SIGUSR1);
  while (g_restart_handled.load() == 0) ::sched_yield();
  (void)!::write(a->write_fd, "ab", 2);
  return nullptr;
}

int restart() {
  struct sigaction sa {};
  sa.sa_handler = on_usr1_restart;
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGUSR1, &sa, nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return 1;
  RestartArgs args{fds[1]};
  pthread_t watcher;
  if (::pthread_create(&watcher, nullptr, restart_watcher, &args) != 0)
    return 1;
  g_reader.store(static_cast<pid_t>(::syscall(SYS_gettid)));
  std::string first = read1(fds[0]);
  std::string second = read1(fds[0]);
  ::pthread_join(watcher, nullptr);
  say(first + " " + second +
      " handled=" + std::to_string(g_restart_handled.load()));
  return 0;
}

std::atomic<int> g_asleep_handled{0};
std::atomic<bool> g_asleep_done{false};
void on_usr1_asleep(int) { g_asleep_handled.store(1); }

struct AsleepPeer {
  std::string call;
  int pipe_write = -1;
  int queue = -1;
  std::string fifo;
};

// Once the handler has run (or 10 s passed: the call then reports it),
// makes the sleeping call finish.
void* asleep_peer(void* p) {
  auto* a = static_cast<AsleepPeer*>(p);
  struct timespec start, now;
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  while (g_asleep_handled.load() == 0) {
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 10) break;
    ::sched_yield();
  }
  if (a->call == "read") {
    (void)!::write(a->pipe_write, "x", 1);
  } else if (a->call == "msgrcv") {
    struct {
      long mtype;
      char mtext[1];
    } m = {1, {'x'}};
    ::msgsnd(a->queue, &m, 1, IPC_NOWAIT);
  } else {
    // Non-blocking: ENXIO until the reader is inside open; the reader may
    // also be done (EINTR).
    while (!g_asleep_done.load()) {
      int fd = ::open(a->fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) {
        ::close(fd);
        break;
      }
      ::sched_yield();
    }
  }
  return nullptr;
}

int asleep(const std::string& call, const std::string& flags,
           const std::string& dir) {
  struct sigaction sa {};
  sa.sa_handler = on_usr1_asleep;
  sa.sa_flags = flags == "restart" ? SA_RESTART : 0;
  ::sigaction(SIGUSR1, &sa, nullptr);
  AsleepPeer peer;
  peer.call = call;
  int fds[2] = {-1, -1};
  if (call == "read") {
    if (::pipe2(fds, O_CLOEXEC) != 0) return 1;
    peer.pipe_write = fds[1];
  } else if (call == "msgrcv") {
    peer.queue = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (peer.queue < 0) return 1;
  } else if (call == "fifo") {
    peer.fifo = dir + "/asleep-fifo-" + std::to_string(::getpid());
    if (::mkfifo(peer.fifo.c_str(), 0600) != 0) return 1;
  } else {
    say("unknown call " + call);
    return 2;
  }
  pthread_t t;
  if (::pthread_create(&t, nullptr, asleep_peer, &peer) != 0) return 1;
  long r;
  if (call == "read") {
    char c;
    r = ::read(fds[0], &c, 1);
  } else if (call == "msgrcv") {
    struct {
      long mtype;
      char mtext[8];
    } m;
    r = ::msgrcv(peer.queue, &m, sizeof m.mtext, 0, 0);
  } else {
    r = ::open(peer.fifo.c_str(), O_RDONLY | O_CLOEXEC);
    if (r >= 0) ::close(static_cast<int>(r));
  }
  std::string outcome = result(r);
  g_asleep_done.store(true);
  ::pthread_join(t, nullptr);
  if (peer.queue >= 0) ::msgctl(peer.queue, IPC_RMID, nullptr);
  if (!peer.fifo.empty()) ::unlink(peer.fifo.c_str());
  say(call + "=" + outcome +
      " handled=" + std::to_string(g_asleep_handled.load()));
  return 0;
}

int names(const std::string& dir) {
  std::string file = dir + "/names-file", fifo = dir + "/names-fifo";
  std::string shm = "/ipct-names-" + std::to_string(::getpid());
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  std::string out = "open=" + result(fd);
  int sfd = ::shm_open(shm.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  out += " shm_open=" + result(sfd);
  out += " mkfifo=" + result(::mkfifo(fifo.c_str(), 0600));
  struct stat st {};
  out += " fstat=" + result(fd >= 0 ? ::fstat(fd, &st) : -1);
  out += " unlink=" + result(::unlink(file.c_str()));
  out += " shm_unlink=" + result(::shm_unlink(shm.c_str()));
  // Leave nothing behind whatever was injected (these calls are not named).
  ::syscall(SYS_unlinkat, AT_FDCWD, file.c_str(), 0);
  ::syscall(SYS_unlinkat, AT_FDCWD, fifo.c_str(), 0);
  ::syscall(SYS_unlinkat, AT_FDCWD, ("/dev/shm" + shm).c_str(), 0);
  say(out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "rawread" && argc == 3) return rawread(argv[2]);
  if (mode == "reads" && argc == 4) return reads(argv[2], std::atoi(argv[3]));
  if (mode == "sigread" && argc == 3) return sigread(argv[2]);
  if (mode == "forkread" && argc == 3) return forkread(argv[2]);
  if (mode == "vforkread" && argc == 3) return vforkread(argv[2]);
  if (mode == "execread" && argc == 3) return execread(argv[0], argv[2]);
  if (mode == "threads" && argc == 4)
    return threads(argv[2], std::atoi(argv[3]));
  if (mode == "write" && argc == 3) return write_n(std::atol(argv[2]));
  if (mode == "copy" && argc == 2) return copy();
  if (mode == "names" && argc == 3) return names(argv[2]);
  if (mode == "badread" && argc == 3) return badread(argv[2]);
  if (mode == "restart" && argc == 2) return restart();
  if (mode == "asleep" && argc == 5) return asleep(argv[2], argv[3], argv[4]);
  say("usage: seccomp_test_helper MODE ARGS (see the source)");
  return 2;
}
