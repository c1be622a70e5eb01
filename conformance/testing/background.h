// conformance/testing/background.h — run a blocking call on another thread,
// see it block in the kernel, and collect its result; wait for a child with a
// bound.
//
//   BackgroundCall reader([&] { return ::read(fd, buf, sizeof buf); });
//   ASSERT_OK(reader.wait_blocked(SYS_read));      // really asleep inside read(2)
//   ::write(w, "x", 1);
//   ASSERT_TRUE(reader.wait_done());                // bounded; false = still blocked
//   EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(1));   // errno restored
//
// Blocking is observed with fault::wait_until_blocked (/proc state), never
// guessed with a sleep. Bounds (kPatience) only turn a hang into a failure.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <thread>

#include "ipc/fd.h"
#include "ipc/result.h"
#include "ipc/testing/child.h"

namespace conformance::testing {

using ::ipc::testing::kPatience;

class BackgroundCall {
 public:
  // Starts `call` (a system call returning -1/errno) on a new thread.
  explicit BackgroundCall(std::function<long()> call);
  // Joins the thread: the test must have let the call finish.
  ~BackgroundCall();
  BackgroundCall(const BackgroundCall&) = delete;
  BackgroundCall& operator=(const BackgroundCall&) = delete;

  pid_t tid() const { return tid_; }
  // OK once the thread sleeps inside system call `nr`; an error if the call
  // returned instead ("returned 5 instead of blocking") or kPatience passed.
  ipc::Status wait_blocked(long nr);
  // True once the call has returned (waits at most `timeout`).
  bool wait_done(std::chrono::milliseconds timeout = kPatience);
  bool done() const { return done_.load(); }
  // The call's return value; sets errno to the call's errno (for the
  // Syscall* matchers). Only after wait_done() returned true.
  long result() const;
  int error() const { return errno_; }

 private:
  std::function<long()> call_;
  ipc::Fd done_event_;  // eventfd, written once when the call returns
  std::atomic<bool> entered_{false};  // set right before the call starts
  std::atomic<bool> done_{false};
  long result_ = 0;
  int errno_ = 0;
  pid_t tid_ = 0;
  std::promise<pid_t> started_;
  std::thread thread_;
};

// Waits for child `pid` for at most `timeout`; the raw wait status, or nullopt
// if it is still running (then the caller decides: kill and reap).
std::optional<int> wait_exit(pid_t pid,
                             std::chrono::milliseconds timeout = kPatience);

// SIGKILLs and reaps `pid` (for cleanup paths).
void kill_and_reap(pid_t pid);

}  // namespace conformance::testing
