// conformance/sysv_shm_test.cc — conformance tests for System V shared memory:
// the raw OS calls ("verifying OS behaviour", suite ShmOs) and our layer
// ipc/sysv_shm.h where it exposes the behaviour (suite ShmLayer).
// Catalogue: conformance/catalog/sysv_shm.txt (SHM-001 … SHM-041).
//
// Every test names the deviation it catches in its comment. Faults (stores
// into a read-only attachment, references outside an attachment) happen only
// in forked children that installed ipc::testing::ExitOnFaults(); the parent
// reads how it ended (ChildExitedWith(kSegvExit)). Every other forked child
// checks with TEST_CHECK* (ipc/testing/child.h), so a failure names the
// expression, errno and line. Limits that are system-wide (SHMMNI) and sysctls
// (shm_rmid_forced) are exercised only inside a private IPC namespace that the
// child makes for itself (RunInPrivateIpcNamespace); without that right the
// test skips.
#include "ipc/sysv_shm.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/background.h"
#include "conformance/testing/suite_util.h"
#include "conformance/testing/sysv.h"
#include "conformance/testing/unchecked.h"
#include "conformance/testing/unrelated.h"
#include "fault/blocked.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace {

using ::conformance::testing::IdMapped;
using ::conformance::testing::KeyCleanup;
using ::conformance::testing::kPatience;
using ::conformance::testing::NoteUnchecked;
using ::conformance::testing::ReadProcLong;
using ::conformance::testing::RunAsNobody;
using ::conformance::testing::RunInPrivateIpcNamespace;
using ::conformance::testing::RunUnrelatedPeer;
using ::conformance::testing::SysvipcUnavailable;
using ::conformance::testing::WaitUntilTimeIsAfter;
using ::conformance::testing::WriteProc;
using ::ipc::ShmAttachment;
using ::ipc::ShmOwner;
using ::ipc::ShmSegment;
using ::ipc::testing::Child;
using ::ipc::testing::ChildExitedWith;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::DropPrivileges;
using ::ipc::testing::ExitOnFaults;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::kSegvExit;
using ::ipc::testing::MakeFile;
using ::ipc::testing::RawPipe;
using ::ipc::testing::RetryEINTR;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;

const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

void* const kShmFailed = reinterpret_cast<void*>(-1);

// ---- helpers ---------------------------------------------------------------

// Removes segment `id` (IPC_RMID) on destruction, unless released.
class Segment {
 public:
  explicit Segment(int id) : id_(id) {}
  ~Segment() {
    if (id_ >= 0) ::shmctl(id_, IPC_RMID, nullptr);
  }
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  int id() const { return id_; }
  // The test destroyed it itself.
  void release() { id_ = -1; }

 private:
  int id_;
};

// One shmat() mapping; shmdt() on destruction unless detached.
class Attachment {
 public:
  explicit Attachment(void* addr)
      : addr_(addr == kShmFailed ? nullptr : static_cast<char*>(addr)) {}
  ~Attachment() {
    if (addr_ != nullptr) ::shmdt(addr_);
  }
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;
  bool ok() const { return addr_ != nullptr; }
  char* get() const { return addr_; }
  // shmdt now; returns its result.
  int detach() {
    int rc = ::shmdt(addr_);
    addr_ = nullptr;
    return rc;
  }

 private:
  char* addr_;
};

// A page-aligned address range of `pages` pages reserved with PROT_NONE (so
// that an attachment placed inside it has inaccessible neighbours); unmapped
// on destruction (which also removes any attachment still inside it).
class Reservation {
 public:
  explicit Reservation(std::size_t pages) : size_(pages * kPage) {
    void* p = ::mmap(nullptr, size_, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    base_ = p == MAP_FAILED ? nullptr : static_cast<char*>(p);
  }
  ~Reservation() {
    if (base_ != nullptr) ::munmap(base_, size_);
  }
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  bool ok() const { return base_ != nullptr; }
  char* page(std::size_t i) const { return base_ + i * kPage; }
  // Frees page i so that shmat may use it (the rest stays reserved).
  int free_page(std::size_t i) const { return ::munmap(page(i), kPage); }

 private:
  std::size_t size_;
  char* base_;
};

// In a reservation of 3 * SHMLBA bytes: the SHMLBA-aligned address after its
// first SHMLBA, with that page unmapped so that shmat may use it; nullptr if
// munmap fails.
char* FreeAlignedPage(const Reservation& r) {
  auto aligned = reinterpret_cast<char*>(
      (reinterpret_cast<std::uintptr_t>(r.page(SHMLBA / kPage)) / SHMLBA) *
      SHMLBA);
  return ::munmap(aligned, kPage) == 0 ? aligned : nullptr;
}

// IPC_STAT; fails the test (and returns zeros) if the call fails.
struct shmid_ds Stat(int id) {
  struct shmid_ds ds = {};
  if (::shmctl(id, IPC_STAT, &ds) != 0) {
    ADD_FAILURE() << "shmctl(" << id << ", IPC_STAT): " << std::strerror(errno);
  }
  return ds;
}

long Nattch(int id) {
  struct shmid_ds ds = {};
  return ::shmctl(id, IPC_STAT, &ds) == 0 ? static_cast<long>(ds.shm_nattch)
                                          : -1;
}

// ftok on a fresh file in `dir`.
key_t KeyIn(const TempDir& dir, const std::string& name = "key",
            int proj = 'S') {
  return ::ftok(MakeFile(dir.file(name)).c_str(), proj);
}

// One line of /proc/sysvipc/shm.
struct ProcShm {
  long key = 0;
  int id = -1;
  unsigned perms = 0;
  std::size_t size = 0;
  pid_t cpid = 0, lpid = 0;
  unsigned long nattch = 0;
};

std::optional<ProcShm> ProcShmEntry(int id) {
  std::ifstream in("/proc/sysvipc/shm");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream s(line);
    ProcShm e;
    s >> e.key >> e.id >> std::oct >> e.perms >> std::dec >> e.size >> e.cpid >>
        e.lpid >> e.nattch;
    if (s && e.id == id) return e;
  }
  return std::nullopt;
}

// Whether /proc/self/maps has a System V shm mapping ("/SYSV<key>").
bool MapsShowSysv(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("/SYSV") != std::string::npos) return true;
  }
  return false;
}

// The permission field ("rw-s") of the mapping that contains `addr`.
std::string MapsPerms(const void* addr) {
  std::ifstream in("/proc/self/maps");
  std::string line;
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  while (std::getline(in, line)) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
        a >= lo && a < hi)
      return perms;
  }
  return "";
}

// The descriptors this process has open (entries of /proc/self/fd).
std::vector<std::string> OpenDescriptorTargets() {
  std::vector<std::string> out;
  for (int fd = 0; fd < 1024; ++fd) {
    char buf[256];
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n > 0)
      out.push_back(std::to_string(fd) + "->" +
                    std::string(buf, static_cast<std::size_t>(n)));
  }
  return out;
}

std::span<const std::byte> Bytes(const char* s) {
  return {reinterpret_cast<const std::byte*>(s), std::strlen(s)};
}

std::string ToString(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// ---- SHM-001 creation, size ------------------------------------------------

// Catches: shm_segsz rounded to pages, an unaligned size refused, or a mapping
// that is not the size rounded up to whole pages.
TEST(ShmOs, UnalignedSizeIsKeptExactlyAndMappedInWholePages) {
  const std::size_t size = kPage + 123;
  Segment seg(::shmget(IPC_PRIVATE, size, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  EXPECT_EQ(Stat(seg.id()).shm_segsz, size);
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok()) << std::strerror(errno);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::size_t mapped = 0;
  auto a = reinterpret_cast<unsigned long>(at.get());
  while (std::getline(maps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2 && lo == a)
      mapped = hi - lo;
  }
  EXPECT_EQ(mapped, 2 * kPage);
}

TEST(ShmLayer, CreatePrivateReportsRequestedSize) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage + 123));
  ShmOwner owner(seg);
  auto st = ASSERT_OK_AND_VALUE(seg.stat());
  EXPECT_EQ(st.size, kPage + 123);
  EXPECT_EQ(st.mode, 0600u);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  EXPECT_EQ(at.size(), kPage + 123);
}

// ---- SHM-002 zero-filled ---------------------------------------------------

// Catches: a new segment holding stale data (of an earlier segment or process).
TEST(ShmOs, NewSegmentIsZeroFilled) {
  const std::size_t size = 3 * kPage + 7;
  // Dirty memory first, so that a recycled page would show non-zero bytes.
  {
    Segment old(::shmget(IPC_PRIVATE, size, IPC_CREAT | 0600));
    ASSERT_THAT(old.id(), SyscallSucceeds());
    Attachment at(::shmat(old.id(), nullptr, 0));
    ASSERT_TRUE(at.ok());
    std::memset(at.get(), 0xA5, size);
  }
  Segment seg(::shmget(IPC_PRIVATE, size, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok()) << std::strerror(errno);
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < size; ++i) nonzero += at.get()[i] != 0;
  EXPECT_EQ(nonzero, 0u);
}

TEST(ShmLayer, NewSegmentReadsAsZeros) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(2 * kPage));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  std::vector<std::byte> buf(2 * kPage, std::byte{0x55});
  ASSERT_OK(at.read(0, buf));
  EXPECT_EQ(std::count(buf.begin(), buf.end(), std::byte{0}),
            static_cast<long>(buf.size()));
}

// ---- SHM-003 lookup by key -------------------------------------------------

// Catches: a key lookup that creates a second segment instead of finding the
// first.
TEST(ShmOs, LookupByKeyReturnsTheSameId) {
  TempDir dir;
  key_t key = KeyIn(dir);
  ASSERT_NE(key, -1);
  Segment seg(::shmget(key, kPage, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  EXPECT_THAT(::shmget(key, 0, 0), SyscallSucceedsWithValue(seg.id()));
  EXPECT_THAT(::shmget(key, kPage, IPC_CREAT | 0600),
              SyscallSucceedsWithValue(seg.id()));
}

TEST(ShmLayer, OpenByKeyReturnsTheSameSegment) {
  TempDir dir;
  key_t key = KeyIn(dir);
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create(key, kPage));
  ShmOwner owner(seg);
  auto found = ASSERT_OK_AND_VALUE(ShmSegment::open(key));
  EXPECT_EQ(found.id(), seg.id());
  auto again = ASSERT_OK_AND_VALUE(ShmSegment::create(key, kPage));
  EXPECT_EQ(again.id(), seg.id());
}

// ---- SHM-004 no segment, no IPC_CREAT --------------------------------------

// Catches: a lookup that creates a segment, or a different errno.
TEST(ShmOs, KeyWithoutSegmentFailsEnoent) {
  TempDir dir;
  key_t key = KeyIn(dir);
  EXPECT_THAT(::shmget(key, kPage, 0600), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::shmget(key, 0, 0), SyscallFailsWithErrno(ENOENT));
}

TEST(ShmLayer, OpenWithoutSegmentFailsEnoent) {
  TempDir dir;
  EXPECT_THAT(ShmSegment::open(KeyIn(dir)), FailsWith(ENOENT));
}

// ---- SHM-005 IPC_EXCL ------------------------------------------------------

// Catches: IPC_EXCL ignored (the existing id returned).
TEST(ShmOs, ExclusiveCreateOnExistingKeyFailsEexist) {
  TempDir dir;
  key_t key = KeyIn(dir);
  Segment seg(::shmget(key, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  EXPECT_THAT(::shmget(key, kPage, IPC_CREAT | IPC_EXCL | 0600),
              SyscallFailsWithErrno(EEXIST));
}

TEST(ShmLayer, CreateExclusiveOnExistingKeyFailsEexist) {
  TempDir dir;
  key_t key = KeyIn(dir);
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_exclusive(key, kPage));
  ShmOwner owner(seg);
  EXPECT_THAT(ShmSegment::create_exclusive(key, kPage), FailsWith(EEXIST));
}

// ---- SHM-006 size limits ---------------------------------------------------

// Catches: a 0-byte segment created (SHMMIN is 1), or a size above SHMMAX
// accepted.
TEST(ShmOs, SizeBelowShmminOrAboveShmmaxFailsEinval) {
  EXPECT_THAT(::shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600),
              SyscallFailsWithErrno(EINVAL));
  // shmmax is the kernel's unsigned long: 64 bits under a 64-bit kernel, also
  // for a 32-bit program, whose size_t may then have no value above it.
  unsigned long long max = 0;
  std::ifstream("/proc/sys/kernel/shmmax") >> max;
  if (max != 0 && max >= SIZE_MAX) {
    NoteUnchecked("a size above SHMMAX (" + std::to_string(max) +
                  "): this ABI's size_t has none");
    return;
  }
  std::size_t above = max != 0 ? static_cast<std::size_t>(max) + 1 : SIZE_MAX;
  EXPECT_THAT(::shmget(IPC_PRIVATE, above, IPC_CREAT | 0600),
              SyscallFailsWithErrno(EINVAL));
}

TEST(ShmLayer, CreateZeroSizeFailsEinval) {
  EXPECT_THAT(ShmSegment::create_private(0), FailsWith(EINVAL));
}

// ---- SHM-007 size fixed at creation ----------------------------------------

// Catches: an existing segment grown (or a larger size accepted), or a smaller
// size shrinking the segment or its attachment.
TEST(ShmOs, ExistingKeyRejectsLargerSizeAndAttachesWholeSegmentForSmaller) {
  TempDir dir;
  key_t key = KeyIn(dir);
  const std::size_t size = 2 * kPage;
  Segment seg(::shmget(key, size, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  EXPECT_THAT(::shmget(key, size + 1, 0600), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::shmget(key, size + 1, IPC_CREAT | 0600),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::shmget(key, 1, 0600), SyscallSucceedsWithValue(seg.id()));
  EXPECT_EQ(Stat(seg.id()).shm_segsz, size);
  Attachment at(::shmat(::shmget(key, 1, 0600), nullptr, 0));
  ASSERT_TRUE(at.ok());
  at.get()[size - 1] = 'z';  // the last byte of the original size is mapped
  EXPECT_EQ(at.get()[size - 1], 'z');
}

TEST(ShmLayer, CreateLargerThanExistingFailsEinval) {
  TempDir dir;
  key_t key = KeyIn(dir);
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create(key, kPage));
  ShmOwner owner(seg);
  EXPECT_THAT(ShmSegment::create(key, kPage + 1), FailsWith(EINVAL));
  auto smaller = ASSERT_OK_AND_VALUE(ShmSegment::create(key, 10));
  EXPECT_EQ(smaller.id(), seg.id());
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(smaller));
  EXPECT_EQ(at.size(), kPage);
}

// ---- SHM-008 mode denies access on lookup (unprivileged) -------------------

// Catches: lookups that ignore the mode for the access asked for in shmflg.
// Flag 0 asks for no access, so it finds the segment even without permission.
TEST(ShmOs, LookupAskingForDeniedAccessFailsEaccesUnprivileged) {
  TempDir dir;
  key_t key = KeyIn(dir);
  Segment seg(::shmget(key, kPage, IPC_CREAT | 0604));  // others may read only
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  int id = seg.id();
  EXPECT_CHILD_OK(RunAsNobody([key, id] {
    TEST_CHECK_ERRNO(::shmget(key, 0, 0200), EACCES);  // write: denied
    TEST_CHECK_ERRNO(::shmget(key, 0, 0600), EACCES);  // read+write: denied
    TEST_CHECK(::shmget(key, 0, 0400) == id);          // read: granted
    TEST_CHECK(::shmget(key, 0, 0) == id);             // nothing asked
  }));
}

// ---- SHM-009 SHMMNI (private IPC namespace only) ---------------------------

// Catches: more than SHMMNI segments created, or a different errno at the
// limit. The limit is lowered to 8 in a private namespace when the sysctl is
// writable (otherwise the default, 4096 one-byte segments, is used up there).
TEST(ShmOs, CreatingMoreThanShmmniSegmentsFailsEnospc) {
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    WriteProc("/proc/sys/kernel/shmmni", "8");
    long shmmni = ReadProcLong("/proc/sys/kernel/shmmni");
    TEST_CHECK(shmmni > 0 && shmmni <= 32768);
    for (long i = 0; i < shmmni; ++i) {  // up to SHMMNI: created
      TEST_CHECK_SUCCESS(::shmget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
    }
    TEST_CHECK_ERRNO(::shmget(IPC_PRIVATE, 1, IPC_CREAT | 0600), ENOSPC);
  }));  // the namespace and its segments go with the child
}

// ---- SHM-010 SHM_HUGETLB without privilege ---------------------------------

// Catches: huge-page segments granted to a process without CAP_IPC_LOCK that
// is not in vm.hugetlb_shm_group. RLIMIT_MEMLOCK is 0 in the child so that the
// old mlock-limit fallback of some kernels cannot grant it either.
TEST(ShmOs, HugetlbWithoutCapabilityOrGroupFailsEperm) {
  long group = ReadProcLong("/proc/sys/vm/hugetlb_shm_group");
  if (group < 0)
    GTEST_SKIP()
        << "no /proc/sys/vm/hugetlb_shm_group (kernel without hugetlbfs)";
  if (group == 65534) GTEST_SKIP() << "vm.hugetlb_shm_group is nobody's group";
  EXPECT_CHILD_OK(RunInChild([] {
    struct rlimit zero = {0, 0};
    TEST_CHECK_SUCCESS(::setrlimit(RLIMIT_MEMLOCK, &zero));
    CHILD_SKIP_UNLESS(::setgroups(0, nullptr) == 0 && DropPrivileges(),
                      "cannot drop the groups and become uid/gid 65534");
    int id = ::shmget(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600);
    int err = errno;
    if (id >= 0) {
      ::shmctl(id, IPC_RMID, nullptr);
      TEST_FAIL("a huge-page segment was created");
    }
    errno = err;
    TEST_PCHECK(errno == EPERM);
  }));
}

// ---- SHM-011 shmat(NULL) ---------------------------------------------------

// Catches: an unaligned address chosen by the kernel, or nattch not counting
// it.
TEST(ShmOs, AttachAtNullChoosesPageAlignedAddressAndCounts) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  EXPECT_EQ(Nattch(seg.id()), 0);
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok()) << std::strerror(errno);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(at.get()) % kPage, 0u);
  EXPECT_EQ(Nattch(seg.id()), 1);
}

TEST(ShmLayer, AttachCountsInNattch) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 0u);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  EXPECT_TRUE(at.attached());
  EXPECT_EQ(at.segment_id(), seg.id());
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 1u);
}

// ---- SHM-012 several attachments in one process ----------------------------

// Catches: a second shmat returning the first address, or nattch counting
// processes.
TEST(ShmOs, SameSegmentAttachedTwiceAtDistinctAddresses) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment a(::shmat(seg.id(), nullptr, 0));
  Attachment b(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(a.ok() && b.ok()) << std::strerror(errno);
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(Nattch(seg.id()), 2);
}

TEST(ShmLayer, TwoAttachmentsCountTwice) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  auto a = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  auto b = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg, /*read_only=*/true));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 2u);
}

// ---- SHM-013 all attachments alias one object ------------------------------

// Catches: attachments that are copies (private mappings) rather than one
// object.
TEST(ShmOs, StoreThroughOneAttachmentIsSeenThroughTheOther) {
  Segment seg(::shmget(IPC_PRIVATE, 2 * kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment a(::shmat(seg.id(), nullptr, 0));
  Attachment b(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(a.ok() && b.ok());
  std::memcpy(a.get() + kPage + 10, "alias", 5);
  EXPECT_EQ(std::string(b.get() + kPage + 10, 5), "alias");
  b.get()[0] = 'B';
  EXPECT_EQ(a.get()[0], 'B');
}

// Catches: a segment attached by id in another process not being the same
// memory.
TEST(ShmOs, OtherProcessAttachingByIdSharesTheMemory) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  std::memcpy(at.get(), "parent", 6);
  int id = seg.id();
  ASSERT_CHILD_OK(RunInChild([id] {
    char* p =
        static_cast<char*>(::shmat(id, nullptr, 0));  // its own attachment
    TEST_CHECK_SUCCESS(p);
    TEST_CHECK_MSG(std::memcmp(p, "parent", 6) == 0,
                   "the parent's data is not seen");
    std::memcpy(p + 100, "child", 5);
    TEST_CHECK_SUCCESS(::shmdt(p));
  }));
  EXPECT_EQ(std::string(at.get() + 100, 5), "child");
}

// Catches: a separately exec'd program (no inheritance, key from ftok on the
// same file) not reaching the same memory — in both directions.
TEST(ShmOs, UnrelatedExecdProgramSharesDataThroughFtokKey) {
  TempDir dir;
  std::string path = MakeFile(dir.file("key"));
  key_t key = ::ftok(path.c_str(), 'S');
  ASSERT_NE(key, -1);
  Segment seg(::shmget(key, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  std::memcpy(at.get() + 200, "written here", 12);

  auto read =
      RunUnrelatedPeer({"shm-read", path, std::to_string('S'), "200", "12"});
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->wait_status, 0)
      << DescribeWaitStatus(read->wait_status) << ": " << read->output;
  EXPECT_EQ(read->output, "written here");

  auto write = RunUnrelatedPeer(
      {"shm-write", path, std::to_string('S'), "3000", "from the peer"});
  ASSERT_THAT(write, IsOk());
  EXPECT_EQ(write->wait_status, 0)
      << DescribeWaitStatus(write->wait_status) << ": " << write->output;
  EXPECT_EQ(std::string(at.get() + 3000, 13), "from the peer");
  EXPECT_EQ(Nattch(seg.id()), 1);  // the peer detached (shmdt, then exit)
}

TEST(ShmLayer, WriteThroughOneAttachmentReadThroughAnother) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  auto a = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  auto b = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg, /*read_only=*/true));
  ASSERT_OK(a.write(42, Bytes("shared")));
  auto v = ASSERT_OK_AND_VALUE(b.const_view(42, 6));
  EXPECT_EQ(ToString(v), "shared");
}

// ---- SHM-014 random access by pointer, no descriptor -----------------------

// Catches: stream-like behaviour (reads consuming data, order mattering), or
// offsets that alias one another.
TEST(ShmOs, RandomAccessAtAnyOffsetInAnyOrder) {
  const std::size_t size = 3 * kPage + 5;
  Segment seg(::shmget(IPC_PRIVATE, size, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  // Stores scattered backwards and forwards; then loads in another order,
  // twice.
  const std::size_t offsets[] = {size - 1, 0, 2 * kPage + 17, kPage - 1,
                                 kPage,    1, 3 * kPage};
  for (std::size_t i = 0; i < std::size(offsets); ++i)
    at.get()[offsets[i]] = static_cast<char>('a' + i);
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = std::size(offsets); i-- > 0;) {
      EXPECT_EQ(at.get()[offsets[i]], static_cast<char>('a' + i))
          << "offset " << offsets[i];
    }
  }
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < size; ++i) nonzero += at.get()[i] != 0;
  EXPECT_EQ(nonzero, std::size(offsets));  // nothing else changed
}

// Catches: a System V segment handed out as a file descriptor (the seed's
// "accessed with read/write/lseek" holds for POSIX shm only): shmget and shmat
// open no descriptor; the mapping is a shared one ('s').
TEST(ShmOs, SegmentIsReachedByAddressNotByDescriptor) {
  auto before = OpenDescriptorTargets();
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(OpenDescriptorTargets(), before);
  EXPECT_EQ(MapsPerms(at.get()), "rw-s");
}

TEST(ShmLayer, ReadAndWriteAtArbitraryOffsetsWithBoundsChecks) {
  const std::size_t size = 2 * kPage + 3;
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(size));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(at.write(size - 4, Bytes("last")));
  ASSERT_OK(at.write(kPage - 2, Bytes("span")));  // across a page boundary
  std::byte buf[4];
  ASSERT_OK(at.read(kPage - 2, buf));
  EXPECT_EQ(ToString(buf), "span");
  ASSERT_OK(at.read(size - 4, buf));
  EXPECT_EQ(ToString(buf), "last");
  auto v = ASSERT_OK_AND_VALUE(at.view(size - 1, 1));
  v[0] = std::byte{'!'};
  EXPECT_EQ(ToString(ASSERT_OK_AND_VALUE(at.const_view(size - 1, 1))), "!");
  EXPECT_THAT(at.write(size - 3, Bytes("last")), FailsWith(ERANGE));
  EXPECT_THAT(at.read(size, std::span<std::byte>(buf, 1)), FailsWith(ERANGE));
  EXPECT_THAT(at.view(SIZE_MAX, 2), FailsWith(ERANGE));
  ASSERT_OK(at.read(size - 4, buf));
  EXPECT_EQ(ToString(buf), "las!");  // the refused write changed nothing
}

// ---- SHM-015 shmaddr, SHM_RND ----------------------------------------------

// Catches: a page-aligned shmaddr not honoured.
TEST(ShmOs, AttachAtAlignedAddressUsesIt) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Reservation r(3 * SHMLBA / kPage);
  ASSERT_TRUE(r.ok());
  char* aligned = FreeAlignedPage(r);
  ASSERT_NE(aligned, nullptr) << "munmap: " << std::strerror(errno);
  Attachment at(::shmat(seg.id(), aligned, 0));
  ASSERT_TRUE(at.ok()) << std::strerror(errno);
  EXPECT_EQ(at.get(), aligned);
}

// Catches: SHM_RND not rounding down to SHMLBA, or an unaligned address
// accepted without SHM_RND.
TEST(ShmOs, UnalignedAddressIsRoundedWithShmRndAndRefusedWithout) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Reservation r(3 * SHMLBA / kPage);
  ASSERT_TRUE(r.ok());
  char* aligned = FreeAlignedPage(r);
  ASSERT_NE(aligned, nullptr) << "munmap: " << std::strerror(errno);
  EXPECT_EQ(::shmat(seg.id(), aligned + 123, 0), kShmFailed);
  EXPECT_EQ(errno, EINVAL);
  Attachment at(::shmat(seg.id(), aligned + 123, SHM_RND));
  ASSERT_TRUE(at.ok()) << std::strerror(errno);
  EXPECT_EQ(at.get(), aligned);
}

// ---- SHM-016 SHM_RDONLY ----------------------------------------------------

// Catches: a read-only attachment that accepts stores (or refuses loads).
TEST(ShmOs, ReadOnlyAttachmentLoadsButStoreRaisesSigsegv) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment rw(::shmat(seg.id(), nullptr, 0));
  Attachment ro(::shmat(seg.id(), nullptr, SHM_RDONLY));
  ASSERT_TRUE(rw.ok() && ro.ok());
  rw.get()[5] = 'A';
  EXPECT_EQ(ro.get()[5], 'A');
  char* p = ro.get();
  EXPECT_THAT(RunInChild([p] {
                TEST_CHECK(ExitOnFaults());
                volatile char* v = p;
                TEST_CHECK(v[5] == 'A');
                v[5] = 'B';
                TEST_FAIL("the store into the read-only attachment succeeded");
              }),
              ChildExitedWith(kSegvExit));
  EXPECT_EQ(rw.get()[5], 'A');
  EXPECT_EQ(MapsPerms(ro.get()), "r--s");
}

TEST(ShmLayer, ReadOnlyAttachmentRefusesWritesWithEacces) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  auto rw = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  auto ro = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg, /*read_only=*/true));
  EXPECT_TRUE(ro.read_only());
  ASSERT_OK(rw.write(0, Bytes("keep")));
  EXPECT_THAT(ro.write(0, Bytes("lost")), FailsWith(EACCES));
  EXPECT_THAT(ro.view(0, 4), FailsWith(EACCES));
  EXPECT_EQ(ToString(ASSERT_OK_AND_VALUE(ro.const_view(0, 4))), "keep");
}

// ---- SHM-017 mprotect ------------------------------------------------------

// Catches: a read-only attachment made writable through mprotect.
TEST(ShmOs, ReadOnlyAttachmentCannotBeMprotectedWritable) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment ro(::shmat(seg.id(), nullptr, SHM_RDONLY));
  ASSERT_TRUE(ro.ok());
  EXPECT_THAT(::mprotect(ro.get(), kPage, PROT_READ | PROT_WRITE),
              SyscallFailsWithErrno(EACCES));
  EXPECT_EQ(MapsPerms(ro.get()), "r--s");
}

// Catches: a downgrade that does not protect, or a re-upgrade refused.
TEST(ShmOs, WritableAttachmentCanBeDowngradedAndUpgraded) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  ASSERT_THAT(::mprotect(at.get(), kPage, PROT_READ), SyscallSucceeds());
  char* p = at.get();
  EXPECT_THAT(RunInChild([p] {
                TEST_CHECK(ExitOnFaults());
                *static_cast<volatile char*>(p) = 'x';
                TEST_FAIL("the store into the PROT_READ attachment succeeded");
              }),
              ChildExitedWith(kSegvExit));
  ASSERT_THAT(::mprotect(at.get(), kPage, PROT_READ | PROT_WRITE),
              SyscallSucceeds());
  at.get()[0] = 'y';
  EXPECT_EQ(at.get()[0], 'y');
}

// ---- SHM-018 shmat errors --------------------------------------------------

// Catches: shmat ignoring the mode (checked per requested access: SHM_RDONLY
// needs read, otherwise read and write).
TEST(ShmOs, AttachWithoutPermissionFailsEaccesUnprivileged) {
  Segment none(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  Segment readable(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0604));
  ASSERT_THAT(none.id(), SyscallSucceeds());
  ASSERT_THAT(readable.id(), SyscallSucceeds());
  int a = none.id(), b = readable.id();
  EXPECT_CHILD_OK(RunAsNobody([a, b] {
    TEST_CHECK_ERRNO(::shmat(a, nullptr, SHM_RDONLY), EACCES);  // no access
    TEST_CHECK_ERRNO(::shmat(b, nullptr, 0), EACCES);  // write on r-only mode
    void* p = ::shmat(b, nullptr, SHM_RDONLY);
    TEST_CHECK_SUCCESS(p);  // read-only attach of a readable segment
    TEST_CHECK_SUCCESS(::shmdt(p));
  }));
}

// Catches: shmat accepting an id that names no segment.
TEST(ShmOs, AttachInvalidIdFailsEinval) {
  EXPECT_EQ(::shmat(-1, nullptr, 0), kShmFailed);
  EXPECT_EQ(errno, EINVAL);
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  int id = seg.id();
  ASSERT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  seg.release();
  EXPECT_EQ(::shmat(id, nullptr, 0), kShmFailed);
  EXPECT_EQ(errno, EINVAL);
}

TEST(ShmLayer, AttachFailsEaccesUnprivilegedAndEinvalForBadId) {
  EXPECT_THAT(ShmAttachment::attach(ShmSegment::from_id(-1)),
              FailsWith(EINVAL));
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage, 0600));
  ShmOwner owner(seg);
  EXPECT_CHILD_OK(RunAsNobody([&] {
    auto at = ShmAttachment::attach(seg, /*read_only=*/true);
    TEST_CHECK_MSG(!at.ok(), "attached without permission");
    TEST_CHECK(at.error().code() == EACCES);
  }));
}

// ---- SHM-019 overlap, SHM_REMAP with NULL ----------------------------------

// Catches: an attachment silently replacing (part of) an existing mapping.
TEST(ShmOs, AttachOverlappingExistingMappingFailsEinval) {
  Segment seg(::shmget(IPC_PRIVATE, 2 * kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Reservation r(2);
  ASSERT_TRUE(r.ok());
  // Page 0 free, page 1 a live mapping with data: the segment would cover both.
  ASSERT_THAT(r.free_page(0), SyscallSucceeds());
  ASSERT_THAT(::mprotect(r.page(1), kPage, PROT_READ | PROT_WRITE),
              SyscallSucceeds());
  r.page(1)[0] = 'k';
  EXPECT_EQ(::shmat(seg.id(), r.page(0), 0), kShmFailed);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(r.page(1)[0], 'k');
  EXPECT_EQ(Nattch(seg.id()), 0);
}

// Catches: SHM_REMAP accepted without an address (Linux).
TEST(ShmOs, ShmRemapWithNullAddressFailsEinval) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  EXPECT_EQ(::shmat(seg.id(), nullptr, SHM_REMAP), kShmFailed);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(Nattch(seg.id()), 0);
}

// ---- SHM-039 SHM_REMAP replaces the mapping (Linux) ------------------------

// Catches: SHM_REMAP refusing an occupied range, or leaving the old contents.
TEST(ShmOs, ShmRemapReplacesAnExistingMapping) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Reservation r(1);
  ASSERT_TRUE(r.ok());
  ASSERT_THAT(::mprotect(r.page(0), kPage, PROT_READ | PROT_WRITE),
              SyscallSucceeds());
  r.page(0)[0] = 'o';
  Attachment at(::shmat(seg.id(), r.page(0), SHM_REMAP));
  ASSERT_TRUE(at.ok()) << std::strerror(errno);
  EXPECT_EQ(at.get(), r.page(0));
  EXPECT_EQ(at.get()[0], 0);  // the segment's (zero) byte, not the old 'o'
  EXPECT_EQ(Nattch(seg.id()), 1);
}

// ---- SHM-020 shmdt updates nattch, dtime, lpid -----------------------------

// Catches: shmdt not decrementing nattch, or not recording the time and caller.
TEST(ShmOs, DetachDecrementsNattchAndSetsDtimeAndLpid) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(Stat(seg.id()).shm_dtime, 0);
  int id = seg.id();
  // Another process attaches and detaches: lpid becomes that process.
  pid_t child_pid = 0;
  {
    Child child([id] {
      void* p = ::shmat(id, nullptr, 0);
      TEST_CHECK_SUCCESS(p);
      TEST_CHECK_SUCCESS(::shmdt(p));
    });
    child_pid = child.pid();
    ASSERT_CHILD_OK(child.wait());
  }
  EXPECT_EQ(Stat(id).shm_lpid, child_pid);
  EXPECT_EQ(Nattch(id), 1);
  time_t before = ::time(nullptr);
  ASSERT_THAT(at.detach(), SyscallSucceeds());
  time_t after = ::time(nullptr);
  struct shmid_ds ds = Stat(id);
  EXPECT_EQ(ds.shm_nattch, 0u);
  EXPECT_EQ(ds.shm_lpid, ::getpid());
  EXPECT_GE(ds.shm_dtime, before);
  EXPECT_LE(ds.shm_dtime, after);
}

TEST(ShmLayer, DetachDecrementsNattch) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  auto a = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  {
    auto b = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
    EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 2u);
  }  // the destructor detaches
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).nattch, 1u);
  ASSERT_OK(a.detach());
  EXPECT_FALSE(a.attached());
  auto st = ASSERT_OK_AND_VALUE(seg.stat());
  EXPECT_EQ(st.nattch, 0u);
  EXPECT_EQ(st.lpid, ::getpid());
  EXPECT_NE(st.dtime, 0);
}

// ---- SHM-021 shmdt errors --------------------------------------------------

// Catches: shmdt accepting an address that is not the start of an attachment.
TEST(ShmOs, DetachOfNonAttachmentSecondDetachOrUnalignedFailsEinval) {
  Segment seg(::shmget(IPC_PRIVATE, 2 * kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Reservation other(1);
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(::shmdt(other.page(0)),
              SyscallFailsWithErrno(EINVAL));  // an anonymous mapping
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  EXPECT_THAT(::shmdt(at.get() + 1),
              SyscallFailsWithErrno(EINVAL));  // unaligned
  EXPECT_EQ(Nattch(seg.id()), 1);
  char* p = at.get();
  ASSERT_THAT(at.detach(), SyscallSucceeds());
  EXPECT_THAT(::shmdt(p), SyscallFailsWithErrno(EINVAL));  // second detach
}

TEST(ShmLayer, SecondDetachFailsEinval) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(at.detach());
  EXPECT_THAT(at.detach(), FailsWith(EINVAL));
}

// ---- SHM-022 access after shmdt --------------------------------------------

// Catches: memory still mapped after shmdt.
TEST(ShmOs, AccessAfterDetachRaisesSigsegv) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  int id = seg.id();
  EXPECT_THAT(RunInChild([id] {
                TEST_CHECK(ExitOnFaults());
                volatile char* p = static_cast<char*>(::shmat(id, nullptr, 0));
                TEST_CHECK_SUCCESS(const_cast<char*>(p));
                p[0] = 'a';
                TEST_CHECK_SUCCESS(::shmdt(const_cast<char*>(p)));
                volatile char c = p[0];
                (void)c;
                TEST_FAIL("a load after shmdt succeeded");
              }),
              ChildExitedWith(kSegvExit));
}

TEST(ShmLayer, AccessAfterDetachFailsEinvalWithoutSignal) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(at.detach());
  std::byte b[1];
  EXPECT_THAT(at.read(0, b), FailsWith(EINVAL));
  EXPECT_THAT(at.write(0, Bytes("x")), FailsWith(EINVAL));
  EXPECT_THAT(at.view(0, 1), FailsWith(EINVAL));
}

// ---- SHM-040 references outside the attachment -----------------------------

// Catches: an attachment whose neighbours are accessible, or a tail of the
// last page (past shm_segsz) that is not mapped. The attachment sits between
// two PROT_NONE pages of a reservation.
TEST(ShmOs, ReferencesOutsideTheAttachmentRaiseSigsegv) {
  const std::size_t size = 100;
  Segment seg(::shmget(IPC_PRIVATE, size, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Reservation r(3);
  ASSERT_TRUE(r.ok());
  ASSERT_THAT(r.free_page(1), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), r.page(1), 0));
  ASSERT_TRUE(at.ok()) << std::strerror(errno);
  ASSERT_EQ(at.get(), r.page(1));
  char* p = at.get();
  // Inside the page but past shm_segsz: mapped (the page is the unit), zero.
  EXPECT_CHILD_OK(RunInChild([p] {
    TEST_CHECK(ExitOnFaults());
    volatile char* v = p;
    TEST_CHECK(v[kPage - 1] == 0);
    v[kPage - 1] = 't';
    TEST_CHECK(v[kPage - 1] == 't');
  }));
  EXPECT_EQ(p[kPage - 1], 't');  // the tail belongs to the shared page
  EXPECT_THAT(RunInChild([p] {
                TEST_CHECK(ExitOnFaults());
                volatile char c = static_cast<volatile char*>(p)[kPage];
                (void)c;
                TEST_FAIL("a load past the end succeeded");
              }),
              ChildExitedWith(kSegvExit))
      << "past the end";
  EXPECT_THAT(RunInChild([p] {
                TEST_CHECK(ExitOnFaults());
                static_cast<volatile char*>(p)[-1] = 'b';
                TEST_FAIL("a store before the start succeeded");
              }),
              ChildExitedWith(kSegvExit))
      << "before the start";
}

// ---- SHM-023 persistence across detach/attach ------------------------------

// Catches: contents dropped when the last attachment goes (without IPC_RMID).
TEST(ShmOs, ContentsPersistAcrossDetachAndReattach) {
  Segment seg(::shmget(IPC_PRIVATE, 2 * kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  {
    Attachment at(::shmat(seg.id(), nullptr, 0));
    ASSERT_TRUE(at.ok());
    std::memcpy(at.get() + kPage + 1, "persists", 8);
  }
  EXPECT_EQ(Nattch(seg.id()), 0);
  Attachment at(::shmat(seg.id(), nullptr, SHM_RDONLY));
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(std::string(at.get() + kPage + 1, 8), "persists");
}

TEST(ShmLayer, ContentsPersistAcrossReattach) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  {
    auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
    ASSERT_OK(at.write(7, Bytes("kept")));
  }
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg, /*read_only=*/true));
  EXPECT_EQ(ToString(ASSERT_OK_AND_VALUE(at.const_view(7, 4))), "kept");
}

// ---- SHM-024 the segment outlives its creator ------------------------------

// Catches: a segment destroyed when its creator exits (kernel persistence
// missing): a forked creator writes and exits; the segment stays listed with
// nattch 0, and an exec'd program that never met the creator reads the data.
TEST(ShmOs, SegmentOutlivesItsCreator) {
  TempDir dir;
  std::string path = MakeFile(dir.file("key"));
  key_t key = ::ftok(path.c_str(), 'P');
  ASSERT_NE(key, -1);
  KeyCleanup cleanup(key);
  pid_t creator = 0;
  {
    Child child([key] {
      int id = ::shmget(key, kPage, IPC_CREAT | IPC_EXCL | 0600);
      TEST_CHECK_SUCCESS(id);
      char* p = static_cast<char*>(::shmat(id, nullptr, 0));
      TEST_CHECK_SUCCESS(p);
      std::memcpy(p + 64, "left behind", 11);
    });  // exits attached: _exit detaches
    creator = child.pid();
    ASSERT_CHILD_OK(child.wait());
  }
  int id = ::shmget(key, 0, 0);
  ASSERT_THAT(id, SyscallSucceeds()) << "the segment went with its creator";
  if (std::string why = SysvipcUnavailable("shm"); !why.empty()) {
    NoteUnchecked("listed in /proc/sysvipc/shm (" + why + ")");
    struct shmid_ds ds = Stat(id);
    EXPECT_EQ(ds.shm_cpid, creator);
    EXPECT_EQ(ds.shm_nattch, 0u);
  } else {
    auto entry = ProcShmEntry(id);
    ASSERT_TRUE(entry.has_value()) << "not listed in /proc/sysvipc/shm";
    EXPECT_EQ(entry->key, static_cast<long>(key));
    EXPECT_EQ(entry->cpid, creator);
    EXPECT_EQ(entry->nattch, 0u);
  }
  auto read =
      RunUnrelatedPeer({"shm-read", path, std::to_string('P'), "64", "11"});
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->wait_status, 0)
      << DescribeWaitStatus(read->wait_status) << ": " << read->output;
  EXPECT_EQ(read->output, "left behind");
}

// Catches: the same for the layer: a segment created and written through it,
// with no owner, survives the creating process.
TEST(ShmLayer, SegmentWithoutOwnerOutlivesItsCreator) {
  TempDir dir;
  key_t key = KeyIn(dir);
  KeyCleanup cleanup(key);
  ASSERT_CHILD_OK(RunInChild([key] {
    auto seg = ShmSegment::create(key, kPage);
    TEST_CHECK(seg.ok());
    auto at = ShmAttachment::attach(*seg);
    TEST_CHECK(at.ok());
    TEST_CHECK(at->write(0, Bytes("survivor")).ok());
  }));
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::open(key));
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  EXPECT_EQ(ToString(ASSERT_OK_AND_VALUE(at.const_view(0, 8))), "survivor");
}

// ---- SHM-025 fork inherits attachments -------------------------------------

// Catches: attachments not inherited, not counted, or copied instead of shared.
TEST(ShmOs, ForkedChildInheritsAttachmentAndItCounts) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  std::memcpy(at.get(), "before fork", 11);
  int id = seg.id();
  char* p = at.get();
  ASSERT_CHILD_OK(RunInChild([id, p] {
    TEST_CHECK(Nattch(id) == 2);
    TEST_CHECK_MSG(std::memcmp(p, "before fork", 11) == 0,
                   "the data is not inherited");
    std::memcpy(p, "child wrote", 11);
  }));
  EXPECT_EQ(std::string(at.get(), 11), "child wrote");
  EXPECT_EQ(Nattch(id), 1);
}

// ---- SHM-026 _exit and execve detach ---------------------------------------

// Catches: attachments leaking past process exit.
TEST(ShmOs, ExitDetachesEveryAttachment) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  int id = seg.id();
  ASSERT_CHILD_OK(RunInChild([id] {
    TEST_CHECK_SUCCESS(::shmat(id, nullptr, 0));
    TEST_CHECK_SUCCESS(::shmat(id, nullptr, SHM_RDONLY));
    TEST_CHECK(Nattch(id) == 4);  // parent 1 + inherited 1 + 2 own
  }));
  EXPECT_EQ(Nattch(id), 1);
}

// Catches: attachments surviving execve. The child inherits the attachment,
// execs the peer, which blocks opening a FIFO: while it is blocked (so exec is
// complete and the process alive) nattch must be back to 1 and its maps free
// of System V segments.
TEST(ShmOs, ExecveDetachesEveryAttachment) {
  auto peer = conformance::runfile("conformance/testing/peer");
  ASSERT_THAT(peer, IsOk());
  TempDir dir;
  std::string fifo = dir.file("fifo");
  ASSERT_THAT(::mkfifo(fifo.c_str(), 0600), SyscallSucceeds());
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  int id = seg.id();
  std::string peer_path = *peer;
  Child child([&] {
    TEST_CHECK(Nattch(id) == 2);
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    TEST_CHECK_SUCCESS(null);
    TEST_CHECK_SUCCESS(::dup2(null, 1));
    TEST_CHECK_SUCCESS(::execl(peer_path.c_str(), peer_path.c_str(),
                               "read-path", fifo.c_str(), "8",
                               static_cast<char*>(nullptr)));
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(), SYS_openat,
                                      ipc::deadline_in(kPatience)));
  EXPECT_EQ(Nattch(id), 1);
  EXPECT_FALSE(MapsShowSysv(child.pid()));
  int w = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_THAT(w, SyscallSucceeds());
  EXPECT_THAT(::write(w, "x", 1), SyscallSucceedsWithValue(1));
  ::close(w);
  EXPECT_CHILD_OK(child.wait());
}

// ---- SHM-027 IPC_RMID while attached: deferred destruction -----------------

// Catches: IPC_RMID destroying an attached segment at once, SHM_DEST not shown,
// or the segment kept after the last detach.
TEST(ShmOs, RemoveWhileAttachedMarksAndDestroysAtLastDetach) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  int id = seg.id();
  Attachment a(::shmat(id, nullptr, 0));
  Attachment b(::shmat(id, nullptr, 0));
  ASSERT_TRUE(a.ok() && b.ok());
  std::memcpy(a.get(), "still here", 10);
  ASSERT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  seg.release();
  struct shmid_ds ds = Stat(id);
  EXPECT_NE(ds.shm_perm.mode & SHM_DEST, 0u);
  EXPECT_EQ(ds.shm_nattch, 2u);
  // The memory stays usable through both attachments.
  EXPECT_EQ(std::string(b.get(), 10), "still here");
  b.get()[20] = 'w';
  EXPECT_EQ(a.get()[20], 'w');
  ASSERT_THAT(b.detach(), SyscallSucceeds());
  EXPECT_EQ(Nattch(id), 1);
  std::string no_proc = SysvipcUnavailable("shm");
  if (no_proc.empty()) {
    EXPECT_TRUE(ProcShmEntry(id).has_value());
  }
  ASSERT_THAT(a.detach(), SyscallSucceeds());
  struct shmid_ds gone;
  EXPECT_THAT(::shmctl(id, IPC_STAT, &gone), SyscallFailsWithErrno(EINVAL));
  if (no_proc.empty()) {
    EXPECT_FALSE(ProcShmEntry(id).has_value());
  } else {
    NoteUnchecked("listed in /proc/sysvipc/shm until the last detach (" +
                  no_proc + ")");
  }
}

TEST(ShmLayer, RemoveWhileAttachedMarksAndKeepsData) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(at.write(0, Bytes("data")));
  ASSERT_OK(owner.remove());
  EXPECT_FALSE(owner.owns());
  auto st = ASSERT_OK_AND_VALUE(seg.stat());
  EXPECT_TRUE(st.marked_for_removal);
  EXPECT_EQ(st.nattch, 1u);
  EXPECT_EQ(ToString(ASSERT_OK_AND_VALUE(at.const_view(0, 4))), "data");
  ASSERT_OK(at.detach());
  EXPECT_FALSE(seg.stat().ok());
}

// ---- SHM-028 key unlinked after IPC_RMID -----------------------------------

// Catches: a removed (still attached) segment found by its key, or its key not
// reset to IPC_PRIVATE (in IPC_STAT and /proc/sysvipc/shm), or the key not free
// for a new segment.
TEST(ShmOs, RemovedSegmentIsNotFoundByKeyAndShowsPrivateKey) {
  TempDir dir;
  key_t key = KeyIn(dir);
  Segment seg(::shmget(key, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  int id = seg.id();
  Attachment at(::shmat(id, nullptr, 0));
  ASSERT_TRUE(at.ok());
  std::string no_proc = SysvipcUnavailable("shm");
  if (no_proc.empty()) {
    auto listed = ProcShmEntry(id);
    ASSERT_TRUE(listed.has_value());
    EXPECT_EQ(listed->key, static_cast<long>(key));
  }
  ASSERT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  seg.release();
  EXPECT_THAT(::shmget(key, 0, 0), SyscallFailsWithErrno(ENOENT));
  EXPECT_EQ(Stat(id).shm_perm.__key, IPC_PRIVATE);
  if (no_proc.empty()) {
    auto entry = ProcShmEntry(id);
    ASSERT_TRUE(entry.has_value());
    EXPECT_EQ(entry->key, 0);
    EXPECT_EQ(entry->perms, static_cast<unsigned>(SHM_DEST | 0600));
    EXPECT_EQ(entry->nattch, 1u);
  } else {
    NoteUnchecked("the key and SHM_DEST as /proc/sysvipc/shm shows them (" +
                  no_proc + ")");
  }
  Segment fresh(::shmget(key, kPage, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(fresh.id(), SyscallSucceeds());
  EXPECT_NE(fresh.id(), id);
}

TEST(ShmLayer, OpenAfterRemoveFailsEnoent) {
  TempDir dir;
  key_t key = KeyIn(dir);
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create(key, kPage));
  ShmOwner owner(seg);
  auto at = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(owner.remove());
  EXPECT_THAT(ShmSegment::open(key), FailsWith(ENOENT));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(seg.stat()).key, IPC_PRIVATE);
}

// ---- SHM-029 shmat by id after IPC_RMID (Linux) ----------------------------

// Catches: Linux's exception missing (or the new attachment not the same
// memory).
TEST(ShmOs, AttachByIdAfterRemoveWhileStillAttached) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  int id = seg.id();
  Attachment a(::shmat(id, nullptr, 0));
  ASSERT_TRUE(a.ok());
  std::memcpy(a.get(), "removed", 7);
  ASSERT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  seg.release();
  Attachment b(::shmat(id, nullptr, 0));
  ASSERT_TRUE(b.ok()) << std::strerror(errno);
  EXPECT_EQ(std::string(b.get(), 7), "removed");
  EXPECT_EQ(Nattch(id), 2);
}

TEST(ShmLayer, AttachAfterRemoveWhileAttached) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  auto first = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  ASSERT_OK(owner.remove());
  auto second = ASSERT_OK_AND_VALUE(ShmAttachment::attach(seg));
  EXPECT_EQ(second.size(), kPage);
}

// ---- SHM-030 repeated IPC_RMID ---------------------------------------------

// Catches: a second IPC_RMID destroying (or refusing) a still-attached segment.
TEST(ShmOs, RepeatedRemoveDoesNotDestroyAttachedSegmentEarly) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  int id = seg.id();
  Attachment at(::shmat(id, nullptr, 0));
  ASSERT_TRUE(at.ok());
  ASSERT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  seg.release();
  EXPECT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  EXPECT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  EXPECT_EQ(Nattch(id), 1);
  at.get()[kPage - 1] = 'v';
  EXPECT_EQ(at.get()[kPage - 1], 'v');
}

// ---- SHM-031 destroyed id is invalid ---------------------------------------

// Catches: a destroyed id that still answers. shmctl(2) documents EIDRM for
// "a removed identifier" and POSIX EINVAL for an invalid one: both accepted.
TEST(ShmOs, DestroyedIdFailsEinvalOrEidrm) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  int id = seg.id();
  ASSERT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  seg.release();
  struct shmid_ds ds;
  errno = 0;
  EXPECT_EQ(::shmctl(id, IPC_STAT, &ds), -1);
  EXPECT_TRUE(errno == EINVAL || errno == EIDRM) << std::strerror(errno);
  errno = 0;
  EXPECT_EQ(::shmat(id, nullptr, 0), kShmFailed);
  EXPECT_TRUE(errno == EINVAL || errno == EIDRM) << std::strerror(errno);
  errno = 0;
  EXPECT_EQ(::shmctl(id, IPC_RMID, nullptr), -1);
  EXPECT_TRUE(errno == EINVAL || errno == EIDRM) << std::strerror(errno);
}

TEST(ShmLayer, StatAndRemoveOfDestroyedSegmentFail) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage));
  ShmOwner owner(seg);
  ASSERT_OK(owner.remove());
  auto st = seg.stat();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().code() == EINVAL || st.error().code() == EIDRM)
      << st.error().message();
  auto again = seg.remove();
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().code() == EINVAL || again.error().code() == EIDRM);
  EXPECT_THAT(owner.remove(), FailsWith(EINVAL));  // owns nothing any more
}

// ---- SHM-032 IPC_STAT fields -----------------------------------------------

// Catches: wrong or missing IPC_STAT fields before and after the first attach.
TEST(ShmOs, IpcStatReportsEveryField) {
  TempDir dir;
  key_t key = KeyIn(dir);
  time_t t0 = ::time(nullptr);
  Segment seg(::shmget(key, 5000, IPC_CREAT | 0640));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  time_t t1 = ::time(nullptr);
  struct shmid_ds ds = Stat(seg.id());
  EXPECT_EQ(ds.shm_perm.__key, key);
  EXPECT_EQ(ds.shm_perm.uid, ::geteuid());
  EXPECT_EQ(ds.shm_perm.cuid, ::geteuid());
  EXPECT_EQ(ds.shm_perm.gid, ::getegid());
  EXPECT_EQ(ds.shm_perm.cgid, ::getegid());
  EXPECT_EQ(ds.shm_perm.mode & 0777, 0640u);
  EXPECT_EQ(ds.shm_perm.mode & ~0777u, 0u);
  EXPECT_EQ(ds.shm_segsz, 5000u);
  EXPECT_EQ(ds.shm_cpid, ::getpid());
  EXPECT_EQ(ds.shm_lpid, 0);
  EXPECT_EQ(ds.shm_nattch, 0u);
  EXPECT_EQ(ds.shm_atime, 0);
  EXPECT_EQ(ds.shm_dtime, 0);
  EXPECT_GE(ds.shm_ctime, t0);
  EXPECT_LE(ds.shm_ctime, t1);
  Attachment at(::shmat(seg.id(), nullptr, 0));
  ASSERT_TRUE(at.ok());
  time_t t2 = ::time(nullptr);
  ds = Stat(seg.id());
  EXPECT_GE(ds.shm_atime, t1);
  EXPECT_LE(ds.shm_atime, t2);
  EXPECT_EQ(ds.shm_lpid, ::getpid());
  EXPECT_EQ(ds.shm_nattch, 1u);
  EXPECT_EQ(ds.shm_dtime, 0);
}

TEST(ShmLayer, StatReportsFields) {
  TempDir dir;
  key_t key = KeyIn(dir);
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create(key, 5000, 0640));
  ShmOwner owner(seg);
  auto st = ASSERT_OK_AND_VALUE(seg.stat());
  EXPECT_EQ(st.key, key);
  EXPECT_EQ(st.size, 5000u);
  EXPECT_EQ(st.mode, 0640u);
  EXPECT_EQ(st.uid, ::geteuid());
  EXPECT_EQ(st.cpid, ::getpid());
  EXPECT_EQ(st.lpid, 0);
  EXPECT_EQ(st.atime, 0);
  EXPECT_NE(st.ctime, 0);
  EXPECT_FALSE(st.marked_for_removal);
}

// ---- SHM-033 IPC_SET -------------------------------------------------------

// Catches: IPC_SET ignoring mode/uid/gid, letting non-permission mode bits
// through, changing the creator, or not updating shm_ctime. The segment is
// handed to nobody (65534), an owner other than the caller; where this user
// namespace does not map that id (Bazel's sandbox maps only 0) the test skips.
// shm_ctime has one second of resolution, so the test waits for the wall
// clock's next second (up to 1 s; nothing else can make the new value
// distinguishable).
TEST(ShmOs, IpcSetChangesModeAndOwnerAndCtime) {
  constexpr uid_t kUid = 65534;
  constexpr gid_t kGid = 65534;
  if (!IdMapped("/proc/self/uid_map", kUid) ||
      !IdMapped("/proc/self/gid_map", kGid)) {
    GTEST_SKIP() << "uid/gid 65534 is not mapped in this user namespace: no "
                    "other owner to hand the segment to";
  }
  if (::geteuid() == kUid || ::getegid() == kGid)
    GTEST_SKIP() << "the caller is uid/gid 65534 itself: no other owner";
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  struct shmid_ds ds = Stat(seg.id());
  time_t created = ds.shm_ctime;
  WaitUntilTimeIsAfter(created);
  ds.shm_perm.mode = 0644 | SHM_DEST;
  ds.shm_perm.uid = kUid;
  ds.shm_perm.gid = kGid;
  ASSERT_THAT(::shmctl(seg.id(), IPC_SET, &ds), SyscallSucceeds());
  struct shmid_ds after = Stat(seg.id());
  EXPECT_EQ(after.shm_perm.mode, 0644u);  // only the permission bits are taken
  EXPECT_EQ(after.shm_perm.uid, kUid);
  EXPECT_EQ(after.shm_perm.gid, kGid);
  EXPECT_EQ(after.shm_perm.cuid, ::geteuid());
  EXPECT_EQ(after.shm_perm.cgid, ::getegid());
  EXPECT_GT(after.shm_ctime, created);
}

// ---- SHM-034 shmctl errors -------------------------------------------------

// Catches: permission checks missing in shmctl (IPC_STAT needs read; IPC_SET
// and IPC_RMID need to be the owner or creator).
TEST(ShmOs, ShmctlByUnprivilegedNonOwnerFailsEaccesOrEperm) {
  Segment private_seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  Segment open_seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0666));
  ASSERT_THAT(private_seg.id(), SyscallSucceeds());
  ASSERT_THAT(open_seg.id(), SyscallSucceeds());
  int a = private_seg.id(), b = open_seg.id();
  EXPECT_CHILD_OK(RunAsNobody([a, b] {
    struct shmid_ds ds;
    TEST_CHECK_ERRNO(::shmctl(a, IPC_STAT, &ds), EACCES);
    TEST_CHECK_SUCCESS(::shmctl(b, IPC_STAT, &ds));  // readable by all
    ds.shm_perm.mode = 0600;
    TEST_CHECK_ERRNO(::shmctl(b, IPC_SET, &ds), EPERM);
    TEST_CHECK_ERRNO(::shmctl(b, IPC_RMID, nullptr), EPERM);
  }));
  EXPECT_EQ(Stat(b).shm_perm.mode, 0666u);  // untouched
}

// Catches: unknown commands, bad ids or bad buffers not rejected as documented.
TEST(ShmOs, ShmctlBadCommandIdOrBufferFails) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  struct shmid_ds ds;
  EXPECT_THAT(::shmctl(seg.id(), 12345, &ds), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::shmctl(-1, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL));
  Reservation bad(1);  // PROT_NONE
  ASSERT_TRUE(bad.ok());
  auto* bad_buf = reinterpret_cast<struct shmid_ds*>(bad.page(0));
  EXPECT_THAT(::shmctl(seg.id(), IPC_STAT, bad_buf),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(::shmctl(seg.id(), IPC_SET, bad_buf),
              SyscallFailsWithErrno(EFAULT));
}

TEST(ShmLayer, StatAndRemoveByUnprivilegedNonOwnerFail) {
  auto seg = ASSERT_OK_AND_VALUE(ShmSegment::create_private(kPage, 0600));
  ShmOwner owner(seg);
  EXPECT_CHILD_OK(RunAsNobody([&] {
    auto st = seg.stat();
    TEST_CHECK_MSG(!st.ok(), "stat without read permission succeeded");
    TEST_CHECK(st.error().code() == EACCES);
    auto rm = seg.remove();
    TEST_CHECK_MSG(!rm.ok(), "remove by a non-owner succeeded");
    TEST_CHECK(rm.error().code() == EPERM);
  }));
  EXPECT_THAT(seg.stat(), IsOk());
}

// ---- SHM-035 IPC_INFO, SHM_INFO, SHM_STAT, SHM_STAT_ANY (Linux) ------------

// Catches: info commands that disagree with the sysctls and /proc/sysvipc/shm.
// Runs in a private IPC namespace so that the counts are ours alone.
TEST(ShmOs, InfoCommandsAgreeWithSysctlsAndProc) {
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    int a = ::shmget(IPC_PRIVATE, 5000, IPC_CREAT | 0600);
    int b = ::shmget(IPC_PRIVATE, 100, IPC_CREAT | 0640);
    TEST_CHECK_SUCCESS(a);
    TEST_CHECK_SUCCESS(b);
    struct shminfo info;
    int max_index =
        ::shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&info));
    TEST_CHECK(max_index >= 1);  // two segments: the highest index is >= 1
    TEST_CHECK(info.shmmin == 1);
    TEST_CHECK(static_cast<long>(info.shmmni) ==
               ReadProcLong("/proc/sys/kernel/shmmni"));
    struct shm_info usage;
    TEST_CHECK(
        ::shmctl(0, SHM_INFO, reinterpret_cast<struct shmid_ds*>(&usage)) ==
        max_index);
    TEST_CHECK(usage.used_ids == 2);
    // SHM_STAT takes an index and returns the id; fields match /proc.
    int found = 0;
    for (int index = 0; index <= max_index; ++index) {
      struct shmid_ds ds;
      int id = ::shmctl(index, SHM_STAT, &ds);
      if (id < 0) continue;
      if (SysvipcUnavailable("shm").empty()) {
        auto entry = ProcShmEntry(id);
        TEST_CHECK_MSG(entry && entry->size == ds.shm_segsz &&
                           entry->cpid == ds.shm_cpid &&
                           entry->perms == (ds.shm_perm.mode & 07777),
                       "SHM_STAT and /proc/sysvipc/shm disagree");
      }
      found +=
          (id == a && ds.shm_segsz == 5000) || (id == b && ds.shm_segsz == 100);
    }
    TEST_CHECK(found == 2);
    struct shmid_ds ds;
    TEST_CHECK_ERRNO(::shmctl(max_index + 1, SHM_STAT, &ds), EINVAL);
  }));
  if (std::string why = SysvipcUnavailable("shm"); !why.empty())
    NoteUnchecked("SHM_STAT against /proc/sysvipc/shm (" + why + ")");
}

// Catches: SHM_STAT_ANY checking read permission (it must not), or SHM_STAT
// not checking it.
TEST(ShmOs, ShmStatAnyIgnoresReadPermission) {
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    int id = ::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600);
    TEST_CHECK_SUCCESS(id);
    struct shminfo info;
    int index =
        ::shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&info));
    TEST_CHECK(index == 0);  // the only segment of a fresh namespace
    CHILD_SKIP_UNLESS(DropPrivileges(), "cannot become uid/gid 65534");
    struct shmid_ds ds;
    TEST_CHECK_ERRNO(::shmctl(index, SHM_STAT, &ds), EACCES);
    TEST_CHECK(::shmctl(index, SHM_STAT_ANY, &ds) == id);
    TEST_CHECK(ds.shm_segsz == kPage);
  }));
}

// ---- SHM-036 SHM_LOCK / SHM_UNLOCK (Linux) ---------------------------------

// Catches: the SHM_LOCKED mode bit not following SHM_LOCK / SHM_UNLOCK.
TEST(ShmOs, ShmLockSetsAndShmUnlockClearsShmLocked) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  EXPECT_EQ(Stat(seg.id()).shm_perm.mode & SHM_LOCKED, 0u);
  ASSERT_THAT(::shmctl(seg.id(), SHM_LOCK, nullptr), SyscallSucceeds());
  EXPECT_EQ(Stat(seg.id()).shm_perm.mode,
            static_cast<unsigned>(SHM_LOCKED | 0600));
  ASSERT_THAT(::shmctl(seg.id(), SHM_UNLOCK, nullptr), SyscallSucceeds());
  EXPECT_EQ(Stat(seg.id()).shm_perm.mode, 0600u);
}

// ---- SHM-037 partial munmap, mprotect splits (Linux) -----------------------

// Catches: a partial munmap refused, or pieces of a split attachment leaking
// nattch (so that a removed segment would never be destroyed). Linux counts
// one per mapping piece, so nattch while split is not asserted exactly; what
// must hold is that shmdt of the attachment takes every piece.
TEST(ShmOs, PartialUnmapAndMprotectSplitsDoNotLeakNattch) {
  Segment seg(::shmget(IPC_PRIVATE, 3 * kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  int id = seg.id();
  {
    Attachment at(::shmat(id, nullptr, 0));
    ASSERT_TRUE(at.ok());
    at.get()[2 * kPage] = 'L';
    ASSERT_THAT(::munmap(at.get() + kPage, kPage), SyscallSucceeds());
    EXPECT_GE(Nattch(id), 1);
    EXPECT_EQ(at.get()[2 * kPage],
              'L');  // the piece after the hole still works
    ASSERT_THAT(at.detach(), SyscallSucceeds());
  }
  EXPECT_EQ(Nattch(id), 0);
  Attachment at(::shmat(id, nullptr, 0));
  ASSERT_TRUE(at.ok());
  ASSERT_THAT(::mprotect(at.get() + kPage, kPage, PROT_READ),
              SyscallSucceeds());
  ASSERT_THAT(::mprotect(at.get() + kPage, kPage, PROT_READ | PROT_WRITE),
              SyscallSucceeds());
  ASSERT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  seg.release();
  ASSERT_THAT(at.detach(), SyscallSucceeds());
  struct shmid_ds ds;
  EXPECT_THAT(::shmctl(id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL))
      << "nattch leaked: never destroyed";
}

// ---- SHM-038 kernel.shm_rmid_forced (Linux; private IPC namespace) ---------

// Catches: shm_rmid_forced=1 not destroying the segments of an exiting creator
// (and, as the control, shm_rmid_forced=0 destroying them).
TEST(ShmOs, RmidForcedDestroysSegmentsOfExitingCreator) {
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    // A grandchild creates two segments (one attached until it exits) and
    // reports the ids; `out` gets them once it has exited.
    auto create_two = [](int out[2]) {
      RawPipe ids_pipe;
      Child creator([&] {
        int ids[2] = {::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600),
                      ::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600)};
        TEST_CHECK_SUCCESS(ids[0]);
        TEST_CHECK_SUCCESS(ids[1]);
        TEST_CHECK_SUCCESS(::shmat(ids[0], nullptr, 0));
        TEST_CHECK(::write(ids_pipe.write.get(), ids, sizeof ids) ==
                   sizeof ids);
      });
      ids_pipe.write.reset();
      TEST_CHECK_MSG(creator.wait().ok(), "the creating child failed");
      TEST_CHECK(RetryEINTR(::read)(ids_pipe.read.get(), out,
                                    2 * sizeof(int)) == 2 * sizeof(int));
    };
    struct shmid_ds ds;
    CHILD_SKIP_UNLESS(WriteProc("/proc/sys/kernel/shm_rmid_forced", "0"),
                      "cannot write kernel.shm_rmid_forced in a private IPC "
                      "namespace");
    int kept[2];
    create_two(kept);
    TEST_CHECK_MSG(::shmctl(kept[0], IPC_STAT, &ds) == 0 &&
                       ::shmctl(kept[1], IPC_STAT, &ds) == 0,
                   "destroyed with shm_rmid_forced=0");
    CHILD_SKIP_UNLESS(WriteProc("/proc/sys/kernel/shm_rmid_forced", "1") &&
                          ReadProcLong("/proc/sys/kernel/shm_rmid_forced") == 1,
                      "cannot set kernel.shm_rmid_forced to 1 in a private "
                      "IPC namespace");
    int forced[2];
    create_two(forced);
    TEST_CHECK_ERRNO(::shmctl(forced[0], IPC_STAT, &ds), EINVAL);
    TEST_CHECK_ERRNO(::shmctl(forced[1], IPC_STAT, &ds), EINVAL);
  }));
}

// ---- SHM-041 SHM_EXEC (Linux) ----------------------------------------------

// Catches: SHM_EXEC ignored (the attachment not executable) or executable
// without it.
TEST(ShmOs, ShmExecMakesTheAttachmentExecutable) {
  Segment seg(::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600));
  ASSERT_THAT(seg.id(), SyscallSucceeds());
  Attachment plain(::shmat(seg.id(), nullptr, 0));
  Attachment exec(::shmat(seg.id(), nullptr, SHM_EXEC));
  Attachment exec_ro(::shmat(seg.id(), nullptr, SHM_EXEC | SHM_RDONLY));
  ASSERT_TRUE(plain.ok() && exec.ok() && exec_ro.ok()) << std::strerror(errno);
  EXPECT_EQ(MapsPerms(plain.get()), "rw-s");
  EXPECT_EQ(MapsPerms(exec.get()), "rwxs");
  EXPECT_EQ(MapsPerms(exec_ro.get()), "r-xs");
}

// ---- SHM-042 remap_file_pages on a removed segment -------------------------

// Catches: a remap_file_pages that keeps using a removed segment's memory
// after replacing its last attachment (the use-after-free fixed by Linux
// commit 3f05317d9889), or that leaves the old mapping in place. The same
// call on a segment that was not removed succeeds (so the failure is about
// the removal). glibc's wrapper and the system call, one segment each.
TEST(ShmOs, RemapFilePagesOfARemovedSegmentFailsAndDestroysIt) {
  for (bool raw : {false, true}) {
    SCOPED_TRACE(raw ? "system call" : "glibc remap_file_pages");
    auto remap = [raw](void* addr, std::size_t len) -> long {
      if (raw) return ::syscall(SYS_remap_file_pages, addr, len, 0, 0, 0);
      return ::remap_file_pages(addr, len, 0, 0, 0);
    };
    {
      Segment seg(::shmget(IPC_PRIVATE, 2 * kPage, IPC_CREAT | 0600));
      ASSERT_THAT(seg.id(), SyscallSucceeds());
      Attachment a(::shmat(seg.id(), nullptr, 0));
      ASSERT_TRUE(a.ok()) << std::strerror(errno);
      std::memset(a.get(), 'x', 2 * kPage);
      long r = remap(a.get(), 2 * kPage);
      if (r == -1 && errno == ENOSYS)
        GTEST_SKIP() << "remap_file_pages is not implemented (ENOSYS)";
      EXPECT_THAT(r, SyscallSucceeds()) << "a segment that was not removed";
      long nattch = Nattch(seg.id());
      EXPECT_EQ(nattch, 1);
      // Read back only where the range is certainly still the segment: an OS
      // that destroyed it (shm_rmid_forced) fails above instead of crashing.
      if (r == 0 && nattch == 1) {
        EXPECT_EQ(a.get()[kPage + 1], 'x');
      }
    }
    int id = ::shmget(IPC_PRIVATE, 2 * kPage, IPC_CREAT | 0600);
    ASSERT_THAT(id, SyscallSucceeds());
    Segment seg(id);
    char* addr = static_cast<char*>(::shmat(id, nullptr, 0));
    ASSERT_NE(addr, kShmFailed) << std::strerror(errno);
    addr[0] = 'y';
    ASSERT_THAT(::shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
    EXPECT_THAT(remap(addr, 2 * kPage), SyscallFailsWithErrno(EINVAL));
    struct shmid_ds ds = {};
    bool destroyed = ::shmctl(id, IPC_STAT, &ds) == -1 && errno == EINVAL;
    EXPECT_TRUE(destroyed) << "the removed segment outlived its attachment";
    EXPECT_FALSE(ProcShmEntry(id).has_value()) << "still in /proc/sysvipc/shm";
    EXPECT_THAT(::shmdt(addr), SyscallFailsWithErrno(EINVAL))
        << "the attachment is still there";
    EXPECT_THAT(RunInChild([addr] {
                  TEST_CHECK(ExitOnFaults());
                  volatile char c = addr[0];
                  (void)c;
                }),
                ChildExitedWith(kSegvExit))
        << "the range is still mapped";
    ::munmap(addr, 2 * kPage);  // whatever a deviating OS left there
    if (destroyed) seg.release();
  }
}

}  // namespace
