// conformance/testing/suite_util.cc — see suite_util.h.
#include "conformance/testing/suite_util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

namespace conformance::testing {

ipc::Result<RunResult> RunPeer(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  auto peer = runfile("conformance/testing/peer");
  if (!peer) return std::move(peer).error();
  std::vector<std::string> argv = {*peer};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions opt;
  opt.timeout = timeout;
  return run_program(argv, opt);
}

std::string ReadToEof(int fd) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t k = ::read(fd, buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    out.append(buf, static_cast<std::size_t>(k));
  }
  return out;
}

std::size_t FillPipe(int w) {
  int fl = ::fcntl(w, F_GETFL);
  ::fcntl(w, F_SETFL, fl | O_NONBLOCK);
  std::string chunk(1 << 16, 'f');
  std::size_t total = 0;
  for (std::size_t n = chunk.size(); n > 0;) {
    ssize_t r = ::write(w, chunk.data(), n);
    if (r > 0) {
      total += static_cast<std::size_t>(r);
    } else {
      n /= 2;  // EAGAIN: try smaller pieces down to one byte
    }
  }
  ::fcntl(w, F_SETFL, fl);
  return total;
}

int Unread(int fd) {
  int n = -1;
  return ::ioctl(fd, FIONREAD, &n) == 0 ? n : -1;
}

bool ReadyWithin(int fd, short events, std::chrono::milliseconds patience) {
  struct pollfd p = {fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, static_cast<int>(patience.count()));
  } while (r < 0 && errno == EINTR);
  return r == 1;
}

bool CouldNotSetUp(int wait_status) {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == kCannotSetUp;
}

long ReadProcLong(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return -1;
  long n = -1;
  if (std::fscanf(f, "%ld", &n) != 1) n = -1;
  std::fclose(f);
  return n;
}

bool WriteProc(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  return ::close(fd) == 0 && ok;
}

bool IdMapped(const char* map_file, unsigned long id) {
  std::ifstream in(map_file);
  unsigned long inside = 0, outside = 0, count = 0;
  while (in >> inside >> outside >> count) {
    if (id >= inside && id - inside < count) return true;
  }
  return false;
}

ScopedBlock::ScopedBlock(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::pthread_sigmask(SIG_BLOCK, &set, &old_);
}

ScopedBlock::~ScopedBlock() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

}  // namespace conformance::testing
