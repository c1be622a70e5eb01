// ipc/sysv_shm_test.cc — ShmSegment, ShmAttachment and ShmOwner against the
// real kernel: creation and lookup, IPC_STAT fields, aliasing across
// attachments and processes, IPC_RMID semantics, bounds checks, errors.
#include "ipc/sysv_shm.h"

#include <signal.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

using ::ipc::testing::DropPrivileges;
using ::ipc::testing::ExitedWith;
using ::ipc::testing::ExitOnFaults;
using ::ipc::testing::kBusExit;
using ::ipc::testing::kSegvExit;

using ::ipc::testing::AsString;
using ::ipc::testing::AsWritableBytes;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::MakeFile;
using ::ipc::testing::RunInChild;
using ::ipc::testing::TempDir;
using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();

// Exit codes of children: 0 = all checks passed.

// Matches the error of a call on an id whose segment is gone.
auto FailsAsGone() { return AnyOf(FailsWith(EINVAL), FailsWith(EIDRM)); }

// Reads n bytes at offset through `a`; "<error>" if read() fails.
std::string ReadStr(const ShmAttachment& a, std::size_t offset, std::size_t n) {
  std::string s(n, '?');
  return a.read(offset, AsWritableBytes(s)) ? s : "<error>";
}

key_t MakeKey(const TempDir& dir, const std::string& name) {
  std::string path = MakeFile(dir.file(name));
  key_t key = ::ftok(path.c_str(), 'S');
  EXPECT_NE(key, -1) << "ftok(" << path << "): " << std::strerror(errno);
  return key;
}

// ---- ShmSegment -----------------------------------------------------------

TEST(ShmSegment, CreatePrivateReportsCreationInStat) {
  time_t before = ::time(nullptr);
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(5000));
  ShmOwner owner(seg);
  auto st = ASSERT_OK_AND_VALUE(seg.stat());
  EXPECT_EQ(st.size, 5000u);  // the size asked for, not page-rounded
  EXPECT_EQ(st.nattch, 0u);
  EXPECT_EQ(st.cpid, ::getpid());
  EXPECT_EQ(st.lpid, 0);
  EXPECT_EQ(st.atime, 0);
  EXPECT_EQ(st.dtime, 0);
  EXPECT_GE(st.ctime, before);
  EXPECT_EQ(st.key, IPC_PRIVATE);
  EXPECT_EQ(st.uid, ::geteuid());
  EXPECT_EQ(st.mode, 0600u);
  EXPECT_FALSE(st.marked_for_removal);
}

TEST(ShmSegment, NewSegmentIsZeroFilled) {
  constexpr std::size_t kSize = 3 * 4096 + 5;
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kSize));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  auto bytes = ASSERT_OK_AND_VALUE(at.const_view(0, kSize));
  EXPECT_TRUE(std::all_of(bytes.begin(), bytes.end(),
                          [](std::byte b) { return b == std::byte{0}; }));
}

TEST(ShmSegment, ModeKeepsOnlyPermissionBits) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64, 0640));
  ShmOwner owner(seg);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).mode, 0640u);

  // Flag bits smuggled into `mode` are dropped: IPC_EXCL here must not turn
  // create() into create_exclusive().
  TempDir dir;
  key_t key = MakeKey(dir, "mode");
  auto keyed = ASSERT_OK_AND_VALUE(ShmSegment::create_exclusive(key, 64));
  ShmOwner keyed_owner(keyed);
  auto again =
      ASSERT_OK_AND_VALUE(ShmSegment::create(key, 64, 0600 | IPC_EXCL));
  EXPECT_EQ(again.id(), keyed.id());
}

TEST(ShmSegment, CreateWithKeyIsFoundByOpenAndByCreate) {
  TempDir dir;
  key_t key = MakeKey(dir, "key");
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create(key, 4096));
  ShmOwner owner(seg);
  auto st = ASSERT_OK_AND_VALUE(seg.stat());
  EXPECT_EQ(st.key, key);
  EXPECT_EQ(st.size, 4096u);

  EXPECT_EQ(ASSERT_OK_AND_VALUE(ShmSegment::open(key)).id(), seg.id());
  EXPECT_EQ(ASSERT_OK_AND_VALUE(ShmSegment::create(key, 4096)).id(), seg.id());
  // A smaller size finds the existing segment, whose size does not change.
  EXPECT_EQ(ASSERT_OK_AND_VALUE(ShmSegment::create(key, 100)).id(), seg.id());
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).size, 4096u);
}

TEST(ShmSegment, CreateLargerThanExistingFailsEINVAL) {
  TempDir dir;
  key_t key = MakeKey(dir, "grow");
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_exclusive(key, 4096));
  ShmOwner owner(seg);
  auto r = ShmSegment::create(key, 8192);
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_EQ(r.error().op(), "shmget");
  EXPECT_THAT(r.error().detail(),
              HasSubstr("larger than the existing segment"));
}

TEST(ShmSegment, CreateExclusiveOnExistingKeyFailsEEXIST) {
  TempDir dir;
  key_t key = MakeKey(dir, "excl");
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_exclusive(key, 4096));
  ShmOwner owner(seg);
  auto r = ShmSegment::create_exclusive(key, 4096);
  ASSERT_THAT(r, FailsWith(EEXIST));
  EXPECT_THAT(r.error().message(), HasSubstr("IPC_EXCL"));
  EXPECT_THAT(r.error().message(), HasSubstr("already exists"));
}

TEST(ShmSegment, OpenMissingKeyFailsENOENT) {
  TempDir dir;
  key_t key = MakeKey(dir, "missing");
  auto r = ShmSegment::open(key);
  ASSERT_THAT(r, FailsWith(ENOENT));
  EXPECT_THAT(r.error().message(), HasSubstr("no segment with this key"));
}

TEST(ShmSegment, OpenIpcPrivateFailsEINVAL) {
  auto r = ShmSegment::open(IPC_PRIVATE);
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_THAT(r.error().message(), HasSubstr("IPC_PRIVATE"));
}

TEST(ShmSegment, InvalidSizesFailEINVAL) {
  for (std::size_t size : {std::size_t{0}, kMax}) {
    auto r = ShmSegment::create_private(size);
    if (r.ok()) (void)r->remove();  // never leave a segment behind
    EXPECT_THAT(r, FailsWith(EINVAL)) << "size " << size;
  }
}

TEST(ShmSegment, FromIdWrapsAnIdWithoutChecking) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(321));
  ShmOwner owner(seg);
  ShmSegment same = ShmSegment::from_id(seg.id());
  EXPECT_EQ(same.id(), seg.id());
  EXPECT_EQ(ASSERT_OK_AND_VALUE(same.stat()).size, 321u);
  EXPECT_EQ(ShmSegment::from_id(-1).id(), -1);
  auto r = ShmSegment::from_id(-1).stat();
  EXPECT_THAT(r, FailsWith(EINVAL));
  EXPECT_EQ(r.error().op(), "shmctl(IPC_STAT)");
}

TEST(ShmSegment, RemoveUnattachedDestroysAtOnce) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64));
  ShmOwner owner(seg);
  ASSERT_OK(seg.remove());
  EXPECT_THAT(seg.stat(), FailsAsGone());
  auto again = seg.remove();
  EXPECT_THAT(again, FailsAsGone());
  EXPECT_EQ(again.error().op(), "shmctl(IPC_RMID)");
  owner.release();
}

TEST(ShmSegment, OtherUsersGetPermissionErrors) {
  TempDir dir;
  key_t key = MakeKey(dir, "perm");
  auto seg = ASSERT_OK_AND_VALUE(
      ShmSegment::create_exclusive(key, 4096));  // 0600, root
  ShmOwner owner(seg);
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(DropPrivileges(), "cannot switch to uid 65534");
    auto stat = seg.stat();
    TEST_CHECK(!stat.ok() && stat.error().code() == EACCES);
    auto attach = ShmAttachment::attach(seg, true);
    TEST_CHECK(!attach.ok() && attach.error().code() == EACCES);
    auto rm = seg.remove();
    TEST_CHECK(!rm.ok() && rm.error().code() == EPERM);
    auto create = ShmSegment::create(key, 4096);
    TEST_CHECK(!create.ok() && create.error().code() == EACCES);
    // Looking a key up asks for no permission; using the segment does.
    auto open = ShmSegment::open(key);
    TEST_CHECK(open.ok() && open->id() == seg.id());
  }));
  EXPECT_FALSE(ASSERT_OK_AND_VALUE(seg.stat()).marked_for_removal);
}

// ---- ShmAttachment ---------------------------------------------------------

TEST(ShmAttachment, SizeIsTheSegmentSizeAndBytesRoundTrip) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(4097));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  EXPECT_EQ(at.size(), 4097u);
  EXPECT_FALSE(at.read_only());
  EXPECT_TRUE(at.attached());
  EXPECT_EQ(at.segment_id(), seg.id());
  ASSERT_OK(at.write(4090, as_bytes("abcdefg")));
  EXPECT_EQ(ReadStr(at, 4090, 7), "abcdefg");
  auto view = ASSERT_OK_AND_VALUE(at.view(4090, 7));
  view[0] = std::byte{'X'};
  EXPECT_EQ(ReadStr(at, 4090, 3), "Xbc");
}

TEST(ShmAttachment, TwoAttachmentsAliasAndCountInNattch) {
  time_t before = ::time(nullptr);
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(8192));
  ShmOwner owner(seg);
  auto a = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  {
    auto b = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
    EXPECT_NE(ASSERT_OK_AND_VALUE(a.view(0, 1)).data(),
              ASSERT_OK_AND_VALUE(b.view(0, 1)).data());
    auto st = ASSERT_OK_AND_VALUE(seg.stat());
    EXPECT_EQ(st.nattch, 2u);
    EXPECT_EQ(st.lpid, ::getpid());
    EXPECT_GE(st.atime, before);

    ASSERT_OK(a.write(5000, as_bytes("hello")));
    EXPECT_EQ(ReadStr(b, 5000, 5), "hello");
    ASSERT_OK(b.write(0, as_bytes("back")));
    EXPECT_EQ(ReadStr(a, 0, 4), "back");
  }
  auto st = ASSERT_OK_AND_VALUE(seg.stat());
  EXPECT_EQ(st.nattch, 1u);  // ~ShmAttachment detached b
  EXPECT_GE(st.dtime, before);
}

TEST(ShmAttachment, ForkedChildInheritsAttachmentAndNattchGrows) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(4096));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(at.write(0, as_bytes("parent")));
  int status = RunInChild([&] {
    auto st = seg.stat();
    if (!st.ok() || st->nattch != 2)
      return 1;  // the parent's and the inherited one
    if (ReadStr(at, 0, 6) != "parent") return 2;
    if (!at.write(100, as_bytes("child"))) return 3;
    return 0;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_EQ(ReadStr(at, 100, 5), "child");
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch,
            1u);  // _exit detached the child's
}

TEST(ShmAttachment, ChildAttachingByIdSharesBytes) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(4096));
  ShmOwner owner(seg);
  int id = seg.id();
  int status = RunInChild([id] {
    auto at = ShmAttachment::attach(ShmSegment::from_id(id));
    if (!at.ok()) return 1;
    if (!at->write(4000, as_bytes("from child"))) return 2;
    return 0;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg, true));
  EXPECT_EQ(ReadStr(at, 4000, 10), "from child");
}

TEST(ShmAttachment, RemoveWhileAttachedMarksUntilLastDetach) {
  TempDir dir;
  key_t key = MakeKey(dir, "rmid");
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_exclusive(key, 4096));
  ShmOwner owner(seg);
  auto a = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(a.write(0, as_bytes("kept")));

  ASSERT_OK(owner.remove());
  EXPECT_FALSE(owner.owns());
  auto st = ASSERT_OK_AND_VALUE(seg.stat());
  EXPECT_TRUE(st.marked_for_removal);
  EXPECT_EQ(st.nattch, 1u);
  EXPECT_EQ(st.key, IPC_PRIVATE);  // Linux unlinks the key at IPC_RMID
  EXPECT_THAT(ShmSegment::open(key), FailsWith(ENOENT));

  // Still usable, and (Linux) still attachable by id.
  EXPECT_EQ(ReadStr(a, 0, 4), "kept");
  ASSERT_OK(a.write(4, as_bytes("!")));
  auto b = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  EXPECT_EQ(ReadStr(b, 0, 5), "kept!");
  // A second IPC_RMID does not destroy it early.
  ASSERT_OK(seg.remove());
  ASSERT_OK(b.detach());
  EXPECT_EQ(ReadStr(a, 0, 5), "kept!");
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 1u);

  ASSERT_OK(a.detach());  // the last one: the segment is destroyed now
  EXPECT_THAT(seg.stat(), FailsAsGone());
  EXPECT_THAT(ShmAttachment::attach(seg), FailsAsGone());
}

TEST(ShmAttachment, ViewIsBoundsChecked) {
  constexpr std::size_t kSize = 5000;
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kSize));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  auto all = ASSERT_OK_AND_VALUE(at.view(0, kSize));
  EXPECT_EQ(all.size(), kSize);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(at.view(0, 0)).size(), 0u);
  auto last = ASSERT_OK_AND_VALUE(at.view(kSize - 1, 1));
  EXPECT_EQ(last.data(), all.data() + kSize - 1);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(at.view(kSize, 0)).size(), 0u);

  EXPECT_THAT(at.view(kSize, 1), FailsWith(ERANGE));
  EXPECT_THAT(at.view(0, kSize + 1), FailsWith(ERANGE));
  EXPECT_THAT(at.view(kSize + 1, 0), FailsWith(ERANGE));
  EXPECT_THAT(at.view(kMax, 0), FailsWith(ERANGE));
  EXPECT_THAT(at.view(1, kMax), FailsWith(ERANGE));  // 1 + kMax wraps to 0
  EXPECT_THAT(at.const_view(kSize - 1, 2), FailsWith(ERANGE));

  auto r = at.view(4990, 20);
  ASSERT_THAT(r, FailsWith(ERANGE));
  EXPECT_EQ(r.error().detail(), "[4990, 5010) outside the 5000-byte segment");
  auto wrap = at.view(kMax, 1);
  ASSERT_THAT(wrap, FailsWith(ERANGE));
  EXPECT_EQ(wrap.error().detail(),
            "[18446744073709551615, 18446744073709551615+1) outside the "
            "5000-byte segment");
}

TEST(ShmAttachment, OutOfRangeReadAndWriteTouchNothing) {
  constexpr std::size_t kSize = 100;
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kSize));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  EXPECT_THAT(at.write(kSize - 2, as_bytes("abc")), FailsWith(ERANGE));
  EXPECT_THAT(at.write(kMax, as_bytes("a")), FailsWith(ERANGE));
  EXPECT_EQ(ReadStr(at, kSize - 2, 2), std::string(2, '\0'));

  ASSERT_OK(at.write(kSize - 3, as_bytes("abc")));
  std::string out = "xyz";
  EXPECT_THAT(at.read(kSize - 2, AsWritableBytes(out)), FailsWith(ERANGE));
  EXPECT_THAT(at.read(kMax - 1, AsWritableBytes(out)), FailsWith(ERANGE));
  EXPECT_EQ(out, "xyz");
  EXPECT_EQ(ReadStr(at, kSize - 3, 3), "abc");
}

TEST(ShmAttachment, ReadOnlyAttachmentRefusesWritesWithoutCrashing) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(4096));
  ShmOwner owner(seg);
  auto rw = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  auto ro = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg, /*read_only=*/true));
  EXPECT_TRUE(ro.read_only());
  ASSERT_OK(rw.write(0, as_bytes("data")));
  EXPECT_EQ(ReadStr(ro, 0, 4), "data");
  EXPECT_EQ(AsString(ASSERT_OK_AND_VALUE(ro.const_view(0, 4))), "data");

  auto w = ro.write(0, as_bytes("nope"));
  ASSERT_THAT(w, FailsWith(EACCES));
  EXPECT_THAT(w.error().detail(), HasSubstr("read-only"));
  EXPECT_THAT(ro.view(0, 4), FailsWith(EACCES));
  EXPECT_EQ(ReadStr(rw, 0, 4), "data");
}

TEST(ShmAttachment, RawStoreIntoReadOnlyAttachmentWouldSegfault) {
  // Why write() checks: the same store done by hand kills the process.
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(4096));
  ShmOwner owner(seg);
  auto ro = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg, true));
  auto bytes = ASSERT_OK_AND_VALUE(ro.const_view(0, 1));
  int status = RunInChild([&] {
    if (!ExitOnFaults()) return 2;
    *const_cast<volatile std::byte*>(bytes.data()) = std::byte{1};
    return 1;  // the store went through
  });
  EXPECT_TRUE(ExitedWith(status, kSegvExit)) << DescribeWaitStatus(status);
}

TEST(ShmAttachment, DetachIsExplicitAndReportsErrors) {
  time_t before = ::time(nullptr);
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(4096));
  ShmOwner owner(seg);
  auto a = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(a.detach());
  EXPECT_FALSE(a.attached());
  auto st = ASSERT_OK_AND_VALUE(seg.stat());
  EXPECT_EQ(st.nattch, 0u);
  EXPECT_GE(st.dtime, before);

  auto twice = a.detach();
  ASSERT_THAT(twice, FailsWith(EINVAL));
  EXPECT_THAT(twice.error().detail(), HasSubstr("not attached"));
  std::string out(1, '?');
  EXPECT_THAT(a.view(0, 1), FailsWith(EINVAL));
  EXPECT_THAT(a.const_view(0, 1), FailsWith(EINVAL));
  EXPECT_THAT(a.read(0, AsWritableBytes(out)), FailsWith(EINVAL));
  EXPECT_THAT(a.write(0, as_bytes("x")), FailsWith(EINVAL));

  // shmdt's own error: the address was detached behind the attachment's back.
  auto b = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_EQ(::shmdt(ASSERT_OK_AND_VALUE(b.const_view(0, 1)).data()), 0);
  auto r = b.detach();
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_EQ(r.error().op(), "shmdt");
  EXPECT_EQ(r.error().detail(), "");  // from the kernel, not from our own check
  EXPECT_FALSE(b.attached());
}

TEST(ShmAttachment, AttachToMissingSegmentFails) {
  auto bad = ShmAttachment::attach(ShmSegment::from_id(-1));
  ASSERT_THAT(bad, FailsWith(EINVAL));
  EXPECT_EQ(bad.error().op(), "shmat");
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64));
  ASSERT_OK(seg.remove());
  EXPECT_THAT(ShmAttachment::attach(seg), FailsAsGone());
}

TEST(ShmAttachment, DestructorDetaches) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64));
  ShmOwner owner(seg);
  {
    auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
    EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 1u);
  }
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 0u);
}

TEST(ShmAttachment, MoveTransfersTheAttachment) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64));
  ShmOwner owner(seg);
  auto a = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(a.write(0, as_bytes("moved")));
  ShmAttachment b = std::move(a);
  EXPECT_FALSE(a.attached());  // NOLINT(bugprone-use-after-move): checking the
                               // moved-from state
  EXPECT_EQ(ReadStr(b, 0, 5), "moved");
  EXPECT_EQ(b.size(), 64u);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 1u);

  auto c = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg, true));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 2u);
  c = std::move(b);  // detaches c's own attachment first
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 1u);
  EXPECT_FALSE(c.read_only());
  ASSERT_OK(c.write(0, as_bytes("M")));
  EXPECT_EQ(ReadStr(c, 0, 5), "Moved");
}

// ---- ShmOwner --------------------------------------------------------------

TEST(ShmOwner, DestructorRemovesTheSegment) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64));
  {
    ShmOwner owner(seg);
    EXPECT_TRUE(owner.owns());
    EXPECT_EQ(owner.id(), seg.id());
  }
  EXPECT_THAT(seg.stat(), FailsAsGone());
}

TEST(ShmOwner, ReleaseKeepsTheSegment) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64));
  ShmOwner keeper;  // takes over below so the segment goes in the end
  {
    ShmOwner owner(seg);
    ShmSegment released = owner.release();
    EXPECT_EQ(released.id(), seg.id());
    EXPECT_FALSE(owner.owns());
    EXPECT_EQ(owner.id(), -1);
  }
  keeper = ShmOwner(seg);
  EXPECT_OK(seg.stat());
}

TEST(ShmOwner, MoveAssignmentRemovesThePreviousSegment) {
  auto first = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64));
  auto second = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64));
  ShmOwner a(first);
  ShmOwner b(second);
  a = std::move(b);
  EXPECT_THAT(first.stat(), FailsAsGone());
  EXPECT_OK(second.stat());
  EXPECT_EQ(a.id(), second.id());
  EXPECT_FALSE(b.owns());  // NOLINT(bugprone-use-after-move)
  ShmOwner c(std::move(a));
  EXPECT_FALSE(a.owns());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.id(), second.id());
}

TEST(ShmOwner, RemoveReportsErrors) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(64));
  ShmOwner owner(seg);
  ASSERT_OK(seg.remove());  // behind the owner's back
  EXPECT_THAT(owner.remove(), FailsAsGone());
  EXPECT_FALSE(owner.owns());
  auto none = owner.remove();
  ASSERT_THAT(none, FailsWith(EINVAL));
  EXPECT_THAT(none.error().detail(), HasSubstr("nothing owned"));
}

}  // namespace
}  // namespace ipc
