// ipc/posix_shm_test.cc — PosixShm, SharedMapping and ShmNameOwner against the
// real kernel: names, flags and modes, file-style random access, coherence with
// mappings, unlink semantics, and a peer shrinking a mapped object. Retry loops
// and rare errors are driven through the ipc::sys seam.
#include "ipc/posix_shm.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/sys.h"
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
using ::ipc::testing::RunInChild;
using ::ipc::testing::UniqueName;
using ::testing::HasSubstr;

constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();

const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

// "/" + UniqueName + a random token. UniqueName alone is not enough under
// Bazel: linux-sandbox runs each test in its own PID namespace, so concurrent
// runs (--runs_per_test, other tests) share a pid, while /dev/shm is shared.
std::string NewName(const std::string& tag) {
  static const std::string token = [] {
    std::random_device rd;
    char buf[20];
    std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
    return std::string(buf);
  }();
  return "/" + UniqueName(token + "-" + tag);
}

// n bytes at offset through pread; "<error>" if read_at fails.
std::string ReadAt(const PosixShm& shm, std::size_t offset, std::size_t n) {
  std::string s(n, '?');
  auto r = shm.read_at(offset, AsWritableBytes(s));
  if (!r.ok()) return "<error>";
  s.resize(*r);
  return s;
}

// n bytes at offset through a mapping; "<error>" if read fails.
std::string MapRead(const SharedMapping& m, const PosixShm& shm,
                    std::size_t offset, std::size_t n) {
  std::string s(n, '?');
  return m.read(shm, offset, AsWritableBytes(s)) ? s : "<error>";
}

mode_t CurrentUmask() {
  mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

bool Exists(const std::string& name) {
  return ::access(("/dev/shm" + name).c_str(), F_OK) == 0;
}

// ---- seam interceptors ----------------------------------------------------
// Installed in sys::table() for one test; SeamGuard puts libc back.

struct SeamGuard {
  SeamGuard() { calls = 0; }
  ~SeamGuard() { sys::reset_table(); }
  static inline std::atomic<int> calls{0};
};

// Every other call fails EINTR; the others move at most 3 bytes.
ssize_t ChoppyPread(int fd, void* buf, size_t n, off_t off) {
  if (SeamGuard::calls++ % 2 == 0) {
    errno = EINTR;
    return -1;
  }
  return sys::libc().pread(fd, buf, std::min<size_t>(n, 3), off);
}
ssize_t ChoppyPwrite(int fd, const void* buf, size_t n, off_t off) {
  if (SeamGuard::calls++ % 2 == 0) {
    errno = EINTR;
    return -1;
  }
  return sys::libc().pwrite(fd, buf, std::min<size_t>(n, 3), off);
}
// The first call moves 3 bytes, the next fails EIO (pread) or returns 0
// (pwrite).
ssize_t FailingPread(int fd, void* buf, size_t n, off_t off) {
  if (SeamGuard::calls++ == 0)
    return sys::libc().pread(fd, buf, std::min<size_t>(n, 3), off);
  errno = EIO;
  return -1;
}
ssize_t StallingPwrite(int fd, const void* buf, size_t n, off_t off) {
  if (SeamGuard::calls++ == 0)
    return sys::libc().pwrite(fd, buf, std::min<size_t>(n, 3), off);
  return 0;
}
ssize_t FailingPwrite(int, const void*, size_t, off_t) {
  SeamGuard::calls++;
  errno = ENOSPC;
  return -1;
}
// The first read(2) fails EINTR.
ssize_t InterruptedRead(int fd, void* buf, size_t n) {
  if (SeamGuard::calls++ == 0) {
    errno = EINTR;
    return -1;
  }
  return sys::libc().read(fd, buf, n);
}
int FailingFstat(int, struct stat*) {
  SeamGuard::calls++;
  errno = EIO;
  return -1;
}
// Unmaps for real (nothing leaks) but reports a failure.
int FailingMunmap(void* addr, size_t len) {
  SeamGuard::calls++;
  sys::libc().munmap(addr, len);
  errno = EINVAL;
  return -1;
}
std::atomic<int> g_shm_open_flags{0};
int CountingShmOpen(const char* name, int flags, mode_t mode) {
  SeamGuard::calls++;
  g_shm_open_flags = flags;
  return sys::libc().shm_open(name, flags, mode);
}
int CountingShmUnlink(const char* name) {
  SeamGuard::calls++;
  return sys::libc().shm_unlink(name);
}

// ---- PosixShm: opening and names -------------------------------------------

TEST(PosixShm, OpenCreatesEmptyOwnerOnlyCloexecObject) {
  std::string name = NewName("create");
  ShmNameOwner owner(name);
  SeamGuard guard;
  sys::table().shm_open.store(&CountingShmOpen);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  // glibc adds O_CLOEXEC itself, so check what we ask for as well as the
  // result.
  EXPECT_EQ(g_shm_open_flags.load(), O_RDWR | O_CREAT | O_CLOEXEC);
  EXPECT_EQ(shm.name(), name);
  EXPECT_FALSE(shm.read_only());
  EXPECT_TRUE(Exists(name));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.size()), 0u);

  int fd_flags = ::fcntl(shm.fd(), F_GETFD);
  ASSERT_NE(fd_flags, -1);
  EXPECT_TRUE(fd_flags & FD_CLOEXEC);
  EXPECT_EQ(::fcntl(shm.fd(), F_GETFL) & O_ACCMODE, O_RDWR);

  struct stat st;
  ASSERT_EQ(::fstat(shm.fd(), &st), 0);
  // The umask can only remove bits: nothing beyond 0600 may appear.
  EXPECT_EQ(st.st_mode & 07777, 0600u & ~CurrentUmask());
  EXPECT_EQ(st.st_uid, ::geteuid());
}

TEST(PosixShm, ModeKeepsOnlyPermissionBits) {
  std::string name = NewName("mode");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(
      PosixShm::open(name, {.mode = 04640}));  // no set-uid bit
  struct stat st;
  ASSERT_EQ(::fstat(shm.fd(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u & ~CurrentUmask());
}

TEST(PosixShm, OpenExistingSharesTheObject) {
  std::string name = NewName("share");
  ShmNameOwner owner(name);
  auto a = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  auto b = ASSERT_OK_AND_VALUE(PosixShm::open(name, {.create = false}));
  auto ro = ASSERT_OK_AND_VALUE(
      PosixShm::open(name, {.create = false, .read_only = true}));
  EXPECT_TRUE(ro.read_only());
  EXPECT_EQ(::fcntl(ro.fd(), F_GETFL) & O_ACCMODE, O_RDONLY);
  ASSERT_OK(a.write_at(0, as_bytes("shared")));
  EXPECT_EQ(ReadAt(b, 0, 6), "shared");
  EXPECT_EQ(ReadAt(ro, 0, 6), "shared");

  // Another process finds it by name alone.
  int status = RunInChild([&] {
    auto peer = PosixShm::open(name, {.create = false});
    if (!peer.ok()) return 1;
    if (ReadAt(*peer, 0, 6) != "shared") return 2;
    return peer->write_at(6, as_bytes("!")).ok() ? 0 : 3;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_EQ(ReadAt(a, 0, 7), "shared!");
}

TEST(PosixShm, ExclusiveOnExistingNameFailsEEXIST) {
  std::string name = NewName("excl");
  ShmNameOwner owner(name);
  ASSERT_OK(PosixShm::open(name, {.exclusive = true}));
  auto r = PosixShm::open(name, {.exclusive = true});
  ASSERT_THAT(r, FailsWith(EEXIST));
  EXPECT_EQ(r.error().op(), "shm_open");
  EXPECT_THAT(r.error().message(),
              HasSubstr("O_RDWR|O_CREAT|O_EXCL, mode 0600"));
  EXPECT_THAT(r.error().detail(), HasSubstr("exists"));
}

TEST(PosixShm, OpenMissingWithoutCreateFailsENOENT) {
  std::string name = NewName("missing");
  ShmNameOwner owner(name);  // in case a broken open creates it
  auto r = PosixShm::open(name, {.create = false});
  ASSERT_THAT(r, FailsWith(ENOENT));
  EXPECT_THAT(r.error().detail(), HasSubstr("no object"));
  EXPECT_THAT(PosixShm::open(name, {.create = false, .read_only = true}),
              FailsWith(ENOENT));
  EXPECT_FALSE(Exists(name));
}

TEST(PosixShm, ExclusiveWithoutCreateFailsEINVAL) {
  std::string name = NewName("exclnocreate");
  ShmNameOwner owner(name);
  auto r = PosixShm::open(name, {.create = false, .exclusive = true});
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_THAT(r.error().detail(), HasSubstr("exclusive requires create"));
  EXPECT_FALSE(Exists(name));
}

TEST(PosixShm, BadNamesFailEINVALBeforeAnySystemCall) {
  SeamGuard guard;
  sys::table().shm_open.store(&CountingShmOpen);
  sys::table().shm_unlink.store(&CountingShmUnlink);
  struct Case {
    std::string name;
    const char* detail;
  };
  const Case cases[] = {
      {"", "empty"},
      {"noslash", "must start with '/'"},
      {"/", "nothing after"},
      {"/a/b", "no '/' after the first"},
      {"//a", "no '/' after the first"},
      {std::string("/a\0b", 4), "NUL"},
      {"/" + std::string(NAME_MAX + 1, 'x'), "NAME_MAX"},
  };
  for (const Case& c : cases) {
    auto r = PosixShm::open(c.name);
    ASSERT_THAT(r, FailsWith(EINVAL)) << "name \"" << c.name << "\"";
    EXPECT_THAT(r.error().detail(), HasSubstr(c.detail))
        << "name \"" << c.name << "\"";
    auto u = PosixShm::unlink(c.name);
    ASSERT_THAT(u, FailsWith(EINVAL)) << "name \"" << c.name << "\"";
    EXPECT_THAT(u.error().detail(), HasSubstr(c.detail));
  }
  EXPECT_EQ(SeamGuard::calls.load(), 0);

  // NAME_MAX bytes after the slash is still a valid name.
  std::string longest = NewName("") + std::string(NAME_MAX, 'y');
  longest.resize(NAME_MAX + 1);
  ShmNameOwner owner(longest);
  EXPECT_OK(PosixShm::open(longest, {.exclusive = true}));
  EXPECT_EQ(SeamGuard::calls.load(), 1);
}

TEST(PosixShm, UnlinkRemovesTheNameAndReportsErrors) {
  std::string name = NewName("unlink");
  ShmNameOwner owner(name);
  ASSERT_OK(PosixShm::open(name));
  ASSERT_OK(PosixShm::unlink(name));
  EXPECT_FALSE(Exists(name));
  EXPECT_THAT(PosixShm::open(name, {.create = false}), FailsWith(ENOENT));
  auto again = PosixShm::unlink(name);
  ASSERT_THAT(again, FailsWith(ENOENT));
  EXPECT_EQ(again.error().op(), "shm_unlink");
  EXPECT_THAT(again.error().message(), HasSubstr(name));
}

TEST(PosixShm, OtherUsersGetEACCES) {
  std::string name = NewName("perm");
  ShmNameOwner owner(name);
  ASSERT_OK(PosixShm::open(name));  // 0600, owned by us
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(DropPrivileges(), "cannot switch to uid 65534");
    auto rw = PosixShm::open(name, {.create = false});
    TEST_CHECK(!rw.ok() && rw.error().code() == EACCES);
    auto ro = PosixShm::open(name, {.create = false, .read_only = true});
    TEST_CHECK(!ro.ok() && ro.error().code() == EACCES);
  }));
}

TEST(PosixShm, MoveKeepsTheDescriptor) {
  std::string name = NewName("move");
  ShmNameOwner owner(name);
  auto a = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  int fd = a.fd();
  PosixShm b = std::move(a);
  EXPECT_EQ(b.fd(), fd);
  EXPECT_EQ(b.name(), name);
  EXPECT_EQ(
      a.fd(),
      -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_OK(b.truncate(10));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(b.size()), 10u);
}

// ---- PosixShm: size and I/O ------------------------------------------------

TEST(PosixShm, TruncateSetsSizeAndZeroFills) {
  std::string name = NewName("trunc");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(10000));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.size()), 10000u);
  EXPECT_EQ(ReadAt(shm, 0, 10000), std::string(10000, '\0'));

  ASSERT_OK(shm.write_at(0, as_bytes("0123456789abcdef")));
  ASSERT_OK(shm.truncate(10));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.size()), 10u);
  ASSERT_OK(shm.truncate(16));  // the cut bytes come back as zeros
  EXPECT_EQ(ReadAt(shm, 0, 16),
            std::string("0123456789") + std::string(6, '\0'));
}

TEST(PosixShm, TruncateErrors) {
  std::string name = NewName("truncerr");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  auto huge = shm.truncate(kMax);
  ASSERT_THAT(huge, FailsWith(EINVAL));
  EXPECT_THAT(huge.error().detail(), HasSubstr("off_t"));

  auto ro = ASSERT_OK_AND_VALUE(
      PosixShm::open(name, {.create = false, .read_only = true}));
  auto r = ro.truncate(100);
  ASSERT_THAT(r, FailsWith(EINVAL));  // the kernel's answer for a descriptor
                                      // not open for writing
  EXPECT_EQ(r.error().op(), "ftruncate");
  EXPECT_THAT(r.error().detail(), HasSubstr("read-only"));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.size()), 0u);
}

TEST(PosixShm, SizeReportsFstatErrors) {
  std::string name = NewName("fstat");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  SeamGuard guard;
  sys::table().fstat.store(&FailingFstat);
  auto r = shm.size();
  ASSERT_THAT(r, FailsWith(EIO));
  EXPECT_EQ(r.error().op(), "fstat");
}

TEST(PosixShm, ReadAtWriteAtAreRandomAccess) {
  std::string name = NewName("rw");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.write_at(5000, as_bytes("xyz"))), 3u);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.size()),
            5003u);  // grew, with a zero-filled hole
  EXPECT_EQ(ReadAt(shm, 0, 8), std::string(8, '\0'));
  EXPECT_EQ(ReadAt(shm, 4999, 10),
            std::string("\0xyz", 4));  // short only at the end
  EXPECT_EQ(ReadAt(shm, 5003, 10), "");
  EXPECT_EQ(ReadAt(shm, 9999, 1), "");
  ASSERT_OK(shm.write_at(10, as_bytes("ten")));
  ASSERT_OK(shm.write_at(2, as_bytes("two")));
  EXPECT_EQ(ReadAt(shm, 2, 11),
            std::string("two") + std::string(5, '\0') + "ten");

  // The file offset is untouched by pread/pwrite.
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.seek(0, SEEK_CUR)), 0u);

  std::string buf(4, '?');
  EXPECT_THAT(shm.read_at(kMax, AsWritableBytes(buf)), FailsWith(EINVAL));
  EXPECT_THAT(shm.write_at(kMax - 1, as_bytes("ab")), FailsWith(EINVAL));
  auto off = shm.write_at(
      static_cast<std::size_t>(std::numeric_limits<off_t>::max()) - 1,
      as_bytes("ab"));
  ASSERT_THAT(off, FailsWith(EINVAL));
  EXPECT_THAT(off.error().detail(), HasSubstr("off_t"));
}

TEST(PosixShm, ReadAtWriteAtRetryShortCountsAndEintr) {
  std::string name = NewName("choppy");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  const std::string text = "0123456789";
  {
    SeamGuard guard;
    sys::table().pwrite.store(&ChoppyPwrite);
    EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.write_at(100, as_bytes(text))), 10u);
    EXPECT_EQ(SeamGuard::calls.load(), 8);  // 4 EINTRs + 3+3+3+1 bytes
  }
  EXPECT_EQ(ReadAt(shm, 100, 10), text);
  {
    SeamGuard guard;
    sys::table().pread.store(&ChoppyPread);
    std::string out(12, '?');
    EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.read_at(100, AsWritableBytes(out))),
              10u);  // short at the end
    EXPECT_EQ(out.substr(0, 10), text);
  }
}

TEST(PosixShm, ReadAtWriteAtErrorsReportBytesTransferred) {
  std::string name = NewName("ioerr");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(100));
  SeamGuard guard;
  sys::table().pread.store(&FailingPread);
  std::string out(10, '?');
  auto r = shm.read_at(0, AsWritableBytes(out));
  ASSERT_THAT(r, FailsWith(EIO));
  EXPECT_EQ(r.error().op(), "pread");
  EXPECT_EQ(r.error().transferred(), 3u);

  SeamGuard::calls = 0;
  sys::table().pwrite.store(&StallingPwrite);
  auto w = shm.write_at(0, as_bytes("abcdefgh"));
  ASSERT_THAT(w, FailsWith(EIO));
  EXPECT_THAT(w.error().detail(), HasSubstr("returned 0"));
  EXPECT_EQ(w.error().transferred(), 3u);

  sys::table().pwrite.store(&FailingPwrite);
  auto full = shm.write_at(0, as_bytes("abc"));
  ASSERT_THAT(full, FailsWith(ENOSPC));
  EXPECT_EQ(full.error().transferred(), 0u);
}

TEST(PosixShm, SeekReadWriteThroughTheFileOffset) {
  std::string name = NewName("offset");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.write(as_bytes("hello world"))), 11u);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.seek(0, SEEK_CUR)), 11u);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.seek(6, SEEK_SET)), 6u);
  std::string out(5, '?');
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.read_some(AsWritableBytes(out))), 5u);
  EXPECT_EQ(out, "world");
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.read_some(AsWritableBytes(out))),
            0u);  // at the end

  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.seek(-5, SEEK_END)), 6u);
  ASSERT_OK(shm.write(as_bytes("WORLD")));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.seek(-11, SEEK_CUR)), 0u);
  std::string all(11, '?');
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.read_some(AsWritableBytes(all))), 11u);
  EXPECT_EQ(all, "hello WORLD");

  // Past the end: a write there leaves a zero-filled hole.
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.seek(20, SEEK_SET)), 20u);
  ASSERT_OK(shm.write(as_bytes("!")));
  EXPECT_EQ(ReadAt(shm, 9, 12), std::string("LD") + std::string(9, '\0') + "!");

  auto neg = shm.seek(-1, SEEK_SET);
  ASSERT_THAT(neg, FailsWith(EINVAL));
  EXPECT_EQ(neg.error().op(), "lseek");
  EXPECT_THAT(shm.seek(0, 12345), FailsWith(EINVAL));
  EXPECT_THAT(shm.seek(100, SEEK_DATA), FailsWith(ENXIO));  // beyond the end
}

TEST(PosixShm, ReadSomeRetriesEintr) {
  std::string name = NewName("eintr");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.write_at(0, as_bytes("abc")));
  SeamGuard guard;
  sys::table().read.store(&InterruptedRead);
  std::string out(3, '?');
  EXPECT_EQ(ASSERT_OK_AND_VALUE(shm.read_some(AsWritableBytes(out))), 3u);
  EXPECT_EQ(out, "abc");
  EXPECT_EQ(SeamGuard::calls.load(), 2);
}

TEST(PosixShm, ReadOnlyObjectRefusesWrites) {
  std::string name = NewName("ro");
  ShmNameOwner owner(name);
  auto rw = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(rw.write_at(0, as_bytes("keep")));
  auto ro = ASSERT_OK_AND_VALUE(
      PosixShm::open(name, {.create = false, .read_only = true}));
  auto w = ro.write_at(0, as_bytes("lose"));
  ASSERT_THAT(w, FailsWith(EBADF));
  EXPECT_THAT(w.error().detail(), HasSubstr("read-only"));
  auto w2 = ro.write(as_bytes("lose"));
  ASSERT_THAT(w2, FailsWith(EBADF));
  EXPECT_THAT(w2.error().detail(), HasSubstr("read-only"));
  EXPECT_EQ(ReadAt(ro, 0, 4), "keep");
}

// ---- SharedMapping ---------------------------------------------------------

TEST(SharedMapping, CoherentWithFileIo) {
  std::string name = NewName("coherent");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(2 * kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, 2 * kPage, true));
  EXPECT_EQ(m.size(), 2 * kPage);
  EXPECT_EQ(m.offset(), 0u);
  EXPECT_TRUE(m.writable());
  EXPECT_EQ(m.bytes().size(), 2 * kPage);
  EXPECT_EQ(AsString(m.bytes().subspan(0, 8)), std::string(8, '\0'));

  ASSERT_OK(shm.write_at(kPage + 1, as_bytes("pwrite")));
  EXPECT_EQ(MapRead(m, shm, kPage + 1, 6), "pwrite");
  EXPECT_EQ(AsString(m.bytes().subspan(kPage + 1, 6)), "pwrite");

  ASSERT_OK(m.write(shm, 7, as_bytes("stored")));
  EXPECT_EQ(ReadAt(shm, 7, 6), "stored");
  ASSERT_OK(shm.seek(7, SEEK_SET));
  std::string out(6, '?');
  ASSERT_OK(shm.read_some(AsWritableBytes(out)));
  EXPECT_EQ(out, "stored");
}

TEST(SharedMapping, StoresAreSeenByAnotherProcess) {
  std::string name = NewName("mapshare");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, false));
  int status = RunInChild([&] {
    auto peer = PosixShm::open(name, {.create = false});
    if (!peer.ok()) return 1;
    auto pm = SharedMapping::map(*peer, 0, kPage, true);
    if (!pm.ok()) return 2;
    return pm->write(*peer, 100, as_bytes("peer")).ok() ? 0 : 3;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_EQ(MapRead(m, shm, 100, 4), "peer");
}

TEST(SharedMapping, MapAtAnOffset) {
  std::string name = NewName("mapoff");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(3 * kPage));
  ASSERT_OK(shm.write_at(2 * kPage, as_bytes("third page")));
  auto m =
      ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 2 * kPage, kPage, false));
  EXPECT_EQ(m.offset(), 2 * kPage);
  EXPECT_FALSE(m.writable());
  EXPECT_EQ(MapRead(m, shm, 0, 10),
            "third page");  // offsets are relative to the mapping
}

TEST(SharedMapping, MapErrors) {
  std::string name = NewName("maperr");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(2 * kPage));

  auto zero = SharedMapping::map(shm, 0, 0, false);
  ASSERT_THAT(zero, FailsWith(EINVAL));
  EXPECT_THAT(zero.error().detail(), HasSubstr("zero-length"));
  auto unaligned = SharedMapping::map(shm, 1, kPage, false);
  ASSERT_THAT(unaligned, FailsWith(EINVAL));
  EXPECT_THAT(unaligned.error().detail(), HasSubstr("page size"));
  auto far = SharedMapping::map(shm, kMax - kMax % kPage, kPage, false);
  ASSERT_THAT(far, FailsWith(EINVAL));
  EXPECT_THAT(far.error().detail(), HasSubstr("off_t"));

  auto ro = ASSERT_OK_AND_VALUE(
      PosixShm::open(name, {.create = false, .read_only = true}));
  auto w = SharedMapping::map(ro, 0, kPage, true);
  ASSERT_THAT(w, FailsWith(EACCES));
  EXPECT_EQ(w.error().op(), "mmap");
  EXPECT_THAT(w.error().detail(), HasSubstr("read-only"));
  EXPECT_OK(SharedMapping::map(ro, 0, kPage, false));

  SeamGuard guard;
  sys::table().fstat.store(&FailingFstat);
  EXPECT_THAT(SharedMapping::map(shm, 0, kPage, false), FailsWith(EIO));
}

TEST(SharedMapping, AccessIsBoundsChecked) {
  std::string name = NewName("mapbounds");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(2 * kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  std::string one(1, '?');
  EXPECT_OK(m.read(shm, kPage - 1, AsWritableBytes(one)));
  EXPECT_OK(m.write(shm, kPage, {}));
  auto r =
      m.read(shm, kPage,
             AsWritableBytes(one));  // the object goes on; the mapping does not
  ASSERT_THAT(r, FailsWith(ERANGE));
  const std::string p = std::to_string(kPage);
  EXPECT_EQ(r.error().detail(), "[" + p + ", " + std::to_string(kPage + 1) +
                                    ") outside the " + p + "-byte mapping");
  EXPECT_THAT(m.write(shm, kPage - 1, as_bytes("ab")), FailsWith(ERANGE));
  auto wrap = m.read(shm, kMax, AsWritableBytes(one));
  ASSERT_THAT(wrap, FailsWith(ERANGE));
  EXPECT_THAT(wrap.error().detail(), HasSubstr("18446744073709551615+1"));
  EXPECT_THAT(
      m.write(shm, 1, std::span<const std::byte>(m.bytes().data(), kPage)),
      FailsWith(ERANGE));
  EXPECT_EQ(ReadAt(shm, kPage - 1, 1), std::string(1, '\0'));
}

TEST(SharedMapping, ReadOnlyMappingRefusesWrites) {
  std::string name = NewName("maprofail");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, false));
  auto w = m.write(shm, 0, as_bytes("x"));
  ASSERT_THAT(w, FailsWith(EACCES));
  EXPECT_THAT(w.error().detail(), HasSubstr("read-only"));
  EXPECT_EQ(ReadAt(shm, 0, 1), std::string(1, '\0'));
  int status = RunInChild([&] {  // the same store by hand
    if (!ExitOnFaults()) return 2;
    *const_cast<volatile std::byte*>(m.bytes().data()) = std::byte{1};
    return 1;
  });
  EXPECT_TRUE(ExitedWith(status, kSegvExit)) << DescribeWaitStatus(status);
}

TEST(SharedMapping, RejectsADifferentObject) {
  std::string name = NewName("mapa");
  std::string other_name = NewName("mapb");
  ShmNameOwner owner(name);
  ShmNameOwner other_owner(other_name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  auto other = ASSERT_OK_AND_VALUE(PosixShm::open(other_name));
  ASSERT_OK(shm.truncate(kPage));
  ASSERT_OK(other.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  std::string out(1, '?');
  auto r = m.read(other, 0, AsWritableBytes(out));
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_THAT(r.error().detail(), HasSubstr("not the object"));
  EXPECT_THAT(m.write(other, 0, as_bytes("x")), FailsWith(EINVAL));
  // A second descriptor on the same object is the same object.
  auto same = ASSERT_OK_AND_VALUE(PosixShm::open(name, {.create = false}));
  EXPECT_OK(m.read(same, 0, AsWritableBytes(out)));
}

TEST(SharedMapping, AccessReportsFstatErrors) {
  std::string name = NewName("mapfstat");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  SeamGuard guard;
  sys::table().fstat.store(&FailingFstat);
  std::string out(1, '?');
  auto r = m.read(shm, 0, AsWritableBytes(out));
  ASSERT_THAT(r, FailsWith(EIO));
  EXPECT_EQ(r.error().op(), "fstat");
  EXPECT_THAT(m.write(shm, 0, as_bytes("x")), FailsWith(EIO));
}

TEST(SharedMapping, UnmapIsExplicitAndReportsErrors) {
  std::string name = NewName("unmap");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  std::byte* addr = m.bytes().data();
  ASSERT_OK(m.unmap());
  EXPECT_TRUE(m.bytes().empty());
  // The range is really gone: mincore reports unmapped memory as ENOMEM.
  unsigned char vec;
  EXPECT_EQ(::mincore(addr, kPage, &vec), -1);
  EXPECT_EQ(errno, ENOMEM);

  auto twice = m.unmap();
  ASSERT_THAT(twice, FailsWith(EINVAL));
  EXPECT_THAT(twice.error().detail(), HasSubstr("not mapped"));
  std::string out(1, '?');
  EXPECT_THAT(m.read(shm, 0, AsWritableBytes(out)), FailsWith(EINVAL));
  EXPECT_THAT(m.write(shm, 0, as_bytes("x")), FailsWith(EINVAL));

  auto m2 = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  SeamGuard guard;
  sys::table().munmap.store(&FailingMunmap);
  auto r = m2.unmap();
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_EQ(r.error().op(), "munmap");
  EXPECT_TRUE(m2.bytes().empty());
}

TEST(SharedMapping, DestructorUnmapsAndMoveTransfers) {
  std::string name = NewName("mapmove");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  std::byte* first = nullptr;
  unsigned char vec;
  {
    auto a = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
    first = a.bytes().data();
    SharedMapping b = std::move(a);
    EXPECT_TRUE(a.bytes().empty());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(b.bytes().data(), first);
    ASSERT_OK(b.write(shm, 0, as_bytes("b")));
    auto c = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, false));
    std::byte* second = c.bytes().data();
    c = std::move(b);  // unmaps c's own mapping first
    EXPECT_EQ(::mincore(second, kPage, &vec), -1);
    EXPECT_TRUE(c.writable());
    EXPECT_EQ(MapRead(c, shm, 0, 1), "b");
    EXPECT_EQ(::mincore(first, kPage, &vec), 0);
  }
  EXPECT_EQ(::mincore(first, kPage, &vec), -1);  // ~SharedMapping unmapped it
}

TEST(SharedMapping, UnlinkWhileMappedKeepsTheMapping) {
  std::string name = NewName("unlinkmapped");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  ASSERT_OK(m.write(shm, 0, as_bytes("persist")));
  ASSERT_OK(owner.unlink());
  EXPECT_FALSE(owner.owns());
  EXPECT_FALSE(Exists(name));
  EXPECT_THAT(PosixShm::open(name, {.create = false}), FailsWith(ENOENT));

  EXPECT_EQ(MapRead(m, shm, 0, 7), "persist");
  ASSERT_OK(m.write(shm, 7, as_bytes("!")));
  EXPECT_EQ(ReadAt(shm, 0, 8), "persist!");
  // Even the descriptor can go: the mapping holds the object.
  std::byte* raw = m.bytes().data();
  { PosixShm gone = std::move(shm); }
  EXPECT_EQ(AsString({raw, 8}), "persist!");
}

TEST(SharedMapping, PeerShrinkIsAnErrorNotSigbus) {
  std::string name = NewName("shrink");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(2 * kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, 2 * kPage, true));
  ASSERT_OK(m.write(shm, kPage, as_bytes("tail")));

  // The peer: another process cuts the object down to one page.
  int status = RunInChild([&] {
    auto peer = PosixShm::open(name, {.create = false});
    if (!peer.ok()) return 1;
    return peer->truncate(kPage).ok() ? 0 : 2;
  });
  ASSERT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);

  std::string out(4, '?');
  auto r = m.read(shm, kPage, AsWritableBytes(out));
  ASSERT_THAT(r, FailsWith(ENXIO));
  EXPECT_EQ(r.error().op(), "SharedMapping::read");
  const std::string p = std::to_string(kPage);
  EXPECT_EQ(r.error().detail(), "object shrank to " + p + " bytes; [" + p +
                                    ", " + std::to_string(kPage + 4) +
                                    ") is beyond its end");
  EXPECT_EQ(out, "????");
  EXPECT_THAT(m.write(shm, kPage, as_bytes("x")), FailsWith(ENXIO));
  EXPECT_THAT(m.read(shm, kPage - 2, AsWritableBytes(out)),
              FailsWith(ENXIO));                            // straddles the end
  EXPECT_OK(m.read(shm, kPage - 4, AsWritableBytes(out)));  // still inside

  // The guard matters: the same load done by hand dies of SIGBUS.
  int raw = RunInChild([&] {
    if (!ExitOnFaults()) return 2;
    volatile std::byte b = m.bytes()[kPage];
    (void)b;
    return 1;
  });
  EXPECT_TRUE(ExitedWith(raw, kBusExit)) << DescribeWaitStatus(raw);

  // Grown again, the page is valid and reads as zeros.
  ASSERT_OK(shm.truncate(2 * kPage));
  EXPECT_EQ(MapRead(m, shm, kPage, 4), std::string(4, '\0'));
}

// ---- ShmNameOwner ----------------------------------------------------------

TEST(ShmNameOwner, DestructorUnlinks) {
  std::string name = NewName("owner");
  {
    ShmNameOwner owner(name);
    EXPECT_TRUE(owner.owns());
    EXPECT_EQ(owner.name(), name);
    ASSERT_OK(PosixShm::open(name));
    EXPECT_TRUE(Exists(name));
  }
  EXPECT_FALSE(Exists(name));
}

TEST(ShmNameOwner, ReleaseKeepsTheName) {
  std::string name = NewName("release");
  ShmNameOwner keeper;
  {
    ShmNameOwner owner(name);
    ASSERT_OK(PosixShm::open(name));
    EXPECT_EQ(owner.release(), name);
    EXPECT_FALSE(owner.owns());
  }
  keeper = ShmNameOwner(name);
  EXPECT_TRUE(Exists(name));
}

TEST(ShmNameOwner, MoveAssignmentUnlinksThePreviousName) {
  std::string first = NewName("first");
  std::string second = NewName("second");
  ShmNameOwner a(first);
  ShmNameOwner b(second);
  ASSERT_OK(PosixShm::open(first));
  ASSERT_OK(PosixShm::open(second));
  a = std::move(b);
  EXPECT_FALSE(Exists(first));
  EXPECT_TRUE(Exists(second));
  EXPECT_EQ(a.name(), second);
  EXPECT_FALSE(b.owns());  // NOLINT(bugprone-use-after-move)
  ShmNameOwner c(std::move(a));
  EXPECT_EQ(c.name(), second);
}

TEST(ShmNameOwner, UnlinkReportsErrors) {
  std::string name = NewName("ownererr");
  ShmNameOwner owner(name);
  auto missing = owner.unlink();  // nothing was created
  ASSERT_THAT(missing, FailsWith(ENOENT));
  EXPECT_FALSE(owner.owns());
  auto none = owner.unlink();
  ASSERT_THAT(none, FailsWith(EINVAL));
  EXPECT_THAT(none.error().detail(), HasSubstr("nothing owned"));
}

}  // namespace
}  // namespace ipc
