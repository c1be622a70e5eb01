// ipc/sys_test.cc — the system-call seam: the table starts at libc, a replaced
// entry receives the calls, reset_table() restores every entry, and call names
// round-trip.
#include "ipc/sys.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>

#include "ipc/testing/test_util.h"

namespace ipc::sys {
namespace {

using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;

// Every entry of the live table equals the libc entry (or not): one check per
// call of IPC_SYS_CALLS, so a call added to the list is covered automatically.
std::size_t entries_at_libc() {
  std::size_t n = 0;
#define IPC_SYS_CHECK(name, ret, params, args) \
  n += table().name.load() == libc().name ? 1 : 0;
  IPC_SYS_CALLS(IPC_SYS_CHECK)
#undef IPC_SYS_CHECK
  return n;
}

int g_fake_calls = 0;
int g_fake_fd = -1;
ssize_t fake_read(int fd, void*, size_t n) {
  ++g_fake_calls;
  g_fake_fd = fd;
  return static_cast<ssize_t>(n) + 1000;
}
int fake_close(int) {
  ++g_fake_calls;
  errno = EIO;
  return -1;
}

class SysTest : public ::testing::Test {
 protected:
  void SetUp() override { g_fake_calls = 0; }
  void TearDown() override { reset_table(); }
};

TEST_F(SysTest, EveryEntryStartsAtLibc) {
  EXPECT_EQ(entries_at_libc(), kCallCount);
}

TEST_F(SysTest, LibcEntriesReachTheKernel) {
  int fds[2];
  ASSERT_THAT(libc().pipe2(fds, O_CLOEXEC), SyscallSucceeds());
  EXPECT_THAT(write(fds[1], "abc", 3), SyscallSucceedsWithValue(3));
  char buf[4] = {};
  EXPECT_THAT(read(fds[0], buf, sizeof buf), SyscallSucceedsWithValue(3));
  EXPECT_STREQ(buf, "abc");
  EXPECT_THAT(close(fds[0]), SyscallSucceeds());
  EXPECT_THAT(libc().close(fds[1]), SyscallSucceeds());
}

TEST_F(SysTest, ReplacingAnEntryRoutesCallsToIt) {
  table().read.store(&fake_read);
  char buf[7];
  EXPECT_EQ(read(42, buf, sizeof buf), 1007);
  EXPECT_EQ(g_fake_calls, 1);
  EXPECT_EQ(g_fake_fd, 42);
  // Other entries are untouched.
  EXPECT_EQ(entries_at_libc(), kCallCount - 1);
  EXPECT_EQ(table().write.load(), libc().write);
}

TEST_F(SysTest, ReplacedEntriesKeepLibcErrnoConvention) {
  table().close.store(&fake_close);
  errno = 0;
  EXPECT_EQ(close(-1), -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_EQ(g_fake_calls, 1);
}

TEST_F(SysTest, ResetTableRestoresEveryEntry) {
  table().read.store(&fake_read);
  table().close.store(&fake_close);
  ASSERT_EQ(entries_at_libc(), kCallCount - 2);
  reset_table();
  EXPECT_EQ(entries_at_libc(), kCallCount);
  // And calls reach the kernel again.
  int fds[2];
  ASSERT_THAT(::pipe2(fds, O_CLOEXEC), SyscallSucceeds());
  ASSERT_THAT(::write(fds[1], "x", 1), SyscallSucceeds());
  char c = 0;
  EXPECT_THAT(read(fds[0], &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'x');
  EXPECT_THAT(close(fds[0]), SyscallSucceeds());
  EXPECT_THAT(close(fds[1]), SyscallSucceeds());
  EXPECT_EQ(g_fake_calls, 0);
}

TEST_F(SysTest, CallNamesRoundTripForEveryCall) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < kCallCount; ++i) {
    const char* name = call_name(static_cast<Call>(i));
    ASSERT_NE(name, nullptr) << i;
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    Call back = Call::eventfd;
    ASSERT_TRUE(call_from_name(name, &back)) << name;
    EXPECT_EQ(static_cast<std::size_t>(back), i) << name;
  }
  EXPECT_EQ(seen.size(), kCallCount);
}

TEST_F(SysTest, CallNamesMatchTheListInOrder) {
  std::size_t i = 0;
#define IPC_SYS_NAME_CHECK(name, ret, params, args) \
  EXPECT_STREQ(call_name(Call::name), #name);       \
  EXPECT_EQ(static_cast<std::size_t>(Call::name), i++) << #name;
  IPC_SYS_CALLS(IPC_SYS_NAME_CHECK)
#undef IPC_SYS_NAME_CHECK
  EXPECT_EQ(i, kCallCount);
}

TEST_F(SysTest, UnknownCallsAreRejected) {
  EXPECT_EQ(call_name(static_cast<Call>(kCallCount)), nullptr);
  EXPECT_EQ(call_name(static_cast<Call>(-1)), nullptr);
  Call out = Call::read;
  EXPECT_FALSE(call_from_name("no_such_call", &out));
  EXPECT_FALSE(call_from_name("", &out));
  EXPECT_FALSE(call_from_name("READ", &out));  // names are exact
  EXPECT_FALSE(call_from_name("rea", &out));   // not a prefix match
  EXPECT_EQ(out, Call::read);                  // untouched on failure
}

}  // namespace
}  // namespace ipc::sys
