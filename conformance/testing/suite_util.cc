// conformance/testing/suite_util.cc — see suite_util.h.
#include "conformance/testing/suite_util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

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

}  // namespace conformance::testing
