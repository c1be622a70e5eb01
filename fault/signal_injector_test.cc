// fault/signal_injector_test.cc — real signals into a thread blocked in
// read(2): EINTR without SA_RESTART (100/100), restart with SA_RESTART, timed
// delivery, cancellation, deadlines and argument errors.
#include "fault/signal_injector.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>

#include "fault/blocked.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/testing/test_util.h"

namespace fault {
namespace {

using ::ipc::testing::Cleanup;
using ::ipc::testing::CountingHandler;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::PipeReader;
using ::ipc::testing::RawPipe;
using ::ipc::testing::Worker;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

ipc::Deadline soon() { return ipc::deadline_in(10s); }

TEST(SignalInjector, BlockedReadGetsARealEintrEveryTime) {
  CountingHandler handler(SIGUSR1, 0);
  RawPipe data, results;
  int before = handler.count();
  constexpr int kRounds = 100;
  // One reader thread, 100 reads; after each it reports (result, errno) so
  // that the next injection targets the next read.
  Worker reader([&] {
    for (int i = 0; i < kRounds; ++i) {
      char c;
      int report[2];
      report[0] = static_cast<int>(::read(data.read.get(), &c, 1));
      report[1] = errno;
      if (::write(results.write.get(), report, sizeof report) != sizeof report)
        return;
    }
  });
  pid_t reader_tid = reader.tid();
  // On any exit: EOF makes the remaining reads return at once; then the
  // reader is joined.
  Cleanup eof([&] { data.write.reset(); });
  int eintr = 0;
  for (int i = 0; i < kRounds; ++i) {
    auto inj =
        SignalInjector::when_blocked(reader_tid, SYS_read, SIGUSR1, soon());
    ASSERT_THAT(inj, IsOk());
    ASSERT_THAT(inj->join(), IsOk());
    ASSERT_TRUE(inj->delivered());  // else the read below would wait forever
    int report[2] = {0, 0};
    ASSERT_EQ(::read(results.read.get(), report, sizeof report),
              static_cast<ssize_t>(sizeof report));
    if (report[0] == -1 && report[1] == EINTR) ++eintr;
  }
  reader.join();
  EXPECT_EQ(eintr, kRounds);
  EXPECT_EQ(handler.count() - before, kRounds);
}

// Whether `sig` is pending for thread `tid` (SigPnd in
// /proc/self/task/<tid>/status).
bool thread_signal_pending(pid_t tid, int sig) {
  std::string path = "/proc/self/task/" + std::to_string(tid) + "/status";
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return false;
  char line[256];
  unsigned long long mask = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "SigPnd: %llx", &mask) == 1) break;
  }
  std::fclose(f);
  return (mask >> (sig - 1)) & 1;
}

TEST(SignalInjector, WithSaRestartTheReadRestartsAndReturnsLaterData) {
  CountingHandler handler(SIGUSR2, SA_RESTART);
  int before = handler.count();
  PipeReader reader;
  auto inj =
      SignalInjector::when_blocked(reader.tid(), SYS_read, SIGUSR2, soon());
  ASSERT_THAT(inj, IsOk());
  ASSERT_THAT(inj->join(), IsOk());
  // Once the kernel has taken the signal off the thread's pending set, the read
  // has already been interrupted (and, with SA_RESTART, restarted): only then
  // write the data. (Under TSan the user handler itself runs later, when the
  // read returns, so it cannot be waited for here.)
  auto deadline = soon();
  while (thread_signal_pending(reader.tid(), SIGUSR2)) {
    ASSERT_LT(ipc::Clock::now(), *deadline)
        << "SIGUSR2 never taken by the reader";
    std::this_thread::yield();
  }
  ASSERT_THAT(wait_until_blocked(0, reader.tid(), SYS_read, soon()), IsOk());
  ASSERT_EQ(reader.write("late", 4), 4);
  reader.join();
  EXPECT_EQ(reader.result(), 4) << std::strerror(reader.error());
  EXPECT_EQ(reader.data(), "late");
  EXPECT_EQ(handler.count() - before, 1);
}

TEST(SignalInjector, AfterDelaySendsTheSignalOnceTheDelayPassed) {
  CountingHandler handler(SIGUSR1, 0);
  PipeReader reader;
  ASSERT_THAT(wait_until_blocked(0, reader.tid(), SYS_read, soon()), IsOk());
  auto t0 = std::chrono::steady_clock::now();
  auto inj = SignalInjector::after(reader.tid(), SIGUSR1, 30ms);
  ASSERT_THAT(inj, IsOk());
  reader.join();
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_THAT(inj->join(), IsOk());
  EXPECT_TRUE(inj->delivered());
  EXPECT_EQ(reader.result(), -1);
  EXPECT_EQ(reader.error(), EINTR);
  EXPECT_GE(elapsed, 30ms);
}

TEST(SignalInjector, CancelWhileWaitingForAnotherCall) {
  CountingHandler handler(SIGUSR1, 0);
  PipeReader reader;
  ASSERT_THAT(wait_until_blocked(0, reader.tid(), SYS_read, soon()), IsOk());
  int before = handler.count();
  // The reader is in read, never in write: the injector keeps waiting.
  auto inj =
      SignalInjector::when_blocked(reader.tid(), SYS_write, SIGUSR1, soon());
  ASSERT_THAT(inj, IsOk());
  inj->cancel();
  EXPECT_THAT(inj->join(), FailsWith(ECANCELED));
  EXPECT_FALSE(inj->delivered());
  ASSERT_EQ(reader.write("ok", 2), 2);
  reader.join();
  EXPECT_EQ(reader.data(), "ok");
  EXPECT_EQ(handler.count(), before);
  EXPECT_THAT(inj->join(), FailsWith(ECANCELED));  // same status again
}

TEST(SignalInjector, CancelATimedInjection) {
  auto inj =
      SignalInjector::after(current_tid(), SIGUSR1, std::chrono::hours(1));
  ASSERT_THAT(inj, IsOk());
  inj->cancel();
  auto status = inj->join();
  EXPECT_THAT(status, FailsWith(ECANCELED));
  EXPECT_THAT(status.error().message(), HasSubstr("after(tid="));
  EXPECT_FALSE(inj->delivered());
}

TEST(SignalInjector, DestructorCancelsAndJoins) {
  CountingHandler handler(SIGUSR1, 0);
  int before = handler.count();
  {
    auto inj =
        SignalInjector::after(current_tid(), SIGUSR1, std::chrono::hours(1));
    ASSERT_THAT(inj, IsOk());
  }
  EXPECT_EQ(handler.count(), before);
}

TEST(SignalInjector, DeadlinePassesWithoutTheCall) {
  PipeReader reader;
  ASSERT_THAT(wait_until_blocked(0, reader.tid(), SYS_read, soon()), IsOk());
  auto inj = SignalInjector::when_blocked(reader.tid(), SYS_write, SIGUSR1,
                                          ipc::deadline_in(30ms));
  ASSERT_THAT(inj, IsOk());
  EXPECT_THAT(inj->join(), FailsWith(ETIMEDOUT));
  EXPECT_FALSE(inj->delivered());
  ASSERT_EQ(reader.write("x", 1), 1);
}

TEST(SignalInjector, ThreadThatExitsWithoutBlockingIsReported) {
  std::promise<void> go;
  auto go_future = go.get_future();
  Worker t([&] { go_future.wait(); });
  Cleanup release([&] { go.set_value(); });  // also when an assertion fails
  pid_t target = t.tid();
  auto inj = SignalInjector::when_blocked(target, SYS_read, SIGUSR1, soon());
  ASSERT_THAT(inj, IsOk());
  release.run();
  t.join();
  EXPECT_THAT(inj->join(), FailsWith(ESRCH));
  EXPECT_FALSE(inj->delivered());
}

TEST(SignalInjector, RejectsBadArguments) {
  auto bad_sig =
      SignalInjector::when_blocked(current_tid(), SYS_read, 0, soon());
  EXPECT_THAT(bad_sig, FailsWith(EINVAL));
  EXPECT_THAT(SignalInjector::after(current_tid(), NSIG, 1ms),
              FailsWith(EINVAL));
  auto no_thread =
      SignalInjector::when_blocked(2147483647, SYS_read, SIGUSR1, soon());
  ASSERT_THAT(no_thread, FailsWith(ESRCH));
  EXPECT_THAT(no_thread.error().message(),
              HasSubstr("when_blocked(tid=2147483647, SIGUSR1)"));
  EXPECT_THAT(SignalInjector::after(2147483647, SIGUSR1, 1ms),
              FailsWith(ESRCH));
}

TEST(SignalInjector, MovedInjectorKeepsItsHelper) {
  CountingHandler handler(SIGUSR1, 0);
  PipeReader reader;
  auto inj =
      SignalInjector::when_blocked(reader.tid(), SYS_read, SIGUSR1, soon());
  ASSERT_THAT(inj, IsOk());
  SignalInjector moved = std::move(*inj);
  EXPECT_THAT(inj->join(), FailsWith(EINVAL));  // moved-from
  EXPECT_FALSE(inj->delivered());
  ASSERT_THAT(moved.join(), IsOk());
  ASSERT_TRUE(moved.delivered());  // else the reader would never return
  reader.join();
  EXPECT_EQ(reader.error(), EINTR);
  // Move assignment over a live injector cancels and joins it first.
  auto a = SignalInjector::after(current_tid(), SIGUSR1, std::chrono::hours(1));
  ASSERT_THAT(a, IsOk());
  moved = std::move(*a);
  moved.cancel();
  EXPECT_THAT(moved.join(), FailsWith(ECANCELED));
}

}  // namespace
}  // namespace fault
