// fault/preload_test_lsan_helper.cc — a program built with AddressSanitizer
// (and so LeakSanitizer) in every build configuration, which preload_test runs
// under ipcfault to show that libipcfault.so leaves no leak report in a
// sanitized program, whatever the plan's options:
//   forkread FILE   reads 1 byte, forks; parent and child each read 1 byte and
//                   print "parent=R" / "child=R" (R: ok, EIO, other); the
//                   child leaves with exit(3), so LeakSanitizer checks it
//   exec FILE       execs itself as "read FILE" (the plan is loaded again)
//   read FILE       reads FILE 1 byte at a time; prints "read N bytes"
//   threads FILE    four threads each read FILE 1 byte at a time
//   leak            the control: loses one allocation on purpose, which
//                   LeakSanitizer must report (else the check is not live)
//
// preload_test runs it with LSAN_OPTIONS=use_stacks=0:use_registers=0: only
// globals and thread-local storage are roots, so what the library keeps for a
// process's lifetime must be reachable from its globals, and a leak is
// reported whatever stale copies of lost pointers the stack happens to hold
// (with stacks scanned, a dead slot that still held the address hid a leak on
// one machine and not on another).
//
// It depends on nothing but libc and libstdc++: under --config=tsan the rest
// of the project is built for TSan, which cannot be linked into an ASan
// program.
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

namespace {

int open_or_die(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "open %s: %s\n", path, std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

// "ok", "EIO" or "other" for one 1-byte read.
const char* read_one(int fd) {
  char c;
  if (::read(fd, &c, 1) == 1) return "ok";
  return errno == EIO ? "EIO" : "other";
}

[[noreturn]] void do_forkread(const char* path) {
  int fd = open_or_die(path);
  if (std::strcmp(read_one(fd), "ok") != 0) std::exit(1);
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid < 0) std::exit(1);
  if (pid == 0) {
    std::printf("child=%s\n", read_one(fd));
    std::exit(0);
  }
  const char* parent = read_one(fd);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) std::exit(1);
  std::printf("parent=%s\n", parent);
  // The child's own verdict: LeakSanitizer's exit code if it reported.
  std::exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 4);
}

// Bytes read from `path`, 1 at a time (-1 on an error).
long read_bytes(const char* path) {
  int fd = open_or_die(path);
  long total = 0;
  char c;
  ssize_t n;
  while ((n = ::read(fd, &c, 1)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      total = -1;
      break;
    }
    ++total;
  }
  ::close(fd);
  return total;
}

[[noreturn]] void do_threads(const char* path) {
  constexpr int kThreads = 4;
  pthread_t threads[kThreads];
  long totals[kThreads];
  for (long& t : totals) t = 0;
  for (int i = 0; i < kThreads; ++i) {
    auto body = [](void* arg) -> void* {
      auto* args = static_cast<std::pair<const char*, long*>*>(arg);
      *args->second = read_bytes(args->first);
      delete args;
      return nullptr;
    };
    auto* args = new std::pair<const char*, long*>(path, &totals[i]);
    if (::pthread_create(&threads[i], nullptr, body, args) != 0) std::exit(1);
  }
  for (pthread_t t : threads) ::pthread_join(t, nullptr);
  for (long t : totals) std::printf("read %ld bytes\n", t);
  std::exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "forkread" && argc == 3) do_forkread(argv[2]);
  if (mode == "read" && argc == 3) {
    std::printf("read %ld bytes\n", read_bytes(argv[2]));
    std::exit(0);
  }
  if (mode == "exec" && argc == 3) {
    char read_mode[] = "read";
    char* args[] = {argv[0], read_mode, argv[2], nullptr};
    ::execv("/proc/self/exe", args);
    std::perror("execv");
    std::exit(1);
  }
  if (mode == "threads" && argc == 3) do_threads(argv[2]);
  if (mode == "leak" && argc == 2) {
    volatile char* lost = new char[4096];
    lost[0] = 1;
    lost = nullptr;
    std::exit(0);
  }
  std::fprintf(stderr,
               "usage: preload_test_lsan_helper forkread FILE | exec FILE | "
               "read FILE | threads FILE | leak\n");
  return 2;
}
