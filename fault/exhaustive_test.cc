// fault/exhaustive_test.cc — ForEachSingleFault: how many schedules it runs,
// how failures are named, and ipc::write_full/read_full under every
// single-fault schedule of EINTR, short writes, EAGAIN and hard errors.
#include "fault/exhaustive.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/sys.h"
#include "ipc/testing/test_util.h"

namespace fault {
namespace {

namespace sys = ipc::sys;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::RawPipe;
using ::testing::HasSubstr;

// Makes `n` reads of one byte through the seam from a pipe holding n bytes.
void read_n_bytes(int n) {
  RawPipe p;
  std::string data(static_cast<std::size_t>(n), 'x');
  ASSERT_EQ(::write(p.write.get(), data.data(), data.size()), n);
  for (int i = 0; i < n; ++i) {
    char c;
    while (sys::read(p.read.get(), &c, 1) != 1) {
    }
  }
}

TEST(ForEachSingleFault, RunsUntilTheFaultIsNoLongerReached) {
  std::vector<std::string> plans;
  int runs = ForEachSingleFault("read:EINTR", [&](const std::string& plan) {
    plans.push_back(plan);
    read_n_bytes(3);
  });
  // Schedules @1..@3 each hit one of the 3 reads (+1 retry); @4 is not reached.
  EXPECT_EQ(runs, 4);
  EXPECT_EQ(plans, (std::vector<std::string>{"read:EINTR@1", "read:EINTR@2",
                                             "read:EINTR@3", "read:EINTR@4"}));
}

TEST(ForEachSingleFault, KeepsScopesAndSeed) {
  std::vector<std::string> plans;
  int runs = ForEachSingleFault(
      "write:short=random,fd=999; seed=5",
      [&](const std::string& plan) { plans.push_back(plan); });
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(plans,
            (std::vector<std::string>{"write:short=random@1,fd=999; seed=5"}));
}

TEST(ForEachSingleFault, BodyThatNeverReachesTheFaultRunsOnce) {
  int calls = 0;
  EXPECT_EQ(
      ForEachSingleFault("msgsnd:EAGAIN", [&](const std::string&) { ++calls; }),
      1);
  EXPECT_EQ(calls, 1);
}

// Runs `f` with GoogleTest failures captured instead of reported; returns
// their messages.
template <typename F>
std::vector<std::string> capture_failures(F f) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::
            INTERCEPT_ONLY_CURRENT_THREAD,
        &results);
    f();
  }
  std::vector<std::string> messages;
  for (int i = 0; i < results.size(); ++i)
    messages.push_back(results.GetTestPartResult(i).message());
  return messages;
}

TEST(ForEachSingleFault, FailureInsideTheBodyNamesItsSchedule) {
  auto results = capture_failures([] {
    ForEachSingleFault("read:EINTR", [](const std::string& plan) {
      read_n_bytes(3);
      EXPECT_NE(plan, "read:EINTR@2") << "planted failure";
    });
  });
  ASSERT_EQ(results.size(), 1u);
  EXPECT_THAT(results[0], HasSubstr("planted failure"));
  EXPECT_THAT(results[0], HasSubstr("read:EINTR@2"));
}

TEST(ForEachSingleFault, RejectedRulesAreTestFailures) {
  struct Case {
    const char* rule;
    const char* error;
  };
  for (const Case& c : {Case{"reed:EINTR", "unknown call 'reed'"},
                        Case{"read:EINTR@2", "must not have a trigger"},
                        Case{"read:EINTR; write:EIO", "needs exactly one rule"},
                        Case{"seed=3", "needs exactly one rule"}}) {
    SCOPED_TRACE(c.rule);
    int runs = -1;
    bool body_ran = false;
    auto results = capture_failures([&] {
      runs = ForEachSingleFault(c.rule,
                                [&](const std::string&) { body_ran = true; });
    });
    EXPECT_EQ(runs, 0);
    EXPECT_FALSE(body_ran);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_THAT(results[0], HasSubstr(c.error));
  }
}

TEST(ForEachSingleFault, GivesUpAfterMaxSchedules) {
  int runs = 0;
  auto results = capture_failures([&] {
    runs = ForEachSingleFault(
        "read:EINTR", [](const std::string&) { read_n_bytes(10); }, 3);
  });
  EXPECT_EQ(runs, 3);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_THAT(results[0],
              HasSubstr("still reached its fault after 3 schedules"));
}

TEST(ForEachSingleFault, StopsAfterAFatalFailureInTheBody) {
  // In a child, so that the planted fatal failure is never reported here; the
  // exit code is the number of schedules run.
  int status = ipc::testing::RunInChild([] {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(
        listeners.default_result_printer());  // keep the log clean
    return ForEachSingleFault("read:EINTR", [](const std::string& plan) {
      read_n_bytes(5);
      if (plan == "read:EINTR@3") FAIL() << "planted";
    });
  });
  ASSERT_TRUE(WIFEXITED(status)) << ipc::testing::DescribeWaitStatus(status);
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

// ---- the IPC layer under every single fault --------------------------------

const std::vector<std::string> kMessages = {
    "a", "hello", std::string(300, 'z'), "", std::string(5000, 'q'), "end"};

std::string expected_stream(std::size_t messages) {
  std::string all;
  for (std::size_t i = 0; i < messages; ++i) all += kMessages[i];
  return all;
}

// Writes every message with write_full, then reads the stream back with one
// read_full. Checks: success with exactly the bytes written, or failure with
// `expected_error` (0 = none may fail) and nothing lost before it.
void transfer_all(int expected_error) {
  RawPipe p;
  std::size_t written = 0;
  for (const std::string& m : kMessages) {
    auto n = ipc::write_full(p.write.get(), ipc::as_bytes(m));
    if (!n.ok()) {
      ASSERT_NE(expected_error, 0) << n.error().message();
      EXPECT_EQ(n.error().code(), expected_error) << n.error().message();
      EXPECT_EQ(n.error().transferred(),
                0u);  // the first write failed: nothing went
      break;
    }
    EXPECT_EQ(*n, m.size());
    ++written;
  }
  std::string want = expected_stream(written);
  std::string got(want.size(), '\0');
  auto n = ipc::read_full(
      p.read.get(), std::as_writable_bytes(std::span(got.data(), got.size())));
  if (!n.ok()) {
    ASSERT_NE(expected_error, 0) << n.error().message();
    EXPECT_EQ(n.error().code(), expected_error) << n.error().message();
    return;
  }
  EXPECT_EQ(*n, want.size());
  EXPECT_TRUE(got == want) << "bytes lost, duplicated or reordered";
}

TEST(SingleFaultIo, ReadEintrIsRetried) {
  int runs = ForEachSingleFault("read:EINTR",
                                [](const std::string&) { transfer_all(0); });
  EXPECT_EQ(
      runs,
      2);  // one read_full of the whole stream: one read, then not reached
}

TEST(SingleFaultIo, ReadShortCountsAreCompleted) {
  int runs = ForEachSingleFault("read:short=1",
                                [](const std::string&) { transfer_all(0); });
  EXPECT_EQ(runs, 2);
}

TEST(SingleFaultIo, WriteShortCountsAreCompleted) {
  // Six write_full calls, one write each: schedules @1..@6 hit one, @7 none.
  int runs = ForEachSingleFault("write:short=1",
                                [](const std::string&) { transfer_all(0); });
  EXPECT_EQ(runs, 7);
}

TEST(SingleFaultIo, WriteRandomShortCountsAreCompleted) {
  int runs = ForEachSingleFault("write:short=random; seed=99",
                                [](const std::string&) { transfer_all(0); });
  EXPECT_EQ(runs, 7);
}

TEST(SingleFaultIo, ReadEagainIsWaitedOut) {
  int runs = ForEachSingleFault("read:EAGAIN",
                                [](const std::string&) { transfer_all(0); });
  EXPECT_EQ(runs, 2);
}

TEST(SingleFaultIo, IoEintrAnywhereIsRetried) {
  int runs = ForEachSingleFault("io:EINTR",
                                [](const std::string&) { transfer_all(0); });
  EXPECT_EQ(runs, 8);  // 6 writes + 1 read
}

TEST(SingleFaultIo, HardWriteErrorSurfacesWithNothingLost) {
  int runs = ForEachSingleFault(
      "write:ENOSPC", [](const std::string&) { transfer_all(ENOSPC); });
  EXPECT_EQ(runs, 7);
}

TEST(SingleFaultIo, HardReadErrorSurfaces) {
  int runs = ForEachSingleFault("read:EIO",
                                [](const std::string&) { transfer_all(EIO); });
  EXPECT_EQ(runs, 2);
}

// A writer thread pushes 256 KiB (four times the pipe buffer) while this
// thread reads: many partial reads, each a schedule.
void threaded_transfer() {
  RawPipe p;
  std::string data(256 * 1024, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 7 + i / 251);
  ipc::Result<std::size_t> wrote = std::size_t{0};
  std::thread writer([&] {
    wrote = ipc::write_full(p.write.get(), ipc::as_bytes(data));
    p.write.reset();
  });
  std::string got(data.size(), '\0');
  auto n = ipc::read_full(
      p.read.get(), std::as_writable_bytes(std::span(got.data(), got.size())));
  writer.join();
  ASSERT_THAT(wrote, IsOk());
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, data.size());
  EXPECT_TRUE(got == data) << "bytes lost, duplicated or reordered";
}

TEST(SingleFaultIo, ThreadedTransferUnderEintrAndShortCounts) {
  EXPECT_GE(ForEachSingleFault("io:EINTR",
                               [](const std::string&) { threaded_transfer(); }),
            3);
  EXPECT_GE(ForEachSingleFault("io:short=half",
                               [](const std::string&) { threaded_transfer(); }),
            3);
  EXPECT_GE(ForEachSingleFault("read:EAGAIN",
                               [](const std::string&) { threaded_transfer(); }),
            2);
}

}  // namespace
}  // namespace fault
