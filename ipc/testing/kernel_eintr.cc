// ipc/testing/kernel_eintr.cc — see kernel_eintr.h.
#include "ipc/testing/kernel_eintr.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

#include "gtest/gtest.h"
#include "ipc/testing/matchers.h"

namespace ipc::testing {
namespace {

std::atomic<int> g_live_fd{-1};

}  // namespace

KernelEintrs::KernelEintrs() : fd_(::eventfd(0, EFD_CLOEXEC)) {
  g_live_fd = fd_.get();
}

KernelEintrs::~KernelEintrs() { g_live_fd = -1; }

void KernelEintrs::WaitForOne(std::chrono::milliseconds timeout) {
  struct pollfd p = {fd_.get(), POLLIN, 0};
  ASSERT_THAT(::poll(&p, 1, static_cast<int>(timeout.count())),
              SyscallSucceedsWithValue(1))
      << "the kernel never returned EINTR";
  std::uint64_t count = 0;
  ASSERT_THAT(::read(fd_.get(), &count, sizeof count),
              SyscallSucceedsWithValue(sizeof count));
  EXPECT_EQ(count, 1u);
}

void KernelEintrs::Note() {
  int fd = g_live_fd.load();
  if (fd < 0) return;
  int saved = errno;
  std::uint64_t one = 1;
  if (::write(fd, &one, sizeof one) < 0) std::abort();
  errno = saved;
}

}  // namespace ipc::testing
