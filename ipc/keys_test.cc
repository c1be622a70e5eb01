// ipc/keys_test.cc — ftok keys and the free-key search, on real files and
// queues.
#include "ipc/keys.h"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "ipc/sys.h"
#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

using ::ipc::testing::FailsWith;
using ::ipc::testing::MakeFile;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;

// Removes a message queue id on destruction (test cleanup on every path).
struct RemoveQueue {
  int id = -1;
  ~RemoveQueue() {
    if (id >= 0) ::msgctl(id, IPC_RMID, nullptr);
  }
};

// The create_exclusive a real caller would pass: a message queue, 0600.
Result<int> create_queue_exclusive(key_t key) {
  int id = sys::msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) return Error::from_errno("msgget", key_to_string(key));
  return id;
}

bool queue_exists(int id) {
  struct msqid_ds ds;
  return ::msgctl(id, IPC_STAT, &ds) == 0;
}

// Seam interceptors and their counters.
std::atomic<int> g_calls{0};

key_t ftok_counting(const char* path, int proj_id) {
  ++g_calls;
  return sys::libc().ftok(path, proj_id);
}
key_t ftok_minus_one_errno_untouched(const char*, int) { return -1; }
key_t ftok_fails_eio(const char*, int) {
  errno = EIO;
  return -1;
}
int msgget_fails_enospc(key_t, int) {
  ++g_calls;
  errno = ENOSPC;
  return -1;
}

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override { g_calls = 0; }
  void TearDown() override { sys::reset_table(); }

  TempDir dir_;
  std::string path_ = MakeFile(dir_.file("anchor"));
};

// ---- make_key --------------------------------------------------------------

TEST_F(KeysTest, SameFileAndIdGiveTheSameKeyAsFtok) {
  auto a = make_key(path_, 7);
  auto b = make_key(path_, 7);
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, ::ftok(path_.c_str(), 7));
  EXPECT_NE(*a, IPC_PRIVATE);
}

TEST_F(KeysTest, DifferentIdsGiveDifferentKeys) {
  auto k1 = make_key(path_, 1);
  auto k2 = make_key(path_, 2);
  auto k255 = make_key(path_, 255);
  ASSERT_TRUE(k1.ok() && k2.ok() && k255.ok());
  EXPECT_NE(*k1, *k2);
  EXPECT_NE(*k1, *k255);
  EXPECT_EQ(*k255, ::ftok(path_.c_str(), 255));
}

TEST_F(KeysTest, HardLinkAndOtherSpellingsGiveTheSameKey) {
  std::string link = dir_.file("link");
  ASSERT_THAT(::link(path_.c_str(), link.c_str()), SyscallSucceeds());
  auto original = make_key(path_, 3);
  auto linked = make_key(link, 3);
  auto dotted = make_key(dir_.path() + "/./anchor", 3);
  ASSERT_TRUE(original.ok() && linked.ok() && dotted.ok());
  EXPECT_EQ(*original, *linked);
  EXPECT_EQ(*original, *dotted);
}

TEST_F(KeysTest, ProjIdZeroIsRejectedWithoutCallingFtok) {
  sys::table().ftok.store(&ftok_counting);
  auto k = make_key(path_, 0);
  ASSERT_THAT(k, FailsWith(EINVAL));
  EXPECT_EQ(k.error().detail(), "proj_id 0 is undefined behaviour");
  EXPECT_THAT(k.error().message(), HasSubstr(path_));
  EXPECT_EQ(g_calls.load(), 0);
}

TEST_F(KeysTest, ProjIdsOutside8BitsAreRejected) {
  sys::table().ftok.store(&ftok_counting);
  for (int id : {256, 257, -1, 0x10001}) {
    auto k = make_key(path_, id);
    ASSERT_THAT(k, FailsWith(EINVAL)) << id;
    EXPECT_THAT(k.error().detail(), HasSubstr("low 8 bits")) << id;
    EXPECT_THAT(k.error().context(),
                HasSubstr("proj_id=" + std::to_string(id)));
  }
  EXPECT_EQ(g_calls.load(), 0);
  // The reason: ftok itself would treat 256 like 0 and 257 like 1.
  EXPECT_EQ(::ftok(path_.c_str(), 257), ::ftok(path_.c_str(), 1));
}

TEST_F(KeysTest, MissingPathIsEnoentNamingThePath) {
  std::string missing = dir_.file("missing");
  auto k = make_key(missing, 1);
  ASSERT_THAT(k, FailsWith(ENOENT));
  EXPECT_EQ(k.error().op(), "ftok");
  EXPECT_THAT(k.error().message(), HasSubstr(missing));
}

TEST_F(KeysTest, UnreadableDirectoryIsEaccesForAnUnprivilegedUser) {
  // TempDir is 0700 and owned by root: user 65534 cannot stat inside it.
  std::string path = path_;
  int status = RunInChild([&] {
    if (::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0)
      return 77;
    auto k = make_key(path, 1);
    if (k.ok()) return 1;
    if (k.error().code() != EACCES) return 2;
    if (k.error().message().find(path) == std::string::npos) return 3;
    return 0;
  });
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
    GTEST_SKIP() << "cannot drop privileges";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << ::ipc::testing::DescribeWaitStatus(status);
}

TEST_F(KeysTest, MinusOneWithoutErrnoIsAValidKey) {
  // 0xffffffff is a possible ftok result (id 255, all-ones device and inode
  // bits).
  sys::table().ftok.store(&ftok_minus_one_errno_untouched);
  errno = EBADF;  // stale errno from an earlier call must not turn it into a
                  // failure
  auto k = make_key(path_, 255);
  ASSERT_TRUE(k.ok()) << k.error().message();
  EXPECT_EQ(*k, static_cast<key_t>(-1));
}

TEST_F(KeysTest, FtokFailureFromTheSeamIsReported) {
  sys::table().ftok.store(&ftok_fails_eio);
  auto k = make_key(path_, 1);
  ASSERT_THAT(k, FailsWith(EIO));
  EXPECT_THAT(k.error().context(), HasSubstr(path_));
}

// ---- key_to_string ---------------------------------------------------------

TEST_F(KeysTest, KeyToStringIsZeroPaddedHex) {
  EXPECT_EQ(key_to_string(0x1234), "0x00001234");
  EXPECT_EQ(key_to_string(IPC_PRIVATE), "0x00000000");
  EXPECT_EQ(key_to_string(static_cast<key_t>(0xdeadbeef)), "0xdeadbeef");
  EXPECT_EQ(key_to_string(-1), "0xffffffff");
}

// ---- create_with_free_key --------------------------------------------------

TEST_F(KeysTest, FreeKeyUsesTheFirstProjIdWhenFree) {
  auto got = create_with_free_key(path_, 5, create_queue_exclusive);
  ASSERT_TRUE(got.ok()) << got.error().message();
  RemoveQueue cleanup{got->id};
  EXPECT_EQ(got->proj_id, 5);
  EXPECT_EQ(got->key, ::ftok(path_.c_str(), 5));
  EXPECT_EQ(::msgget(got->key, 0), got->id);
}

TEST_F(KeysTest, FreeKeySkipsAKeyAlreadyTaken) {
  int taken = ::msgget(::ftok(path_.c_str(), 1), IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(taken, SyscallSucceeds());
  RemoveQueue cleanup_taken{taken};

  auto got = create_with_free_key(path_, 1, create_queue_exclusive);
  ASSERT_TRUE(got.ok()) << got.error().message();
  RemoveQueue cleanup{got->id};
  EXPECT_EQ(got->proj_id, 2);
  EXPECT_EQ(got->key, ::ftok(path_.c_str(), 2));
  EXPECT_NE(got->id, taken);
  EXPECT_TRUE(queue_exists(got->id));
  EXPECT_EQ(::msgget(got->key, 0), got->id);
}

TEST_F(KeysTest, FreeKeyReportsWhenEveryIdIsTaken) {
  std::vector<key_t> seen;
  auto always_taken = [&](key_t key) -> Result<int> {
    seen.push_back(key);
    return Error(EEXIST, "msgget", key_to_string(key));
  };
  auto got = create_with_free_key(path_, 250, always_taken);
  ASSERT_THAT(got, FailsWith(EEXIST));
  EXPECT_EQ(got.error().detail(), "every proj_id from 250 to 255 is taken");
  ASSERT_EQ(seen.size(), 6u);  // 250..255, in order
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(seen[i], ::ftok(path_.c_str(), 250 + i)) << i;
}

TEST_F(KeysTest, FreeKeyWithRealQueuesWhenTheLastIdIsTaken) {
  int taken = ::msgget(::ftok(path_.c_str(), 255), IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(taken, SyscallSucceeds());
  RemoveQueue cleanup_taken{taken};
  auto got = create_with_free_key(path_, 255, create_queue_exclusive);
  ASSERT_THAT(got, FailsWith(EEXIST));
  EXPECT_EQ(got.error().detail(), "every proj_id from 255 to 255 is taken");
  EXPECT_THAT(got.error().message(), HasSubstr(path_));
}

TEST_F(KeysTest, FreeKeyReturnsOtherErrorsAtOnce) {
  sys::table().msgget.store(&msgget_fails_enospc);
  auto got = create_with_free_key(path_, 1, create_queue_exclusive);
  ASSERT_THAT(got, FailsWith(ENOSPC));
  EXPECT_EQ(g_calls.load(), 1);
}

TEST_F(KeysTest, FreeKeyRejectsBadFirstIdWithoutTrying) {
  int calls = 0;
  auto count = [&](key_t) -> Result<int> {
    ++calls;
    return 0;
  };
  auto zero = create_with_free_key(path_, 0, count);
  ASSERT_THAT(zero, FailsWith(EINVAL));
  EXPECT_EQ(zero.error().detail(), "proj_id 0 is undefined behaviour");
  auto big = create_with_free_key(path_, 256, count);
  ASSERT_THAT(big, FailsWith(EINVAL));
  EXPECT_THAT(big.error().detail(), HasSubstr("low 8 bits"));
  EXPECT_EQ(calls, 0);
}

TEST_F(KeysTest, FreeKeyReturnsFtokErrorsWithoutTrying) {
  int calls = 0;
  auto count = [&](key_t) -> Result<int> {
    ++calls;
    return 0;
  };
  std::string missing = dir_.file("missing");
  auto got = create_with_free_key(missing, 1, count);
  ASSERT_THAT(got, FailsWith(ENOENT));
  EXPECT_THAT(got.error().message(), HasSubstr(missing));
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace ipc
