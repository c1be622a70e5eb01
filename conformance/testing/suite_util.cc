// conformance/testing/suite_util.cc — see suite_util.h.
#include "conformance/testing/suite_util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

namespace conformance::testing {

ipc::Result<RunResult> RunPeer(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout) {
  auto peer = runfile("conformance/testing/peer");
  if (!peer) return std::move(peer).error();
  std::vector<std::string> argv = {*peer};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions opt;
  opt.timeout = timeout;
  return run_program(argv, opt);
}

bool ReadyWithin(int fd, short events, std::chrono::milliseconds patience) {
  struct pollfd p = {fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, static_cast<int>(patience.count()));
  } while (r < 0 && errno == EINTR);
  return r == 1;
}

struct timespec RealtimeIn(std::chrono::nanoseconds d) {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  long long ns = ts.tv_nsec + d.count();
  ts.tv_sec += static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  return ts;
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
  bool ok = ::write(fd, value.data(), value.size()) ==
            static_cast<ssize_t>(value.size());
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

}  // namespace conformance::testing
