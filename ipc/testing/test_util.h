// ipc/testing/test_util.h — helpers for tests that talk to the real kernel.
//
//   EXPECT_THAT(msgget(k, 0), SyscallFailsWithErrno(ENOENT));
//   ASSERT_OK(status);  auto q = ASSERT_OK_AND_VALUE(MessageQueue::create_private());
//   TempDir dir;  std::string p = dir.path() + "/fifo";
//   int status = RunInChild([&] { ...; return 0; });   // fork, _exit(code), waitpid
//
// Shared RAII helpers (one copy here instead of one per test file):
//   RawPipe p(O_NONBLOCK);         // pipe2(O_CLOEXEC | flags) into p.read / p.write
//   Worker w([&] { read(...); });  // a thread; w.tid() for fault/blocked.h; joins
//   Child c([&] { ...; return 0; });  int status = c.wait();  // fork; dtor SIGKILLs + reaps
//   CountingHandler h(SIGUSR1);    // counting handler, no SA_RESTART; h.count(); restored
//   IgnoreSignal ignore(SIGPIPE);  // SIG_IGN for the object's lifetime (writes get EPIPE)
//   PipeReader r;  interrupt_when_blocked(0, r.tid(), ...);  r.join();  r.result()  // one blocked read
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <ostream>
#include <future>
#include <string>
#include <thread>
#include <type_traits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/result.h"

namespace ipc {

// How GoogleTest prints a Result in a failed assertion: the error message
// ("msgrcv(qid=3): Interrupted system call") instead of the object's bytes.
template <typename T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  if (!r.ok()) {
    *os << "error: " << r.error().message();
  } else if constexpr (std::is_void_v<T>) {
    *os << "OK";
  } else {
    *os << "OK: " << ::testing::PrintToString(r.value());
  }
}

}  // namespace ipc

namespace ipc::testing {

// ---- syscall matchers (the -1/errno convention) ---------------------------
// They read errno at the time of matching, so use them directly on the call:
// EXPECT_THAT(call(...), SyscallSucceeds()).

MATCHER(SyscallSucceeds, "succeeds") {
  int e = errno;
  if (arg == static_cast<decltype(arg)>(-1)) {
    *result_listener << "failed with errno " << e << " (" << std::strerror(e) << ")";
    return false;
  }
  return true;
}

MATCHER_P(SyscallSucceedsWithValue, value, "succeeds with value " + ::testing::PrintToString(value)) {
  int e = errno;
  if (arg == static_cast<decltype(arg)>(-1)) {
    *result_listener << "failed with errno " << e << " (" << std::strerror(e) << ")";
    return false;
  }
  if (arg != static_cast<decltype(arg)>(value)) {
    *result_listener << "returned " << arg;
    return false;
  }
  return true;
}

MATCHER_P(SyscallFailsWithErrno, expected,
          std::string("fails with errno ") + std::to_string(expected) + " (" +
              std::strerror(expected) + ")") {
  int e = errno;
  if (arg != static_cast<decltype(arg)>(-1)) {
    *result_listener << "succeeded with " << arg;
    return false;
  }
  if (e != expected) {
    *result_listener << "failed with errno " << e << " (" << std::strerror(e) << ")";
    return false;
  }
  return true;
}

// ---- Result matchers -------------------------------------------------------

MATCHER(IsOk, "is ok") {
  if (arg.ok()) return true;
  *result_listener << arg.error().message();
  return false;
}

MATCHER_P(FailsWith, code,
          std::string("fails with errno ") + std::to_string(code) + " (" + std::strerror(code) +
              ")") {
  if (arg.ok()) {
    *result_listener << "succeeded";
    return false;
  }
  *result_listener << arg.error().message();
  return arg.error().code() == code;
}

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::ipc::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::ipc::testing::IsOk())

// Evaluates a Result<T> expression, fails the test (returning from the test
// body) if it is an error, and yields the value.
#define ASSERT_OK_AND_VALUE(expr)                                        \
  ({                                                                     \
    auto ipct_result_ = (expr);                                          \
    ASSERT_TRUE(ipct_result_.ok()) << ipct_result_.error().message();    \
    std::move(ipct_result_).value();                                     \
  })

// ---- the filesystem and names ---------------------------------------------

// A private directory, removed recursively on destruction. Under Bazel it is
// created inside $TEST_TMPDIR, elsewhere inside $TMPDIR or /tmp.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A name unique to this process and call: "ipct-<pid>-<random>-<n>-<tag>".
// Use it for POSIX shm names ("/" + UniqueName(..)) and anything else that
// lives in a namespace shared with other programs (/dev/shm is shared even
// between Bazel's sandboxes, whose PID namespaces reuse the same pids).
std::string UniqueName(const std::string& tag);
// The part every UniqueName of this process starts with: "ipct-<pid>-<random>-".
const std::string& UniqueNamePrefix();

// Creates an empty regular file (for ftok keys) and returns its path.
std::string MakeFile(const std::string& path);

// ---- processes -------------------------------------------------------------

// Forks; the child runs `body` and leaves with _exit(body()) (no atexit
// handlers, no GoogleTest state). Returns the raw wait status from waitpid.
// In the child, report failures through the exit code, not EXPECT_*.
int RunInChild(const std::function<int()>& body);

// "exited 3", "killed by signal 11 (Segmentation fault)", ...
std::string DescribeWaitStatus(int status);

// A forked child running `body`, which leaves with _exit(body()). wait()
// returns the raw wait status (retrying EINTR); if the test never waits (a
// failed assertion), the destructor SIGKILLs and reaps the child.
class Child {
 public:
  explicit Child(const std::function<int()>& body);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  int wait();

 private:
  pid_t pid_;
};

// Runs `body` on a thread; tid() is its kernel thread id (known before the
// constructor returns), for fault::wait_until_blocked / interrupt_when_blocked.
// Joins on destruction.
class Worker {
 public:
  explicit Worker(std::function<void()> body);
  ~Worker() { join(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  pid_t tid() const { return tid_value_; }
  void join();

 private:
  std::promise<pid_t> tid_;
  std::thread thread_;
  pid_t tid_value_;
};

// ---- pipes and signals -----------------------------------------------------

// An anonymous pipe made with pipe2(O_CLOEXEC | flags); EXPECTs success.
struct RawPipe {
  explicit RawPipe(int flags = 0);
  Fd read;
  Fd write;
};

// Installs a handler for `sig` that counts deliveries, with sa_flags = `flags`
// (by default no SA_RESTART, so a blocked call fails with EINTR), and restores
// the previous action on destruction. count() is the number of deliveries of
// `sig` since construction (the counter is per signal, reset here).
class CountingHandler {
 public:
  explicit CountingHandler(int sig = SIGUSR1, int flags = 0);
  ~CountingHandler();
  CountingHandler(const CountingHandler&) = delete;
  CountingHandler& operator=(const CountingHandler&) = delete;
  int count() const;

 private:
  int sig_;
  struct sigaction old_ = {};
};

// Sets `sig` to SIG_IGN for the lifetime of the object (e.g. SIGPIPE, so that
// writes to a pipe without readers fail with EPIPE), then restores it.
class IgnoreSignal {
 public:
  explicit IgnoreSignal(int sig);
  ~IgnoreSignal();
  IgnoreSignal(const IgnoreSignal&) = delete;
  IgnoreSignal& operator=(const IgnoreSignal&) = delete;

 private:
  int sig_;
  struct sigaction old_ = {};
};

// ---- children that must not be root, or that expect a fault ---------------

// In a forked child: become user/group nobody (65534), because root bypasses
// IPC and file permission checks. False if the kernel refuses (e.g. inside
// Bazel's sandbox, which maps only uid 0): the caller skips.
bool DropPrivileges();

// Exit codes of a child that installed ExitOnFaults().
inline constexpr int kSegvExit = 42;  // the child took SIGSEGV
inline constexpr int kBusExit = 43;   // the child took SIGBUS
// In a forked child: SIGSEGV and SIGBUS end it with kSegvExit / kBusExit, so a
// test can tell which fault a raw access produced.
bool ExitOnFaults();
// The wait status says the child exited normally with `code`.
bool ExitedWith(int status, int code);

// A thread that makes one blocking read(2) (up to 64 bytes) on its own pipe
// and keeps the result: the target of signal-into-blocked-call tests. tid() is
// known when the constructor returns. The destructor closes the write end
// (EOF) before joining, so a failed assertion never leaves a test hanging.
class PipeReader {
 public:
  PipeReader();
  ~PipeReader();
  PipeReader(const PipeReader&) = delete;
  PipeReader& operator=(const PipeReader&) = delete;

  pid_t tid() const { return tid_; }
  // Writes to the pipe the thread reads from.
  ssize_t write(const char* data, std::size_t n);
  // Joins; then result(), error() and data() are valid.
  void join();
  ssize_t result() const { return result_; }
  int error() const { return errno_; }
  std::string data() const { return std::string(buf_, result_ > 0 ? result_ : 0); }

 private:
  RawPipe pipe_;
  std::thread thread_;
  pid_t tid_ = 0;
  ssize_t result_ = 0;
  int errno_ = 0;
  char buf_[64] = {};
};

}  // namespace ipc::testing
