// fault/inprocess_test.cc — ScopedFaultPlan through the ipc::sys seam on real
// pipes: each effect, scopes, table install/restore, and teardown under load.
#include "fault/inprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/sys.h"
#include "ipc/testing/test_util.h"

namespace fault {
namespace {

namespace sys = ipc::sys;
using ::ipc::testing::CountingHandler;
using ::ipc::testing::IsOk;
using ::ipc::testing::RawPipe;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::testing::HasSubstr;

TEST(ScopedFaultPlan, EintrOnSecondReadLeavesTheByteInThePipe) {
  RawPipe p;
  ASSERT_EQ(::write(p.write.get(), "ab", 2), 2);
  ScopedFaultPlan faults("read:EINTR@2");
  char c = 0;
  EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'a');
  EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallFailsWithErrno(EINTR));
  EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'b');
  EXPECT_EQ(faults.count(Call::read), 3u);
  EXPECT_TRUE(faults.reached());
  ASSERT_EQ(faults.log().size(), 1u);
  EXPECT_EQ(faults.log()[0].decision.ordinal, 2u);
  EXPECT_EQ(faults.log()[0].fd, p.read.get());
  EXPECT_THAT(faults.format_log(), HasSubstr("read #2 (rule 0, fd="));
}

TEST(ScopedFaultPlan, InterceptsOnlyNamedCallsAndRestoresTheTable) {
  {
    ScopedFaultPlan faults("read|msgsnd:EIO");
    EXPECT_NE(sys::table().read.load(), sys::libc().read);
    EXPECT_NE(sys::table().msgsnd.load(), sys::libc().msgsnd);
    EXPECT_EQ(sys::table().write.load(), sys::libc().write);
    EXPECT_EQ(sys::table().msgrcv.load(), sys::libc().msgrcv);
    EXPECT_EQ(faults.plan().to_string(), "read|msgsnd:EIO");
    RawPipe p;
    EXPECT_THAT(sys::write(p.write.get(), "x", 1), SyscallSucceedsWithValue(1));
    EXPECT_EQ(faults.count(Call::write), 0u);  // not intercepted
  }
  EXPECT_EQ(sys::table().read.load(), sys::libc().read);
  EXPECT_EQ(sys::table().msgsnd.load(), sys::libc().msgsnd);
}

ssize_t fake_read(int, void*, size_t) {
  errno = ENOTTY;
  return -1;
}

TEST(ScopedFaultPlan, RestoresThePreviousEntryNotLibc) {
  sys::table().read.store(&fake_read);
  {
    ScopedFaultPlan faults("read:pass");
    EXPECT_NE(sys::table().read.load(), &fake_read);
  }
  EXPECT_EQ(sys::table().read.load(), &fake_read);
  sys::reset_table();
}

TEST(ScopedFaultPlan, ShortWritesStillDeliverEveryByteThroughWriteFull) {
  RawPipe p;
  std::string data(100, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>('A' + i % 26);
  {
    ScopedFaultPlan faults("write:short=1");
    auto n = ipc::write_full(p.write.get(), ipc::as_bytes(data));
    ASSERT_THAT(n, IsOk());
    EXPECT_EQ(*n, data.size());
    EXPECT_EQ(faults.count(Call::write), 100u);
    EXPECT_EQ(faults.injected(), 100u);
  }
  std::string back(100, '\0');
  ASSERT_EQ(::read(p.read.get(), back.data(), back.size()), 100);
  EXPECT_EQ(back, data);
}

TEST(ScopedFaultPlan, ShortHalfAndRandomCutTheRealCall) {
  RawPipe p;
  char buf[100] = {};
  {
    ScopedFaultPlan faults("write:short=half");
    EXPECT_THAT(sys::write(p.write.get(), buf, 100),
                SyscallSucceedsWithValue(50));
  }
  {
    ScopedFaultPlan faults("write:short=random; seed=77");
    ssize_t n = sys::write(p.write.get(), buf, 100);
    ASSERT_EQ(faults.log().size(), 1u);
    EXPECT_EQ(n,
              static_cast<ssize_t>(
                  std::get<ShortEffect>(faults.log()[0].decision.effect).max));
    EXPECT_GE(n, 1);
    EXPECT_LE(n, 100);
    EXPECT_EQ(faults.log()[0].requested, 100u);
  }
  {
    ScopedFaultPlan faults("read:short=3");
    EXPECT_THAT(sys::read(p.read.get(), buf, sizeof buf),
                SyscallSucceedsWithValue(3));
  }
  {
    ScopedFaultPlan faults("pread:short=2");
    // A pipe is not seekable: the call is still made (with the cut count).
    EXPECT_THAT(sys::pread(p.read.get(), buf, sizeof buf, 0),
                SyscallFailsWithErrno(ESPIPE));
    EXPECT_EQ(std::get<ShortEffect>(faults.log()[0].decision.effect).max, 2u);
  }
}

TEST(ScopedFaultPlan, SignalEffectRunsTheHandlerThenTheCall) {
  CountingHandler handler(SIGUSR1);
  RawPipe p;
  ASSERT_EQ(::write(p.write.get(), "z", 1), 1);
  int before = handler.count();
  char c = 0;
  {
    ScopedFaultPlan faults("read:signal=SIGUSR1@1");
    EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallSucceedsWithValue(1));
  }
  EXPECT_EQ(c, 'z');
  // A self-directed signal is handled on the way back from tgkill (under TSan,
  // at the latest at the next intercepted libc call: the read).
  EXPECT_EQ(handler.count(), before + 1);
}

TEST(ScopedFaultPlan, InterruptEffectInterruptsTheCallOnceAsleep) {
  // The pipe stays empty until the handler has run, so only a signal that
  // arrives while the read sleeps lets it end: EINTR (no SA_RESTART). The
  // byte written afterwards is still there.
  CountingHandler handler(SIGUSR1);
  RawPipe p;
  int before = handler.count();
  std::thread peer([&] {
    while (handler.count() == before) std::this_thread::yield();
    EXPECT_EQ(::write(p.write.get(), "z", 1), 1);
  });
  char c = 0;
  {
    ScopedFaultPlan faults("read:interrupt=SIGUSR1@1");
    EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallFailsWithErrno(EINTR));
    EXPECT_EQ(faults.log().size(), 1u);
  }
  peer.join();
  EXPECT_EQ(handler.count(), before + 1);
  EXPECT_EQ(::read(p.read.get(), &c, 1), 1);
  EXPECT_EQ(c, 'z');
}

TEST(ScopedFaultPlan, InterruptEffectSendsNothingIfTheCallDoesNotSleep) {
  CountingHandler handler(SIGUSR1);
  RawPipe p;
  ASSERT_EQ(::write(p.write.get(), "z", 1), 1);
  int before = handler.count();
  char c = 0;
  {
    ScopedFaultPlan faults("read:interrupt=SIGUSR1@1");
    EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallSucceedsWithValue(1));
  }
  EXPECT_EQ(c, 'z');
  EXPECT_EQ(handler.count(), before);
}

TEST(ScopedFaultPlan, DelayDelaysTheCall) {
  RawPipe p;
  ScopedFaultPlan faults("write:delay=30ms");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(sys::write(p.write.get(), "x", 1), SyscallSucceedsWithValue(1));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(elapsed, std::chrono::milliseconds(30));
}

TEST(ScopedFaultPlan, PassRunsTheCallAndCountsAsReached) {
  RawPipe p;
  ScopedFaultPlan faults("write:pass@2");
  EXPECT_THAT(sys::write(p.write.get(), "x", 1), SyscallSucceedsWithValue(1));
  EXPECT_FALSE(faults.reached());
  EXPECT_THAT(sys::write(p.write.get(), "y", 1), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(faults.reached());
  char buf[2];
  EXPECT_EQ(::read(p.read.get(), buf, 2), 2);
}

TEST(ScopedFaultPlan, FailureValuesOfEveryReturnKind) {
  ScopedFaultPlan faults(
      "mmap:ENOMEM; shmat:EIDRM; pthread_sigmask:EINVAL; ftok:ENOENT; "
      "open:EMFILE");
  errno = 0;
  EXPECT_EQ(
      sys::mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      MAP_FAILED);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(sys::shmat(12345, nullptr, 0), reinterpret_cast<void*>(-1));
  EXPECT_EQ(errno, EIDRM);
  errno = 0;
  sigset_t set;
  sigemptyset(&set);
  EXPECT_EQ(sys::pthread_sigmask(SIG_BLOCK, &set, nullptr),
            EINVAL);  // error number, errno untouched
  EXPECT_EQ(errno, 0);
  EXPECT_THAT(sys::ftok("/", 1), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(sys::open("/", O_RDONLY | O_CLOEXEC, 0),
              SyscallFailsWithErrno(EMFILE));
  EXPECT_EQ(faults.injected(), 5u);
}

TEST(ScopedFaultPlan, FdScopeOnRealPipes) {
  RawPipe a, b;
  ASSERT_EQ(::write(a.write.get(), "aa", 2), 2);
  ASSERT_EQ(::write(b.write.get(), "bb", 2), 2);
  ScopedFaultPlan faults("read:EAGAIN,fd=" + std::to_string(a.read.get()));
  char c;
  EXPECT_THAT(sys::read(b.read.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_THAT(sys::read(a.read.get(), &c, 1), SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(sys::read(b.read.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(faults.count(Call::read), 3u);
  EXPECT_EQ(faults.injected(), 1u);
}

TEST(ScopedFaultPlan, TidScopeOnlyFaultsThatThread) {
  RawPipe p;
  ASSERT_EQ(::write(p.write.get(), "12", 2), 2);
  std::promise<pid_t> tid;
  std::promise<void> go;
  auto go_future = go.get_future();
  ssize_t other_result = 0;
  int other_errno = 0;
  std::thread t([&] {
    tid.set_value(cached_tid());
    go_future.wait();
    char c;
    other_result = sys::read(p.read.get(), &c, 1);
    other_errno = errno;
  });
  pid_t other = tid.get_future().get();
  {
    ScopedFaultPlan faults("read:EINTR,tid=" + std::to_string(other));
    char c;
    EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallSucceedsWithValue(1));
    go.set_value();
    t.join();
    EXPECT_EQ(faults.injected(), 1u);
  }
  EXPECT_EQ(other_result, -1);
  EXPECT_EQ(other_errno, EINTR);
}

TEST(ScopedFaultPlan, TeardownWhileOtherThreadsCallTheSeam) {
  // Threads keep calling through interceptors while plans come and go; the
  // destructor must not free an engine an interceptor is still using (ASan).
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&stop] {
      RawPipe p;
      char c = 'x';
      while (!stop.load()) {
        if (sys::write(p.write.get(), &c, 1) == 1)
          (void)::read(p.read.get(), &c, 1);
      }
    });
  }
  for (int i = 0; i < 300; ++i) {
    ScopedFaultPlan faults("write:pass");
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(sys::table().write.load(), sys::libc().write);
}

TEST(ScopedFaultPlanDeathTest, SecondPlanAborts) {
  EXPECT_DEATH(
      {
        ScopedFaultPlan a("read:EINTR");
        ScopedFaultPlan b("write:EINTR");
      },
      "only one ScopedFaultPlan may exist at a time");
}

TEST(ScopedFaultPlanDeathTest, InvalidLiteralAbortsWithTheParseError) {
  EXPECT_DEATH({ ScopedFaultPlan a("reed:EINTR"); },
               "unknown call 'reed' at column 1");
}

TEST(ScopedFaultPlan, PlanObjectConstructor) {
  auto plan = parse_plan("read:EINTR@1");
  ASSERT_TRUE(plan.ok());
  ScopedFaultPlan faults(*plan);
  RawPipe p;
  char c;
  EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(faults.engine().plan(), *plan);
}

TEST(ScopedFaultPlan, LogCapacityBoundsTheLogNotTheFaults) {
  RawPipe p;
  ScopedFaultPlan faults("read:EINTR", 2);
  char c;
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallFailsWithErrno(EINTR));
  }
  EXPECT_EQ(faults.injected(), 5u);
  auto log = faults.log();
  ASSERT_EQ(log.size(), 2u);  // the first two, oldest first
  EXPECT_EQ(log[0].decision.ordinal, 1u);
  EXPECT_EQ(log[1].decision.ordinal, 2u);
  EXPECT_EQ(faults.engine().log_dropped(), 3u);
  EXPECT_THAT(faults.format_log(), HasSubstr("(3 more not logged)"));
}

TEST(ScopedFaultPlan, PlanObjectWithNoLogStillInjects) {
  auto plan = parse_plan("read:EINTR");
  ASSERT_TRUE(plan.ok());
  ScopedFaultPlan faults(*plan, 0);
  RawPipe p;
  char c;
  EXPECT_THAT(sys::read(p.read.get(), &c, 1), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(faults.injected(), 1u);
  EXPECT_TRUE(faults.log().empty());
  EXPECT_EQ(faults.engine().log_dropped(), 1u);
}

TEST(ScopedFaultPlan, DefaultLogCapacityIsTheEngines) {
  RawPipe p;
  ScopedFaultPlan faults("read:EINTR");
  char c;
  const std::size_t n = Engine::kDefaultLogCapacity + 1;
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_THAT(sys::read(p.read.get(), &c, 1), SyscallFailsWithErrno(EINTR));
  }
  EXPECT_EQ(faults.log().size(), Engine::kDefaultLogCapacity);
  EXPECT_EQ(faults.engine().log_dropped(), 1u);
}

}  // namespace
}  // namespace fault
