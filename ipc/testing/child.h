// ipc/testing/child.h — forked children that check and report like gVisor's
// test/util: a failed check in the child names the expression, the errno and
// the line, and the parent's assertion prints it.
//
//   EXPECT_CHILD_OK(RunInChild([&] {
//     CHILD_SKIP_UNLESS(DropPrivileges(), "cannot become uid 65534");
//     TEST_CHECK_ERRNO(::msgget(key, 0600), EACCES);
//     TEST_CHECK(::msgget(key, 0) == id);
//   }));
//   // on failure: "child exited 1: conformance/sysv_msg_test.cc:401:
//   //   TEST_CHECK_ERRNO(::msgget(key, 0600), EACCES) failed: returned 0"
//
// Checks for the child (async-signal-safe: one write(2), then _exit(1)):
//   TEST_CHECK(cond)               cond holds
//   TEST_CHECK_MSG(cond, "why")    cond holds; the message says what it means
//   TEST_PCHECK(cond)              cond holds; a failure also names errno
//   TEST_CHECK_SUCCESS(call)       call does not fail (-1, or (void*)-1)
//   TEST_CHECK_ERRNO(call, E)      call fails with errno E
//   TEST_FAIL("why")               fails: a line the child must not reach
//   CHILD_SKIP_UNLESS(cond, "why") the child cannot set itself up (privileges,
//                                  a namespace, a sysctl): the test skips
// In the parent:
//   RunInChild(body)               forks, runs body, waits: a ChildResult
//   Child c(body); ... c.wait()    the same, waited for later (killed and
//                                  reaped if never waited for)
//   EXPECT_CHILD_OK(result)        exited 0 (skips if it could not set up)
//   ASSERT_CHILD_OK(result)        the same, returning from the test
//   EXPECT_THAT(r, ChildExitedWith(kSegvExit)), ChildKilledBy(SIGKILL)
//
// A body returns nothing (exit 0) or an int (its exit status, for tests about
// exit statuses). A check that fails outside a forked child aborts the test
// binary with its message: checks belong in children only.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/failure_value.h"

namespace ipc::testing {

// How long a test waits for something that should happen at once (a child's
// exit, a wake-up): only turns a hang on a deviating OS into a failure.
inline constexpr std::chrono::seconds kPatience{30};

// Exit status of a child that could not set itself up (CHILD_SKIP_UNLESS).
inline constexpr int kCannotSetUp = 10;

// How a forked child ended, and what its checks reported.
struct ChildResult {
  int status = -1;         // raw wait status; -1 if not waited for
  bool timed_out = false;  // still running after `patience`: killed
  std::chrono::milliseconds patience{0};
  std::string report;  // what a failed check or skip wrote ("" if none)

  bool ok() const;  // exited 0
  bool exited_with(int code) const;
  bool killed_by(int sig) const;
  // Exited kCannotSetUp: the test skips, `report` says why.
  bool could_not_set_up() const;
  // "exited 1: x.cc:12: TEST_CHECK(n == 3) failed", "killed by signal 9
  // (Killed)", "still running after 30000 ms (killed)".
  std::string describe() const;

  // Transitional, for code still written as `int status = RunInChild(...)`
  // with exit-code legends; removed once every suite uses the checks.
  operator int() const { return status; }  // NOLINT
};
void PrintTo(const ChildResult& r, std::ostream* os);

// "exited 3", "killed by signal 11 (Segmentation fault)", ... of a raw wait
// status.
std::string DescribeWaitStatus(int status);
// The raw wait status says the process exited normally with `code`.
bool ExitedWith(int status, int code);

namespace internal {

// Forks; the child runs `body` and _exits with its result. Returns the pid
// (-1 if fork failed, with a test failure) and the read end of the report
// pipe in *report_fd.
pid_t StartChild(const std::function<int()>& body, int* report_fd);

template <typename F>
std::function<int()> AsExitStatus(F&& body) {
  return [&body]() -> int {
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      body();
      return 0;
    } else {
      return static_cast<int>(body());
    }
  };
}

}  // namespace internal

// A forked child running `body`. wait() reaps it (EINTR retried); if the test
// never waits (a failed assertion), the destructor SIGKILLs and reaps it.
class Child {
 public:
  template <typename F>
  explicit Child(F&& body)
      : pid_(internal::StartChild(internal::AsExitStatus(body), &report_fd_)) {}
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  // Waits at most `patience`; after that the child is killed and the result
  // says timed_out.
  ChildResult wait(std::chrono::milliseconds patience = kPatience);

 private:
  int report_fd_ = -1;
  pid_t pid_;
};

// Forks, runs `body` in the child, and waits for it (at most `patience`).
template <typename F>
ChildResult RunInChild(F&& body,
                       std::chrono::milliseconds patience = kPatience) {
  Child child(body);
  return child.wait(patience);
}

MATCHER_P(ChildExitedWith, code, "exited " + std::to_string(code)) {
  *result_listener << arg.describe();
  return arg.exited_with(code);
}

// (The result itself is printed by PrintTo above.)
MATCHER_P(ChildKilledBy, sig, "killed by signal " + std::to_string(sig)) {
  return arg.killed_by(sig);
}

#define IPCT_CHILD_OK_(fail, ...)                                      \
  switch (0)                                                           \
  case 0:                                                              \
  default:                                                             \
    if (const ::ipc::testing::ChildResult ipct_child_ = (__VA_ARGS__); \
        ipct_child_.ok()) {                                            \
    } else if (ipct_child_.could_not_set_up())                         \
      GTEST_SKIP() << ipct_child_.report;                              \
    else                                                               \
      fail() << "child " << ipct_child_.describe() << "\n"

// The ChildResult exited 0; skips the test if the child could not set itself
// up. More context may follow with <<, on a line of its own.
#define EXPECT_CHILD_OK(...) IPCT_CHILD_OK_(ADD_FAILURE, __VA_ARGS__)
#define ASSERT_CHILD_OK(...) IPCT_CHILD_OK_(GTEST_FAIL, __VA_ARGS__)

// ---- in the child ----------------------------------------------------------

namespace internal {

// Writes "<file>:<line>: <check> failed[: <what>][: returned <value>]
// [: <errno name>]" (for a skip: "<what>[: <errno name>] (<file>:<line>)") to
// the report pipe (stderr in a child not made by RunInChild or Child) and
// _exits with `exit_status`. In the test's main process it aborts instead.
// Async-signal-safe.
struct CheckFailure {
  const char* file;
  int line;
  const char* check;  // the check as written: "TEST_CHECK(n == 3)"
  const char* what = nullptr;
  bool has_value = false;
  long long value = 0;
  bool has_errno = false;
  int err = 0;
  int exit_status = 1;
};
[[noreturn]] void FailCheck(const CheckFailure& f);

}  // namespace internal

#define IPCT_CHECK_FAIL_(...)          \
  ::ipc::testing::internal::FailCheck( \
      ::ipc::testing::internal::CheckFailure{__VA_ARGS__})

#define TEST_CHECK(cond)                                             \
  do {                                                               \
    if (!(cond))                                                     \
      IPCT_CHECK_FAIL_(__FILE__, __LINE__, "TEST_CHECK(" #cond ")"); \
  } while (0)

#define TEST_CHECK_MSG(cond, msg)                                         \
  do {                                                                    \
    if (!(cond))                                                          \
      IPCT_CHECK_FAIL_(__FILE__, __LINE__, "TEST_CHECK(" #cond ")", msg); \
  } while (0)

#define TEST_PCHECK(cond)                                                     \
  do {                                                                        \
    if (!(cond)) {                                                            \
      int ipct_e_ = errno;                                                    \
      IPCT_CHECK_FAIL_(__FILE__, __LINE__, "TEST_PCHECK(" #cond ")", nullptr, \
                       false, 0, true, ipct_e_);                              \
    }                                                                         \
  } while (0)

#define TEST_CHECK_SUCCESS(call)                                            \
  do {                                                                      \
    auto ipct_r_ = (call);                                                  \
    if (::ipc::testing::IsFailureValue(ipct_r_)) {                          \
      int ipct_e_ = errno;                                                  \
      IPCT_CHECK_FAIL_(__FILE__, __LINE__, "TEST_CHECK_SUCCESS(" #call ")", \
                       nullptr, false, 0, true, ipct_e_);                   \
    }                                                                       \
  } while (0)

#define TEST_CHECK_ERRNO(call, e)                                            \
  do {                                                                       \
    errno = 0;                                                               \
    auto ipct_r_ = (call);                                                   \
    int ipct_e_ = errno;                                                     \
    if (!::ipc::testing::IsFailureValue(ipct_r_) || ipct_e_ != (e)) {        \
      IPCT_CHECK_FAIL_(__FILE__, __LINE__,                                   \
                       "TEST_CHECK_ERRNO(" #call ", " #e ")", nullptr, true, \
                       ::ipc::testing::AsNumber(ipct_r_),                    \
                       ::ipc::testing::IsFailureValue(ipct_r_), ipct_e_);    \
    }                                                                        \
  } while (0)

#define TEST_FAIL(msg) IPCT_CHECK_FAIL_(__FILE__, __LINE__, "TEST_FAIL", msg)

#define CHILD_SKIP_UNLESS(cond, msg)                                       \
  do {                                                                     \
    errno = 0;                                                             \
    if (!(cond)) {                                                         \
      int ipct_e_ = errno;                                                 \
      IPCT_CHECK_FAIL_(__FILE__, __LINE__, "CHILD_SKIP_UNLESS(" #cond ")", \
                       msg, false, 0, ipct_e_ != 0, ipct_e_,               \
                       ::ipc::testing::kCannotSetUp);                      \
    }                                                                      \
  } while (0)

// ---- privileges and faults in the child ------------------------------------

// In a forked child: become user/group nobody (65534), because root bypasses
// IPC and file permission checks. False if the kernel refuses (e.g. inside
// Bazel's sandbox, which maps only uid 0): CHILD_SKIP_UNLESS it.
bool DropPrivileges();

// Exit statuses of a child that installed ExitOnFaults().
inline constexpr int kSegvExit = 42;  // the child took SIGSEGV
inline constexpr int kBusExit = 43;   // the child took SIGBUS
// In a forked child: SIGSEGV and SIGBUS end it with kSegvExit / kBusExit, so a
// test can tell which fault a raw access produced.
bool ExitOnFaults();

}  // namespace ipc::testing
