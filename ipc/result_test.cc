// ipc/result_test.cc — Error formatting and Result<T> access.
#include "ipc/result.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;

TEST(Error, MessageNamesOperationContextErrnoAndDetail) {
  Error e(EAGAIN, "msgsnd", "qid=3, 12 bytes", "queue full");
  EXPECT_EQ(
      e.message(),
      "msgsnd(qid=3, 12 bytes): Resource temporarily unavailable (queue full)");
  EXPECT_EQ(e.code(), EAGAIN);
  EXPECT_EQ(e.op(), "msgsnd");
}

TEST(Error, MessageReportsTransferredBytes) {
  Error e = Error(EPIPE, "write", "fd=4, 100 bytes").with_transferred(40);
  EXPECT_EQ(e.transferred(), 40u);
  EXPECT_EQ(e.message(), "write(fd=4, 100 bytes): Broken pipe after 40 bytes");
}

TEST(Error, FromErrnoCapturesErrno) {
  errno = ENOENT;
  Error e = Error::from_errno("open", "/nope");
  EXPECT_EQ(e.code(), ENOENT);
  EXPECT_EQ(e.message(), "open(/nope): No such file or directory");
}

TEST(Result, HoldsValueOrError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = Error(EINVAL, "op");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), EINVAL);
  Status s;
  EXPECT_TRUE(s.ok());
  Status f = Error(EIO, "x");
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.error().code(), EIO);
}

// ipc/testing's PrintTo: failed assertions show the error, not the bytes.
TEST(Result, GoogleTestPrintsTheErrorMessage) {
  Status s = Error(EINTR, "msgrcv", "qid=3");
  EXPECT_EQ(::testing::PrintToString(s),
            "error: msgrcv(qid=3): Interrupted system call");
  EXPECT_EQ(::testing::PrintToString(Status()), "OK");
  EXPECT_EQ(::testing::PrintToString(Result<int>(7)), "OK: 7");
}

// ---- misuse: value() of an error, error() of a value -----------------------

constexpr char kNoMessage[] =
    "ipc::Result: value() of an error: msgrcv(qid=3): No message of desired "
    "type";

// Outside tests (no handler): the message on stderr, then abort. Also what a
// handler that returns gets.
TEST(ResultMisuse, ValueOfAnErrorPrintsTheErrorAndAborts) {
  Result<int> bad = Error(ENOMSG, "msgrcv", "qid=3");
  EXPECT_DEATH(
      {
        set_result_misuse_handler(nullptr);
        (void)*bad;
      },
      "ipc::Result: value\\(\\) of an error: msgrcv\\(qid=3\\): No message "
      "of desired type");
  EXPECT_DEATH(
      {
        set_result_misuse_handler([](const char*, const Error*) {});
        (void)bad.value();
      },
      "value\\(\\) of an error: msgrcv");
  Status fine;
  EXPECT_DEATH(
      {
        set_result_misuse_handler(nullptr);
        (void)fine.error();
      },
      "ipc::Result: error\\(\\) of a value");
  Result<std::string> value = std::string("x");
  EXPECT_DEATH(
      {
        set_result_misuse_handler(nullptr);
        (void)value.error();
      },
      "ipc::Result: error\\(\\) of a value");
}

// In a test (//ipc/testing installs the handler), on the test's thread: an
// exception GoogleTest reports as this test's failure, with the error in it.
TEST(ResultMisuse, InATestValueOfAnErrorIsAnExceptionNamingTheError) {
  Result<int> bad = Error(ENOMSG, "msgrcv", "qid=3");
  try {
    (void)*bad;
    ADD_FAILURE() << "value() of an error returned";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), kNoMessage);
  }
  Status fine;
  EXPECT_THROW((void)fine.error(), std::logic_error);
  EXPECT_THROW((void)std::move(fine).error(), std::logic_error);
  Result<int> good = 1;
  EXPECT_THROW((void)good.error(), std::logic_error);
  EXPECT_EQ(*good, 1);
}

// In a forked child of a test the handler does not throw (the exception
// would unwind into the child's copy of the test): the message, then abort.
TEST(ResultMisuse, InAForkedChildValueOfAnErrorAborts) {
  int err[2];
  ASSERT_THAT(::pipe2(err, O_CLOEXEC), SyscallSucceeds());
  pid_t pid = ::fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    ::dup2(err[1], 2);
    Result<int> bad = Error(ENOMSG, "msgrcv", "qid=3");
    try {
      (void)*bad;
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(4);
  }
  ::close(err[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;)
    out.append(buf, n);
  ::close(err[0]);
  int status = 0;
  ASSERT_THAT(::waitpid(pid, &status, 0), SyscallSucceedsWithValue(pid));
  ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGABRT);
  EXPECT_THAT(out, ::testing::StartsWith(std::string(kNoMessage) + "\n"));
}

}  // namespace
}  // namespace ipc
