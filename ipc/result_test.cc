// ipc/result_test.cc — Error formatting and Result<T> access.
#include "ipc/result.h"

#include <gtest/gtest.h>

#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

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

}  // namespace
}  // namespace ipc
