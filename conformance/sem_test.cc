// conformance/sem_test.cc — conformance tests for semaphores: System V
// semaphore sets (SEM-001 … SEM-032: semget(2), semop(2), semctl(2),
// POSIX XSH) and POSIX semaphores (SEM-033 … SEM-046: sem_overview(7),
// sem_open(3), sem_wait(3), sem_post(3), POSIX XSH), checked through the libc
// entry points (SemOs, PosixSemOs), the raw system calls where the kernel
// alone is the question, and our layer ipc/sysv_sem.h, ipc/posix_sem.h where
// it exposes the behaviour (SemLayer, PosixSemLayer). Catalogue:
// conformance/catalog/sem.txt.
//
// Every test names the deviation it catches in its comment. Blocking is
// observed through /proc (BackgroundCall::wait_blocked, fault::
// wait_until_blocked, fault::interrupt_when_blocked), never guessed with a
// sleep; glibc's semop() sleeps in semtimedop (fault::kSysSemtimedop), the
// POSIX waits in futex. Counts that are system-wide (SEM_INFO) are taken in a
// child in a private IPC namespace.
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "conformance/testing/background.h"
#include "conformance/testing/suite_util.h"
#include "conformance/testing/sysv.h"
#include "fault/blocked.h"
#include "fault/libc_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/keys.h"
#include "ipc/posix_sem.h"
#include "ipc/sysv_sem.h"
#include "ipc/testing/test_util.h"

namespace {

using ::conformance::testing::BackgroundCall;
using ::conformance::testing::kPatience;
using ::conformance::testing::RealtimeIn;
using ::conformance::testing::RunAsNobody;
using ::conformance::testing::RunInPrivateIpcNamespace;
using ::conformance::testing::WaitUntilTimeIsAfter;
using ::ipc::testing::Child;
using ::ipc::testing::Cleanup;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::RawPipe;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;
using namespace std::chrono_literals;

// ---- helpers ---------------------------------------------------------------

// An ipc::Result that is OK and holds `v`.
MATCHER_P(IsOkAndHolds, v, "is OK and holds " + ::testing::PrintToString(v)) {
  if (!arg.ok()) {
    *result_listener << "error: " << arg.error().message();
    return false;
  }
  *result_listener << "holds " << ::testing::PrintToString(arg.value());
  return arg.value() == v;
}

// The caller defines semun (semctl(2)).
union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
  struct seminfo* info;
};

constexpr int kSemvmx = 32767;  // SEMVMX and SEMAEM (include/uapi/linux/sem.h)

// /proc/sys/kernel/sem: SEMMSL SEMMNS SEMOPM SEMMNI.
struct SemLimits {
  int semmsl = -1, semmns = -1, semopm = -1, semmni = -1;
};
SemLimits ReadSemLimits() {
  SemLimits l;
  std::ifstream in("/proc/sys/kernel/sem");
  in >> l.semmsl >> l.semmns >> l.semopm >> l.semmni;
  return l;
}

// A set made by semget(IPC_PRIVATE, nsems, IPC_CREAT | mode), removed at the
// end of the scope.
class OwnedSet {
 public:
  explicit OwnedSet(int nsems = 1, int mode = 0600)
      : id_(::semget(IPC_PRIVATE, nsems, IPC_CREAT | mode)) {
    EXPECT_GE(id_, 0) << "semget(IPC_PRIVATE): " << std::strerror(errno);
  }
  static OwnedSet adopt(int id) { return OwnedSet(id, nullptr); }
  OwnedSet(OwnedSet&& other) noexcept : id_(other.id_) { other.id_ = -1; }
  OwnedSet& operator=(OwnedSet&&) = delete;
  ~OwnedSet() { remove(); }
  int id() const { return id_; }
  // Removes the current set (if any) and owns `id` instead.
  void reset(int id) {
    remove();
    id_ = id;
  }
  // IPC_RMID now (once); semctl's result.
  int remove() {
    if (id_ < 0) return 0;
    int r = ::semctl(id_, 0, IPC_RMID);
    id_ = -1;
    return r;
  }

 private:
  OwnedSet(int id, std::nullptr_t) : id_(id) {}
  int id_;
};

// A set created exclusively with ftok(file in a TempDir, proj) for the first
// free proj id.
struct KeyedSet {
  TempDir dir;
  std::string path = ipc::testing::MakeFile(dir.file("anchor"));
  key_t key = -1;
  OwnedSet set = OwnedSet::adopt(-1);

  explicit KeyedSet(int nsems, int mode = 0600) {
    auto made =
        ipc::create_with_free_key(path, 1, [&](key_t k) -> ipc::Result<int> {
          int id = ::semget(k, nsems, IPC_CREAT | IPC_EXCL | mode);
          if (id < 0) return ipc::Error::from_errno("semget", "");
          return id;
        });
    EXPECT_THAT(made, IsOk());
    if (made) {
      key = made->key;
      set.reset(made->id);
    }
  }
  int id() const { return set.id(); }
};

int Semop(int id, std::vector<struct sembuf> ops) {
  return ::semop(id, ops.data(), ops.size());
}
int Semtimedop(int id, std::vector<struct sembuf> ops,
               const struct timespec* timeout) {
  return ::semtimedop(id, ops.data(), ops.size(), timeout);
}
int GetVal(int id, int num) { return ::semctl(id, num, GETVAL); }
int SetVal(int id, int num, int value) {
  union semun u;
  u.val = value;
  return ::semctl(id, num, SETVAL, u);
}
int SetAll(int id, std::vector<unsigned short> values) {
  union semun u;
  u.array = values.data();
  return ::semctl(id, 0, SETALL, u);
}
std::vector<unsigned short> GetAll(int id, int nsems) {
  std::vector<unsigned short> v(nsems, 0xffff);
  union semun u;
  u.array = v.data();
  if (::semctl(id, 0, GETALL, u) < 0) return {};
  return v;
}
struct semid_ds Stat(int id) {
  struct semid_ds ds = {};
  union semun u;
  u.buf = &ds;
  EXPECT_THAT(::semctl(id, 0, IPC_STAT, u), SyscallSucceeds());
  return ds;
}

// A thread blocked in semop(ops) on `id`, seen asleep in semtimedop (what
// glibc's semop calls).
long SemopCall(int id, std::vector<struct sembuf> ops) {
  return static_cast<long>(Semop(id, std::move(ops)));
}

// Waits (bounded) until process `pid` sleeps in semtimedop.
ipc::Status WaitBlockedInSemop(pid_t pid) {
  return fault::wait_until_blocked(pid, pid, fault::kSysSemtimedop,
                                   ipc::deadline_in(kPatience));
}

double MillisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

// ---- SEM-001 … SEM-006 semget ----------------------------------------------

// SEM-001. Catches: semaphores not starting at 0 (Linux, POSIX leaves the
// values unspecified; we require what programs rely on), a wrong size, the
// mode, key, creator or otime not recorded.
TEST(SemOs, CreateMakesASetOfZeroedSemaphoresWithTheMode) {
  KeyedSet s(3);
  ASSERT_GE(s.id(), 0);
  EXPECT_THAT(GetAll(s.id(), 3), ::testing::ElementsAre(0, 0, 0));
  struct semid_ds ds = Stat(s.id());
  EXPECT_EQ(ds.sem_nsems, 3u);
  EXPECT_EQ(ds.sem_perm.mode & 0777, 0600u);
  EXPECT_EQ(ds.sem_perm.__key, s.key);
  EXPECT_EQ(ds.sem_perm.cuid, ::geteuid());
  EXPECT_EQ(ds.sem_perm.uid, ::geteuid());
  EXPECT_EQ(ds.sem_perm.cgid, ::getegid());
  EXPECT_EQ(ds.sem_otime, 0);
}

// SEM-002. Catches: a second semget of the same key making another set (a key
// collision must return the existing one), or its mode/nsems arguments
// changing the existing set.
TEST(SemOs, GetOfAnExistingKeyReturnsTheSameSetUnchanged) {
  KeyedSet s(3);
  ASSERT_GE(s.id(), 0);
  EXPECT_THAT(::semget(s.key, 0, 0), SyscallSucceedsWithValue(s.id()));
  EXPECT_THAT(::semget(s.key, 2, IPC_CREAT | 0666),
              SyscallSucceedsWithValue(s.id()));
  ASSERT_THAT(SetVal(s.id(), 1, 9), SyscallSucceeds());
  int other = ::semget(s.key, 3, 0);
  ASSERT_THAT(other, SyscallSucceeds());
  EXPECT_EQ(GetVal(other, 1), 9);
  struct semid_ds ds = Stat(s.id());
  EXPECT_EQ(ds.sem_perm.mode & 0777, 0600u);
  EXPECT_EQ(ds.sem_nsems, 3u);
}

// SEM-003. Catches: IPC_EXCL ignored on a key that has a set.
TEST(SemOs, ExclusiveCreateOfAnExistingKeyFailsEexist) {
  KeyedSet s(1);
  ASSERT_GE(s.id(), 0);
  EXPECT_THAT(::semget(s.key, 1, IPC_CREAT | IPC_EXCL | 0600),
              SyscallFailsWithErrno(EEXIST));
}

// SEM-003 through the layer: create_exclusive reports EEXIST, create() opens.
TEST(SemLayer, ExclusiveCreateOfATakenKeyFailsEexist) {
  KeyedSet s(2);
  ASSERT_GE(s.id(), 0);
  EXPECT_THAT(ipc::SemaphoreSet::create_exclusive(s.key, 2), FailsWith(EEXIST));
  auto opened = ipc::SemaphoreSet::create(s.key, 2);
  ASSERT_OK(opened);
  EXPECT_EQ(opened->id(), s.id());
}

// SEM-004. Catches: semget without IPC_CREAT creating a set, or failing with
// another errno, for a key that names none.
TEST(SemOs, GetOfAMissingKeyWithoutCreateFailsEnoent) {
  KeyedSet s(1);
  ASSERT_GE(s.id(), 0);
  key_t key = s.key;
  ASSERT_THAT(s.set.remove(), SyscallSucceeds());
  EXPECT_THAT(::semget(key, 1, 0600), SyscallFailsWithErrno(ENOENT));
}

// SEM-005. Catches: IPC_PRIVATE returning an existing set.
TEST(SemOs, IpcPrivateCreatesANewSetEveryTime) {
  OwnedSet a(1), b(1),
      c = OwnedSet::adopt(
          ::semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_GE(a.id(), 0);
  ASSERT_GE(b.id(), 0);
  ASSERT_THAT(c.id(), SyscallSucceeds());
  EXPECT_NE(a.id(), b.id());
  EXPECT_NE(b.id(), c.id());
  ASSERT_THAT(SetVal(a.id(), 0, 4), SyscallSucceeds());
  EXPECT_EQ(GetVal(b.id(), 0), 0);
}

// SEM-006. Catches: a set of 0 or more than SEMMSL semaphores created, or an
// existing set handed out to a caller that asks for more semaphores than it
// has.
TEST(SemOs, NsemsOutsideTheLimitsOrAboveTheSetsSizeFailsEinval) {
  SemLimits l = ReadSemLimits();
  ASSERT_GT(l.semmsl, 0) << "cannot read /proc/sys/kernel/sem";
  EXPECT_THAT(::semget(IPC_PRIVATE, 0, IPC_CREAT | 0600),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::semget(IPC_PRIVATE, l.semmsl + 1, IPC_CREAT | 0600),
              SyscallFailsWithErrno(EINVAL));
  KeyedSet s(2);
  ASSERT_GE(s.id(), 0);
  EXPECT_THAT(::semget(s.key, 3, 0600), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::semget(s.key, 1, 0600), SyscallSucceedsWithValue(s.id()));
}

// ---- SEM-007 permissions ---------------------------------------------------

// SEM-007. Catches: a 0600 set open to other users; read (GETVAL, IPC_STAT)
// and alter (semop, SETVAL) not told apart. As nobody, so that root's bypass
// is gone (skips where uid 65534 is not mapped).
TEST(SemOs, ModeGovernsReadAndAlterForOtherUsers) {
  KeyedSet owner_only(1, 0600);
  KeyedSet readable(1, 0644);
  ASSERT_GE(owner_only.id(), 0);
  ASSERT_GE(readable.id(), 0);
  int priv = owner_only.id(), pub = readable.id();
  key_t priv_key = owner_only.key;
  EXPECT_CHILD_OK(RunAsNobody([&] {
    TEST_CHECK_ERRNO(::semget(priv_key, 1, 0400), EACCES);
    TEST_CHECK(::semget(priv_key, 1, 0) == priv);  // asks for nothing
    TEST_CHECK_ERRNO(::semctl(priv, 0, GETVAL), EACCES);
    struct sembuf up = {0, 1, IPC_NOWAIT};
    TEST_CHECK_ERRNO(::semop(priv, &up, 1), EACCES);
    TEST_CHECK(::semctl(pub, 0, GETVAL) == 0);
    TEST_CHECK_ERRNO(::semop(pub, &up, 1), EACCES);
    union semun u;
    u.val = 1;
    TEST_CHECK_ERRNO(::semctl(pub, 0, SETVAL, u), EACCES);
  }));
  EXPECT_EQ(GetVal(priv, 0), 0);
  EXPECT_EQ(GetVal(pub, 0), 0);
}

// ---- SEM-008 … SEM-015 semop -----------------------------------------------

// SEM-008. Catches: IPC_NOWAIT ignored (the call blocks), another errno, or
// the operation applied in part.
TEST(SemOs, NowaitOperationThatWouldWaitFailsEagain) {
  OwnedSet s(2);
  ASSERT_GE(s.id(), 0);
  EXPECT_THAT(Semop(s.id(), {{0, -1, IPC_NOWAIT}}),
              SyscallFailsWithErrno(EAGAIN));
  ASSERT_THAT(SetVal(s.id(), 1, 2), SyscallSucceeds());
  EXPECT_THAT(Semop(s.id(), {{1, 0, IPC_NOWAIT}}),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(GetAll(s.id(), 2), ::testing::ElementsAre(0, 2));
}

// SEM-008 through the raw system call (x86-64 and others have semop(2) of
// their own; glibc's semop uses semtimedop).
TEST(SemOs, RawSemopNowaitFailsEagain) {
#ifdef SYS_semop
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  struct sembuf down = {0, -1, IPC_NOWAIT};
  EXPECT_THAT(::syscall(SYS_semop, s.id(), &down, 1),
              SyscallFailsWithErrno(EAGAIN));
  struct sembuf up = {0, 2, 0};
  EXPECT_THAT(::syscall(SYS_semop, s.id(), &up, 1), SyscallSucceeds());
  EXPECT_THAT(::syscall(SYS_semctl, s.id(), 0, GETVAL, 0),
              SyscallSucceedsWithValue(2));
#else
  GTEST_SKIP() << "no semop system call on this architecture";
#endif
}

// SEM-009. Catches: a decrement that proceeds below zero, or one that is not
// woken once the value suffices (woken too early by a smaller increment).
TEST(SemOs, DecrementWaitsUntilTheValueSuffices) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  BackgroundCall waiter([id] { return SemopCall(id, {{0, -2, 0}}); });
  Cleanup wake([&] { s.remove(); });
  ASSERT_OK(waiter.wait_blocked(fault::kSysSemtimedop));
  ASSERT_THAT(Semop(id, {{0, 1, 0}}), SyscallSucceeds());
  EXPECT_OK(waiter.wait_blocked(fault::kSysSemtimedop))
      << "woken with the value at 1 for a decrement of 2";
  ASSERT_THAT(Semop(id, {{0, 1, 0}}), SyscallSucceeds());
  ASSERT_TRUE(waiter.wait_done());
  EXPECT_THAT(waiter.result(), SyscallSucceeds());
  EXPECT_EQ(GetVal(id, 0), 0);
}

// SEM-010. Catches: sem_op 0 not waiting for zero, or not woken at zero.
TEST(SemOs, ZeroOperationWaitsUntilTheValueIsZero) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  ASSERT_THAT(SetVal(id, 0, 2), SyscallSucceeds());
  BackgroundCall waiter([id] { return SemopCall(id, {{0, 0, 0}}); });
  Cleanup wake([&] { s.remove(); });
  ASSERT_OK(waiter.wait_blocked(fault::kSysSemtimedop));
  ASSERT_THAT(Semop(id, {{0, -1, 0}}), SyscallSucceeds());
  EXPECT_OK(waiter.wait_blocked(fault::kSysSemtimedop))
      << "woken with the value at 1";
  ASSERT_THAT(Semop(id, {{0, -1, 0}}), SyscallSucceeds());
  ASSERT_TRUE(waiter.wait_done());
  EXPECT_THAT(waiter.result(), SyscallSucceeds());
}

// SEM-011. Catches: an operation list applied in part — the first operations
// kept when a later one would wait (IPC_NOWAIT or blocking) or fails ERANGE.
TEST(SemOs, OperationListIsAppliedAllOrNothing) {
  OwnedSet s(2);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  ASSERT_THAT(SetAll(id, {1, 0}), SyscallSucceeds());
  EXPECT_THAT(Semop(id, {{0, -1, 0}, {1, -1, IPC_NOWAIT}}),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(GetAll(id, 2), ::testing::ElementsAre(1, 0));
  EXPECT_THAT(Semop(id, {{0, 1, 0}, {1, kSemvmx, 0}, {1, 1, 0}}),
              SyscallFailsWithErrno(ERANGE));
  EXPECT_THAT(GetAll(id, 2), ::testing::ElementsAre(1, 0));

  BackgroundCall waiter([id] {
    return SemopCall(id, {{0, -1, 0}, {1, -1, 0}});
  });
  Cleanup wake([&] { s.remove(); });
  ASSERT_OK(waiter.wait_blocked(fault::kSysSemtimedop));
  EXPECT_EQ(GetVal(id, 0), 1) << "the first operation applied while waiting";
  ASSERT_THAT(Semop(id, {{1, 1, 0}}), SyscallSucceeds());
  ASSERT_TRUE(waiter.wait_done());
  EXPECT_THAT(waiter.result(), SyscallSucceeds());
  EXPECT_THAT(GetAll(id, 2), ::testing::ElementsAre(0, 0));
}

// SEM-012. Catches: a value allowed past SEMVMX (32767) by semop, SETVAL or
// SETALL, a negative SETVAL accepted, or the failed call changing something.
TEST(SemOs, ValuePastSemvmxFailsErange) {
  OwnedSet s(2);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  ASSERT_THAT(SetVal(id, 0, kSemvmx), SyscallSucceeds());
  EXPECT_THAT(Semop(id, {{0, 1, 0}}), SyscallFailsWithErrno(ERANGE));
  EXPECT_EQ(GetVal(id, 0), kSemvmx);
  EXPECT_THAT(SetVal(id, 1, kSemvmx + 1), SyscallFailsWithErrno(ERANGE));
  EXPECT_THAT(SetVal(id, 1, -1), SyscallFailsWithErrno(ERANGE));
  EXPECT_THAT(SetAll(id, {5, kSemvmx + 1}), SyscallFailsWithErrno(ERANGE));
  EXPECT_THAT(GetAll(id, 2), ::testing::ElementsAre(kSemvmx, 0));
}

// SEM-013. Catches: operation lists longer than SEMOPM accepted, or SEMOPM
// itself refused.
TEST(SemOs, MoreThanSemopmOperationsFailE2big) {
  SemLimits l = ReadSemLimits();
  ASSERT_GT(l.semopm, 0) << "cannot read /proc/sys/kernel/sem";
  ASSERT_LT(l.semopm, kSemvmx);
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  std::vector<struct sembuf> ops(l.semopm + 1, {0, 1, 0});
  EXPECT_THAT(Semop(s.id(), ops), SyscallFailsWithErrno(E2BIG));
  EXPECT_EQ(GetVal(s.id(), 0), 0);
  ops.pop_back();
  EXPECT_THAT(Semop(s.id(), ops), SyscallSucceeds());
  EXPECT_EQ(GetVal(s.id(), 0), l.semopm);
}

// SEM-014. Catches: a semaphore number outside the set accepted by semop
// (EFBIG) or semctl (EINVAL).
TEST(SemOs, SemaphoreNumberOutsideTheSetFails) {
  OwnedSet s(2);
  ASSERT_GE(s.id(), 0);
  EXPECT_THAT(Semop(s.id(), {{2, 1, 0}}), SyscallFailsWithErrno(EFBIG));
  EXPECT_THAT(Semop(s.id(), {{0, 1, 0}, {2, 1, 0}}),
              SyscallFailsWithErrno(EFBIG));
  EXPECT_EQ(GetVal(s.id(), 0), 0);
  EXPECT_THAT(::semctl(s.id(), 2, GETVAL), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(SetVal(s.id(), 2, 1), SyscallFailsWithErrno(EINVAL));
}

// SEM-015. Catches: an empty operation list, an id that names no set, or an
// unknown semctl command accepted.
TEST(SemOs, EmptyListBadIdAndUnknownCommandFailEinval) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  EXPECT_THAT(Semop(s.id(), {}), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Semop(-1, {{0, 1, 0}}), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::semctl(s.id(), 0, 12345), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::semctl(-1, 0, GETVAL), SyscallFailsWithErrno(EINVAL));
}

// ---- SEM-016 … SEM-020 SEM_UNDO --------------------------------------------

// SEM-016. Catches: SEM_UNDO adjustments not applied when the process exits,
// applied to the wrong semaphore, or applied before exit.
TEST(SemOs, UndoIsAppliedWhenTheProcessExits) {
  OwnedSet s(2);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  ASSERT_THAT(SetAll(id, {3, 0}), SyscallSucceeds());
  EXPECT_CHILD_OK(RunInChild([id] {
    struct sembuf ops[2] = {{0, -1, SEM_UNDO}, {1, 2, SEM_UNDO}};
    TEST_CHECK_SUCCESS(::semop(id, ops, 2));
    TEST_CHECK(::semctl(id, 0, GETVAL) == 2);
    TEST_CHECK(::semctl(id, 1, GETVAL) == 2);
  }));
  EXPECT_THAT(GetAll(id, 2), ::testing::ElementsAre(3, 0));
}

// SEM-016 through the layer: SemOp::undo is SEM_UNDO.
TEST(SemLayer, UndoIsAppliedWhenTheProcessExits) {
  auto set = ipc::SemaphoreSet::create_private(1);
  ASSERT_OK(set);
  ipc::SemOwner owner(*set);
  ASSERT_OK(set->set_value(0, 2));
  ipc::SemaphoreSet copy = *set;
  EXPECT_CHILD_OK(RunInChild([copy] {
    TEST_CHECK(copy.op({{.num = 0, .delta = -2, .undo = true}}).ok());
    TEST_CHECK(copy.value(0).value() == 0);
  }));
  EXPECT_THAT(set->value(0), IsOkAndHolds(2));
}

// SEM-017. Catches: an undo at exit that would make a value negative failing
// or wrapping instead of being clamped at 0 (Linux), or GETPID not naming the
// exiting process.
TEST(SemOs, UndoAtExitIsClampedAtZero) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  RawPipe go, ready;
  Child child([&] {
    struct sembuf up = {0, 1, SEM_UNDO};  // semadj -1
    TEST_CHECK_SUCCESS(::semop(id, &up, 1));
    TEST_CHECK(::write(ready.write.get(), "r", 1) == 1);
    char c;
    TEST_CHECK(::read(go.read.get(), &c, 1) == 1);
  });
  ready.write.reset();  // the child's exit is then EOF
  char c;
  ASSERT_THAT(::read(ready.read.get(), &c, 1), SyscallSucceedsWithValue(1));
  ASSERT_THAT(Semop(id, {{0, -1, 0}}), SyscallSucceeds());  // value 0
  pid_t child_pid = child.pid();                            // wait() forgets it
  ASSERT_THAT(::write(go.write.get(), "g", 1), SyscallSucceedsWithValue(1));
  EXPECT_CHILD_OK(child.wait());
  EXPECT_EQ(GetVal(id, 0), 0);
  EXPECT_EQ(::semctl(id, 0, GETPID), child_pid);
}

// SEM-018. Catches: a fork()ed child inheriting its parent's adjustments
// (they would be undone twice).
TEST(SemOs, ForkedChildStartsWithoutUndoAdjustments) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  ASSERT_THAT(Semop(id, {{0, 1, SEM_UNDO}}), SyscallSucceeds());
  EXPECT_CHILD_OK(RunInChild([] {}));
  EXPECT_EQ(GetVal(id, 0), 1) << "the child undid its parent's increment";
  ASSERT_THAT(Semop(id, {{0, -1, SEM_UNDO}}), SyscallSucceeds());
}

// SEM-019. Catches: SETVAL or SETALL leaving another process's adjustment in
// place, so that its exit changes the value just set (one set for each, so
// that neither hides the other).
TEST(SemOs, SetvalAndSetallClearOtherProcessesAdjustments) {
  OwnedSet by_setval(1), by_setall(1);
  ASSERT_GE(by_setval.id(), 0);
  ASSERT_GE(by_setall.id(), 0);
  int a = by_setval.id(), b = by_setall.id();
  RawPipe go, ready;
  Child child([&] {
    struct sembuf up = {0, 1, SEM_UNDO};
    TEST_CHECK_SUCCESS(::semop(a, &up, 1));
    TEST_CHECK_SUCCESS(::semop(b, &up, 1));
    TEST_CHECK(::write(ready.write.get(), "r", 1) == 1);
    char c;
    TEST_CHECK(::read(go.read.get(), &c, 1) == 1);
  });
  ready.write.reset();  // the child's exit is then EOF
  char c;
  ASSERT_THAT(::read(ready.read.get(), &c, 1), SyscallSucceedsWithValue(1));
  ASSERT_THAT(SetVal(a, 0, 5), SyscallSucceeds());
  ASSERT_THAT(SetAll(b, {7}), SyscallSucceeds());
  ASSERT_THAT(::write(go.write.get(), "g", 1), SyscallSucceedsWithValue(1));
  EXPECT_CHILD_OK(child.wait());
  EXPECT_EQ(GetVal(a, 0), 5) << "SETVAL left the child's adjustment";
  EXPECT_EQ(GetVal(b, 0), 7) << "SETALL left the child's adjustment";
}

// SEM-020. Catches: an adjustment allowed past SEMAEM (32767), which the
// undo at exit could not apply.
TEST(SemOs, UndoAdjustmentPastSemaemFailsErange) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  ASSERT_THAT(SetVal(id, 0, kSemvmx), SyscallSucceeds());
  ASSERT_THAT(Semop(id, {{0, -kSemvmx, SEM_UNDO}}), SyscallSucceeds());
  ASSERT_THAT(Semop(id, {{0, 1, 0}}), SyscallSucceeds());
  EXPECT_THAT(Semop(id, {{0, -1, SEM_UNDO}}), SyscallFailsWithErrno(ERANGE));
  EXPECT_EQ(GetVal(id, 0), 1);
  // IPC_NOWAIT: where the refused operation was applied the value is 0, and
  // a plain decrement would wait for ever.
  EXPECT_THAT(Semop(id, {{0, -1, IPC_NOWAIT}}), SyscallSucceeds());
}

// ---- SEM-021 … SEM-025 waking, removal, signals, timeouts ------------------

// SEM-021. Catches: removing a set leaving its waiters asleep, or waking them
// with success or another errno; operations on the removed id succeeding.
TEST(SemOs, RemovingTheSetWakesWaitersWithEidrm) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  ASSERT_THAT(SetVal(id, 0, 1), SyscallSucceeds());
  BackgroundCall zero_waiter([id] { return SemopCall(id, {{0, 0, 0}}); });
  BackgroundCall down_waiter([id] {
    struct timespec t = {20, 0};
    return static_cast<long>(Semtimedop(id, {{0, -2, 0}}, &t));
  });
  Cleanup wake([&] { s.remove(); });
  ASSERT_OK(zero_waiter.wait_blocked(fault::kSysSemtimedop));
  ASSERT_OK(down_waiter.wait_blocked(fault::kSysSemtimedop));
  ASSERT_THAT(s.remove(), SyscallSucceeds());
  ASSERT_TRUE(zero_waiter.wait_done());
  ASSERT_TRUE(down_waiter.wait_done());
  EXPECT_THAT(zero_waiter.result(), SyscallFailsWithErrno(EIDRM));
  EXPECT_THAT(down_waiter.result(), SyscallFailsWithErrno(EIDRM));
  EXPECT_THAT(Semop(id, {{0, 1, IPC_NOWAIT}}), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(GetVal(id, 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::semctl(id, 0, IPC_RMID), SyscallFailsWithErrno(EINVAL));
}

void OnSignal(int) {}

// SEM-022. Catches: semop/semtimedop restarted after a handler installed with
// SA_RESTART (Linux never restarts them, signal(7)), or the interrupted
// operation applied or still counted in GETNCNT.
TEST(SemOs, SignalInterruptsSemopWithEintrEvenWithSaRestart) {
  for (int flags : {0, SA_RESTART}) {
    for (bool timed : {false, true}) {
      SCOPED_TRACE(std::string(flags ? "SA_RESTART " : "") +
                   (timed ? "semtimedop" : "semop"));
      ipc::testing::ScopedSigaction on_usr1(SIGUSR1, OnSignal, flags);
      OwnedSet s(1);
      ASSERT_GE(s.id(), 0);
      int id = s.id();
      BackgroundCall waiter([id, timed] {
        struct timespec t = {20, 0};
        return static_cast<long>(timed ? Semtimedop(id, {{0, -1, 0}}, &t)
                                       : Semop(id, {{0, -1, 0}}));
      });
      Cleanup wake([&] { s.remove(); });
      ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1,
                                              fault::kSysSemtimedop,
                                              ipc::deadline_in(kPatience)));
      ASSERT_TRUE(waiter.wait_done()) << "restarted after the handler";
      EXPECT_THAT(waiter.result(), SyscallFailsWithErrno(EINTR));
      EXPECT_EQ(GetVal(id, 0), 0);
      EXPECT_EQ(::semctl(id, 0, GETNCNT), 0);
    }
  }
}

// SEM-022 through the layer: Eintr::kSurface reports EINTR, kRetry waits on.
TEST(SemLayer, OpSurfacesOrRetriesEintr) {
  ipc::testing::ScopedSigaction on_usr1(SIGUSR1, OnSignal, SA_RESTART);
  auto set = ipc::SemaphoreSet::create_private(1);
  ASSERT_OK(set);
  ipc::SemOwner owner(*set);
  ipc::SemaphoreSet h = *set;
  for (ipc::Eintr mode : {ipc::Eintr::kSurface, ipc::Eintr::kRetry}) {
    bool retry = mode == ipc::Eintr::kRetry;
    SCOPED_TRACE(retry ? "kRetry" : "kSurface");
    BackgroundCall waiter([h, mode]() -> long {
      ipc::Status st = h.op({{.num = 0, .delta = -1}}, {.eintr = mode});
      if (st.ok()) return 0;
      errno = st.error().code();
      return -1;
    });
    Cleanup wake([&] {
      if (!waiter.done()) (void)h.op({{.num = 0, .delta = 1}});
    });
    ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1,
                                            fault::kSysSemtimedop,
                                            ipc::deadline_in(kPatience)));
    if (retry) {
      EXPECT_FALSE(waiter.wait_done(100ms)) << "kRetry returned";
      ASSERT_OK(h.op({{.num = 0, .delta = 1}}));
    }
    ASSERT_TRUE(waiter.wait_done());
    if (retry) {
      EXPECT_THAT(waiter.result(), SyscallSucceeds());
    } else {
      EXPECT_THAT(waiter.result(), SyscallFailsWithErrno(EINTR));
    }
    EXPECT_THAT(h.value(0), IsOkAndHolds(0));
  }
}

// SEM-023. Catches: semtimedop not timing out, timing out early, reporting
// the timeout with another errno than EAGAIN (Linux), or leaving the waiter
// counted; a zero timeout must not wait.
TEST(SemOs, SemtimedopTimesOutWithEagain) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  struct timespec t = {0, 50 * 1000 * 1000};
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(Semtimedop(s.id(), {{0, -1, 0}}, &t),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_GE(MillisSince(t0), 49.0);
  struct timespec zero = {0, 0};
  EXPECT_THAT(Semtimedop(s.id(), {{0, -1, 0}}, &zero),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(GetVal(s.id(), 0), 0);
  EXPECT_EQ(::semctl(s.id(), 0, GETNCNT), 0);
}

// SEM-023 through the raw system call.
TEST(SemOs, RawSemtimedopTimesOutWithEagain) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  struct sembuf down = {0, -1, 0};
#ifdef SYS_semtimedop
  struct timespec t = {0, 20 * 1000 * 1000};
#else
  // i386's only timed semop call is semtimedop_time64, which reads a
  // __kernel_timespec (64-bit seconds and nanoseconds), not the C library's
  // timespec with a 32-bit time_t.
  struct {
    std::int64_t tv_sec, tv_nsec;
  } t = {0, 20 * 1000 * 1000};
#endif
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(::syscall(fault::kSysSemtimedop, s.id(), &down, 1, &t),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_GE(MillisSince(t0), 19.0);
}

// SEM-023 through the layer: a deadline's expiry is ETIMEDOUT, nothing
// applied.
TEST(SemLayer, DeadlineExpiryIsEtimedout) {
  auto set = ipc::SemaphoreSet::create_private(1);
  ASSERT_OK(set);
  ipc::SemOwner owner(*set);
  EXPECT_THAT(
      set->op({{.num = 0, .delta = -1}}, {.deadline = ipc::deadline_in(20ms)}),
      FailsWith(ETIMEDOUT));
  EXPECT_THAT(set->op({{.num = 0, .delta = -1}}, {.nowait = true}),
              FailsWith(EAGAIN));
  EXPECT_THAT(set->value(0), IsOkAndHolds(0));
}

// SEM-024. Catches: a malformed timeout (tv_nsec outside 0..999999999, a
// negative tv_sec) accepted as "wait forever" or "do not wait".
TEST(SemOs, SemtimedopWithAnInvalidTimeoutFailsEinval) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  struct timespec bad_ns = {1, 1000000000};
  struct timespec neg = {-1, 0};
  EXPECT_THAT(Semtimedop(s.id(), {{0, -1, 0}}, &bad_ns),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Semtimedop(s.id(), {{0, -1, 0}}, &neg),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(GetVal(s.id(), 0), 0);
}

// SEM-025. Catches: an increment that wakes only one of several waiters it
// satisfies.
TEST(SemOs, IncrementWakesEveryWaiterItSatisfies) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  BackgroundCall a([id] { return SemopCall(id, {{0, -1, 0}}); });
  BackgroundCall b([id] { return SemopCall(id, {{0, -1, 0}}); });
  Cleanup wake([&] { s.remove(); });
  ASSERT_OK(a.wait_blocked(fault::kSysSemtimedop));
  ASSERT_OK(b.wait_blocked(fault::kSysSemtimedop));
  ASSERT_THAT(Semop(id, {{0, 2, 0}}), SyscallSucceeds());
  ASSERT_TRUE(a.wait_done());
  ASSERT_TRUE(b.wait_done());
  EXPECT_THAT(a.result(), SyscallSucceeds());
  EXPECT_THAT(b.result(), SyscallSucceeds());
  EXPECT_EQ(GetVal(id, 0), 0);
}

// ---- SEM-026 … SEM-032 semctl ----------------------------------------------

// SEM-026. Catches: SETVAL/SETALL writing the wrong semaphore, GETALL not
// reading each, or a waiter left asleep after SETVAL/SETALL satisfied it.
TEST(SemOs, GetvalSetvalGetallSetallAndTheyWakeWaiters) {
  OwnedSet s(3);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  ASSERT_THAT(SetVal(id, 1, 7), SyscallSucceeds());
  EXPECT_THAT(GetAll(id, 3), ::testing::ElementsAre(0, 7, 0));
  EXPECT_THAT(GetVal(id, 1), SyscallSucceedsWithValue(7));
  ASSERT_THAT(SetAll(id, {1, 2, 3}), SyscallSucceeds());
  EXPECT_THAT(GetAll(id, 3), ::testing::ElementsAre(1, 2, 3));
  EXPECT_THAT(GetVal(id, 2), SyscallSucceedsWithValue(3));

  BackgroundCall by_setval([id] { return SemopCall(id, {{0, -4, 0}}); });
  BackgroundCall by_setall([id] { return SemopCall(id, {{2, 0, 0}}); });
  Cleanup wake([&] { s.remove(); });
  ASSERT_OK(by_setval.wait_blocked(fault::kSysSemtimedop));
  ASSERT_OK(by_setall.wait_blocked(fault::kSysSemtimedop));
  ASSERT_THAT(SetVal(id, 0, 4), SyscallSucceeds());
  ASSERT_TRUE(by_setval.wait_done());
  EXPECT_THAT(by_setval.result(), SyscallSucceeds());
  ASSERT_THAT(SetAll(id, {0, 2, 0}), SyscallSucceeds());
  ASSERT_TRUE(by_setall.wait_done());
  EXPECT_THAT(by_setall.result(), SyscallSucceeds());
}

// SEM-027. Catches: GETNCNT / GETZCNT not counting a blocked process (a
// thread here, a child process there), counting it for the wrong semaphore
// or kind of wait, or still counting it after it left.
TEST(SemOs, GetncntAndGetzcntCountTheWaiters) {
  OwnedSet s(2);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  ASSERT_THAT(SetVal(id, 1, 1), SyscallSucceeds());
  EXPECT_EQ(::semctl(id, 0, GETNCNT), 0);
  EXPECT_EQ(::semctl(id, 1, GETZCNT), 0);
  BackgroundCall down([id] { return SemopCall(id, {{0, -1, 0}}); });
  Child zero([id] {
    struct sembuf op = {1, 0, 0};
    TEST_CHECK_SUCCESS(::semop(id, &op, 1));
  });
  Cleanup wake([&] { s.remove(); });
  ASSERT_OK(down.wait_blocked(fault::kSysSemtimedop));
  ASSERT_OK(WaitBlockedInSemop(zero.pid()));
  EXPECT_THAT(::semctl(id, 0, GETNCNT), SyscallSucceedsWithValue(1));
  EXPECT_THAT(::semctl(id, 0, GETZCNT), SyscallSucceedsWithValue(0));
  EXPECT_THAT(::semctl(id, 1, GETZCNT), SyscallSucceedsWithValue(1));
  EXPECT_THAT(::semctl(id, 1, GETNCNT), SyscallSucceedsWithValue(0));
  ASSERT_THAT(SetAll(id, {1, 0}), SyscallSucceeds());
  ASSERT_TRUE(down.wait_done());
  EXPECT_CHILD_OK(zero.wait());
  EXPECT_EQ(::semctl(id, 0, GETNCNT), 0);
  EXPECT_EQ(::semctl(id, 1, GETZCNT), 0);
}

// SEM-028. Catches: GETPID not the process of the last semop (0 before any),
// or not updated by another process's semop.
TEST(SemOs, GetpidIsTheProcessOfTheLastOperation) {
  OwnedSet s(2);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  EXPECT_EQ(::semctl(id, 0, GETPID), 0);
  Child child([id] {
    struct sembuf up = {0, 1, 0};
    TEST_CHECK_SUCCESS(::semop(id, &up, 1));
  });
  pid_t child_pid = child.pid();  // wait() forgets it
  EXPECT_CHILD_OK(child.wait());
  EXPECT_EQ(::semctl(id, 0, GETPID), child_pid);
  EXPECT_EQ(::semctl(id, 1, GETPID), 0) << "only the semaphore operated on";
  ASSERT_THAT(Semop(id, {{0, -1, 0}}), SyscallSucceeds());
  EXPECT_EQ(::semctl(id, 0, GETPID), ::getpid());
}

// SEM-029. Catches: sem_otime not set by a successful semop (or set by a
// failed one), sem_ctime not updated by SETVAL / IPC_SET. Time stamps have a
// resolution of one second, so the test waits for the wall clock's next
// second (up to 1 s) once.
TEST(SemOs, IpcStatRecordsOtimeAndCtime) {
  OwnedSet s(1);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  time_t created = Stat(id).sem_ctime;
  EXPECT_THAT(Semop(id, {{0, -1, IPC_NOWAIT}}), SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(Stat(id).sem_otime, 0) << "set by a failed semop";
  WaitUntilTimeIsAfter(created);
  ASSERT_THAT(Semop(id, {{0, 1, 0}}), SyscallSucceeds());
  struct semid_ds ds = Stat(id);
  EXPECT_GT(ds.sem_otime, created);
  EXPECT_EQ(ds.sem_ctime, created) << "semop changed sem_ctime";
  ASSERT_THAT(SetVal(id, 0, 3), SyscallSucceeds());
  EXPECT_GT(Stat(id).sem_ctime, created) << "SETVAL did not update sem_ctime";
}

// SEM-030. Catches: IPC_SET ignoring the mode, letting non-permission bits
// through, or changing the creator; the new mode not taking effect for other
// users (sem_ctime after IPC_SET: SEM-029).
TEST(SemOs, IpcSetChangesTheModeButNotTheCreator) {
  OwnedSet s(1, 0600);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  struct semid_ds ds = Stat(id);
  ds.sem_perm.mode = 01666;
  union semun u;
  u.buf = &ds;
  ASSERT_THAT(::semctl(id, 0, IPC_SET, u), SyscallSucceeds());
  struct semid_ds after = Stat(id);
  EXPECT_EQ(after.sem_perm.mode & 07777, 0666u);
  EXPECT_EQ(after.sem_perm.cuid, ::geteuid());
  EXPECT_EQ(after.sem_perm.uid, ::geteuid());
  EXPECT_CHILD_OK(RunAsNobody([id] {
    struct sembuf up = {0, 1, 0};
    TEST_CHECK_SUCCESS(::semop(id, &up, 1));
  }));
  EXPECT_EQ(GetVal(id, 0), 1);
}

// SEM-031. Catches: another user (not owner, creator or privileged) allowed
// to IPC_SET or IPC_RMID a set, even one it may operate on.
TEST(SemOs, IpcSetAndIpcRmidByAnotherUserFailEperm) {
  OwnedSet s(1, 0666);
  ASSERT_GE(s.id(), 0);
  int id = s.id();
  EXPECT_CHILD_OK(RunAsNobody([id] {
    struct semid_ds ds = {};
    union semun u;
    u.buf = &ds;
    TEST_CHECK_SUCCESS(::semctl(id, 0, IPC_STAT, u));
    ds.sem_perm.mode = 0600;
    TEST_CHECK_ERRNO(::semctl(id, 0, IPC_SET, u), EPERM);
    TEST_CHECK_ERRNO(::semctl(id, 0, IPC_RMID), EPERM);
    struct sembuf up = {0, 1, 0};
    TEST_CHECK_SUCCESS(::semop(id, &up, 1));
  }));
  EXPECT_EQ(GetVal(id, 0), 1);
  EXPECT_EQ(Stat(id).sem_perm.mode & 0777, 0666u);
}

// SEM-032. Catches: IPC_INFO / SEM_INFO limits that disagree with
// /proc/sys/kernel/sem or SEMVMX, SEM_INFO counts (semusz = sets, semaem =
// semaphores) that do not count the sets, a return value that is not the
// highest index in use, SEM_STAT not mapping that index to the id. In a
// private IPC namespace so that the counts are exact.
TEST(SemOs, IpcInfoSemInfoAndSemStatDescribeTheSets) {
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    SemLimits l = ReadSemLimits();
    TEST_CHECK(l.semmsl > 0);
    struct seminfo info = {};
    union semun u;
    u.info = &info;
    TEST_CHECK(::semctl(0, 0, IPC_INFO, u) >= 0);
    TEST_CHECK(info.semmsl == l.semmsl);
    TEST_CHECK(info.semmns == l.semmns);
    TEST_CHECK(info.semopm == l.semopm);
    TEST_CHECK(info.semmni == l.semmni);
    TEST_CHECK(info.semvmx == kSemvmx);
    TEST_CHECK(info.semaem == kSemvmx);
    int a = ::semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    int b = ::semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    TEST_CHECK(a >= 0 && b >= 0);
    info = {};
    int highest = ::semctl(0, 0, SEM_INFO, u);
    TEST_CHECK(highest == 1);
    TEST_CHECK(info.semusz == 2);
    TEST_CHECK(info.semaem == 5);
    struct semid_ds ds = {};
    u.buf = &ds;
    TEST_CHECK(::semctl(highest, 0, SEM_STAT, u) == b);
    TEST_CHECK(ds.sem_nsems == 2);
    TEST_CHECK(::semctl(0, 0, SEM_STAT, u) == a);
    TEST_CHECK_ERRNO(::semctl(highest + 1, 0, SEM_STAT, u), EINVAL);
  }));
}

// ---- POSIX semaphores: SEM-033 … SEM-046 -----------------------------------

std::string SemName(const std::string& tag) {
  return "/" + ipc::testing::UniqueName(tag);
}

// A named semaphore and the owner that unlinks its name.
struct OwnedNamed {
  ipc::SemNameOwner owner;
  sem_t* sem = SEM_FAILED;
  ~OwnedNamed() {
    if (sem != SEM_FAILED) ::sem_close(sem);
  }
};
// sem_open(name, O_CREAT | O_EXCL, 0600, value) into `s`.
bool CreateNamed(OwnedNamed& s, const std::string& name, unsigned value = 0) {
  s.sem = ::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, value);
  if (s.sem == SEM_FAILED) return false;
  s.owner = ipc::SemNameOwner(name);
  return true;
}

int ValueOf(sem_t* sem) {
  int v = -1;
  if (::sem_getvalue(sem, &v) != 0) return -2;
  return v;
}

// An unnamed semaphore in a MAP_SHARED anonymous page (shared with children
// forked afterwards), destroyed and unmapped at the end of the scope.
class SharedSem {
 public:
  explicit SharedSem(unsigned value, int pshared = 1) {
    void* p = ::mmap(nullptr, sizeof(sem_t), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(p, MAP_FAILED);
    if (p == MAP_FAILED) return;
    sem_ = static_cast<sem_t*>(p);
    init_ = ::sem_init(sem_, pshared, value);
    EXPECT_THAT(init_, SyscallSucceeds());
  }
  ~SharedSem() {
    if (sem_ == nullptr) return;
    if (init_ == 0) ::sem_destroy(sem_);
    ::munmap(sem_, sizeof(sem_t));
  }
  SharedSem(const SharedSem&) = delete;
  SharedSem& operator=(const SharedSem&) = delete;
  bool ok() const { return sem_ != nullptr && init_ == 0; }
  sem_t* get() const { return sem_; }

 private:
  sem_t* sem_ = nullptr;
  int init_ = -1;
};

// SEM-033. Catches: O_CREAT|O_EXCL opening an existing semaphore instead of
// failing EEXIST; a missing name without O_CREAT created, or failing with
// another errno.
TEST(PosixSemOs, ExclusiveOpenOfAnExistingNameFailsEexistAndMissingEnoent) {
  OwnedNamed s;
  std::string name = SemName("excl");
  ASSERT_TRUE(CreateNamed(s, name)) << std::strerror(errno);
  errno = 0;
  EXPECT_EQ(::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 0), SEM_FAILED);
  EXPECT_EQ(errno, EEXIST);
  std::string missing = SemName("missing");
  errno = 0;
  EXPECT_EQ(::sem_open(missing.c_str(), 0), SEM_FAILED);
  EXPECT_EQ(errno, ENOENT);
}

// SEM-033 through the layer.
TEST(PosixSemLayer, ExclusiveOpenOfAnExistingNameFailsEexist) {
  std::string name = SemName("lexcl");
  ipc::SemNameOwner owner(name);
  auto first = ipc::NamedSemaphore::open(name, {.exclusive = true});
  ASSERT_OK(first);
  EXPECT_THAT(ipc::NamedSemaphore::open(name, {.exclusive = true}),
              FailsWith(EEXIST));
  EXPECT_THAT(ipc::NamedSemaphore::open(SemName("lmissing"), {.create = false}),
              FailsWith(ENOENT));
}

// SEM-034. Catches: a second sem_open of a name (this process or another)
// getting a different semaphore, or its value argument resetting the
// existing one.
TEST(PosixSemOs, OpenOfAnExistingNameSharesTheSemaphore) {
  OwnedNamed s;
  std::string name = SemName("share");
  ASSERT_TRUE(CreateNamed(s, name, 1)) << std::strerror(errno);
  sem_t* again = ::sem_open(name.c_str(), O_CREAT, 0600, 5);
  ASSERT_NE(again, SEM_FAILED) << std::strerror(errno);
  Cleanup close_again([again] { ::sem_close(again); });
  EXPECT_EQ(ValueOf(again), 1) << "the value argument reset the semaphore";
  EXPECT_CHILD_OK(RunInChild([&] {
    sem_t* c = ::sem_open(name.c_str(), 0);
    TEST_CHECK(c != SEM_FAILED);
    TEST_CHECK_SUCCESS(::sem_post(c));
    TEST_CHECK_SUCCESS(::sem_close(c));
  }));
  EXPECT_EQ(ValueOf(s.sem), 2);
}

// SEM-035. Catches: sem_unlink not removing the name at once, destroying the
// semaphore under its open handles, a re-created name reaching the old
// semaphore, or a second unlink succeeding.
TEST(PosixSemOs, UnlinkRemovesTheNameButNotTheOpenSemaphore) {
  OwnedNamed s;
  std::string name = SemName("unlink");
  ASSERT_TRUE(CreateNamed(s, name, 1)) << std::strerror(errno);
  ASSERT_THAT(::sem_unlink(name.c_str()), SyscallSucceeds());
  errno = 0;
  EXPECT_EQ(::sem_open(name.c_str(), 0), SEM_FAILED);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_THAT(::sem_unlink(name.c_str()), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::sem_post(s.sem), SyscallSucceeds());
  EXPECT_EQ(ValueOf(s.sem), 2);
  OwnedNamed fresh;
  ASSERT_TRUE(CreateNamed(fresh, name, 0)) << std::strerror(errno);
  EXPECT_EQ(ValueOf(fresh.sem), 0);
  EXPECT_THAT(::sem_trywait(s.sem), SyscallSucceeds());
  EXPECT_EQ(ValueOf(fresh.sem), 0);
  EXPECT_EQ(ValueOf(s.sem), 1);
}

// SEM-036. Catches: sem_close destroying a named semaphore (its value must
// persist until sem_unlink, with no process holding it open).
TEST(PosixSemOs, ClosedNamedSemaphoreKeepsItsValue) {
  std::string name = SemName("persist");
  ipc::SemNameOwner owner(name);
  EXPECT_CHILD_OK(RunInChild([&] {
    sem_t* c = ::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 3);
    TEST_CHECK(c != SEM_FAILED);
    TEST_CHECK_SUCCESS(::sem_close(c));
  }));
  sem_t* again = ::sem_open(name.c_str(), 0);
  ASSERT_NE(again, SEM_FAILED) << std::strerror(errno);
  EXPECT_EQ(ValueOf(again), 3);
  ::sem_close(again);
}

// SEM-037. Catches: the mode ignored (the semaphore open to other users) on
// a named semaphore created 0600.
TEST(PosixSemOs, NamedSemaphoreModeRefusesOtherUsers) {
  OwnedNamed s;
  std::string name = SemName("mode");
  ASSERT_TRUE(CreateNamed(s, name, 0)) << std::strerror(errno);
  EXPECT_CHILD_OK(RunAsNobody([&] {
    TEST_CHECK(::sem_open(name.c_str(), 0) == SEM_FAILED);
    TEST_CHECK(errno == EACCES);
  }));
}

// SEM-038. Catches: an initial value above SEM_VALUE_MAX accepted by sem_open
// or sem_init.
TEST(PosixSemOs, ValueAboveSemValueMaxFailsEinval) {
  std::string name = SemName("toobig");
  ipc::SemNameOwner owner(name);
  errno = 0;
  sem_t* sem = ::sem_open(name.c_str(), O_CREAT | O_EXCL, 0600,
                          static_cast<unsigned>(SEM_VALUE_MAX) + 1u);
  EXPECT_EQ(sem, SEM_FAILED);
  EXPECT_EQ(errno, EINVAL);
  if (sem != SEM_FAILED) ::sem_close(sem);
  sem_t local;
  EXPECT_THAT(::sem_init(&local, 0, static_cast<unsigned>(SEM_VALUE_MAX) + 1u),
              SyscallFailsWithErrno(EINVAL));
}

// SEM-039. Catches: a process-shared unnamed semaphore in shared memory not
// waking a waiter in another process (each side blocks in turn, seen asleep
// in futex before the other posts).
TEST(PosixSemOs, ProcessSharedUnnamedSemaphoreWorksAcrossProcesses) {
  SharedSem to_child(0), to_parent(0);
  ASSERT_TRUE(to_child.ok() && to_parent.ok());
  sem_t* down = to_child.get();
  sem_t* up = to_parent.get();
  Child child([down, up] {
    TEST_CHECK_SUCCESS(::sem_wait(down));
    TEST_CHECK_SUCCESS(::sem_post(up));
  });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(), SYS_futex,
                                      ipc::deadline_in(kPatience)));
  ASSERT_THAT(::sem_post(down), SyscallSucceeds());
  struct timespec abs = RealtimeIn(kPatience);
  EXPECT_THAT(::sem_timedwait(up, &abs), SyscallSucceeds());
  EXPECT_CHILD_OK(child.wait());
  EXPECT_EQ(ValueOf(down), 0);
}

// SEM-039 through the layer: UnnamedSemaphore in shared memory.
TEST(PosixSemLayer, ProcessSharedSemaphoreWakesAnotherProcess) {
  void* p = ::mmap(nullptr, sizeof(sem_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  Cleanup unmap([p] { ::munmap(p, sizeof(sem_t)); });
  auto sem = ipc::UnnamedSemaphore::init(
      std::span<std::byte>(static_cast<std::byte*>(p), sizeof(sem_t)),
      {.process_shared = true});
  ASSERT_OK(sem);
  ipc::Semaphore h = ipc::Semaphore::at(sem->get());
  Child child([h] { TEST_CHECK(h.wait(ipc::deadline_in(kPatience)).ok()); });
  ASSERT_OK(fault::wait_until_blocked(child.pid(), child.pid(), SYS_futex,
                                      ipc::deadline_in(kPatience)));
  ASSERT_OK(sem->post());
  EXPECT_CHILD_OK(child.wait());
  EXPECT_THAT(sem->value(), IsOkAndHolds(0));
}

// SEM-040. Catches: sem_timedwait returning before its absolute deadline,
// with another errno than ETIMEDOUT, waiting for a deadline already passed,
// or failing when a token is there (even with a passed deadline).
TEST(PosixSemOs, TimedwaitTimesOutAtTheAbsoluteDeadline) {
  SharedSem s(0, 0);
  ASSERT_TRUE(s.ok());
  struct timespec abs = RealtimeIn(50ms);
  EXPECT_THAT(::sem_timedwait(s.get(), &abs), SyscallFailsWithErrno(ETIMEDOUT));
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  EXPECT_TRUE(now.tv_sec > abs.tv_sec ||
              (now.tv_sec == abs.tv_sec && now.tv_nsec >= abs.tv_nsec))
      << "returned before the deadline";
  struct timespec past = {now.tv_sec - 1, 0};
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(::sem_timedwait(s.get(), &past),
              SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_LT(MillisSince(t0), 1000.0);
  ASSERT_THAT(::sem_post(s.get()), SyscallSucceeds());
  EXPECT_THAT(::sem_timedwait(s.get(), &past), SyscallSucceeds());
  EXPECT_EQ(ValueOf(s.get()), 0);
}

// SEM-040 through sem_clockwait (glibc >= 2.30): CLOCK_MONOTONIC deadline,
// and an unsupported clock refused with EINVAL.
TEST(PosixSemOs, ClockwaitTimesOutOnTheGivenClock) {
  SharedSem s(0, 0);
  ASSERT_TRUE(s.ok());
  struct timespec abs;
  ::clock_gettime(CLOCK_MONOTONIC, &abs);
  struct timespec start = abs;
  abs.tv_nsec += 30 * 1000 * 1000;
  if (abs.tv_nsec >= 1000000000) {
    abs.tv_sec++;
    abs.tv_nsec -= 1000000000;
  }
  EXPECT_THAT(::sem_clockwait(s.get(), CLOCK_MONOTONIC, &abs),
              SyscallFailsWithErrno(ETIMEDOUT));
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  EXPECT_GE((now.tv_sec - start.tv_sec) * 1000000000LL +
                (now.tv_nsec - start.tv_nsec),
            30 * 1000 * 1000LL);
  EXPECT_THAT(::sem_clockwait(s.get(), CLOCK_PROCESS_CPUTIME_ID, &abs),
              SyscallFailsWithErrno(EINVAL));
}

// SEM-040 through the layer: expiry is ETIMEDOUT, a token is taken even
// with a passed deadline.
TEST(PosixSemLayer, DeadlineExpiryIsEtimedout) {
  SharedSem s(0, 0);
  ASSERT_TRUE(s.ok());
  ipc::Semaphore h = ipc::Semaphore::at(s.get());
  EXPECT_THAT(h.wait(ipc::deadline_in(20ms)), FailsWith(ETIMEDOUT));
  ASSERT_OK(h.post());
  EXPECT_OK(h.wait(ipc::deadline_in(-1s)));
}

// SEM-041. Catches: a malformed deadline (tv_nsec outside 0..999999999)
// accepted when the call would block.
TEST(PosixSemOs, TimedwaitWithAnInvalidDeadlineFailsEinval) {
  SharedSem s(0, 0);
  ASSERT_TRUE(s.ok());
  struct timespec bad = RealtimeIn(10s);
  bad.tv_nsec = 1000000000;
  EXPECT_THAT(::sem_timedwait(s.get(), &bad), SyscallFailsWithErrno(EINVAL));
  bad.tv_nsec = -1;
  EXPECT_THAT(::sem_timedwait(s.get(), &bad), SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(ValueOf(s.get()), 0);
}

// SEM-042. Catches: sem_wait / sem_timedwait not failing EINTR when a
// handler without SA_RESTART interrupts them, sem_timedwait restarted under
// SA_RESTART (Linux: never), or a token taken by the interrupted call.
TEST(PosixSemOs, SignalInterruptsWaitsWithEintr) {
  struct Case {
    const char* name;
    int flags;
    bool timed;
  };
  for (Case c : {Case{"sem_wait", 0, false}, Case{"sem_timedwait", 0, true},
                 Case{"sem_timedwait SA_RESTART", SA_RESTART, true}}) {
    SCOPED_TRACE(c.name);
    ipc::testing::ScopedSigaction on_usr1(SIGUSR1, OnSignal, c.flags);
    SharedSem s(0, 0);
    ASSERT_TRUE(s.ok());
    sem_t* sem = s.get();
    bool timed = c.timed;
    BackgroundCall waiter([sem, timed] {
      struct timespec abs = RealtimeIn(20s);
      return static_cast<long>(timed ? ::sem_timedwait(sem, &abs)
                                     : ::sem_wait(sem));
    });
    Cleanup wake([sem, &waiter] {
      if (!waiter.done()) ::sem_post(sem);
    });
    ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1, SYS_futex,
                                            ipc::deadline_in(kPatience)));
    ASSERT_TRUE(waiter.wait_done()) << "restarted after the handler";
    EXPECT_THAT(waiter.result(), SyscallFailsWithErrno(EINTR));
    EXPECT_EQ(ValueOf(sem), 0);
  }
}

// SEM-043. Catches: sem_post letting the value pass SEM_VALUE_MAX (wrapping)
// instead of failing EOVERFLOW with the value unchanged.
TEST(PosixSemOs, PostAtSemValueMaxFailsEoverflow) {
  SharedSem s(SEM_VALUE_MAX, 0);
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(::sem_post(s.get()), SyscallFailsWithErrno(EOVERFLOW));
  EXPECT_EQ(ValueOf(s.get()), SEM_VALUE_MAX);
  EXPECT_THAT(::sem_trywait(s.get()), SyscallSucceeds());
  EXPECT_THAT(::sem_post(s.get()), SyscallSucceeds());
}

// SEM-043 through the layer.
TEST(PosixSemLayer, PostAtSemValueMaxFailsEoverflow) {
  SharedSem s(SEM_VALUE_MAX, 0);
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(ipc::Semaphore::at(s.get()).post(), FailsWith(EOVERFLOW));
}

// SEM-044. Catches: sem_trywait blocking or succeeding on 0, or not taking a
// token that is there.
TEST(PosixSemOs, TrywaitTakesATokenOrFailsEagain) {
  SharedSem s(1, 0);
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(::sem_trywait(s.get()), SyscallSucceeds());
  EXPECT_EQ(ValueOf(s.get()), 0);
  EXPECT_THAT(::sem_trywait(s.get()), SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(ValueOf(s.get()), 0);
}

// SEM-045. Catches: sem_getvalue not following posts and waits, or reporting
// a negative count of waiters (POSIX allows it; Linux reports 0).
TEST(PosixSemOs, GetvalueFollowsTheValueAndIsZeroWhileWaitersBlock) {
  SharedSem s(2, 0);
  ASSERT_TRUE(s.ok());
  sem_t* sem = s.get();
  EXPECT_EQ(ValueOf(sem), 2);
  ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  EXPECT_EQ(ValueOf(sem), 3);
  for (int i = 0; i < 3; ++i) ASSERT_THAT(::sem_wait(sem), SyscallSucceeds());
  EXPECT_EQ(ValueOf(sem), 0);
  BackgroundCall waiter([sem] { return static_cast<long>(::sem_wait(sem)); });
  Cleanup wake([sem, &waiter] {
    if (!waiter.done()) ::sem_post(sem);
  });
  ASSERT_OK(waiter.wait_blocked(SYS_futex));
  EXPECT_EQ(ValueOf(sem), 0);
}

// SEM-046. Catches: sem_post not waking a thread blocked in sem_wait, or the
// woken waiter not taking the token.
TEST(PosixSemOs, PostWakesABlockedWaiter) {
  SharedSem s(0, 0);
  ASSERT_TRUE(s.ok());
  sem_t* sem = s.get();
  BackgroundCall waiter([sem] { return static_cast<long>(::sem_wait(sem)); });
  Cleanup wake([sem, &waiter] {
    if (!waiter.done()) ::sem_post(sem);
  });
  ASSERT_OK(waiter.wait_blocked(SYS_futex));
  ASSERT_THAT(::sem_post(sem), SyscallSucceeds());
  ASSERT_TRUE(waiter.wait_done());
  EXPECT_THAT(waiter.result(), SyscallSucceeds());
  EXPECT_EQ(ValueOf(sem), 0);
}

}  // namespace
