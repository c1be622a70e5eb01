// conformance/testing/background.cc — blocking calls on a helper thread, and
// bounded waits for children (pidfd + poll, no sleeping).
#include "conformance/testing/background.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <future>
#include <string>

#include "fault/blocked.h"

namespace conformance::testing {
namespace {

bool poll_readable(int fd, std::chrono::milliseconds timeout) {
  struct pollfd p = {fd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int r = ::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 0)));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

BackgroundCall::BackgroundCall(std::function<long()> call)
    : call_(std::move(call)), done_event_(::eventfd(0, EFD_CLOEXEC)) {
  std::future<pid_t> tid = started_.get_future();
  thread_ = std::thread([this] {
    started_.set_value(fault::current_tid());
    entered_.store(true);  // (without /proc/…/syscall, wait_blocked needs it)
    errno = 0;
    long r = call_();
    errno_ = errno;
    result_ = r;
    done_.store(true);
    std::uint64_t one = 1;
    ssize_t w = ::write(done_event_.get(), &one, sizeof one);
    (void)w;
  });
  tid_ = tid.get();
}

BackgroundCall::~BackgroundCall() {
  if (thread_.joinable()) thread_.join();
}

ipc::Status BackgroundCall::wait_blocked(long nr) {
  ipc::Deadline deadline = ipc::deadline_in(kPatience);
  // The thread may sleep on the promise's lock before it reaches the call.
  while (!entered_.load() && ipc::Clock::now() < *deadline) ::sched_yield();
  ipc::Status s = fault::wait_until_blocked(0, tid_, nr, deadline);
  if (s) return s;
  if (wait_done(std::chrono::milliseconds(0))) {
    return ipc::Error(
        EAGAIN, "wait_blocked", "syscall " + std::to_string(nr),
        "the call returned " + std::to_string(result_) +
            (result_ < 0 ? " (errno " + std::to_string(errno_) + ")" : "") +
            " instead of blocking");
  }
  return s;
}

bool BackgroundCall::wait_done(std::chrono::milliseconds timeout) {
  if (done_.load()) return true;
  return poll_readable(done_event_.get(), timeout) && done_.load();
}

long BackgroundCall::result() const {
  errno = errno_;
  return result_;
}

std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    bool exited = poll_readable(pidfd, timeout);
    ::close(pidfd);
    if (!exited) return std::nullopt;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::nullopt;
  }
  return status;
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace conformance::testing
