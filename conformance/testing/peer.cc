// conformance/testing/peer.cc — a separately exec'd program for tests that
// need an unrelated process (it shares nothing with the test but what it
// inherits or is told on its command line).
//
//   peer fd-inode FD          prints "ino=<n> fifo=<0|1>"; exit 3 if FD is not open
//   peer write-fd FD TEXT     writes TEXT to the inherited descriptor FD
//   peer read-path PATH MAX   opens PATH read-only, one read(MAX), prints the bytes
//   peer write-path PATH TEXT opens PATH write-only, writes TEXT
//
// Exit status: 0 success, 2 usage, 3 EBADF on FD, 4-7 other failures (the
// errno is printed to stderr).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
  std::printf("ino=%lu fifo=%d\n", static_cast<unsigned long>(st.st_ino), S_ISFIFO(st.st_mode) ? 1 : 0);
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
  return write_all(1, buf.data(), static_cast<std::size_t>(n)) ? 0 : fail("write(stdout)", 7);
}

int write_path(const char* path, const char* text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("open", 6);
  bool ok = write_all(fd, text, std::strlen(text));
  ::close(fd);
  return ok ? 0 : fail("write", 5);
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fd-inode" && argc == 3) return fd_inode(std::atoi(argv[2]));
  if (mode == "write-fd" && argc == 4) {
    if (write_all(std::atoi(argv[2]), argv[3], std::strlen(argv[3]))) return 0;
    return errno == EBADF ? 3 : fail("write", 5);
  }
  if (mode == "read-path" && argc == 4) return read_path(argv[2], std::strtoul(argv[3], nullptr, 10));
  if (mode == "write-path" && argc == 4) return write_path(argv[2], argv[3]);
  std::fprintf(stderr, "usage: peer fd-inode FD | write-fd FD TEXT | read-path PATH MAX | write-path PATH TEXT\n");
  return 2;
}
