// ipc/sysv_sem_test.cc — System V semaphore sets through the layer, on the
// real kernel: creation and lookup, atomic operation lists, IPC_NOWAIT and
// deadlines, blocked callers woken by posts, removal and real signals, SEM_UNDO
// at exit, the semctl commands, every error path, and the RAII owner.
#include "ipc/sysv_sem.h"

#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fault/blocked.h"
#include "ipc/keys.h"
#include "ipc/limits.h"
#include "ipc/sys.h"
#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

using ::ipc::testing::CountingHandler;
using ::ipc::testing::DropPrivileges;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::KernelEintrs;
using ::ipc::testing::MakeFile;
using ::ipc::testing::NoteKernelEintr;
using ::ipc::testing::RawPipe;
using ::ipc::testing::RetryEINTR;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;
using ::ipc::testing::Worker;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr auto kWait = 30s;  // generous bound for "the other side gets there"

// ---- seam interceptors -----------------------------------------------------

std::atomic<int> g_semget_calls{0};
int semget_counting(key_t key, int nsems, int flags) {
  ++g_semget_calls;
  return sys::libc().semget(key, nsems, flags);
}

std::atomic<int> g_semop_calls{0};
int semop_counting(int id, struct sembuf* ops, size_t n) {
  ++g_semop_calls;
  return sys::libc().semop(id, ops, n);
}

std::atomic<int> g_setall_calls{0};
int semctl_counting_setall(int id, int num, int cmd, sys::SemArg arg) {
  if (cmd == SETALL) ++g_setall_calls;
  return sys::libc().semctl(id, num, cmd, arg);
}

int semget_enospc(key_t, int, int) {
  errno = ENOSPC;
  return -1;
}

// Notes every EINTR from the kernel (ipc/testing/kernel_eintr.h), so a test
// sees the call really was interrupted before it checks that the layer
// retried.
int semop_noting_eintr(int id, struct sembuf* ops, size_t n) {
  return NoteKernelEintr(sys::libc().semop(id, ops, n));
}

// A semtimedop that records the timeouts it is given: EINTR the first time,
// then the kernel's timeout result (EAGAIN).
std::vector<timespec> g_timeouts;
int semtimedop_eintr_then_expire(int, struct sembuf*, size_t,
                                 const struct timespec* t) {
  g_timeouts.push_back(*t);
  errno = g_timeouts.size() == 1 ? EINTR : EAGAIN;
  return -1;
}

// ---- fixture ---------------------------------------------------------------

class SemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = SemaphoreSet::create_private(3);
    ASSERT_TRUE(set.ok()) << set.error().message();
    set_ = *set;
    owner_.emplace(*set);
  }
  void TearDown() override { sys::reset_table(); }

  int raw_value(int num) { return ::semctl(set_.id(), num, GETVAL); }
  int raw_ncnt(int num) { return ::semctl(set_.id(), num, GETNCNT); }
  int raw_zcnt(int num) { return ::semctl(set_.id(), num, GETZCNT); }

  // Waits until `n` processes or threads wait on semaphore `num` (GETNCNT or
  // GETZCNT: the kernel's own view of a blocked semop).
  bool WaitersReach(int num, int n, bool for_zero) {
    auto deadline = Clock::now() + kWait;
    while (Clock::now() < deadline) {
      int c = for_zero ? raw_zcnt(num) : raw_ncnt(num);
      if (c == n) return true;
      ::sched_yield();
    }
    return false;
  }

  SemaphoreSet set_ = SemaphoreSet::from_id(-1);
  std::optional<SemOwner> owner_;
  TempDir dir_;
  // For a Worker blocked on set_: removing the set wakes its semop (EIDRM)
  // when a failed assertion leaves the test before the join.
  std::function<void()> unblock_ = [this] { (void)set_.remove(); };
};

// ---- creation and lookup ---------------------------------------------------

TEST_F(SemTest, CreatePrivateMakesDistinctOwnerOnlySetsOfZeros) {
  auto other = SemaphoreSet::create_private(1);
  ASSERT_THAT(other, IsOk());
  SemOwner cleanup(*other);
  EXPECT_NE(other->id(), set_.id());
  auto st = set_.stat();
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->nsems, 3u);
  EXPECT_EQ(st->mode, 0600u);
  EXPECT_EQ(st->key, IPC_PRIVATE);
  EXPECT_THAT(set_.values(), IsOk());
  EXPECT_THAT(*set_.values(), ElementsAre(0, 0, 0));
}

TEST_F(SemTest, CreateWithKeyThenOpenAndCreateFindTheSameSet) {
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 1);
  auto created = SemaphoreSet::create(key, 2, 0640);
  ASSERT_THAT(created, IsOk());
  SemOwner cleanup(*created);
  auto opened = SemaphoreSet::open(key);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->id(), created->id());
  EXPECT_EQ(::semget(key, 0, 0), created->id());
  // IPC_CREAT on an existing key returns it, for any size up to its own; the
  // new mode is not applied.
  auto again = SemaphoreSet::create(key, 1, 0666);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->id(), created->id());
  auto st = created->stat();
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->mode, 0640u);
  EXPECT_EQ(st->key, key);
  EXPECT_EQ(st->nsems, 2u);
  // More semaphores than the existing set has.
  auto bigger = SemaphoreSet::create(key, 3);
  ASSERT_THAT(bigger, FailsWith(EINVAL));
  EXPECT_EQ(bigger.error().detail(), "the set of key " + key_to_string(key) +
                                         " has fewer than 3 semaphores");
}

TEST_F(SemTest, CreateExclusiveOnATakenKeyIsEexist) {
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 1);
  auto first = SemaphoreSet::create_exclusive(key, 1);
  ASSERT_THAT(first, IsOk());
  SemOwner cleanup(*first);
  EXPECT_EQ(first->stat()->mode, 0600u);
  auto second = SemaphoreSet::create_exclusive(key, 1);
  ASSERT_THAT(second, FailsWith(EEXIST));
  EXPECT_EQ(second.error().detail(),
            "key " + key_to_string(key) + " already has a semaphore set");
  EXPECT_EQ(second.error().op(), "semget");
}

TEST_F(SemTest, OpenOfAKeyWithoutSetIsEnoent) {
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 1);
  auto s = SemaphoreSet::open(key);
  ASSERT_THAT(s, FailsWith(ENOENT));
  EXPECT_EQ(s.error().detail(),
            "key " + key_to_string(key) + " has no semaphore set");
  EXPECT_THAT(::semget(key, 0, 0), SyscallFailsWithErrno(ENOENT));
}

TEST_F(SemTest, OpenOfIpcPrivateIsRejectedWithoutCreatingASet) {
  g_semget_calls = 0;
  sys::table().semget.store(&semget_counting);
  auto s = SemaphoreSet::open(IPC_PRIVATE);
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_THAT(s.error().detail(), HasSubstr("IPC_PRIVATE"));
  EXPECT_EQ(g_semget_calls.load(), 0);
}

TEST_F(SemTest, ModeWithNonPermissionBitsIsRejected) {
  g_semget_calls = 0;
  sys::table().semget.store(&semget_counting);
  auto s = SemaphoreSet::create_private(1, IPC_EXCL | 0600);
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().detail(), "mode has bits outside 0777");
  EXPECT_EQ(g_semget_calls.load(), 0);
}

TEST_F(SemTest, NsemsOutsideOneToSemmslIsEinvalNamingTheRange) {
  auto lim = sem_limits();
  ASSERT_THAT(lim, IsOk());
  std::string range = "nsems must be 1.." + std::to_string(lim->semmsl);
  for (int n : {0, -1, static_cast<int>(lim->semmsl) + 1}) {
    auto s = SemaphoreSet::create_private(n);
    ASSERT_THAT(s, FailsWith(EINVAL)) << n;
    EXPECT_EQ(s.error().detail(), range) << n;
  }
  auto most = SemaphoreSet::create_private(static_cast<int>(lim->semmsl));
  ASSERT_THAT(most, IsOk());
  SemOwner cleanup(*most);
  EXPECT_EQ(most->stat()->nsems, lim->semmsl);
}

TEST_F(SemTest, EnospcNamesTheLimits) {
  sys::table().semget.store(&semget_enospc);
  auto s = SemaphoreSet::create_private(1);
  ASSERT_THAT(s, FailsWith(ENOSPC));
  EXPECT_EQ(s.error().detail(),
            "too many semaphore sets or semaphores (SEMMNI, SEMMNS)");
}

TEST_F(SemTest, CreateWithFreeKeySkipsASetAlreadyOnTheFirstKey) {
  std::string anchor = MakeFile(dir_.file("anchor"));
  auto taken = SemaphoreSet::create_exclusive(::ftok(anchor.c_str(), 1), 1);
  ASSERT_THAT(taken, IsOk());
  SemOwner cleanup_taken(*taken);
  auto got = create_with_free_key(anchor, 1, [](key_t key) -> Result<int> {
    auto s = SemaphoreSet::create_exclusive(key, 1);
    if (!s) return std::move(s).error();
    return s->id();
  });
  ASSERT_THAT(got, IsOk());
  SemOwner cleanup(SemaphoreSet::from_id(got->id));
  EXPECT_EQ(got->proj_id, 2);
  EXPECT_EQ(::semget(got->key, 0, 0), got->id);
}

TEST_F(SemTest, UnprivilegedUserGetsEaccesOnAnOwnerOnlySet) {
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 1);
  auto s = SemaphoreSet::create_exclusive(key, 1, 0600);
  ASSERT_THAT(s, IsOk());
  SemOwner cleanup(*s);
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(DropPrivileges(), "cannot become uid 65534");
    auto opened = SemaphoreSet::open(key);  // requests no access: succeeds
    TEST_CHECK(opened.ok() && opened->id() == s->id());
    TEST_CHECK(opened->op({{.num = 0, .delta = 1}}).error().code() == EACCES);
    TEST_CHECK(opened->value(0).error().code() == EACCES);
    TEST_CHECK(opened->stat().error().code() == EACCES);
    TEST_CHECK(opened->set_value(0, 1).error().code() == EACCES);
    // Asking for read access at semget is refused at once.
    TEST_CHECK_ERRNO(::semget(key, 0, 0400), EACCES);
  }));
  EXPECT_EQ(*s->value(0), 0);
}

// ---- op --------------------------------------------------------------------

TEST_F(SemTest, EmptyOperationListIsEinvalWithoutASystemCall) {
  g_semop_calls = 0;
  sys::table().semop.store(&semop_counting);
  auto s = set_.op(std::span<const SemOp>{});
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().detail(), "no operations");
  EXPECT_EQ(g_semop_calls.load(), 0);
}

TEST_F(SemTest, PostAndWaitMoveTheValue) {
  ASSERT_OK(set_.op({{.num = 1, .delta = 5}}));
  EXPECT_EQ(raw_value(1), 5);
  ASSERT_OK(set_.op({{.num = 1, .delta = -3}}));
  EXPECT_EQ(raw_value(1), 2);
  ASSERT_OK(set_.op({{.num = 0, .delta = 0}}));  // 0 already: no wait
  EXPECT_EQ(raw_value(0), 0);
}

TEST_F(SemTest, AnOperationListIsAppliedWhollyOrNotAtAll) {
  ASSERT_OK(set_.op({{.num = 0, .delta = 2}, {.num = 2, .delta = 1}}));
  EXPECT_EQ(raw_value(0), 2);
  EXPECT_EQ(raw_value(2), 1);
  // The last operation would wait: none is applied.
  auto s = set_.op({{.num = 0, .delta = -1},
                    {.num = 1, .delta = 4},
                    {.num = 2, .delta = -2}},
                   {.nowait = true});
  ASSERT_THAT(s, FailsWith(EAGAIN));
  EXPECT_EQ(s.error().detail(), "would wait (IPC_NOWAIT)");
  EXPECT_EQ(s.error().op(), "semop");
  EXPECT_EQ(raw_value(0), 2);
  EXPECT_EQ(raw_value(1), 0);
  EXPECT_EQ(raw_value(2), 1);
}

TEST_F(SemTest, OperationsApplyInTheirOrder) {
  // +1 then -1 on a zero semaphore succeeds; -1 then +1 would wait.
  ASSERT_OK(set_.op({{.num = 0, .delta = 1}, {.num = 0, .delta = -1}},
                    {.nowait = true}));
  EXPECT_THAT(set_.op({{.num = 0, .delta = -1}, {.num = 0, .delta = 1}},
                      {.nowait = true}),
              FailsWith(EAGAIN));
  EXPECT_EQ(raw_value(0), 0);
}

TEST_F(SemTest, NowaitOfOneOperationAppliesWhenThatOneWouldWait) {
  // Only the operation that would wait decides: its IPC_NOWAIT makes EAGAIN.
  auto s = set_.op(
      {{.num = 0, .delta = 1}, {.num = 1, .delta = -1, .nowait = true}});
  ASSERT_THAT(s, FailsWith(EAGAIN));
  EXPECT_THAT(s.error().context(), HasSubstr("2 operations"));
  EXPECT_EQ(raw_value(0), 0);
}

TEST_F(SemTest, WaitForZeroWithNowaitIsEagainWhileNonZero) {
  ASSERT_OK(set_.set_value(2, 1));
  auto s = set_.op({{.num = 2, .delta = 0, .nowait = true}});
  ASSERT_THAT(s, FailsWith(EAGAIN));
  EXPECT_THAT(s.error().context(), HasSubstr("sem 2 op 0 IPC_NOWAIT"));
}

TEST_F(SemTest, ValuePastSemvmxIsErangeAndChangesNothing) {
  ASSERT_OK(set_.set_value(0, kSemVmx - 1));
  ASSERT_OK(set_.op({{.num = 0, .delta = 1}}));
  EXPECT_EQ(raw_value(0), kSemVmx);
  auto s = set_.op({{.num = 1, .delta = 1}, {.num = 0, .delta = 1}});
  ASSERT_THAT(s, FailsWith(ERANGE));
  EXPECT_EQ(s.error().detail(),
            "a value would pass SEMVMX (32767) or an undo adjustment SEMAEM");
  EXPECT_EQ(raw_value(0), kSemVmx);
  EXPECT_EQ(raw_value(1), 0);
}

TEST_F(SemTest, UndoAdjustmentPastSemaemIsErange) {
  // In a child, so the adjustments die with it.
  EXPECT_CHILD_OK(RunInChild([&] {
    // semadj -32767, then value back to 0 without undo.
    TEST_CHECK(set_.op({{.num = 0, .delta = kSemVmx, .undo = true}}).ok());
    TEST_CHECK(set_.op({{.num = 0, .delta = -kSemVmx}}).ok());
    // -32768 is still allowed ...
    TEST_CHECK(set_.op({{.num = 0, .delta = 1, .undo = true}}).ok());
    TEST_CHECK(set_.op({{.num = 0, .delta = -1}}).ok());
    // ... -32769 is not.
    auto s = set_.op({{.num = 0, .delta = 1, .undo = true}});
    TEST_CHECK(!s.ok() && s.error().code() == ERANGE);
    TEST_CHECK(set_.value(0).value() == 0);
  }));
}

TEST_F(SemTest, SemaphoreOutsideTheSetIsEfbigNamingTheSize) {
  auto s = set_.op({{.num = 0, .delta = 1}, {.num = 3, .delta = 1}});
  ASSERT_THAT(s, FailsWith(EFBIG));
  EXPECT_EQ(s.error().detail(), "semaphore 3 is not in the set (it has 3)");
  EXPECT_EQ(raw_value(0), 0);
}

TEST_F(SemTest, MoreOperationsThanSemopmIsE2bigNamingTheLimit) {
  auto lim = sem_limits();
  ASSERT_THAT(lim, IsOk());
  std::vector<SemOp> ops(lim->semopm + 1, SemOp{.num = 0, .delta = 1});
  auto s = set_.op(ops);
  ASSERT_THAT(s, FailsWith(E2BIG));
  EXPECT_EQ(s.error().detail(), std::to_string(ops.size()) +
                                    " operations exceed semopm " +
                                    std::to_string(lim->semopm));
  // Exactly semopm (more than the layer's stack buffer) goes through.
  ops.pop_back();
  ASSERT_OK(set_.op(ops));
  EXPECT_EQ(raw_value(0), static_cast<int>(lim->semopm));
}

TEST_F(SemTest, UseAfterRemoveIsEinvalNoSet) {
  owner_->release();
  ASSERT_OK(set_.remove());
  std::string detail = "no semaphore set with id " + std::to_string(set_.id());
  auto op = set_.op({{.num = 0, .delta = 1}});
  ASSERT_THAT(op, FailsWith(EINVAL));
  EXPECT_EQ(op.error().detail(), detail);
  auto v = set_.value(0);
  ASSERT_THAT(v, FailsWith(EINVAL));
  EXPECT_EQ(v.error().detail(), detail);
  auto sv = set_.set_value(0, 1);
  ASSERT_THAT(sv, FailsWith(EINVAL));
  EXPECT_EQ(sv.error().detail(), detail);
  auto all = set_.values();
  ASSERT_THAT(all, FailsWith(EINVAL));
  EXPECT_EQ(all.error().detail(), detail);
  unsigned short three[3] = {1, 2, 3};
  auto sa = set_.set_values(three);
  ASSERT_THAT(sa, FailsWith(EINVAL));
  EXPECT_EQ(sa.error().detail(), detail);
  auto n = set_.waiting_to_decrease(0);
  ASSERT_THAT(n, FailsWith(EINVAL));
  EXPECT_EQ(n.error().detail(), detail);
  auto z = set_.waiting_for_zero(0);
  ASSERT_THAT(z, FailsWith(EINVAL));
  EXPECT_EQ(z.error().detail(), detail);
  auto p = set_.last_pid(0);
  ASSERT_THAT(p, FailsWith(EINVAL));
  EXPECT_EQ(p.error().detail(), detail);
  auto st = set_.stat();
  ASSERT_THAT(st, FailsWith(EINVAL));
  EXPECT_EQ(st.error().detail(), detail);
  auto so = set_.set_owner(0, 0, 0600);
  ASSERT_THAT(so, FailsWith(EINVAL));
  EXPECT_EQ(so.error().detail(), detail);
  auto rm = set_.remove();
  ASSERT_THAT(rm, FailsWith(EINVAL));
  EXPECT_EQ(rm.error().detail(), detail);
}

// ---- blocking, removal, deadlines ------------------------------------------

TEST_F(SemTest, BlockedWaitIsWokenByAPost) {
  std::optional<Status> got;
  Worker waiter([&] { got = set_.op({{.num = 1, .delta = -2}}); }, unblock_);
  // glibc's semop enters the kernel as semtimedop.
  ASSERT_OK(fault::wait_until_blocked(0, waiter.tid(), SYS_semtimedop,
                                      deadline_in(kWait)));
  EXPECT_EQ(raw_ncnt(1), 1);
  ASSERT_OK(set_.op({{.num = 1, .delta = 1}}));
  EXPECT_EQ(raw_ncnt(1), 1) << "one token does not satisfy a wait for two";
  ASSERT_OK(set_.op({{.num = 1, .delta = 1}}));
  waiter.join();
  ASSERT_THAT(*got, IsOk());
  EXPECT_EQ(raw_value(1), 0);
  EXPECT_EQ(raw_ncnt(1), 0);
}

TEST_F(SemTest, BlockedWaitGetsEidrmWhenTheSetIsRemoved) {
  std::optional<Status> got;
  Worker waiter([&] { got = set_.op({{.num = 0, .delta = -1}}); }, unblock_);
  ASSERT_OK(fault::wait_until_blocked(0, waiter.tid(), SYS_semtimedop,
                                      deadline_in(kWait)));
  owner_->release();
  ASSERT_OK(set_.remove());
  waiter.join();
  ASSERT_THAT(*got, FailsWith(EIDRM));
  EXPECT_EQ(got->error().detail(), "set removed");
}

TEST_F(SemTest, DeadlineExpiryIsEtimedout) {
  auto s = set_.op({{.num = 0, .delta = -1}}, {.deadline = deadline_in(20ms)});
  ASSERT_THAT(s, FailsWith(ETIMEDOUT));
  EXPECT_EQ(s.error().op(), "semtimedop");
  EXPECT_EQ(s.error().detail(), "timed out");
  EXPECT_EQ(raw_value(0), 0);
}

TEST_F(SemTest, PassedDeadlineStillTakesWhatIsThere) {
  ASSERT_OK(set_.set_value(0, 1));
  ASSERT_OK(
      set_.op({{.num = 0, .delta = -1}}, {.deadline = Clock::now() - 1s}));
  EXPECT_EQ(raw_value(0), 0);
  EXPECT_THAT(
      set_.op({{.num = 0, .delta = -1}}, {.deadline = Clock::now() - 1s}),
      FailsWith(ETIMEDOUT));
}

TEST_F(SemTest, NowaitBeforeTheDeadlineIsEagainNotEtimedout) {
  auto s = set_.op({{.num = 0, .delta = -1}},
                   {.nowait = true, .deadline = deadline_in(kWait)});
  ASSERT_THAT(s, FailsWith(EAGAIN));
  EXPECT_EQ(s.error().op(), "semtimedop");
}

TEST_F(SemTest, DeadlineBlockedWaitIsWokenByAPost) {
  std::optional<Status> got;
  Worker waiter(
      [&] {
        got = set_.op({{.num = 2, .delta = -1}},
                      {.deadline = deadline_in(kWait)});
      },
      unblock_);
  ASSERT_OK(fault::wait_until_blocked(0, waiter.tid(), SYS_semtimedop,
                                      deadline_in(kWait)));
  ASSERT_OK(set_.op({{.num = 2, .delta = 1}}));
  waiter.join();
  ASSERT_THAT(*got, IsOk());
}

// ---- signals ---------------------------------------------------------------

TEST_F(SemTest, WaitSurfacesEintrWhenAsked) {
  CountingHandler handler;
  std::optional<Status> got;
  Worker waiter(
      [&] {
        got = set_.op({{.num = 0, .delta = -1}}, {.eintr = Eintr::kSurface});
      },
      unblock_);
  ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1,
                                          SYS_semtimedop, deadline_in(kWait)));
  waiter.join();
  ASSERT_THAT(*got, FailsWith(EINTR));
  EXPECT_EQ(got->error().op(), "semop");
  EXPECT_EQ(raw_value(0), 0);
}

// semop is never restarted by the kernel, SA_RESTART or not; kRetry must call
// again and still take the token. Parameter: SA_RESTART on the handler.
class SemRetryTest : public SemTest,
                     public ::testing::WithParamInterface<bool> {};

TEST_P(SemRetryTest, WaitRetriesEintrAndTakesTheToken) {
  CountingHandler handler(SIGUSR1, GetParam() ? SA_RESTART : 0);
  KernelEintrs eintrs;
  ASSERT_TRUE(eintrs.ok());
  sys::table().semop.store(&semop_noting_eintr);
  std::optional<Status> got;
  Worker waiter([&] { got = set_.op({{.num = 0, .delta = -1}}); }, unblock_);
  ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1,
                                          SYS_semtimedop, deadline_in(kWait)));
  eintrs.WaitForOne(kWait);
  ASSERT_OK(set_.op({{.num = 0, .delta = 1}}));
  waiter.join();
  ASSERT_THAT(*got, IsOk());
  EXPECT_EQ(raw_value(0), 0);
}

INSTANTIATE_TEST_SUITE_P(SaRestart, SemRetryTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "SaRestart" : "NoSaRestart";
                         });

TEST_F(SemTest, RetryAfterEintrWaitsOnlyForTheTimeLeft) {
  g_timeouts.clear();
  sys::table().semtimedop.store(&semtimedop_eintr_then_expire);
  auto s = set_.op({{.num = 0, .delta = -1}}, {.deadline = deadline_in(10s)});
  ASSERT_THAT(s, FailsWith(ETIMEDOUT));
  ASSERT_EQ(g_timeouts.size(), 2u);
  auto ns = [](const timespec& t) {
    return std::int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
  };
  EXPECT_LE(ns(g_timeouts[0]), 10'000'000'000);
  EXPECT_GT(ns(g_timeouts[0]), 9'000'000'000);
  EXPECT_LE(ns(g_timeouts[1]), ns(g_timeouts[0]));
  EXPECT_GE(g_timeouts[1].tv_nsec, 0);
  EXPECT_LT(g_timeouts[1].tv_nsec, 1000000000);
}

// The kernel fact behind kRetry, on the raw call.
TEST_F(SemTest, RawSemopIsNotRestartedEvenWithSaRestart) {
  CountingHandler handler(SIGUSR1, SA_RESTART);
  std::optional<int> err;
  Worker waiter(
      [&] {
        struct sembuf op = {0, -1, 0};
        err = ::semop(set_.id(), &op, 1) < 0 ? errno : 0;
      },
      unblock_);
  ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1,
                                          SYS_semtimedop, deadline_in(kWait)));
  waiter.join();
  EXPECT_EQ(err, EINTR);
}

// ---- SEM_UNDO
// ----------------------------------------------------------------

TEST_F(SemTest, UndoIsAppliedWhenTheProcessExits) {
  ipc::testing::Child child([&] {
    TEST_CHECK(
        set_.op({{.num = 0, .delta = 3, .undo = true}, {.num = 1, .delta = 1}})
            .ok());
  });
  pid_t pid = child.pid();
  ASSERT_CHILD_OK(child.wait());
  EXPECT_EQ(raw_value(0), 0) << "the undone +3";
  EXPECT_EQ(raw_value(1), 1) << "no SEM_UNDO: stays";
  EXPECT_EQ(*set_.last_pid(0), pid) << "the exit adjusted it";
}

TEST_F(SemTest, SetValueClearsEveryProcessesUndo) {
  RawPipe go;
  RawPipe done;
  ipc::testing::Child child([&] {
    TEST_CHECK(set_.op({{.num = 0, .delta = 2, .undo = true}}).ok());
    TEST_CHECK_SUCCESS(::write(done.write.get(), "x", 1));
    char c;
    TEST_CHECK(RetryEINTR(::read)(go.read.get(), &c, 1) == 1);
  });
  char c;
  ASSERT_THAT(::read(done.read.get(), &c, 1), SyscallSucceedsWithValue(1));
  ASSERT_OK(set_.set_value(0, 5));
  ASSERT_THAT(::write(go.write.get(), "x", 1), SyscallSucceedsWithValue(1));
  ASSERT_CHILD_OK(child.wait());
  EXPECT_EQ(raw_value(0), 5) << "the child's -2 adjustment survived SETVAL";
}

// ---- semctl ----------------------------------------------------------------

TEST_F(SemTest, ValueAndSetValue) {
  ASSERT_OK(set_.set_value(2, 7));
  EXPECT_EQ(*set_.value(2), 7);
  EXPECT_EQ(*set_.value(0), 0);
  ASSERT_OK(set_.set_value(2, kSemVmx));
  EXPECT_EQ(*set_.value(2), kSemVmx);
  ASSERT_OK(set_.set_value(2, 0));
  EXPECT_EQ(*set_.value(2), 0);
}

TEST_F(SemTest, SetValueOutsideZeroToSemvmxIsErange) {
  for (int v : {-1, kSemVmx + 1}) {
    auto s = set_.set_value(0, v);
    ASSERT_THAT(s, FailsWith(ERANGE)) << v;
    EXPECT_EQ(s.error().detail(), "the value must be 0..32767 (SEMVMX)");
    EXPECT_THAT(s.error().context(), HasSubstr("value=" + std::to_string(v)));
  }
  EXPECT_EQ(raw_value(0), 0);
}

TEST_F(SemTest, SemaphoreOutsideTheSetIsEinvalNamingTheSize) {
  std::string detail = "semaphore 3 is not in the set (it has 3)";
  auto v = set_.value(3);
  ASSERT_THAT(v, FailsWith(EINVAL));
  EXPECT_EQ(v.error().detail(), detail);
  EXPECT_EQ(v.error().op(), "semctl(GETVAL)");
  auto sv = set_.set_value(3, 1);
  ASSERT_THAT(sv, FailsWith(EINVAL));
  EXPECT_EQ(sv.error().detail(), detail);
  EXPECT_THAT(set_.waiting_to_decrease(3), FailsWith(EINVAL));
  EXPECT_THAT(set_.waiting_for_zero(3), FailsWith(EINVAL));
  EXPECT_THAT(set_.last_pid(3), FailsWith(EINVAL));
  auto neg = set_.value(-1);
  ASSERT_THAT(neg, FailsWith(EINVAL));
  EXPECT_EQ(neg.error().detail(), "semaphore -1 is not in the set (it has 3)");
}

TEST_F(SemTest, ValuesAndSetValuesRoundTrip) {
  unsigned short in[3] = {4, 0, kSemVmx};
  ASSERT_OK(set_.set_values(in));
  auto out = set_.values();
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(*out, ElementsAre(4, 0, kSemVmx));
  EXPECT_EQ(raw_value(2), kSemVmx);
}

TEST_F(SemTest, SetValuesWithTheWrongCountIsEinvalWithoutSetall) {
  g_setall_calls = 0;
  sys::table().semctl.store(&semctl_counting_setall);
  unsigned short two[2] = {1, 1};
  auto s = set_.set_values(two);
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().detail(), "2 values for a set of 3 semaphores");
  unsigned short four[4] = {1, 1, 1, 1};
  EXPECT_THAT(set_.set_values(four), FailsWith(EINVAL));
  EXPECT_EQ(g_setall_calls.load(), 0);
  EXPECT_EQ(raw_value(0), 0);
}

TEST_F(SemTest, SetValuesAboveSemvmxIsErangeAndSetsNothing) {
  unsigned short in[3] = {1, kSemVmx + 1, 1};
  auto s = set_.set_values(in);
  ASSERT_THAT(s, FailsWith(ERANGE));
  EXPECT_EQ(s.error().detail(), "every value must be at most 32767 (SEMVMX)");
  EXPECT_EQ(raw_value(0), 0);
}

TEST_F(SemTest, WaitingCountsSeeBlockedThreads) {
  ASSERT_OK(set_.set_value(2, 1));
  Worker down([&] { (void)set_.op({{.num = 1, .delta = -1}}); }, unblock_);
  Worker zero([&] { (void)set_.op({{.num = 2, .delta = 0}}); }, unblock_);
  ASSERT_TRUE(WaitersReach(1, 1, false));
  ASSERT_TRUE(WaitersReach(2, 1, true));
  EXPECT_EQ(*set_.waiting_to_decrease(1), 1);
  EXPECT_EQ(*set_.waiting_for_zero(1), 0);
  EXPECT_EQ(*set_.waiting_for_zero(2), 1);
  EXPECT_EQ(*set_.waiting_to_decrease(2), 0);
  ASSERT_OK(set_.op({{.num = 1, .delta = 1}, {.num = 2, .delta = -1}}));
  down.join();
  zero.join();
  EXPECT_EQ(*set_.waiting_to_decrease(1), 0);
  EXPECT_EQ(*set_.waiting_for_zero(2), 0);
}

TEST_F(SemTest, LastPidIsTheProcessOfTheLastOperation) {
  EXPECT_EQ(*set_.last_pid(1), 0);
  ipc::testing::Child child(
      [&] { TEST_CHECK(set_.op({{.num = 1, .delta = 1}}).ok()); });
  pid_t pid = child.pid();
  ASSERT_CHILD_OK(child.wait());
  EXPECT_EQ(*set_.last_pid(1), pid);
  ASSERT_OK(set_.op({{.num = 1, .delta = -1}}));
  EXPECT_EQ(*set_.last_pid(1), ::getpid());
  EXPECT_EQ(*set_.last_pid(0), 0);
}

TEST_F(SemTest, StatReportsSizeOwnerModeAndTimes) {
  time_t before = ::time(nullptr);
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 7);
  auto s = SemaphoreSet::create_exclusive(key, 4, 0640);
  ASSERT_THAT(s, IsOk());
  SemOwner cleanup(*s);
  auto fresh = s->stat();
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->nsems, 4u);
  EXPECT_EQ(fresh->otime, 0);
  EXPECT_GE(fresh->ctime, before);
  EXPECT_LE(fresh->ctime, ::time(nullptr));
  EXPECT_EQ(fresh->key, key);
  EXPECT_EQ(fresh->uid, ::geteuid());
  EXPECT_EQ(fresh->gid, ::getegid());
  EXPECT_EQ(fresh->cuid, ::geteuid());
  EXPECT_EQ(fresh->cgid, ::getegid());
  EXPECT_EQ(fresh->mode, 0640u);
  time_t op_after = ::time(nullptr);
  ASSERT_OK(s->op({{.num = 3, .delta = 1}}));
  auto after = s->stat();
  ASSERT_THAT(after, IsOk());
  EXPECT_GE(after->otime, op_after);
  EXPECT_LE(after->otime, ::time(nullptr));
}

TEST_F(SemTest, SetOwnerChangesModeAndKeepsTheRest) {
  ASSERT_OK(set_.set_owner(::geteuid(), ::getegid(), 0604));
  auto st = set_.stat();
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->mode, 0604u);
  EXPECT_EQ(st->nsems, 3u);
  EXPECT_EQ(st->uid, ::geteuid());
}

TEST_F(SemTest, SetOwnerRejectsNonPermissionModeBits) {
  auto s = set_.set_owner(::geteuid(), ::getegid(), 01600);
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().detail(), "mode has bits outside 0777");
  EXPECT_EQ(set_.stat()->mode, 0600u);
}

TEST_F(SemTest, SetOwnerByANonOwnerIsEperm) {
  auto shared = SemaphoreSet::create_private(1, 0644);  // others may IPC_STAT
  ASSERT_THAT(shared, IsOk());
  SemOwner cleanup(*shared);
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(DropPrivileges(), "cannot become uid 65534");
    auto s = shared->set_owner(65534, 65534, 0666);
    TEST_CHECK(!s.ok() && s.error().code() == EPERM);
    TEST_CHECK(s.error().detail() == "not the set's owner or creator");
  }));
  EXPECT_EQ(shared->stat()->mode, 0644u);
}

// ---- SemOwner --------------------------------------------------------------

bool raw_stat_fails_einval(int id) {
  struct semid_ds ds;
  return ::semctl(id, 0, IPC_STAT, sys::SemArg{.buf = &ds}) == -1 &&
         errno == EINVAL;
}

TEST(SemOwnerTest, RemovesTheSetOnDestruction) {
  auto s = SemaphoreSet::create_private(1);
  ASSERT_THAT(s, IsOk());
  {
    SemOwner owner(*s);
    EXPECT_TRUE(owner.owns());
    EXPECT_EQ(owner.set().id(), s->id());
  }
  EXPECT_TRUE(raw_stat_fails_einval(s->id()));
}

TEST(SemOwnerTest, ReleaseKeepsTheSet) {
  auto s = SemaphoreSet::create_private(1);
  ASSERT_THAT(s, IsOk());
  SemaphoreSet kept = SemaphoreSet::from_id(-1);
  {
    SemOwner owner(*s);
    kept = owner.release();
    EXPECT_FALSE(owner.owns());
  }
  SemOwner cleanup(kept);
  EXPECT_EQ(kept.id(), s->id());
  EXPECT_THAT(kept.stat(), IsOk());
}

TEST(SemOwnerTest, MovesTransferOwnership) {
  auto a = SemaphoreSet::create_private(1);
  ASSERT_THAT(a, IsOk());
  SemOwner first(*a);
  auto b = SemaphoreSet::create_private(1);
  ASSERT_THAT(b, IsOk());
  SemOwner owner_b(*b);
  {
    SemOwner second(std::move(first));
    EXPECT_FALSE(first.owns());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(second.owns());
    // Move-assigning removes what owner_b held and takes `a` over.
    owner_b = std::move(second);
    EXPECT_FALSE(second.owns());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(raw_stat_fails_einval(b->id()));
    EXPECT_EQ(owner_b.set().id(), a->id());
  }
  EXPECT_THAT(a->stat(), IsOk());
}

}  // namespace
}  // namespace ipc
