// sanitizers/ubsan_selftest.cc — proves that --config=ubsan (and --config=fuzz)
// build with a live UndefinedBehaviorSanitizer whose first report ends the
// program (no recovery), so UB in any test fails that test. Skips under other
// configs; fails if the config's -fsanitize flags are missing.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sanitizers/selftest_util.h"

namespace sanitizers {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class UbsanSelfTest : public SanitizerSelfTest {
 protected:
  UbsanSelfTest() : SanitizerSelfTest("ubsan", {"ubsan", "fuzz"}) {}
};

TEST_F(UbsanSelfTest, SignedIntegerOverflowIsReportedAndStopsTheProgram) {
  ChildRun run = RunBroken("signed_overflow", "2147483647");
  EXPECT_TRUE(FailedWithReport(run, "runtime error: signed integer overflow"));
  EXPECT_THAT(run.output,
              HasSubstr("2147483647 + 1 cannot be represented in type 'int'"));
  EXPECT_THAT(run.output, Not(HasSubstr("snippet signed_overflow returned")));
}

TEST_F(UbsanSelfTest, OversizedShiftIsReportedAndStopsTheProgram) {
  ChildRun run = RunBroken("shift", "40");
  EXPECT_TRUE(
      FailedWithReport(run, "runtime error: shift exponent 40 is too large"));
  EXPECT_THAT(run.output, Not(HasSubstr("snippet shift returned")));
}

TEST_F(UbsanSelfTest, MisalignedLoadIsReportedAndStopsTheProgram) {
  ChildRun run = RunBroken("misaligned", "1");
  EXPECT_TRUE(
      FailedWithReport(run, "runtime error: load of misaligned address"));
  EXPECT_THAT(run.output, Not(HasSubstr("snippet misaligned returned")));
}

}  // namespace
}  // namespace sanitizers
