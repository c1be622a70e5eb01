// ipc/testing/testing_test.cc — the test toolbox checked against itself: the
// matchers say what they promise (errnos by name, matchers as arguments), a
// child's failed check reaches the parent with its expression, errno and
// line, and the scoped helpers undo what they did.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace ipc::testing {
namespace {

using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::DescribeMatcher;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::Matcher;
using ::testing::Not;
using ::testing::StartsWith;

// The explanation a matcher gives for `value`, with errno set to `err` first
// (the syscall matchers read errno when they match).
template <typename M, typename T>
std::string Explain(const M& m, T value, int err) {
  Matcher<T> matcher = m;
  ::testing::StringMatchResultListener listener;
  errno = err;
  bool matched = matcher.MatchAndExplain(value, &listener);
  return (matched ? "match: " : "no match: ") + listener.str();
}

// ---- errno names -----------------------------------------------------------

TEST(ErrnoName, NamesTheValue) {
  EXPECT_STREQ(ErrnoName(EAGAIN), "EAGAIN");
  EXPECT_STREQ(ErrnoName(EINTR), "EINTR");
  EXPECT_STREQ(ErrnoName(EHWPOISON), "EHWPOISON");
  EXPECT_EQ(ErrnoName(0), nullptr);
  EXPECT_EQ(ErrnoName(100000), nullptr);
  EXPECT_EQ(ErrnoString(EAGAIN), "EAGAIN (Resource temporarily unavailable)");
  EXPECT_THAT(ErrnoString(100000), StartsWith("errno 100000 ("));
}

// ---- syscall matchers ------------------------------------------------------

TEST(SyscallMatchers, FailsWithErrnoNamesBothErrnos) {
  auto m = SyscallFailsWithErrno(EAGAIN);
  EXPECT_EQ(DescribeMatcher<int>(m),
            "fails with EAGAIN (Resource temporarily unavailable)");
  EXPECT_EQ(Explain(m, -1, EINTR),
            "no match: failed with EINTR (Interrupted system call)");
  EXPECT_EQ(Explain(m, 3, 0), "no match: succeeded with 3");
  EXPECT_THAT(Explain(m, -1, EAGAIN), StartsWith("match: "));
}

TEST(SyscallMatchers, FailsWithErrnoTakesAMatcher) {
  auto m = SyscallFailsWithErrno(AnyOf(EINVAL, ENOENT));
  EXPECT_EQ(DescribeMatcher<long>(m),
            "fails with an errno that (is equal to EINVAL) or (is equal to "
            "ENOENT)");
  EXPECT_THAT(Explain(m, -1L, ENOENT), StartsWith("match: "));
  EXPECT_THAT(Explain(m, -1L, EINVAL), StartsWith("match: "));
  EXPECT_EQ(Explain(m, -1L, EPERM),
            "no match: failed with EPERM (Operation not permitted)");
}

TEST(SyscallMatchers, SucceedsNamesTheErrnoOfAFailure) {
  auto m = SyscallSucceeds();
  EXPECT_EQ(DescribeMatcher<int>(m), "succeeds");
  EXPECT_EQ(Explain(m, -1, EBADF),
            "no match: failed with EBADF (Bad file descriptor)");
  EXPECT_THAT(Explain(m, 0, EBADF), StartsWith("match: "));
}

TEST(SyscallMatchers, SucceedsWithValueTakesAValueOrAMatcher) {
  auto five = SyscallSucceedsWithValue(5);
  EXPECT_EQ(DescribeMatcher<ssize_t>(five),
            "succeeds with a value that is equal to 5");
  EXPECT_THAT(Explain(five, ssize_t{5}, 0), StartsWith("match: "));
  EXPECT_EQ(Explain(five, ssize_t{4}, 0), "no match: succeeded with 4");
  EXPECT_EQ(Explain(five, ssize_t{-1}, EPIPE),
            "no match: failed with EPIPE (Broken pipe)");

  // An unsigned value against a signed result (s.size() against write(2)).
  std::string s = "abc";
  EXPECT_THAT(Explain(SyscallSucceedsWithValue(s.size()), ssize_t{3}, 0),
              StartsWith("match: "));

  auto positive = SyscallSucceedsWithValue(Gt(0));
  EXPECT_EQ(DescribeMatcher<int>(positive),
            "succeeds with a value that is > 0");
  EXPECT_THAT(Explain(positive, 7, 0), StartsWith("match: "));
  EXPECT_EQ(Explain(positive, 0, 0), "no match: succeeded with 0");
}

TEST(SyscallMatchers, PointerResultsFailWithMinusOne) {
  void* failed = reinterpret_cast<void*>(-1);
  int x = 0;
  EXPECT_EQ(Explain(SyscallSucceeds(), failed, EACCES),
            "no match: failed with EACCES (Permission denied)");
  EXPECT_THAT(Explain(SyscallSucceeds(), static_cast<void*>(&x), 0),
              StartsWith("match: "));
  EXPECT_THAT(Explain(SyscallFailsWithErrno(EINVAL), failed, EINVAL),
              StartsWith("match: "));
}

TEST(SyscallMatchers, WorkOnARealCall) {
  EXPECT_THAT(::close(-1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::close(-1), Not(SyscallSucceeds()));
  EXPECT_THAT(::getpid(), SyscallSucceedsWithValue(Gt(0)));
}

// ---- Result matchers -------------------------------------------------------

TEST(ResultMatchers, FailsWithNamesTheErrno) {
  Result<int> err = Error(EAGAIN, "msgsnd", "qid=3");
  Result<int> ok = 4;
  auto m = FailsWith(EAGAIN);
  EXPECT_EQ(DescribeMatcher<Result<int>>(m),
            "is an error with EAGAIN (Resource temporarily unavailable)");
  EXPECT_THAT(err, m);
  EXPECT_THAT(err, FailsWith(AnyOf(EAGAIN, EINTR)));
  EXPECT_THAT(err, Not(FailsWith(EINTR)));
  EXPECT_THAT(ok, Not(m));
  ::testing::StringMatchResultListener listener;
  Matcher<Result<int>>(FailsWith(EINTR)).MatchAndExplain(err, &listener);
  EXPECT_THAT(listener.str(), HasSubstr("[EAGAIN]"));
  EXPECT_THAT(ok, IsOk());
  EXPECT_THAT(err, Not(IsOk()));
}

// ---- children --------------------------------------------------------------

TEST(Child, ExitsZeroWhenEveryCheckHolds) {
  ChildResult r = RunInChild([] {
    TEST_CHECK(1 + 1 == 2);
    TEST_CHECK_SUCCESS(::getpid());
    TEST_CHECK_ERRNO(::close(-1), EBADF);
  });
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.report, "");
  EXPECT_CHILD_OK(RunInChild([] {}));
}

TEST(Child, AFailedCheckReportsExpressionAndLine) {
  int line = __LINE__ + 1;
  ChildResult r = RunInChild([] { TEST_CHECK(2 + 2 == 5); });
  EXPECT_TRUE(r.exited_with(1)) << r.describe();
  EXPECT_EQ(r.report, std::string(__FILE__) + ":" + std::to_string(line) +
                          ": TEST_CHECK(2 + 2 == 5) failed");
  EXPECT_EQ(r.describe(), "exited 1: " + r.report);
}

TEST(Child, CheckErrnoReportsWhatTheCallDid) {
  ChildResult wrong = RunInChild([] { TEST_CHECK_ERRNO(::close(-1), EINTR); });
  EXPECT_THAT(wrong.report,
              HasSubstr("TEST_CHECK_ERRNO(::close(-1), EINTR) failed: "
                        "returned -1, EBADF"));
  ChildResult succeeded =
      RunInChild([] { TEST_CHECK_ERRNO(::dup(0) < 0 ? -1 : 3, EBADF); });
  EXPECT_THAT(succeeded.report, HasSubstr("failed: returned 3"));
  EXPECT_THAT(succeeded.report, Not(HasSubstr("EBADF\n")));
}

TEST(Child, PcheckAndSuccessNameErrno) {
  ChildResult p = RunInChild([] {
    errno = EACCES;
    TEST_PCHECK(false);
  });
  EXPECT_THAT(p.report, HasSubstr("TEST_PCHECK(false) failed: EACCES"));
  ChildResult s = RunInChild([] { TEST_CHECK_SUCCESS(::close(-1)); });
  EXPECT_THAT(s.report,
              HasSubstr("TEST_CHECK_SUCCESS(::close(-1)) failed: EBADF"));
  ChildResult m = RunInChild([] { TEST_CHECK_MSG(false, "the reason"); });
  EXPECT_THAT(m.report, HasSubstr("TEST_CHECK(false) failed: the reason"));
  ChildResult f = RunInChild([] { TEST_FAIL("must not get here"); });
  EXPECT_THAT(f.report, HasSubstr("TEST_FAIL failed: must not get here"));
}

TEST(Child, SkipSaysWhyAndWhere) {
  ChildResult r = RunInChild([] {
    CHILD_SKIP_UNLESS(::close(-1) == 0, "no such thing here");
    TEST_FAIL("after a skip");
  });
  EXPECT_TRUE(r.could_not_set_up()) << r.describe();
  EXPECT_THAT(r.report, StartsWith("no such thing here: EBADF ("));
  EXPECT_THAT(r.report, HasSubstr(__FILE__));
}

TEST(Child, IntBodiesExitWithTheirValue) {
  EXPECT_THAT(RunInChild([] { return 7; }), ChildExitedWith(7));
  EXPECT_THAT(RunInChild([] { ::raise(SIGKILL); }), ChildKilledBy(SIGKILL));
}

TEST(Child, AnUncaughtExceptionIsReported) {
  ChildResult r = RunInChild([] { throw std::runtime_error("boom"); });
  EXPECT_TRUE(r.exited_with(1)) << r.describe();
  EXPECT_EQ(r.report, "uncaught exception: boom");
}

TEST(Child, AHangingChildIsKilledAfterItsPatience) {
  RawPipe never;
  ChildResult r = RunInChild(
      [&] {
        char c;
        (void)::read(never.read.get(), &c, 1);
      },
      std::chrono::milliseconds(50));
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.describe(), StartsWith("still running after 50 ms"));
}

TEST(Child, NotWaitedForIsKilledAndReaped) {
  RawPipe never;
  pid_t pid;
  {
    Child c([&] {
      char c;
      (void)::read(never.read.get(), &c, 1);
    });
    pid = c.pid();
    ASSERT_GT(pid, 0);
  }
  EXPECT_THAT(::kill(pid, 0), SyscallFailsWithErrno(ESRCH));
}

TEST(Child, ExpectChildOkFailsWithTheReport) {
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::
            INTERCEPT_ONLY_CURRENT_THREAD,
        &failures);
    EXPECT_CHILD_OK(RunInChild([] { TEST_CHECK(false); })) << "context";
  }
  ASSERT_EQ(failures.size(), 1);
  EXPECT_THAT(failures.GetTestPartResult(0).message(),
              AllOf(HasSubstr("child exited 1: "),
                    HasSubstr("TEST_CHECK(false) failed\ncontext")));
}

TEST(ChildDeathTest, ACheckInTheTestProcessAborts) {
  // "threadsafe" re-runs the binary for the death test, so the dying process
  // is a test process, not a forked copy of one.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(TEST_CHECK(false),
               "TEST_CHECK\\(false\\) failed \\[a child's check failed in the "
               "test process itself\\]");
}

// ---- cleanup, retry, signals -----------------------------------------------

TEST(Cleanup, RunsAtScopeEndOnceAndNotWhenReleased) {
  int runs = 0;
  {
    Cleanup c([&] { ++runs; });
  }
  EXPECT_EQ(runs, 1);
  {
    Cleanup c([&] { ++runs; });
    c.run();
    EXPECT_EQ(runs, 2);
  }
  EXPECT_EQ(runs, 2);
  {
    Cleanup c([&] { ++runs; });
    c.release();
  }
  EXPECT_EQ(runs, 2);
  {
    Cleanup a([&] { ++runs; });
    Cleanup b = std::move(a);
  }
  EXPECT_EQ(runs, 3);
}

TEST(RetryEintr, RetriesOnlyEintr) {
  int calls = 0;
  auto flaky = [&calls](int fail_times, int err) {
    if (calls++ < fail_times) {
      errno = err;
      return -1;
    }
    return 5;
  };
  EXPECT_EQ(RetryEINTR(flaky)(3, EINTR), 5);
  EXPECT_EQ(calls, 4);
  calls = 0;
  errno = 0;
  EXPECT_EQ(RetryEINTR(flaky)(1, EAGAIN), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(RetryEINTR(::close)(-1), SyscallFailsWithErrno(EBADF));
}

void Nop(int) {}

TEST(ScopedSigaction, RestoresThePreviousAction) {
  struct sigaction before;
  ASSERT_THAT(::sigaction(SIGUSR2, nullptr, &before), SyscallSucceeds());
  {
    ScopedSigaction on(SIGUSR2, Nop, SA_RESTART);
    ASSERT_TRUE(on.ok());
    struct sigaction now;
    ASSERT_THAT(::sigaction(SIGUSR2, nullptr, &now), SyscallSucceeds());
    EXPECT_EQ(now.sa_handler, Nop);
    EXPECT_TRUE(now.sa_flags & SA_RESTART);
    {
      ScopedSigaction keep(SIGUSR2);
      ScopedSigaction ignore(SIGUSR2, SIG_IGN);
    }
    ASSERT_THAT(::sigaction(SIGUSR2, nullptr, &now), SyscallSucceeds());
    EXPECT_EQ(now.sa_handler, Nop);
  }
  struct sigaction after;
  ASSERT_THAT(::sigaction(SIGUSR2, nullptr, &after), SyscallSucceeds());
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

TEST(CountingHandler, CountsDeliveries) {
  CountingHandler h(SIGUSR2);
  EXPECT_EQ(h.count(), 0);
  ASSERT_THAT(::raise(SIGUSR2), SyscallSucceeds());
  ASSERT_THAT(::raise(SIGUSR2), SyscallSucceeds());
  EXPECT_EQ(h.count(), 2);
}

TEST(ScopedBlock, BlocksThenUnblocks) {
  CountingHandler h(SIGUSR2);
  {
    ScopedBlock block(SIGUSR2);
    ASSERT_THAT(::raise(SIGUSR2), SyscallSucceeds());
    EXPECT_EQ(h.count(), 0);
    EXPECT_TRUE(SignalPending(SIGUSR2));
    EXPECT_TRUE(ConsumePending(SIGUSR2));
    EXPECT_FALSE(SignalPending(SIGUSR2));
    ASSERT_THAT(::raise(SIGUSR2), SyscallSucceeds());
  }
  EXPECT_EQ(h.count(), 1);
}

}  // namespace
}  // namespace ipc::testing
