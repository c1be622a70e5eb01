// ipc/posix_sem_test.cc — POSIX semaphores through the layer, on the real
// kernel and glibc: named semaphores (creation, O_EXCL, names, unlink while
// open), unnamed ones in private and shared memory, posting and waiting with
// and without deadlines, real signals, and every error path.
#include "ipc/posix_sem.h"

#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fault/blocked.h"
#include "ipc/sys.h"
#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

using ::ipc::testing::CountingHandler;
using ::ipc::testing::DropPrivileges;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::KernelEintrs;
using ::ipc::testing::NoteKernelEintr;
using ::ipc::testing::RunInChild;
using ::ipc::testing::UniqueName;
using ::ipc::testing::Worker;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr auto kWait = 30s;

std::string NewName(const std::string& tag) { return "/" + UniqueName(tag); }

// Where glibc keeps a named semaphore.
std::string DevShmPath(const std::string& name) {
  return "/dev/shm/sem." + name.substr(1);
}

bool NameExists(const std::string& name) {
  struct stat st;
  return ::stat(DevShmPath(name).c_str(), &st) == 0;
}

// ---- seam interceptors -----------------------------------------------------

// Counts every semaphore call that reaches the seam (the name checks must
// reject bad input before any).
std::atomic<int> g_calls{0};
sem_t* sem_open_counting(const char* name, int flags, mode_t mode,
                         unsigned int value) {
  ++g_calls;
  return sys::libc().sem_open(name, flags, mode, value);
}
int sem_unlink_counting(const char* name) {
  ++g_calls;
  return sys::libc().sem_unlink(name);
}
int sem_init_counting(sem_t* sem, int pshared, unsigned int value) {
  ++g_calls;
  return sys::libc().sem_init(sem, pshared, value);
}

int sem_wait_noting_eintr(sem_t* sem) {
  return NoteKernelEintr(sys::libc().sem_wait(sem));
}

// sem_timedwait that records the absolute deadlines it is given: EINTR the
// first time, then ETIMEDOUT.
std::vector<timespec> g_deadlines;
int sem_timedwait_eintr_then_expire(sem_t*, const struct timespec* t) {
  g_deadlines.push_back(*t);
  errno = g_deadlines.size() == 1 ? EINTR : ETIMEDOUT;
  return -1;
}

int sem_getvalue_eacces(sem_t*, int*) {
  errno = EACCES;
  return -1;
}
int sem_close_einval(sem_t*) {
  errno = EINVAL;
  return -1;
}

class PosixSemTest : public ::testing::Test {
 protected:
  void TearDown() override { sys::reset_table(); }
};

// A process-private unnamed semaphore in this object, destroyed with it.
struct LocalSem {
  explicit LocalSem(unsigned value = 0) {
    auto u = UnnamedSemaphore::init(
        std::span<std::byte>(reinterpret_cast<std::byte*>(&storage),
                             sizeof storage),
        {.value = value});
    EXPECT_THAT(u, IsOk());
    if (u) sem.emplace(std::move(*u));
  }
  sem_t storage;
  std::optional<UnnamedSemaphore> sem;
};

// ---- named: creation and lookup --------------------------------------------

TEST_F(PosixSemTest, OpenCreatesAnOwnerOnlySemaphoreWithTheValue) {
  std::string name = NewName("create");
  SemNameOwner unlink_at_exit(name);
  auto sem = NamedSemaphore::open(name, {.value = 3});
  ASSERT_THAT(sem, IsOk());
  EXPECT_EQ(sem->name(), name);
  EXPECT_TRUE(sem->is_open());
  EXPECT_EQ(*sem->value(), 3);
  struct stat st;
  ASSERT_EQ(::stat(DevShmPath(name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(PosixSemTest, OpeningAnExistingSemaphoreKeepsItsValue) {
  std::string name = NewName("existing");
  SemNameOwner unlink_at_exit(name);
  auto first = NamedSemaphore::open(name, {.value = 2});
  ASSERT_THAT(first, IsOk());
  auto again = NamedSemaphore::open(name, {.value = 9});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again->value(), 2);
  auto plain = NamedSemaphore::open(name, {.create = false});
  ASSERT_THAT(plain, IsOk());
  ASSERT_OK(plain->post());
  EXPECT_EQ(*first->value(), 3);
}

TEST_F(PosixSemTest, ExclusiveOpenOfAnExistingNameIsEexist) {
  std::string name = NewName("excl");
  SemNameOwner unlink_at_exit(name);
  ASSERT_THAT(NamedSemaphore::open(name, {.exclusive = true}), IsOk());
  auto second = NamedSemaphore::open(name, {.exclusive = true});
  ASSERT_THAT(second, FailsWith(EEXIST));
  EXPECT_EQ(second.error().detail(), "a semaphore with this name exists");
  EXPECT_THAT(second.error().context(), HasSubstr("O_CREAT|O_EXCL"));
}

TEST_F(PosixSemTest, OpenWithoutCreateOfAMissingNameIsEnoent) {
  std::string name = NewName("missing");
  auto s = NamedSemaphore::open(name, {.create = false});
  ASSERT_THAT(s, FailsWith(ENOENT));
  EXPECT_EQ(s.error().detail(), "no semaphore with this name");
  EXPECT_FALSE(NameExists(name));
}

TEST_F(PosixSemTest, ExclusiveWithoutCreateIsEinvalWithoutACall) {
  g_calls = 0;
  sys::table().sem_open.store(&sem_open_counting);
  auto s =
      NamedSemaphore::open(NewName("x"), {.create = false, .exclusive = true});
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().detail(), "exclusive needs create");
  EXPECT_EQ(g_calls.load(), 0);
}

TEST_F(PosixSemTest, BadNamesAreEinvalWithoutACall) {
  g_calls = 0;
  sys::table().sem_open.store(&sem_open_counting);
  sys::table().sem_unlink.store(&sem_unlink_counting);
  struct Case {
    std::string name;
    const char* detail;
  };
  const Case cases[] = {
      {"", "empty"},
      {"noslash", "must start with '/'"},
      {"/", "nothing after"},
      {"/a/b", "no '/' after the first"},
      {std::string("/a\0b", 4), "NUL"},
      {"/" + std::string(kMaxSemNameLength + 1, 'x'),
       "longer than NAME_MAX less glibc's \"sem.\" prefix (251) bytes"},
  };
  for (const Case& c : cases) {
    auto r = NamedSemaphore::open(c.name);
    ASSERT_THAT(r, FailsWith(EINVAL)) << "name \"" << c.name << "\"";
    EXPECT_THAT(r.error().detail(), HasSubstr(c.detail)) << c.name;
    auto u = NamedSemaphore::unlink(c.name);
    ASSERT_THAT(u, FailsWith(EINVAL)) << "name \"" << c.name << "\"";
    EXPECT_THAT(u.error().detail(), HasSubstr(c.detail)) << c.name;
  }
  EXPECT_EQ(g_calls.load(), 0);
  // The longest name glibc can store works.
  std::string longest = NewName("");
  longest.resize(kMaxSemNameLength + 1, 'y');
  SemNameOwner unlink_at_exit(longest);
  EXPECT_OK(NamedSemaphore::open(longest, {.exclusive = true}));
  EXPECT_EQ(g_calls.load(), 1);
}

TEST_F(PosixSemTest, ValueAboveSemValueMaxIsEinvalNamingIt) {
  std::string name = NewName("big");
  SemNameOwner unlink_at_exit(name);
  unsigned big = static_cast<unsigned>(SEM_VALUE_MAX) + 1;
  auto s = NamedSemaphore::open(name, {.value = big});
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().detail(), "value " + std::to_string(big) +
                                    " exceeds SEM_VALUE_MAX (" +
                                    std::to_string(SEM_VALUE_MAX) + ")");
  EXPECT_FALSE(NameExists(name));
}

TEST_F(PosixSemTest, OtherUsersGetEaccesOnAnOwnerOnlySemaphore) {
  std::string name = NewName("perm");
  SemNameOwner unlink_at_exit(name);
  ASSERT_THAT(NamedSemaphore::open(name), IsOk());
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(DropPrivileges(), "cannot become uid 65534");
    auto s = NamedSemaphore::open(name, {.create = false});
    TEST_CHECK(!s.ok() && s.error().code() == EACCES);
    TEST_CHECK(s.error().detail() == "the semaphore's mode denies access");
  }));
}

// ---- named: unlink and close -----------------------------------------------

TEST_F(PosixSemTest, UnlinkRemovesTheNameAndOpenHandlesKeepWorking) {
  std::string name = NewName("unlink");
  SemNameOwner unlink_at_exit(name);
  auto sem = NamedSemaphore::open(name, {.value = 1});
  ASSERT_THAT(sem, IsOk());
  ASSERT_OK(NamedSemaphore::unlink(name));
  EXPECT_FALSE(NameExists(name));
  EXPECT_THAT(NamedSemaphore::open(name, {.create = false}), FailsWith(ENOENT));
  ASSERT_OK(sem->try_wait());
  ASSERT_OK(sem->post());
  ASSERT_OK(sem->post());
  EXPECT_EQ(*sem->value(), 2);
  // The name now makes a new, separate semaphore.
  auto fresh = NamedSemaphore::open(name, {.exclusive = true, .value = 7});
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(*fresh->value(), 7);
  EXPECT_EQ(*sem->value(), 2);
}

TEST_F(PosixSemTest, UnlinkOfAMissingNameIsEnoent) {
  auto u = NamedSemaphore::unlink(NewName("gone"));
  ASSERT_THAT(u, FailsWith(ENOENT));
  EXPECT_EQ(u.error().detail(), "no semaphore with this name");
}

TEST_F(PosixSemTest, CloseReportsOnceThenEinval) {
  std::string name = NewName("close");
  SemNameOwner unlink_at_exit(name);
  auto sem = NamedSemaphore::open(name);
  ASSERT_THAT(sem, IsOk());
  ASSERT_OK(sem->close());
  EXPECT_FALSE(sem->is_open());
  auto again = sem->close();
  ASSERT_THAT(again, FailsWith(EINVAL));
  EXPECT_EQ(again.error().detail(), "already closed");
}

TEST_F(PosixSemTest, CloseErrorIsReportedAndTheHandleIsGone) {
  std::string name = NewName("closeerr");
  SemNameOwner unlink_at_exit(name);
  auto sem = NamedSemaphore::open(name);
  ASSERT_THAT(sem, IsOk());
  sem_t* raw = sem->get();
  sys::table().sem_close.store(&sem_close_einval);
  auto s = sem->close();
  sys::reset_table();
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().op(), "sem_close");
  EXPECT_FALSE(sem->is_open());
  ASSERT_EQ(::sem_close(raw), 0);  // the real close the fake skipped
}

TEST_F(PosixSemTest, MovesTransferTheHandle) {
  std::string a_name = NewName("a");
  std::string b_name = NewName("b");
  SemNameOwner ua(a_name), ub(b_name);
  auto a = NamedSemaphore::open(a_name, {.value = 1});
  auto b = NamedSemaphore::open(b_name, {.value = 2});
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  NamedSemaphore moved(std::move(*a));
  EXPECT_FALSE(a->is_open());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved.name(), a_name);
  EXPECT_EQ(*moved.value(), 1);
  moved = std::move(*b);       // closes a's handle, takes b's
  EXPECT_FALSE(b->is_open());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(moved.name(), b_name);
  EXPECT_EQ(*moved.value(), 2);
}

// ---- waiting and posting ---------------------------------------------------

TEST_F(PosixSemTest, PostWaitAndTryWait) {
  LocalSem s(1);
  ASSERT_OK(s.sem->wait());
  EXPECT_EQ(*s.sem->value(), 0);
  auto t = s.sem->try_wait();
  ASSERT_THAT(t, FailsWith(EAGAIN));
  EXPECT_EQ(t.error().detail(), "value is 0");
  EXPECT_EQ(t.error().op(), "sem_trywait");
  ASSERT_OK(s.sem->post());
  ASSERT_OK(s.sem->try_wait());
  EXPECT_EQ(*s.sem->value(), 0);
}

TEST_F(PosixSemTest, PostAtSemValueMaxIsEoverflow) {
  LocalSem s(SEM_VALUE_MAX);
  auto p = s.sem->post();
  ASSERT_THAT(p, FailsWith(EOVERFLOW));
  EXPECT_EQ(p.error().detail(),
            "value is SEM_VALUE_MAX (" + std::to_string(SEM_VALUE_MAX) + ")");
  EXPECT_EQ(*s.sem->value(), SEM_VALUE_MAX);
}

TEST_F(PosixSemTest, DeadlineExpiryIsEtimedout) {
  LocalSem s;
  auto w = s.sem->wait(deadline_in(20ms));
  ASSERT_THAT(w, FailsWith(ETIMEDOUT));
  EXPECT_EQ(w.error().op(), "sem_timedwait");
  EXPECT_EQ(w.error().detail(), "timed out");
}

TEST_F(PosixSemTest, PassedDeadlineStillTakesATokenThatIsThere) {
  LocalSem s(1);
  ASSERT_OK(s.sem->wait(Clock::now() - 1s));
  EXPECT_THAT(s.sem->wait(Clock::now() - 1s), FailsWith(ETIMEDOUT));
}

TEST_F(PosixSemTest, BlockedWaitIsWokenByAPost) {
  LocalSem s;
  std::optional<Status> got;
  Worker waiter([&] { got = s.sem->wait(); });
  ASSERT_OK(fault::wait_until_blocked(0, waiter.tid(), SYS_futex,
                                      deadline_in(kWait)));
  ASSERT_OK(s.sem->post());
  waiter.join();
  ASSERT_THAT(*got, IsOk());
  EXPECT_EQ(*s.sem->value(), 0);
}

TEST_F(PosixSemTest, TimedWaitIsWokenByAPost) {
  LocalSem s;
  std::optional<Status> got;
  Worker waiter([&] { got = s.sem->wait(deadline_in(kWait)); });
  ASSERT_OK(fault::wait_until_blocked(0, waiter.tid(), SYS_futex,
                                      deadline_in(kWait)));
  ASSERT_OK(s.sem->post());
  waiter.join();
  ASSERT_THAT(*got, IsOk());
}

TEST_F(PosixSemTest, WaitSurfacesEintrWhenAsked) {
  CountingHandler handler;
  LocalSem s;
  std::optional<Status> got;
  Worker waiter([&] { got = s.sem->wait(kNoDeadline, Eintr::kSurface); });
  // A wait that ended otherwise is let go by a post (the test then fails).
  struct PostOnExit {
    Semaphore sem;
    ~PostOnExit() { (void)sem.post(); }
  } unblock{Semaphore::at(s.sem->get())};
  ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1, SYS_futex,
                                          deadline_in(kWait)));
  waiter.join();
  ASSERT_THAT(*got, FailsWith(EINTR));
  EXPECT_EQ(got->error().op(), "sem_wait");
}

TEST_F(PosixSemTest, WaitRetriesEintrAndTakesTheToken) {
  CountingHandler handler;
  LocalSem s;
  KernelEintrs eintrs;
  ASSERT_TRUE(eintrs.ok());
  sys::table().sem_wait.store(&sem_wait_noting_eintr);
  std::optional<Status> got;
  Worker waiter([&] { got = s.sem->wait(); });
  ASSERT_OK(fault::interrupt_when_blocked(0, waiter.tid(), SIGUSR1, SYS_futex,
                                          deadline_in(kWait)));
  eintrs.WaitForOne(kWait);
  ASSERT_OK(s.sem->post());
  waiter.join();
  ASSERT_THAT(*got, IsOk());
  EXPECT_EQ(*s.sem->value(), 0);
}

TEST_F(PosixSemTest, RetryAfterEintrKeepsTheSameDeadline) {
  LocalSem s;
  g_deadlines.clear();
  sys::table().sem_timedwait.store(&sem_timedwait_eintr_then_expire);
  auto w = s.sem->wait(deadline_in(10s));
  ASSERT_THAT(w, FailsWith(ETIMEDOUT));
  ASSERT_EQ(g_deadlines.size(), 2u);
  auto ns = [](const timespec& t) {
    return std::int64_t{t.tv_sec} * 1000000000 + t.tv_nsec;
  };
  timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  EXPECT_GT(ns(g_deadlines[0]), ns(now) + 9'000'000'000);
  EXPECT_LE(ns(g_deadlines[0]), ns(now) + 10'000'000'000);
  // The same absolute expiry (up to clock reading jitter), not a fresh 10 s.
  EXPECT_LT(std::abs(ns(g_deadlines[1]) - ns(g_deadlines[0])), 100'000'000);
  EXPECT_GE(g_deadlines[1].tv_nsec, 0);
  EXPECT_LT(g_deadlines[1].tv_nsec, 1000000000);
}

TEST_F(PosixSemTest, ValueErrorIsReported) {
  LocalSem s;
  sys::table().sem_getvalue.store(&sem_getvalue_eacces);
  auto v = s.sem->value();
  ASSERT_THAT(v, FailsWith(EACCES));
  EXPECT_EQ(v.error().op(), "sem_getvalue");
}

// ---- unnamed ---------------------------------------------------------------

TEST_F(PosixSemTest, InitRejectsSmallOrMisalignedStorageWithoutACall) {
  g_calls = 0;
  sys::table().sem_init.store(&sem_init_counting);
  alignas(sem_t) std::byte buf[sizeof(sem_t) + alignof(sem_t)];
  auto small = UnnamedSemaphore::init(std::span(buf, sizeof(sem_t) - 1));
  ASSERT_THAT(small, FailsWith(EINVAL));
  EXPECT_EQ(small.error().detail(),
            std::to_string(sizeof(sem_t) - 1) + " bytes hold no sem_t (" +
                std::to_string(sizeof(sem_t)) + " bytes)");
  auto misaligned = UnnamedSemaphore::init(std::span(buf + 1, sizeof(sem_t)));
  ASSERT_THAT(misaligned, FailsWith(EINVAL));
  EXPECT_EQ(
      misaligned.error().detail(),
      "storage is not aligned to " + std::to_string(alignof(sem_t)) + " bytes");
  EXPECT_EQ(g_calls.load(), 0);
}

TEST_F(PosixSemTest, InitValueAboveSemValueMaxIsEinvalNamingIt) {
  sem_t storage;
  unsigned big = static_cast<unsigned>(SEM_VALUE_MAX) + 1;
  auto u = UnnamedSemaphore::init(
      std::span(reinterpret_cast<std::byte*>(&storage), sizeof storage),
      {.value = big});
  ASSERT_THAT(u, FailsWith(EINVAL));
  EXPECT_THAT(u.error().detail(), HasSubstr("exceeds SEM_VALUE_MAX"));
}

TEST_F(PosixSemTest, ProcessSharedSemaphoreInSharedMemoryWorksAcrossFork) {
  void* mem = ::mmap(nullptr, sizeof(sem_t) * 2, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto bytes = std::span(static_cast<std::byte*>(mem), sizeof(sem_t) * 2);
  auto ping = UnnamedSemaphore::init(bytes.first(sizeof(sem_t)),
                                     {.process_shared = true});
  auto pong = UnnamedSemaphore::init(bytes.last(sizeof(sem_t)),
                                     {.process_shared = true});
  ASSERT_THAT(ping, IsOk());
  ASSERT_THAT(pong, IsOk());
  Semaphore ping_h = Semaphore::at(ping->get());
  Semaphore pong_h = Semaphore::at(pong->get());
  constexpr int kRounds = 100;
  ipc::testing::Child child([&] {
    for (int i = 0; i < kRounds; ++i) {
      TEST_CHECK(ping_h.wait(deadline_in(kWait)).ok());
      TEST_CHECK(pong_h.post().ok());
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_OK(ping_h.post());
    ASSERT_OK(pong_h.wait(deadline_in(kWait))) << "round " << i;
  }
  EXPECT_CHILD_OK(child.wait());
  EXPECT_EQ(*ping_h.value(), 0);
  EXPECT_EQ(*pong_h.value(), 0);
  ASSERT_OK(ping->destroy());
  ASSERT_OK(pong->destroy());
  ASSERT_EQ(::munmap(mem, sizeof(sem_t) * 2), 0);
}

TEST_F(PosixSemTest, DestroyReportsOnceThenEinval) {
  LocalSem s;
  ASSERT_OK(s.sem->destroy());
  EXPECT_FALSE(s.sem->owns());
  auto again = s.sem->destroy();
  ASSERT_THAT(again, FailsWith(EINVAL));
  EXPECT_EQ(again.error().detail(), "nothing is owned");
}

TEST_F(PosixSemTest, ReleaseKeepsTheSemaphoreAlive) {
  sem_t storage;
  Semaphore kept = Semaphore::at(nullptr);
  {
    auto u = UnnamedSemaphore::init(
        std::span(reinterpret_cast<std::byte*>(&storage), sizeof storage),
        {.value = 4});
    ASSERT_THAT(u, IsOk());
    kept = u->release();
    EXPECT_FALSE(u->owns());
  }
  EXPECT_EQ(kept.get(), &storage);
  EXPECT_EQ(*kept.value(), 4);
  ASSERT_EQ(::sem_destroy(&storage), 0);
}

// ---- SemNameOwner ----------------------------------------------------------

TEST_F(PosixSemTest, NameOwnerUnlinksOnDestructionUnlessReleased) {
  std::string a = NewName("owner-a");
  std::string b = NewName("owner-b");
  ASSERT_THAT(NamedSemaphore::open(a), IsOk());
  ASSERT_THAT(NamedSemaphore::open(b), IsOk());
  { SemNameOwner owner(a); }
  EXPECT_FALSE(NameExists(a));
  {
    SemNameOwner owner(b);
    EXPECT_EQ(owner.release(), b);
    EXPECT_FALSE(owner.owns());
  }
  EXPECT_TRUE(NameExists(b));
  SemNameOwner cleanup(b);
  auto none = SemNameOwner().unlink();
  ASSERT_THAT(none, FailsWith(EINVAL));
  EXPECT_EQ(none.error().op(), "sem_unlink");
  EXPECT_EQ(none.error().detail(), "nothing owned");
}

TEST_F(PosixSemTest, NameOwnerMoveAssignUnlinksWhatItHeld) {
  std::string a = NewName("move-a");
  std::string b = NewName("move-b");
  ASSERT_THAT(NamedSemaphore::open(a), IsOk());
  ASSERT_THAT(NamedSemaphore::open(b), IsOk());
  SemNameOwner owner_a(a);
  SemNameOwner owner_b(b);
  owner_b = std::move(owner_a);
  EXPECT_FALSE(NameExists(b));
  EXPECT_TRUE(NameExists(a));
  EXPECT_EQ(owner_b.name(), a);
  ASSERT_OK(owner_b.unlink());
  EXPECT_FALSE(NameExists(a));
  EXPECT_THAT(NamedSemaphore::unlink(a), FailsWith(ENOENT));
}

}  // namespace
}  // namespace ipc
