// conformance/posix_shm_test.cc — conformance tests for POSIX shared memory and
// MAP_SHARED mmap: the raw OS calls (PshmOs, "verifying OS behaviour") and our
// layer ipc/posix_shm.h where it exposes the behaviour (PshmLayer). Catalogue:
// conformance/catalog/posix_shm.txt (PSHM-001 … PSHM-035; PSHM-016 is not
// testable).
//
// Every test names the deviation it catches in its comment. Names come from
// UniqueName and are unlinked by a ShmNameOwner on every path. Faults
// (SIGBUS, SIGSEGV) are taken in forked children whose exit status says which
// fault they took (that is the behaviour); every other check in a child is a
// TEST_CHECK that names itself. Nothing is ordered with a sleep.
#include "ipc/posix_shm.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/streams.h"
#include "conformance/testing/suite_util.h"
#include "conformance/testing/unrelated.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/testing/test_util.h"

namespace {

using ::conformance::testing::AsWritableBytes;
using ::conformance::testing::RunAsNobody;
using ::conformance::testing::RunPeer;
using ::conformance::testing::RunUnrelatedPeer;
using ::ipc::PosixShm;
using ::ipc::SharedMapping;
using ::ipc::ShmNameOwner;
using ::ipc::testing::Child;
using ::ipc::testing::ChildExitedWith;
using ::ipc::testing::ChildResult;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::ExitedWith;
using ::ipc::testing::ExitOnFaults;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::kBusExit;
using ::ipc::testing::Mapping;
using ::ipc::testing::RawPipe;
using ::ipc::testing::RetryEINTR;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::testing::HasSubstr;

const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

// ---- helpers ---------------------------------------------------------------

// "/ipct-<pid>-<random>-<n>-<tag>": unique, and counted by the leak listener.
std::string ShmName(const std::string& tag) {
  return "/" + ipc::testing::UniqueName(tag);
}

// shm_open(name, flags | O_CLOEXEC, mode) straight from libc.
int RawOpen(const std::string& name, int flags, mode_t mode = 0600) {
  return ::shm_open(name.c_str(), flags | O_CLOEXEC, mode);
}

// A new object of `size` bytes opened O_RDWR, and the owner that unlinks it.
struct RawShm {
  ShmNameOwner owner;
  ipc::Fd fd;
};
// Creates it (O_CREAT|O_EXCL); returns shm_open's or ftruncate's result.
int CreateShm(RawShm& s, const std::string& tag, std::size_t size = 0) {
  std::string name = ShmName(tag);
  int fd = RawOpen(name, O_RDWR | O_CREAT | O_EXCL);
  if (fd < 0) return fd;
  s.owner = ShmNameOwner(name);
  s.fd.reset(fd);
  return size == 0 ? fd : ::ftruncate(fd, static_cast<off_t>(size));
}

// fchown to uid/gid 65534 (nobody). False with EINVAL when that id is not
// mapped in our user namespace (Bazel's sandbox maps only 0): callers skip.
bool ChownToNobody(int fd, gid_t gid = 65534) {
  return ::fchown(fd, 65534, gid) == 0;
}
#define CHOWN_OR_SKIP(fd, ...)                                                \
  do {                                                                        \
    if (!ChownToNobody(fd __VA_OPT__(, ) __VA_ARGS__)) {                      \
      ASSERT_EQ(errno, EINVAL) << std::strerror(errno);                       \
      GTEST_SKIP()                                                            \
          << "uid 65534 is not mapped here (fchown EINVAL; Bazel's sandbox)"; \
    }                                                                         \
  } while (0)

// One volatile load / store, so the compiler cannot drop or move the access.
char Load(const char* p) { return *static_cast<const volatile char*>(p); }
void Store(char* p, char c) { *static_cast<volatile char*>(p) = c; }

std::string ReadAt(int fd, std::size_t offset, std::size_t n) {
  std::string s(n, '\0');
  ssize_t got = ::pread(fd, s.data(), n, static_cast<off_t>(offset));
  s.resize(got < 0 ? 0 : static_cast<std::size_t>(got));
  return got < 0 ? "<pread failed>" : s;
}

off_t SizeOf(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? st.st_size : -1;
}

// The layer's read_at / mapping read, as a string ("<error: ...>" on failure).
std::string LayerReadAt(const PosixShm& shm, std::size_t offset,
                        std::size_t n) {
  std::string s(n, '\0');
  auto r = shm.read_at(offset, AsWritableBytes(s));
  if (!r.ok()) return "<error: " + r.error().message() + ">";
  s.resize(*r);
  return s;
}
std::string LayerMapRead(const SharedMapping& m, const PosixShm& shm,
                         std::size_t offset, std::size_t n) {
  std::string s(n, '\0');
  auto r = m.read(shm, offset, AsWritableBytes(s));
  return r.ok() ? s : "<error: " + r.error().message() + ">";
}

// In a forked child: the next SIGSEGV or SIGBUS must be `sig` with si_code
// `code` at si_addr `addr`. The handler checks the three (a failed check names
// the one that differs) and ends the child with kFaultAsExpected, which tells
// SEGV_MAPERR from SEGV_ACCERR where ExitOnFaults cannot.
constexpr int kFaultAsExpected = 44;
struct ExpectedFault {
  void* addr;
  int sig;
  int code;
};
ExpectedFault g_expected_fault;
void CheckFault(int sig, siginfo_t* info, void*) {
  TEST_CHECK_MSG(sig == g_expected_fault.sig, "SIGSEGV and SIGBUS swapped");
  TEST_CHECK_MSG(info->si_code == g_expected_fault.code, "wrong si_code");
  TEST_CHECK_MSG(info->si_addr == g_expected_fault.addr,
                 "si_addr is not the byte touched");
  ::_exit(kFaultAsExpected);
}
void ExpectFaultAt(void* addr, int sig, int code) {
  g_expected_fault = {addr, sig, code};
  struct sigaction sa = {};
  sigemptyset(&sa.sa_mask);
  sa.sa_sigaction = CheckFault;
  sa.sa_flags = SA_SIGINFO;
  TEST_CHECK_SUCCESS(::sigaction(SIGSEGV, &sa, nullptr));
  TEST_CHECK_SUCCESS(::sigaction(SIGBUS, &sa, nullptr));
}

// ---- PSHM-001 a new object is empty ----------------------------------------

// Catches: a new object with a default size (e.g. one page) or not a regular
// file.
TEST(PshmOs, NewObjectHasSizeZero) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "new"), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(::fstat(s.fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  char c;
  EXPECT_THAT(::pread(s.fd.get(), &c, 1, 0), SyscallSucceedsWithValue(0));
}

TEST(PshmLayer, OpenCreatesAnEmptyObject) {
  std::string name = ShmName("lnew");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name, {.exclusive = true}));
  EXPECT_EQ(shm.name(), name);
  auto size = shm.size();
  ASSERT_THAT(size, IsOk());
  EXPECT_EQ(*size, 0u);
}

// ---- PSHM-002 same name, same object, no common ancestry -------------------

// Catches: a name that is private to a process family (an exec'd program that
// inherited nothing must reach the same bytes, both ways).
TEST(PshmOs, UnrelatedProgramOpensTheSameObjectByName) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "peer", kPage), SyscallSucceeds());
  Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  std::memcpy(m.get() + 10, "from-parent", 11);
  auto read = RunUnrelatedPeer({"pshm-read", s.owner.name(), "10", "11"});
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->wait_status, 0)
      << DescribeWaitStatus(read->wait_status) << ": " << read->output;
  EXPECT_EQ(read->output, "from-parent");

  auto write =
      RunUnrelatedPeer({"pshm-write", s.owner.name(), "100", "from-peer"});
  ASSERT_THAT(write, IsOk());
  EXPECT_EQ(write->wait_status, 0)
      << DescribeWaitStatus(write->wait_status) << ": " << write->output;
  EXPECT_EQ(std::string(m.get() + 100, 9), "from-peer");
  EXPECT_EQ(SizeOf(s.fd.get()),
            static_cast<off_t>(kPage));  // the peer's pwrite did not grow it
}

// Catches: a second shm_open of the name in the same process creating a new
// object.
TEST(PshmOs, SecondOpenOfTheNameIsTheSameObject) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "twice"), SyscallSucceeds());
  ipc::Fd again(RawOpen(s.owner.name(), O_RDWR));
  ASSERT_THAT(again.get(), SyscallSucceeds());
  struct stat a, b;
  ASSERT_THAT(::fstat(s.fd.get(), &a), SyscallSucceeds());
  ASSERT_THAT(::fstat(again.get(), &b), SyscallSucceeds());
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_dev, b.st_dev);
  ASSERT_THAT(::pwrite(again.get(), "xyz", 3, 5), SyscallSucceedsWithValue(3));
  EXPECT_EQ(ReadAt(s.fd.get(), 5, 3), "xyz");
}

TEST(PshmLayer, UnrelatedProgramsWritesAreReadThroughTheLayer) {
  std::string name = ShmName("lpeer");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(64));
  auto run = RunUnrelatedPeer({"pshm-write", name, "7", "unrelated"});
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_EQ(LayerReadAt(shm, 7, 9), "unrelated");
  auto other = ASSERT_OK_AND_VALUE(
      PosixShm::open(name, {.create = false, .read_only = true}));
  EXPECT_EQ(LayerReadAt(other, 7, 9), "unrelated");
}

// ---- PSHM-003 O_CREAT|O_EXCL -----------------------------------------------

// Catches: O_EXCL ignored (opening the existing object) or a different errno.
TEST(PshmOs, ExclusiveCreateOfExistingNameFailsEexist) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "excl", 16), SyscallSucceeds());
  EXPECT_THAT(RawOpen(s.owner.name(), O_RDWR | O_CREAT | O_EXCL),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_EQ(SizeOf(s.fd.get()), 16);  // the existing object is untouched
}

// Catches: a check-then-create race: of 8 processes released together, more
// (or fewer) than one creates the object.
TEST(PshmOs, ExclusiveCreateIsAtomicAcrossProcesses) {
  constexpr int kRacers = 8;
  std::string name = ShmName("race");
  ShmNameOwner owner(name);
  // A racer's exit status is its outcome: 0 created the object, kFoundIt
  // failed with EEXIST.
  constexpr int kFoundIt = 2;
  RawPipe gate;
  std::vector<std::unique_ptr<Child>> racers;
  for (int i = 0; i < kRacers; ++i) {
    racers.push_back(std::make_unique<Child>([&] {
      gate.write.reset();
      char c;
      TEST_CHECK_MSG(RetryEINTR(::read)(gate.read.get(), &c, 1) == 0,
                     "the gate did not open with EOF");
      if (RawOpen(name, O_RDWR | O_CREAT | O_EXCL) >= 0) return 0;
      TEST_PCHECK(errno == EEXIST);
      return kFoundIt;
    }));
  }
  gate.write.reset();  // all racers see EOF at once
  int created = 0, exists = 0;
  for (auto& r : racers) {
    ChildResult result = r->wait();
    if (result.ok()) {
      ++created;
    } else if (result.exited_with(kFoundIt)) {
      ++exists;
    } else {
      ADD_FAILURE() << result.describe();
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(exists, kRacers - 1);
}

TEST(PshmLayer, ExclusiveOpenOfExistingNameFailsEexist) {
  std::string name = ShmName("lexcl");
  ShmNameOwner owner(name);
  ASSERT_OK(PosixShm::open(name));
  auto again = PosixShm::open(name, {.exclusive = true});
  ASSERT_THAT(again, FailsWith(EEXIST));
  EXPECT_EQ(again.error().op(), "shm_open");
  EXPECT_THAT(again.error().message(), HasSubstr(name));
}

// ---- PSHM-004 missing name without O_CREAT ---------------------------------

// Catches: an implicit create, or an errno other than ENOENT.
TEST(PshmOs, OpenOfMissingNameWithoutCreateFailsEnoent) {
  std::string name = ShmName("missing");
  ShmNameOwner owner(name);  // unlinks it should a deviating OS create it
  EXPECT_THAT(RawOpen(name, O_RDWR), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(RawOpen(name, O_RDONLY), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::access(("/dev/shm" + name).c_str(), F_OK),
              SyscallFailsWithErrno(ENOENT));
}

TEST(PshmLayer, OpenOfMissingNameWithoutCreateFailsEnoent) {
  std::string name = ShmName("lmissing");
  ShmNameOwner owner(name);
  auto r = PosixShm::open(name, {.create = false});
  ASSERT_THAT(r, FailsWith(ENOENT));
  EXPECT_EQ(r.error().detail(), "no object with this name");
}

// ---- PSHM-005 EACCES -------------------------------------------------------

// Catches: permission bits not enforced on shm_open, or O_TRUNC allowed for a
// caller that may only read. Another user may read (mode 0644), not write.
TEST(PshmOs, OtherUserIsDeniedWriteAccessAndTruncation) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "perm", 32), SyscallSucceeds());
  ASSERT_THAT(::fchmod(s.fd.get(), 0644), SyscallSucceeds());
  EXPECT_CHILD_OK(RunAsNobody([&] {
    TEST_CHECK_ERRNO(RawOpen(s.owner.name(), O_RDWR), EACCES);
    TEST_CHECK_ERRNO(RawOpen(s.owner.name(), O_RDONLY | O_TRUNC), EACCES);
    TEST_CHECK_ERRNO(RawOpen(s.owner.name(), O_RDWR | O_CREAT, 0666), EACCES);
    TEST_CHECK_SUCCESS(
        RawOpen(s.owner.name(), O_RDONLY));  // reading is allowed
  }));
  EXPECT_EQ(SizeOf(s.fd.get()), 32);  // the refused O_TRUNC did not truncate
}

TEST(PshmLayer, OtherUserGetsEacces) {
  std::string name = ShmName("lperm");
  ShmNameOwner owner(name);
  ASSERT_OK(PosixShm::open(name));  // 0600
  EXPECT_CHILD_OK(RunAsNobody([&] {
    auto rw = PosixShm::open(name, {.create = false});
    TEST_CHECK(!rw.ok() && rw.error().code() == EACCES);
    TEST_CHECK(rw.error().detail() == "the object's mode denies access");
    auto ro = PosixShm::open(name, {.create = false, .read_only = true});
    TEST_CHECK(!ro.ok() && ro.error().code() == EACCES);
  }));
}

// ---- PSHM-006 FD_CLOEXEC ---------------------------------------------------

// Catches: a shm_open descriptor that survives exec (glibc always adds
// O_CLOEXEC).
TEST(PshmOs, DescriptorIsCloseOnExecEvenWithoutAskingForIt) {
  std::string name = ShmName("cloexec");
  ShmNameOwner owner(name);
  ipc::Fd fd(::shm_open(name.c_str(), O_RDWR | O_CREAT,
                        0600));  // no O_CLOEXEC on purpose
  ASSERT_THAT(fd.get(), SyscallSucceeds());
  int flags = ::fcntl(fd.get(), F_GETFD);
  ASSERT_THAT(flags, SyscallSucceeds());
  EXPECT_EQ(flags & FD_CLOEXEC, FD_CLOEXEC);
  auto run = RunPeer({"fd-inode", std::to_string(fd.get())});
  ASSERT_THAT(run, IsOk());
  // 3: the descriptor number is not open in the exec'd program.
  EXPECT_TRUE(ExitedWith(run->wait_status, 3))
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
}

TEST(PshmLayer, DescriptorIsCloseOnExec) {
  std::string name = ShmName("lcloexec");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  EXPECT_EQ(::fcntl(shm.fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  auto ro = ASSERT_OK_AND_VALUE(
      PosixShm::open(name, {.create = false, .read_only = true}));
  EXPECT_EQ(::fcntl(ro.fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

// ---- PSHM-007 O_TRUNC ------------------------------------------------------

// Catches: O_TRUNC ignored, or resetting the mode/owner, or O_CREAT's mode
// applied to an existing object.
TEST(PshmOs, TruncOnOpenEmptiesTheObjectButKeepsModeAndOwner) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "trunc", 3 * kPage), SyscallSucceeds());
  ASSERT_THAT(::pwrite(s.fd.get(), "data", 4, 0), SyscallSucceedsWithValue(4));
  ASSERT_THAT(::fchmod(s.fd.get(), 0640), SyscallSucceeds());
  // Under Bazel's sandbox uid 65534 is not mapped: the owner then stays us.
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  if (ChownToNobody(s.fd.get())) uid = gid = 65534;
  ipc::Fd t(RawOpen(s.owner.name(), O_RDWR | O_CREAT | O_TRUNC, 0606));
  ASSERT_THAT(t.get(), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(::fstat(s.fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, uid);
  EXPECT_EQ(st.st_gid, gid);
  ASSERT_THAT(::ftruncate(s.fd.get(), 4), SyscallSucceeds());
  EXPECT_EQ(ReadAt(s.fd.get(), 0, 4),
            std::string(4, '\0'));  // old data is gone
}

// ---- PSHM-008 owner and mode of a new object -------------------------------

// Catches: the umask ignored, or the owner not the effective uid/gid.
TEST(PshmOs, NewObjectIsOwnedByEuidWithModeMaskedByUmask) {
  std::string name = ShmName("umask");
  ShmNameOwner owner(name);
  // umask is per process: change it in a child.
  EXPECT_CHILD_OK(RunInChild([&] {
    ::umask(027);
    int fd = RawOpen(name, O_RDWR | O_CREAT | O_EXCL, 0666);
    TEST_CHECK_SUCCESS(fd);
    struct stat st;
    TEST_CHECK_SUCCESS(::fstat(fd, &st));
    TEST_CHECK((st.st_mode & 07777) == 0640);
    TEST_CHECK(st.st_uid == ::geteuid() && st.st_gid == ::getegid());
  }));
}

// Catches: a new object owned by the real or saved uid/gid instead of the
// effective ones.
TEST(PshmOs, ObjectCreatedByAnotherUserIsOwnedByThatUser) {
  // Only where another user may create names: `runsc do`, for one, mounts
  // /dev/shm 0755.
  struct stat dir;
  ASSERT_THAT(::stat("/dev/shm", &dir), SyscallSucceeds());
  if ((dir.st_mode & S_IWOTH) == 0) {
    GTEST_SKIP() << "/dev/shm (mode " << std::oct << (dir.st_mode & 07777)
                 << ") is not writable by other users here";
  }
  std::string name = ShmName("owner");
  ShmNameOwner owner(name);
  ASSERT_CHILD_OK(RunInChild([&] {
    // Real and saved ids stay 0: only the effective ids may decide the owner.
    CHILD_SKIP_UNLESS(
        ::setresgid(0, 65534, 0) == 0 && ::setresuid(0, 65534, 0) == 0,
        "cannot switch to uid 65534");
    TEST_CHECK_SUCCESS(RawOpen(name, O_RDWR | O_CREAT | O_EXCL, 0600));
  }));
  struct stat st;
  ASSERT_THAT(::stat(("/dev/shm" + name).c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

// The layer's default is owner-only; an explicit mode is still masked by the
// umask.
TEST(PshmLayer, NewObjectIsOwnerOnlyByDefaultAndHonoursTheUmask) {
  std::string name = ShmName("lmode");
  std::string wide = ShmName("lmode-wide");
  ShmNameOwner o1(name), o2(wide);
  EXPECT_CHILD_OK(RunInChild([&] {
    ::umask(027);
    auto def = PosixShm::open(name);
    auto w = PosixShm::open(wide, {.mode = 0666});
    TEST_CHECK(def.ok() && w.ok());
    struct stat a, b;
    TEST_CHECK_SUCCESS(::fstat(def->fd(), &a));
    TEST_CHECK_SUCCESS(::fstat(w->fd(), &b));
    TEST_CHECK((a.st_mode & 07777) == 0600);
    TEST_CHECK((b.st_mode & 07777) == 0640);
  }));
}

// ---- PSHM-009 glibc/Linux names --------------------------------------------

// Catches: names with an inner '/', an empty name or a bare "/" accepted.
// glibc's shm_unlink reports such names as ENOENT (no object can have them).
TEST(PshmOs, EmptyOrSlashContainingNamesFailEinval) {
  EXPECT_THAT(::shm_open("", O_RDWR | O_CREAT | O_CLOEXEC, 0600),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::shm_open("/", O_RDWR | O_CREAT | O_CLOEXEC, 0600),
              SyscallFailsWithErrno(EINVAL));
  std::string inner = ShmName("dir") + "/x";
  EXPECT_THAT(RawOpen(inner, O_RDWR | O_CREAT), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::shm_unlink(inner.c_str()), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::shm_unlink(""), SyscallFailsWithErrno(ENOENT));
}

// Catches: glibc's lenient prefix rule broken — "name", "/name" and "///name"
// are one object — or the object not being the file /dev/shm/name.
TEST(PshmOs, LeadingSlashIsOptionalAndTheObjectIsAFileInDevShm) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "slash", 8), SyscallSucceeds());
  std::string bare = s.owner.name().substr(1);
  ipc::Fd a(RawOpen(bare, O_RDWR));
  ipc::Fd b(RawOpen("///" + bare, O_RDWR));
  ASSERT_THAT(a.get(), SyscallSucceeds());
  ASSERT_THAT(b.get(), SyscallSucceeds());
  struct stat st, sa, sb, sf;
  ASSERT_THAT(::fstat(s.fd.get(), &st), SyscallSucceeds());
  ASSERT_THAT(::fstat(a.get(), &sa), SyscallSucceeds());
  ASSERT_THAT(::fstat(b.get(), &sb), SyscallSucceeds());
  ASSERT_THAT(::stat(("/dev/shm/" + bare).c_str(), &sf), SyscallSucceeds());
  EXPECT_EQ(sa.st_ino, st.st_ino);
  EXPECT_EQ(sb.st_ino, st.st_ino);
  EXPECT_EQ(sf.st_ino, st.st_ino);
  EXPECT_EQ(sf.st_dev, st.st_dev);
  EXPECT_EQ(sf.st_size, 8);
}

// The layer keeps to the portable rule: exactly one leading '/', nothing else.
TEST(PshmLayer, RejectsNonPortableNamesBeforeAnySystemCall) {
  std::string bare = ipc::testing::UniqueName("lbare");
  ShmNameOwner owner("/" + bare);  // removes it should the layer create it
  for (const std::string& bad : {bare, std::string(), std::string("/"),
                                 "/" + bare + "/x", "//" + bare}) {
    auto r = PosixShm::open(bad);
    ASSERT_THAT(r, FailsWith(EINVAL)) << "name \"" << bad << "\"";
    EXPECT_EQ(r.error().op(), "shm_open");
  }
  EXPECT_THAT(::access(("/dev/shm/" + bare).c_str(), F_OK),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(PosixShm::unlink(bare), FailsWith(EINVAL));
}

// ---- PSHM-010 ftruncate ----------------------------------------------------

// Catches: ftruncate not changing st_size, new bytes not zero, or data cut
// off by shrinking coming back when the object grows again.
TEST(PshmOs, FtruncateSetsTheSizeAndNewBytesReadZero) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "ftrunc"), SyscallSucceeds());
  ASSERT_THAT(::ftruncate(s.fd.get(), 10000), SyscallSucceeds());
  EXPECT_EQ(SizeOf(s.fd.get()), 10000);
  EXPECT_EQ(ReadAt(s.fd.get(), 0, 20000), std::string(10000, '\0'));
  ASSERT_THAT(::pwrite(s.fd.get(), "0123456789", 10, 100),
              SyscallSucceedsWithValue(10));
  ASSERT_THAT(::ftruncate(s.fd.get(), 105), SyscallSucceeds());
  EXPECT_EQ(SizeOf(s.fd.get()), 105);
  ASSERT_THAT(::ftruncate(s.fd.get(), 200), SyscallSucceeds());
  EXPECT_EQ(ReadAt(s.fd.get(), 100, 10),
            std::string("01234") + std::string(5, '\0'));
}

TEST(PshmLayer, TruncateSetsTheSizeAndNewBytesReadZero) {
  std::string name = ShmName("ltrunc");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(3000));
  EXPECT_EQ(*shm.size(), 3000u);
  EXPECT_EQ(LayerReadAt(shm, 0, 4000),
            std::string(3000, '\0'));  // short at the end
  ASSERT_OK(shm.write_at(2990, ipc::as_bytes("abcdefghij")));
  ASSERT_OK(shm.truncate(2995));
  ASSERT_OK(shm.truncate(3000));
  EXPECT_EQ(LayerReadAt(shm, 2990, 10),
            std::string("abcde") + std::string(5, '\0'));
}

// ---- PSHM-011 MAP_SHARED across processes ----------------------------------

// Catches: stores that another process's mapping does not see (no msync in
// either direction), or a child whose mapping is a private copy.
TEST(PshmOs, SharedMappingStoresAreSeenByAnotherProcessWithoutMsync) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "shared", kPage), SyscallSucceeds());
  Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  std::memcpy(m.get() + 50, "parent", 6);
  ASSERT_CHILD_OK(RunInChild([&] {
    // Its own descriptor and mapping, opened by name.
    int fd = RawOpen(s.owner.name(), O_RDWR);
    TEST_CHECK_SUCCESS(fd);
    void* p = ::mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    TEST_CHECK_SUCCESS(p);
    char* c = static_cast<char*>(p);
    TEST_CHECK(std::memcmp(c + 50, "parent", 6) == 0);
    std::memcpy(c + 200, "child!", 6);
  }));
  EXPECT_EQ(std::string(m.get() + 200, 6), "child!");
}

// Catches: a mapping inherited over fork that is copied instead of shared.
TEST(PshmOs, InheritedSharedMappingStaysSharedAfterFork) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "inherit", kPage), SyscallSucceeds());
  Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  ASSERT_CHILD_OK(RunInChild([&] { std::memcpy(m.get(), "forked", 6); }));
  EXPECT_EQ(std::string(m.get(), 6), "forked");
}

TEST(PshmLayer, MappingStoresAreSeenByAnotherProcess) {
  std::string name = ShmName("lshared");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  ASSERT_OK(m.write(shm, 30, ipc::as_bytes("layer")));
  ASSERT_CHILD_OK(RunInChild([&] {
    auto other = PosixShm::open(name, {.create = false});
    TEST_CHECK(other.ok());
    auto om = SharedMapping::map(*other, 0, kPage, true);
    TEST_CHECK(om.ok());
    TEST_CHECK(LayerMapRead(*om, *other, 30, 5) == "layer");
    TEST_CHECK(om->write(*other, 40, ipc::as_bytes("reply")).ok());
  }));
  EXPECT_EQ(LayerMapRead(m, shm, 40, 5), "reply");
}

// ---- PSHM-012 MAP_PRIVATE --------------------------------------------------

// Catches: MAP_PRIVATE stores that leak into the object, other mappings or
// other processes; or a private mapping that does not see its own store.
TEST(PshmOs, PrivateMappingStoresAreCopyOnWrite) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "private", kPage), SyscallSucceeds());
  ASSERT_THAT(::pwrite(s.fd.get(), "original", 8, 0),
              SyscallSucceedsWithValue(8));
  Mapping priv(kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, s.fd.get());
  Mapping shared(kPage, PROT_READ, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(priv.ok());
  ASSERT_TRUE(shared.ok());
  std::memcpy(priv.get(), "PRIVATE!", 8);
  EXPECT_EQ(std::string(priv.get(), 8), "PRIVATE!");
  EXPECT_EQ(std::string(shared.get(), 8), "original");
  EXPECT_EQ(ReadAt(s.fd.get(), 0, 8), "original");
  auto run = RunPeer({"pshm-read", s.owner.name(), "0", "8"});
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->output, "original") << DescribeWaitStatus(run->wait_status);
  // After the copy, later changes to the object no longer reach the private
  // page.
  ASSERT_THAT(::pwrite(s.fd.get(), "changed!", 8, 0),
              SyscallSucceedsWithValue(8));
  EXPECT_EQ(std::string(priv.get(), 8), "PRIVATE!");
  EXPECT_EQ(std::string(shared.get(), 8), "changed!");
}

// ---- PSHM-013 kernel persistence -------------------------------------------

// Catches: an object destroyed when its last descriptor closes and its last
// mapping goes (no process holds it while the unrelated peer reads it).
TEST(PshmOs, ObjectPersistsWithNoDescriptorsOrMappingsUntilUnlinked) {
  std::string name = ShmName("persist");
  ShmNameOwner owner(name);
  {
    ipc::Fd fd(RawOpen(name, O_RDWR | O_CREAT | O_EXCL));
    ASSERT_THAT(fd.get(), SyscallSucceeds());
    ASSERT_THAT(::ftruncate(fd.get(), kPage), SyscallSucceeds());
    Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get());
    ASSERT_TRUE(m.ok());
    std::memcpy(m.get() + 3, "kept", 4);
  }  // munmap, close: nothing refers to the object but its name
  auto run = RunPeer({"pshm-read", name, "3", "4"});
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_EQ(run->output, "kept");
  ipc::Fd again(RawOpen(name, O_RDONLY));
  ASSERT_THAT(again.get(), SyscallSucceeds());
  EXPECT_EQ(SizeOf(again.get()), static_cast<off_t>(kPage));
}

TEST(PshmLayer, ObjectOutlivesItsHandlesUntilUnlinked) {
  std::string name = ShmName("lpersist");
  ShmNameOwner owner(name);
  {
    auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
    ASSERT_OK(shm.write_at(0, ipc::as_bytes("survives")));
    auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, false));
  }
  auto again = ASSERT_OK_AND_VALUE(PosixShm::open(name, {.create = false}));
  EXPECT_EQ(LayerReadAt(again, 0, 100), "survives");
}

// ---- PSHM-014 shm_unlink ---------------------------------------------------

// Catches: the name surviving shm_unlink, or the object (descriptor, mapping,
// another process's descriptor) destroyed with the name.
TEST(PshmOs, UnlinkRemovesTheNameAtOnceButTheMemoryLives) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "unlink", kPage), SyscallSucceeds());
  Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  std::memcpy(m.get(), "before", 6);
  RawPipe to_child, from_child;
  // A second process holding only a descriptor (its own open by name).
  Child holder([&] {
    int fd = RawOpen(s.owner.name(), O_RDWR);
    char c = fd >= 0 ? 'o' : 'e';
    TEST_CHECK(::write(from_child.write.get(), &c, 1) == 1);
    TEST_CHECK_MSG(fd >= 0, "the holder could not open the name");
    // The parent has unlinked the name.
    TEST_CHECK(RetryEINTR(::read)(to_child.read.get(), &c, 1) == 1);
    TEST_CHECK(::pwrite(fd, "holder", 6, 10) == 6);
    char buf[6];
    TEST_CHECK(::pread(fd, buf, 6, 0) == 6);
    TEST_CHECK(std::memcmp(buf, "before", 6) == 0);
  });
  char c = 0;
  ASSERT_THAT(::read(from_child.read.get(), &c, 1),
              SyscallSucceedsWithValue(1));
  ASSERT_EQ(c, 'o');

  std::string name = s.owner.name();
  ASSERT_THAT(::shm_unlink(name.c_str()), SyscallSucceeds());
  s.owner.release();
  EXPECT_THAT(RawOpen(name, O_RDWR), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::access(("/dev/shm" + name).c_str(), F_OK),
              SyscallFailsWithErrno(ENOENT));
  ASSERT_THAT(::write(to_child.write.get(), "g", 1),
              SyscallSucceedsWithValue(1));
  ASSERT_CHILD_OK(holder.wait());

  EXPECT_EQ(std::string(m.get() + 10, 6),
            "holder");  // the holder's write reached our mapping
  std::memcpy(m.get() + 20, "after", 5);
  EXPECT_EQ(ReadAt(s.fd.get(), 20, 5), "after");
  struct stat st;
  ASSERT_THAT(::fstat(s.fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kPage));
  s.fd.reset();  // the mapping outlives the last descriptor too
  EXPECT_EQ(std::string(m.get(), 6), "before");
}

// Catches: shm_unlink of a name that does not exist succeeding or giving
// another errno.
TEST(PshmOs, UnlinkOfMissingNameFailsEnoent) {
  std::string name = ShmName("unlink-missing");
  EXPECT_THAT(::shm_unlink(name.c_str()), SyscallFailsWithErrno(ENOENT));
}

TEST(PshmLayer, UnlinkKeepsMappingsAndDescriptorsWorking) {
  std::string name = ShmName("lunlink");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  ASSERT_OK(owner.unlink());
  EXPECT_FALSE(owner.owns());
  EXPECT_THAT(PosixShm::open(name, {.create = false}), FailsWith(ENOENT));
  ASSERT_OK(m.write(shm, 0, ipc::as_bytes("still")));
  EXPECT_EQ(LayerReadAt(shm, 0, 5), "still");
  auto again = PosixShm::unlink(name);
  ASSERT_THAT(again, FailsWith(ENOENT));
  EXPECT_EQ(again.error().detail(), "no object with this name");
}

// The RAII owner removes the name on every path, including a failed test body.
TEST(PshmLayer, NameOwnerUnlinksWhenItGoesOut) {
  std::string name = ShmName("lowner");
  {
    ShmNameOwner owner(name);
    ASSERT_OK(PosixShm::open(name));
    ASSERT_THAT(::access(("/dev/shm" + name).c_str(), F_OK), SyscallSucceeds());
  }
  EXPECT_THAT(::access(("/dev/shm" + name).c_str(), F_OK),
              SyscallFailsWithErrno(ENOENT));
}

// ---- PSHM-015 after unlink the name is free --------------------------------

// Catches: a recreated name that reattaches the old (still open) object.
TEST(PshmOs, NameReusedAfterUnlinkIsAFreshEmptyObject) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "reuse", 64), SyscallSucceeds());
  ASSERT_THAT(::pwrite(s.fd.get(), "old", 3, 0), SyscallSucceedsWithValue(3));
  std::string name = s.owner.name();
  ASSERT_THAT(::shm_unlink(name.c_str()), SyscallSucceeds());
  EXPECT_THAT(RawOpen(name, O_RDWR), SyscallFailsWithErrno(ENOENT));
  ipc::Fd fresh(
      RawOpen(name, O_RDWR | O_CREAT | O_EXCL));  // O_EXCL: nothing exists
  ASSERT_THAT(fresh.get(), SyscallSucceeds());
  struct stat a, b;
  ASSERT_THAT(::fstat(s.fd.get(), &a), SyscallSucceeds());
  ASSERT_THAT(::fstat(fresh.get(), &b), SyscallSucceeds());
  EXPECT_EQ(b.st_size, 0);
  EXPECT_NE(a.st_ino, b.st_ino);
  ASSERT_THAT(::pwrite(fresh.get(), "new", 3, 0), SyscallSucceedsWithValue(3));
  EXPECT_EQ(ReadAt(s.fd.get(), 0, 3), "old");  // the objects are independent
}

// ---- PSHM-017 file I/O on the descriptor (Linux) ---------------------------

// Catches (seed claim "random access via read/write/lseek"): offsets ignored,
// writes not extending, holes not zero, or the two views (file I/O and
// mmap) disagreeing.
TEST(PshmOs, ReadWriteLseekGiveRandomAccessThatAgreesWithMmap) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "rw"), SyscallSucceeds());
  int fd = s.fd.get();
  ASSERT_THAT(::lseek(fd, 1000, SEEK_SET), SyscallSucceedsWithValue(1000));
  ASSERT_THAT(::write(fd, "middle", 6),
              SyscallSucceedsWithValue(6));  // grows to 1006
  EXPECT_EQ(SizeOf(fd), 1006);
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 1006);
  ASSERT_THAT(::lseek(fd, 0, SEEK_SET), SyscallSucceedsWithValue(0));
  ASSERT_THAT(::write(fd, "head", 4), SyscallSucceedsWithValue(4));
  ASSERT_THAT(::lseek(fd, -2, SEEK_END), SyscallSucceedsWithValue(1004));
  char buf[16];
  ASSERT_THAT(::read(fd, buf, sizeof buf),
              SyscallSucceedsWithValue(2));  // short at the end
  EXPECT_EQ(std::string(buf, 2), "le");
  EXPECT_THAT(::read(fd, buf, sizeof buf), SyscallSucceedsWithValue(0));  // EOF
  ASSERT_THAT(::lseek(fd, 500, SEEK_SET), SyscallSucceedsWithValue(500));
  ASSERT_THAT(::read(fd, buf, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4),
            std::string(4, '\0'));  // the hole reads as zeros
  ASSERT_THAT(::pwrite(fd, "pw", 2, 700), SyscallSucceedsWithValue(2));
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 504);  // pwrite does not move the offset

  Mapping m(kPage, PROT_READ, MAP_SHARED, fd);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::string(m.get(), 4), "head");
  EXPECT_EQ(std::string(m.get() + 700, 2), "pw");
  EXPECT_EQ(std::string(m.get() + 1000, 6), "middle");
  EXPECT_EQ(std::string(m.get(), 1006), ReadAt(fd, 0, 1006));
}

// Catches: a read-only descriptor that can write or resize the object.
TEST(PshmOs, ReadOnlyDescriptorRefusesWritesAndFtruncate) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "rdonly", 10), SyscallSucceeds());
  ipc::Fd ro(RawOpen(s.owner.name(), O_RDONLY));
  ASSERT_THAT(ro.get(), SyscallSucceeds());
  EXPECT_THAT(::write(ro.get(), "x", 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::pwrite(ro.get(), "x", 1, 0), SyscallFailsWithErrno(EBADF));
  // POSIX allows EBADF or EINVAL for ftruncate on a descriptor not open for
  // writing; Linux gives EINVAL.
  EXPECT_THAT(::ftruncate(ro.get(), 100), SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(SizeOf(s.fd.get()), 10);
  EXPECT_EQ(ReadAt(s.fd.get(), 0, 1), std::string(1, '\0'));
}

TEST(PshmLayer, ReadAtWriteAtAreRandomAccessAndAgreeWithTheMapping) {
  std::string name = ShmName("lrw");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  auto n = shm.write_at(3000, ipc::as_bytes("far"));
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 3u);
  ASSERT_OK(shm.write_at(10, ipc::as_bytes("near")));
  EXPECT_EQ(*shm.size(), 3003u);
  EXPECT_EQ(LayerReadAt(shm, 3000, 100), "far");  // short only at the end
  EXPECT_EQ(LayerReadAt(shm, 8, 8),
            std::string(2, '\0') + "near" + std::string(2, '\0'));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, false));
  EXPECT_EQ(LayerMapRead(m, shm, 3000, 3), "far");
  EXPECT_EQ(LayerMapRead(m, shm, 0, 3003), LayerReadAt(shm, 0, 3003));
}

TEST(PshmLayer, SeekReadSomeAndWriteMoveTheFileOffset) {
  std::string name = ShmName("lseek");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  auto pos = shm.seek(100, SEEK_SET);
  ASSERT_THAT(pos, IsOk());
  EXPECT_EQ(*pos, 100u);
  ASSERT_OK(shm.write(ipc::as_bytes("abcdef")));
  EXPECT_EQ(*shm.seek(0, SEEK_CUR), 106u);
  EXPECT_EQ(*shm.seek(-4, SEEK_END), 102u);
  std::string buf(10, '\0');
  auto r = shm.read_some(AsWritableBytes(buf));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(*r, 4u);
  EXPECT_EQ(buf.substr(0, 4), "cdef");
  auto eof = shm.read_some(AsWritableBytes(buf));
  ASSERT_THAT(eof, IsOk());
  EXPECT_EQ(*eof, 0u);
  EXPECT_THAT(shm.seek(-1, SEEK_SET), FailsWith(EINVAL));
}

TEST(PshmLayer, ReadOnlyObjectRefusesWritesAndTruncate) {
  std::string name = ShmName("lrdonly");
  ShmNameOwner owner(name);
  auto rw = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  auto ro = ASSERT_OK_AND_VALUE(
      PosixShm::open(name, {.create = false, .read_only = true}));
  EXPECT_TRUE(ro.read_only());
  auto w = ro.write_at(0, ipc::as_bytes("x"));
  ASSERT_THAT(w, FailsWith(EBADF));
  EXPECT_EQ(w.error().detail(), "opened read-only");
  EXPECT_THAT(ro.write(ipc::as_bytes("x")), FailsWith(EBADF));
  auto t = ro.truncate(10);
  ASSERT_THAT(t, FailsWith(EINVAL));
  EXPECT_EQ(t.error().detail(), "opened read-only");
  EXPECT_EQ(*rw.size(), 0u);
}

// ---- PSHM-018 fstat, fchmod, fchown ----------------------------------------

// Catches: fstat fields that do not follow fchmod/fchown/ftruncate, or a
// descriptor view that differs from the /dev/shm file.
TEST(PshmOs, FstatReportsSizeModeOwnerAndFchmodFchownApply) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "fstat", 12345), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(::fstat(s.fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 12345);
  EXPECT_EQ(st.st_uid, ::geteuid());
  ASSERT_THAT(::fchmod(s.fd.get(), 0604), SyscallSucceeds());
  ASSERT_THAT(::fstat(s.fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & 07777, 0604u);
  CHOWN_OR_SKIP(s.fd.get(), 65533);
  ASSERT_THAT(::fstat(s.fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65533u);
  struct stat path;
  ASSERT_THAT(::stat(("/dev/shm" + s.owner.name()).c_str(), &path),
              SyscallSucceeds());
  EXPECT_EQ(path.st_mode, st.st_mode);
  EXPECT_EQ(path.st_uid, 65534u);
}

// Catches: fchown/fchmod recorded but not used for permission checks.
TEST(PshmOs, FchownGivesTheNewOwnerAccess) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "chown", 8), SyscallSucceeds());  // 0600 root
  CHOWN_OR_SKIP(s.fd.get());
  ASSERT_CHILD_OK(RunAsNobody([&] {
    int fd = RawOpen(s.owner.name(), O_RDWR);
    TEST_CHECK_SUCCESS(fd);
    TEST_CHECK(::pwrite(fd, "nobody", 6, 0) == 6);
    TEST_CHECK_SUCCESS(::fchmod(fd, 0));  // the owner may change the mode
  }));
  EXPECT_EQ(ReadAt(s.fd.get(), 0, 6), "nobody");
  struct stat st;
  ASSERT_THAT(::fstat(s.fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & 07777, 0u);
}

// ---- PSHM-019 SIGBUS beyond the end ----------------------------------------

// Catches: mmap refusing a range longer than the object, or a touch of a page
// wholly beyond the end that does not raise SIGBUS (reads zeros, or SIGSEGV).
TEST(PshmOs, TouchingAPageWhollyBeyondTheEndRaisesSigbus) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "sigbus", kPage), SyscallSucceeds());
  Mapping m(3 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok()) << "mmap past the end failed: " << std::strerror(errno);
  EXPECT_EQ(Load(m.get() + kPage - 1), '\0');  // the last byte inside is fine
  EXPECT_THAT(RunInChild([&] {
                TEST_CHECK(ExitOnFaults());
                Load(m.get() + kPage);
                TEST_FAIL("a load beyond the end did not raise SIGBUS");
              }),
              ChildExitedWith(kBusExit));
  EXPECT_THAT(RunInChild([&] {
                TEST_CHECK(ExitOnFaults());
                Store(m.get() + 2 * kPage + 5, 'x');
                TEST_FAIL("a store beyond the end did not raise SIGBUS");
              }),
              ChildExitedWith(kBusExit));
  EXPECT_EQ(SizeOf(s.fd.get()),
            static_cast<off_t>(kPage));  // the store did not grow it
}

// Catches: a SIGBUS with the wrong si_code/si_addr (BUS_ADRERR at the byte
// touched).
TEST(PshmOs, SigbusReportsBusAdrerrAtTheAddress) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "adrerr"), SyscallSucceeds());  // size 0
  Mapping m(kPage, PROT_READ, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(RunInChild([&] {
                ExpectFaultAt(m.get() + 17, SIGBUS, BUS_ADRERR);
                Load(m.get() + 17);
                TEST_FAIL("a load beyond the end did not fault");
              }),
              ChildExitedWith(kFaultAsExpected));
}

// The layer turns the same access into ENXIO (and copies nothing).
TEST(PshmLayer, AccessBeyondTheObjectEndIsEnxioNotSigbus) {
  std::string name = ShmName("lsigbus");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, 2 * kPage, true));
  EXPECT_EQ(m.size(), 2 * kPage);
  std::string out(8, '?');
  auto r = m.read(shm, kPage, AsWritableBytes(out));
  ASSERT_THAT(r, FailsWith(ENXIO));
  EXPECT_EQ(out, "????????");
  EXPECT_THAT(m.write(shm, kPage + 100, ipc::as_bytes("x")), FailsWith(ENXIO));
  EXPECT_EQ(*shm.size(), kPage);
}

// ---- PSHM-020 the partial last page ----------------------------------------

// Catches: SIGBUS inside the page that holds EOF, non-zero bytes after EOF,
// or stores after EOF that reach the object (size or file contents).
TEST(PshmOs, BytesAfterEofInTheLastPageReadZeroAndStoresStayOut) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "tail", 100), SyscallSucceeds());
  Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  ASSERT_CHILD_OK(RunInChild([&] {
    TEST_CHECK(ExitOnFaults());  // a fault ends the child with kBusExit
    for (std::size_t i = 100; i < kPage; ++i)
      TEST_CHECK_MSG(Load(m.get() + i) == 0, "a byte after EOF is not zero");
    Store(m.get() + 200, 'z');
  }));
  EXPECT_EQ(SizeOf(s.fd.get()), 100);
  char c;
  EXPECT_THAT(::pread(s.fd.get(), &c, 1, 200),
              SyscallSucceedsWithValue(0));  // EOF
  EXPECT_EQ(ReadAt(s.fd.get(), 0, kPage), std::string(100, '\0'));
}

// The layer checks the object's size, not the page: a range that crosses EOF
// inside the last page is refused too.
TEST(PshmLayer, RangeCrossingEofInTheLastPageIsRefused) {
  std::string name = ShmName("ltail");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(100));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  EXPECT_EQ(LayerMapRead(m, shm, 96, 4), std::string(4, '\0'));
  auto r = m.write(shm, 98, ipc::as_bytes("xyz"));
  ASSERT_THAT(r, FailsWith(ENXIO));
  EXPECT_EQ(r.error().detail(),
            "object shrank to 100 bytes; [98, 101) is beyond its end");
  EXPECT_EQ(LayerReadAt(shm, 98, 2),
            std::string(2, '\0'));  // nothing was copied
}

// ---- PSHM-021 shrink while mapped, then grow -------------------------------

// Catches (seed claim): a peer's ftruncate down not revoking the removed
// pages (old data still readable, no SIGBUS), or growing again not making
// them valid and zero.
TEST(PshmOs, PeerShrinkMakesRemovedPagesSigbusAndGrowingMakesThemZero) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "shrink", 2 * kPage), SyscallSucceeds());
  Mapping m(2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  std::memcpy(m.get() + kPage, "second", 6);
  ASSERT_CHILD_OK(RunInChild([&] {  // another process cuts it to one page
    int fd = RawOpen(s.owner.name(), O_RDWR);
    TEST_CHECK_SUCCESS(fd);
    TEST_CHECK_SUCCESS(::ftruncate(fd, static_cast<off_t>(kPage)));
  }));
  EXPECT_THAT(RunInChild([&] {
                TEST_CHECK(ExitOnFaults());
                TEST_CHECK_MSG(Load(m.get() + kPage) != 's',
                               "the removed page still holds its old data");
                TEST_FAIL("a load from the removed page did not raise SIGBUS");
              }),
              ChildExitedWith(kBusExit));
  EXPECT_THAT(RunInChild([&] {
                TEST_CHECK(ExitOnFaults());
                Store(m.get() + kPage + 1, 'x');
                TEST_FAIL("a store to the removed page did not raise SIGBUS");
              }),
              ChildExitedWith(kBusExit));
  EXPECT_EQ(std::string(m.get(), 1),
            std::string(1, '\0'));  // the first page is still fine

  ASSERT_THAT(::ftruncate(s.fd.get(), 2 * kPage), SyscallSucceeds());
  EXPECT_EQ(std::string(m.get() + kPage, 6), std::string(6, '\0'));
  Store(m.get() + kPage, 'y');
  EXPECT_EQ(ReadAt(s.fd.get(), kPage, 1), "y");
}

TEST(PshmLayer, PeerShrinkIsEnxioAndGrowingAgainReadsZeros) {
  std::string name = ShmName("lshrink");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(2 * kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, 2 * kPage, true));
  ASSERT_OK(m.write(shm, kPage, ipc::as_bytes("tail")));
  auto run = RunPeer(
      {"pshm-read", name, std::to_string(kPage), "4"});  // sanity: peer sees it
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->output, "tail");
  ASSERT_CHILD_OK(RunInChild([&] {
    int fd = RawOpen(name, O_RDWR);
    TEST_CHECK_SUCCESS(fd);
    TEST_CHECK_SUCCESS(::ftruncate(fd, static_cast<off_t>(kPage)));
  }));
  std::string out(4, '?');
  auto r = m.read(shm, kPage, AsWritableBytes(out));
  ASSERT_THAT(r, FailsWith(ENXIO));
  EXPECT_EQ(r.error().op(), "SharedMapping::read");
  EXPECT_EQ(out, "????");
  EXPECT_THAT(m.write(shm, kPage - 1, ipc::as_bytes("ab")),
              FailsWith(ENXIO));  // straddles
  EXPECT_OK(m.write(shm, kPage - 1, ipc::as_bytes("a")));
  ASSERT_OK(shm.truncate(2 * kPage));
  EXPECT_EQ(LayerMapRead(m, shm, kPage, 4), std::string(4, '\0'));
}

// ---- PSHM-022 writable shared mapping of a read-only descriptor ------------

// Catches: PROT_WRITE|MAP_SHARED allowed on an O_RDONLY descriptor (writes
// through it would bypass the open mode); MAP_PRIVATE is allowed.
TEST(PshmOs, WritableSharedMappingOfReadOnlyDescriptorFailsEacces) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "roprot", kPage), SyscallSucceeds());
  ipc::Fd ro(RawOpen(s.owner.name(), O_RDONLY));
  ASSERT_THAT(ro.get(), SyscallSucceeds());
  void* p =
      ::mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, ro.get(), 0);
  EXPECT_EQ(p, MAP_FAILED);
  EXPECT_EQ(errno, EACCES);
  if (p != MAP_FAILED) ::munmap(p, kPage);
  Mapping r(kPage, PROT_READ, MAP_SHARED, ro.get());
  EXPECT_TRUE(r.ok());
  Mapping cow(kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro.get());
  EXPECT_TRUE(cow.ok());
  // mprotect cannot add PROT_WRITE to the read-only shared mapping either.
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(::mprotect(r.get(), kPage, PROT_READ | PROT_WRITE),
              SyscallFailsWithErrno(EACCES));
}

TEST(PshmLayer, WritableMapOfReadOnlyObjectFailsEacces) {
  std::string name = ShmName("lroprot");
  ShmNameOwner owner(name);
  auto rw = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(rw.truncate(kPage));
  auto ro = ASSERT_OK_AND_VALUE(
      PosixShm::open(name, {.create = false, .read_only = true}));
  auto m = SharedMapping::map(ro, 0, kPage, true);
  ASSERT_THAT(m, FailsWith(EACCES));
  EXPECT_EQ(m.error().detail(), "object opened read-only");
  EXPECT_OK(SharedMapping::map(ro, 0, kPage, false));
}

// ---- PSHM-023 mmap argument errors -----------------------------------------

// Catches: a zero length, a missing or unknown mapping type, or a closed
// descriptor accepted.
TEST(PshmOs, MmapRejectsZeroLengthMissingTypeAndBadFd) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "mmaperr", kPage), SyscallSucceeds());
  errno = 0;
  EXPECT_EQ(::mmap(nullptr, 0, PROT_READ, MAP_SHARED, s.fd.get(), 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(::mmap(nullptr, kPage, PROT_READ, 0, s.fd.get(), 0),
            MAP_FAILED);  // neither
  EXPECT_EQ(errno, EINVAL);
  int closed = ::dup(s.fd.get());
  ASSERT_THAT(closed, SyscallSucceeds());
  ASSERT_THAT(::close(closed), SyscallSucceeds());
  errno = 0;
  EXPECT_EQ(::mmap(nullptr, kPage, PROT_READ, MAP_SHARED, closed, 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EBADF);
}

// Linux (>= 4.15): MAP_SHARED|MAP_PRIVATE is the value MAP_SHARED_VALIDATE,
// not an error: it maps shared, and unlike MAP_SHARED it rejects a flag the
// file does not support (MAP_SYNC on tmpfs) with EOPNOTSUPP instead of
// ignoring it. Catches: an old kernel (EINVAL) or MAP_SYNC silently accepted.
TEST(PshmOs, SharedPlusPrivateIsMapSharedValidate) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "validate", kPage), SyscallSucceeds());
  static_assert((MAP_SHARED | MAP_PRIVATE) == MAP_SHARED_VALIDATE);
  Mapping both(kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_PRIVATE,
               s.fd.get());
  ASSERT_TRUE(both.ok()) << std::strerror(errno);
  std::memcpy(both.get(), "shared", 6);
  EXPECT_EQ(ReadAt(s.fd.get(), 0, 6), "shared");  // it is a shared mapping
  errno = 0;
  EXPECT_EQ(::mmap(nullptr, kPage, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC,
                   s.fd.get(), 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EOPNOTSUPP);
  Mapping ignored(kPage, PROT_READ, MAP_SHARED | MAP_SYNC, s.fd.get());
  EXPECT_TRUE(ignored.ok()) << std::strerror(errno);
}

TEST(PshmLayer, ZeroLengthOrUnalignedMapFailsEinval) {
  std::string name = ShmName("lmaperr");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(2 * kPage));
  auto zero = SharedMapping::map(shm, 0, 0, false);
  ASSERT_THAT(zero, FailsWith(EINVAL));
  EXPECT_EQ(zero.error().detail(), "zero-length mapping");
  auto odd = SharedMapping::map(shm, 1, kPage, false);
  ASSERT_THAT(odd, FailsWith(EINVAL));
  EXPECT_THAT(odd.error().detail(), HasSubstr("multiple of the page size"));
  auto at = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, kPage, kPage, true));
  EXPECT_EQ(at.offset(), kPage);
  ASSERT_OK(at.write(shm, 0, ipc::as_bytes("second page")));
  EXPECT_EQ(LayerReadAt(shm, kPage, 11), "second page");
}

// ---- PSHM-024 file I/O and mappings are coherent ---------------------------

// Catches (seed claim "the two views agree"): a write(2)/pwrite by us or by
// an unrelated program that an existing mapping does not see, or a mapping
// store that read(2) does not see (a double page cache).
TEST(PshmOs, FileWritesAndMappingStoresAreCoherent) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "coherent", kPage), SyscallSucceeds());
  Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  ASSERT_THAT(::pwrite(s.fd.get(), "by-pwrite", 9, 10),
              SyscallSucceedsWithValue(9));
  EXPECT_EQ(std::string(m.get() + 10, 9), "by-pwrite");
  ASSERT_THAT(::lseek(s.fd.get(), 30, SEEK_SET), SyscallSucceedsWithValue(30));
  ASSERT_THAT(::write(s.fd.get(), "by-write", 8), SyscallSucceedsWithValue(8));
  EXPECT_EQ(std::string(m.get() + 30, 8), "by-write");
  std::memcpy(m.get() + 50, "by-store", 8);
  char buf[8];
  ASSERT_THAT(::lseek(s.fd.get(), 50, SEEK_SET), SyscallSucceedsWithValue(50));
  ASSERT_THAT(::read(s.fd.get(), buf, 8), SyscallSucceedsWithValue(8));
  EXPECT_EQ(std::string(buf, 8), "by-store");

  auto write =
      RunUnrelatedPeer({"pshm-write", s.owner.name(), "70", "by-peer"});
  ASSERT_THAT(write, IsOk());
  ASSERT_EQ(write->wait_status, 0)
      << DescribeWaitStatus(write->wait_status) << write->output;
  EXPECT_EQ(std::string(m.get() + 70, 7), "by-peer");
  std::memcpy(m.get() + 90, "to-peer", 7);
  auto read = RunUnrelatedPeer({"pshm-read", s.owner.name(), "90", "7"});
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->output, "to-peer") << DescribeWaitStatus(read->wait_status);
}

TEST(PshmLayer, FileWritesAndMappingStoresAreCoherent) {
  std::string name = ShmName("lcoherent");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  ASSERT_OK(shm.write_at(5, ipc::as_bytes("file")));
  EXPECT_EQ(LayerMapRead(m, shm, 5, 4), "file");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.bytes().data()) + 5, 4),
            "file");
  ASSERT_OK(m.write(shm, 20, ipc::as_bytes("map")));
  EXPECT_EQ(LayerReadAt(shm, 20, 3), "map");
}

// ---- PSHM-025 anonymous shared memory --------------------------------------

// Catches: MAP_SHARED|MAP_ANONYMOUS copied on fork (the child's store lost),
// or MAP_PRIVATE|MAP_ANONYMOUS shared (the contrast).
TEST(PshmOs, AnonymousSharedMemoryIsSharedWithForkChildren) {
  Mapping shared(kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
  Mapping priv(kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  ASSERT_TRUE(shared.ok());
  ASSERT_TRUE(priv.ok());
  std::memcpy(shared.get(), "parent", 6);
  ASSERT_CHILD_OK(RunInChild([&] {
    TEST_CHECK(std::memcmp(shared.get(), "parent", 6) == 0);
    std::memcpy(shared.get() + 10, "child", 5);
    std::memcpy(priv.get() + 10, "child", 5);
  }));
  EXPECT_EQ(std::string(shared.get() + 10, 5), "child");
  EXPECT_EQ(std::string(priv.get() + 10, 5), std::string(5, '\0'));
}

// ---- PSHM-026 access after munmap ------------------------------------------

// Catches: a munmap that leaves the pages accessible (SEGV_MAPERR expected).
TEST(PshmOs, AccessAfterMunmapRaisesSigsegv) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "munmap", kPage), SyscallSucceeds());
  Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  char* addr = m.get();
  ASSERT_THAT(m.unmap(), SyscallSucceeds());
  EXPECT_THAT(RunInChild([&] {
                ExpectFaultAt(addr + 8, SIGSEGV, SEGV_MAPERR);
                Load(addr + 8);
                TEST_FAIL("a load after munmap did not fault");
              }),
              ChildExitedWith(kFaultAsExpected));
  // The object is unaffected by the unmap.
  EXPECT_EQ(SizeOf(s.fd.get()), static_cast<off_t>(kPage));
}

TEST(PshmLayer, AccessAfterUnmapIsEinval) {
  std::string name = ShmName("lunmap");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, true));
  ASSERT_OK(m.unmap());
  EXPECT_TRUE(m.bytes().empty());
  std::string out(1, '?');
  auto r = m.read(shm, 0, AsWritableBytes(out));
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_EQ(r.error().detail(), "not mapped");
  EXPECT_THAT(m.write(shm, 0, ipc::as_bytes("x")), FailsWith(EINVAL));
  EXPECT_THAT(m.unmap(), FailsWith(EINVAL));
}

// ---- PSHM-027 protection faults --------------------------------------------

// Catches: PROT_NONE pages that can be read, read-only pages that can be
// written (directly or after mprotect), or the wrong si_code (SEGV_ACCERR).
TEST(PshmOs, ProtectionViolationsRaiseSigsegvWithSegvAccerr) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "prot", kPage), SyscallSucceeds());
  Mapping none(kPage, PROT_NONE, MAP_SHARED, s.fd.get());
  Mapping ro(kPage, PROT_READ, MAP_SHARED, s.fd.get());
  Mapping later(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(none.ok() && ro.ok() && later.ok());
  ASSERT_THAT(::mprotect(later.get(), kPage, PROT_READ), SyscallSucceeds());
  EXPECT_THAT(RunInChild([&] {
                ExpectFaultAt(none.get() + 1, SIGSEGV, SEGV_ACCERR);
                Load(none.get() + 1);
                TEST_FAIL("a PROT_NONE load did not fault");
              }),
              ChildExitedWith(kFaultAsExpected));
  EXPECT_THAT(RunInChild([&] {
                ExpectFaultAt(ro.get() + 2, SIGSEGV, SEGV_ACCERR);
                Store(ro.get() + 2, 'x');
                TEST_FAIL("a PROT_READ store did not fault");
              }),
              ChildExitedWith(kFaultAsExpected));
  EXPECT_THAT(RunInChild([&] {
                ExpectFaultAt(later.get() + 3, SIGSEGV, SEGV_ACCERR);
                Store(later.get() + 3, 'x');
                TEST_FAIL("a store after mprotect(PROT_READ) did not fault");
              }),
              ChildExitedWith(kFaultAsExpected));
  EXPECT_EQ(ReadAt(s.fd.get(), 0, 4),
            std::string(4, '\0'));  // no store got through
}

TEST(PshmLayer, WriteThroughReadOnlyMappingIsEacces) {
  std::string name = ShmName("lprot");
  ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(PosixShm::open(name));
  ASSERT_OK(shm.truncate(kPage));
  auto m = ASSERT_OK_AND_VALUE(SharedMapping::map(shm, 0, kPage, false));
  EXPECT_FALSE(m.writable());
  auto w = m.write(shm, 0, ipc::as_bytes("x"));
  ASSERT_THAT(w, FailsWith(EACCES));
  EXPECT_EQ(w.error().detail(), "mapping is read-only (PROT_READ)");
  EXPECT_EQ(LayerReadAt(shm, 0, 1), std::string(1, '\0'));
}

// ---- PSHM-028 /dev/zero ----------------------------------------------------

// Catches: MAP_SHARED mappings of /dev/zero that share memory with each
// other (each mmap of /dev/zero is a new anonymous shared object on Linux).
TEST(PshmOs, SeparateSharedMappingsOfDevZeroDoNotShare) {
  ipc::Fd zero(::open("/dev/zero", O_RDWR | O_CLOEXEC));
  ASSERT_THAT(zero.get(), SyscallSucceeds());
  Mapping a(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, zero.get());
  Mapping b(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, zero.get());
  ASSERT_TRUE(a.ok() && b.ok());
  std::memcpy(a.get(), "only-a", 6);
  EXPECT_EQ(std::string(b.get(), 6), std::string(6, '\0'));
  // But each one is shared with fork children, like MAP_ANONYMOUS.
  ASSERT_CHILD_OK(RunInChild([&] { std::memcpy(a.get() + 10, "child", 5); }));
  EXPECT_EQ(std::string(a.get() + 10, 5), "child");
  EXPECT_EQ(std::string(b.get() + 10, 5), std::string(5, '\0'));
}

// ---- PSHM-029 memfd_create -------------------------------------------------

// Catches: a memfd that an unrelated program cannot reach through
// /proc/<pid>/fd/N, or whose contents differ from what our mapping holds.
TEST(PshmOs, MemfdIsReachableByAnotherProgramThroughProc) {
  ipc::Fd fd(::memfd_create("ipct-memfd", MFD_CLOEXEC));
  ASSERT_THAT(fd.get(), SyscallSucceeds());
  ASSERT_THAT(::ftruncate(fd.get(), kPage), SyscallSucceeds());
  Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get());
  ASSERT_TRUE(m.ok());
  std::memcpy(m.get(), "memfd-data", 10);
  std::string path =
      "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd.get());
  auto read = RunUnrelatedPeer({"read-path", path, "10"});
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->wait_status, 0)
      << DescribeWaitStatus(read->wait_status) << ": " << read->output;
  EXPECT_EQ(read->output, "memfd-data");
  auto write = RunUnrelatedPeer({"write-path", path, "PEER"});
  ASSERT_THAT(write, IsOk());
  EXPECT_EQ(write->wait_status, 0)
      << DescribeWaitStatus(write->wait_status) << ": " << write->output;
  EXPECT_EQ(std::string(m.get(), 10),
            "PEERd-data");  // write-path overwrites from offset 0
  // A forked child maps the inherited descriptor and shares the same pages.
  ASSERT_CHILD_OK(RunInChild([&] {
    void* p =
        ::mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    TEST_CHECK_SUCCESS(p);
    std::memcpy(static_cast<char*>(p) + 20, "kid", 3);
  }));
  EXPECT_EQ(std::string(m.get() + 20, 3), "kid");
}

// ---- PSHM-030 name too long ------------------------------------------------

// Catches: a name of NAME_MAX bytes refused, or a longer one accepted or
// refused with EINVAL instead of ENAMETOOLONG (glibc's choice).
TEST(PshmOs, NameLongerThanNameMaxFailsEnametoolong) {
  std::string prefix = ShmName("long");
  std::string longest =
      prefix + std::string(NAME_MAX - (prefix.size() - 1), 'n');
  ASSERT_EQ(longest.size(), static_cast<std::size_t>(NAME_MAX) + 1);
  ShmNameOwner owner(longest);
  ipc::Fd fd(RawOpen(longest, O_RDWR | O_CREAT | O_EXCL));
  EXPECT_THAT(fd.get(), SyscallSucceeds());
  std::string too_long = longest + "n";
  ShmNameOwner owner2(too_long);  // never exists; harmless
  EXPECT_THAT(RawOpen(too_long, O_RDWR | O_CREAT),
              SyscallFailsWithErrno(ENAMETOOLONG));
  EXPECT_THAT(::shm_unlink(too_long.c_str()),
              SyscallFailsWithErrno(ENAMETOOLONG));
}

TEST(PshmLayer, NameLongerThanNameMaxIsRefusedBeforeTheCall) {
  std::string prefix = ShmName("llong");
  std::string longest =
      prefix + std::string(NAME_MAX - (prefix.size() - 1), 'n');
  ShmNameOwner owner(longest);
  EXPECT_OK(PosixShm::open(longest));
  auto r = PosixShm::open(longest + "n");
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_THAT(r.error().detail(), HasSubstr("longer than NAME_MAX"));
}

// ---- PSHM-031 mmap offset alignment ----------------------------------------

// Catches: an unaligned offset accepted (silently rounded).
TEST(PshmOs, MmapOffsetMustBeAMultipleOfThePageSize) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "align", 2 * kPage), SyscallSucceeds());
  errno = 0;
  EXPECT_EQ(::mmap(nullptr, kPage, PROT_READ, MAP_SHARED, s.fd.get(), 1),
            MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  ASSERT_THAT(::pwrite(s.fd.get(), "page2", 5, static_cast<off_t>(kPage)),
              SyscallSucceedsWithValue(5));
  Mapping m(kPage, PROT_READ, MAP_SHARED, s.fd.get(),
            static_cast<off_t>(kPage));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::string(m.get(), 5), "page2");
}

// ---- PSHM-032 shm_unlink permission ----------------------------------------

// Catches: another user able to remove our name from the sticky /dev/shm, or
// the kernel's EPERM leaking out (POSIX and glibc: EACCES).
TEST(PshmOs, OtherUserCannotUnlinkTheNameEacces) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "unlinkperm"), SyscallSucceeds());
  ASSERT_THAT(::fchmod(s.fd.get(), 0666),
              SyscallSucceeds());  // even if it may write it
  EXPECT_CHILD_OK(RunAsNobody(
      [&] { TEST_CHECK_ERRNO(::shm_unlink(s.owner.name().c_str()), EACCES); }));
  EXPECT_THAT(::access(("/dev/shm" + s.owner.name()).c_str(), F_OK),
              SyscallSucceeds());
}

// ---- PSHM-033 a mapping larger than the object -----------------------------

// Catches: a mapping made while the object was empty that stays unusable
// (or needs a remap) after the object grows; growth by pwrite or ftruncate.
TEST(PshmOs, MappingBecomesUsableWhenTheObjectGrows) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "grow"), SyscallSucceeds());  // size 0
  Mapping m(2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  ASSERT_THAT(::pwrite(s.fd.get(), "grown", 5, 0), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(m.get(), 5), "grown");
  ASSERT_THAT(::ftruncate(s.fd.get(), 2 * kPage), SyscallSucceeds());
  Store(m.get() + kPage + 1, 'q');
  EXPECT_EQ(ReadAt(s.fd.get(), kPage + 1, 1), "q");
}

// ---- PSHM-034 munmap of part of a mapping ----------------------------------

// Catches: munmap of one page taking the neighbouring pages or the object's
// data with it.
TEST(PshmOs, PartialMunmapLeavesTheRestAndTheObjectIntact) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "partial", 3 * kPage), SyscallSucceeds());
  Mapping m(3 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  std::memcpy(m.get() + kPage, "middle", 6);
  std::memcpy(m.get() + 2 * kPage, "last", 4);
  ASSERT_THAT(::munmap(m.get() + kPage, kPage), SyscallSucceeds());
  EXPECT_THAT(RunInChild([&] {
                ExpectFaultAt(m.get() + kPage, SIGSEGV, SEGV_MAPERR);
                Load(m.get() + kPage);
                TEST_FAIL("a load from the unmapped page did not fault");
              }),
              ChildExitedWith(kFaultAsExpected));
  EXPECT_EQ(std::string(m.get() + 2 * kPage, 4), "last");
  EXPECT_EQ(ReadAt(s.fd.get(), kPage, 6), "middle");
  // Mapping's destructor munmaps all three pages; the hole is no error.
}

// ---- PSHM-035 msync on a shared mapping ------------------------------------

// Catches: msync failing on shm (it is a no-op for coherence on Linux) or
// accepting an unaligned address / conflicting flags.
TEST(PshmOs, MsyncSucceedsAndValidatesItsArguments) {
  RawShm s;
  ASSERT_THAT(CreateShm(s, "msync", kPage), SyscallSucceeds());
  Mapping m(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, s.fd.get());
  ASSERT_TRUE(m.ok());
  std::memcpy(m.get(), "sync", 4);
  EXPECT_THAT(::msync(m.get(), kPage, MS_SYNC), SyscallSucceeds());
  EXPECT_THAT(::msync(m.get(), kPage, MS_ASYNC | MS_INVALIDATE),
              SyscallSucceeds());
  EXPECT_EQ(ReadAt(s.fd.get(), 0, 4),
            "sync");  // MS_INVALIDATE did not discard the store
  EXPECT_THAT(::msync(m.get() + 1, 1, MS_SYNC), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::msync(m.get(), kPage, MS_SYNC | MS_ASYNC),
              SyscallFailsWithErrno(EINVAL));
}

}  // namespace
