// conformance/testing/suite_util.cc — see suite_util.h.
#include "conformance/testing/suite_util.h"

#include <poll.h>
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

bool ReadyWithin(int fd, short events, std::chrono::milliseconds patience) {
  struct pollfd p = {fd, events, 0};
  int r;
  do {
    r = ::poll(&p, 1, static_cast<int>(patience.count()));
  } while (r < 0 && errno == EINTR);
  return r == 1;
}

}  // namespace conformance::testing
