// fault/preload_test_entry_helper.cc — a program that reaches the plan's calls
// through the libc entry points other than their plain names. It is built as
// hardened distributions build theirs (-O2 -D_FORTIFY_SOURCE=2; a second
// binary also with -D_FILE_OFFSET_BITS=64), so that its calls go through the
// fortified and 64-bit entry points (__read_chk, __open64_2, lseek64, ...).
// preload_test runs it under ipcfault: each entry point must count as its
// call and be injected.
//
//   preload_test_entry_helper MODE PATH
// makes one call of MODE on PATH and prints "MODE: ok" or "MODE: ERRNONAME":
//   read pread open openat poll ppoll lseek fstat fcntl ftruncate mmap
//                  the call of that name on the file PATH
//   pipe           pipe() (counts as pipe2)
//   sigprocmask    blocks SIGUSR1 (counts as pthread_sigmask)
//   sigwaitinfo    takes a pending SIGUSR1 (counts as sigtimedwait)
//   mkfifoat       makes a FIFO at PATH (counts as mkfifo)
//   mknod mknodat xmknod
//                  make a FIFO at PATH with mknod, mknodat, and __xmknod (what
//                  programs built against glibc < 2.33 call) (count as mkfifo)
//   mknodreg       makes a regular file at PATH with mknod (not counted)
//   creat          creates the file PATH (counts as open)
//   sem_clockwait  takes a semaphore of value 1 (counts as sem_timedwait)
//   unlinkat       removes the file PATH (counts as unlink)
//   rmdir          unlinkat(AT_REMOVEDIR) of the directory PATH (not counted)
// Sizes and flags are read through volatile variables: with compile-time
// constants the compiler would call the plain functions instead.
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// glibc >= 2.33 still exports it but no longer declares it.
extern "C" int __xmknod(int ver, const char* path, mode_t mode, dev_t* dev);

namespace {

volatile std::size_t g_size = 64;
volatile int g_flags = O_RDWR | O_CLOEXEC;
volatile nfds_t g_nfds = 1;

// Opens FILE with the plain open (not the call under test).
int open_file(const char* path) {
  int fd = ::open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "open %s: %s\n", path, std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

// -1 with errno, or >= 0, for one call of `mode`.
long call(const std::string& mode, const char* path) {
  char buf[64];
  std::size_t n = g_size;
  int flags = g_flags;
  nfds_t nfds = g_nfds;
  if (mode == "read") return ::read(open_file(path), buf, n);
  if (mode == "pread") return ::pread(open_file(path), buf, n, 0);
  if (mode == "open") return ::open(path, flags);
  if (mode == "openat") return ::openat(AT_FDCWD, path, flags);
  if (mode == "poll" || mode == "ppoll") {
    struct pollfd fds[1] = {{open_file(path), POLLIN, 0}};
    if (mode == "poll") return ::poll(fds, nfds, 0);
    struct timespec zero = {0, 0};
    return ::ppoll(fds, nfds, &zero, nullptr);
  }
  if (mode == "lseek") return ::lseek(open_file(path), 0, SEEK_SET);
  if (mode == "fstat") {
    struct stat st;
    return ::fstat(open_file(path), &st);
  }
  if (mode == "fcntl") return ::fcntl(open_file(path), F_GETFL);
  if (mode == "ftruncate") return ::ftruncate(open_file(path), 6);
  if (mode == "mmap") {
    void* p = ::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, open_file(path), 0);
    return p == MAP_FAILED ? -1 : 0;
  }
  if (mode == "pipe") {
    int fds[2];
    return ::pipe(fds);
  }
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  if (mode == "sigprocmask") return ::sigprocmask(SIG_BLOCK, &usr1, nullptr);
  if (mode == "sigwaitinfo") {
    if (::pthread_sigmask(SIG_BLOCK, &usr1, nullptr) != 0 ||
        ::raise(SIGUSR1) != 0)
      std::exit(1);
    siginfo_t info;
    return ::sigwaitinfo(&usr1, &info);
  }
  if (mode == "mkfifoat") return ::mkfifoat(AT_FDCWD, path, 0600);
  if (mode == "mknod") return ::mknod(path, S_IFIFO | 0600, 0);
  if (mode == "mknodat") return ::mknodat(AT_FDCWD, path, S_IFIFO | 0600, 0);
  if (mode == "xmknod") {
    dev_t dev = 0;
    return ::__xmknod(0, path, S_IFIFO | 0600, &dev);  // _MKNOD_VER_LINUX
  }
  if (mode == "mknodreg") return ::mknod(path, S_IFREG | 0600, 0);
  if (mode == "creat") return ::creat(path, 0600);
  if (mode == "sem_clockwait") {
    sem_t sem;
    if (::sem_init(&sem, 0, 1) != 0) std::exit(1);
    struct timespec deadline = {0, 0};  // past: the value is there already
    return ::sem_clockwait(&sem, CLOCK_MONOTONIC, &deadline);
  }
  if (mode == "unlinkat") return ::unlinkat(AT_FDCWD, path, 0);
  if (mode == "rmdir") return ::unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODE FILE\n", argv[0]);
    return 2;
  }
  long r = call(argv[1], argv[2]);
  const char* name = r < 0 ? ::strerrorname_np(errno) : nullptr;
  std::printf("%s: %s\n", argv[1], r >= 0 ? "ok" : name ? name : "?");
  return 0;
}
