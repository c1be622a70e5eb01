// sanitizers/tsan_selftest.cc — proves that --config=tsan builds with a live
// ThreadSanitizer that reports a data race, symbolized, and stops at it. Skips
// under other configs; fails if the config's -fsanitize flags are missing. The
// race runs in a freshly exec'd child, so TSan's die_after_fork never applies.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sanitizers/selftest_util.h"

namespace sanitizers {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TsanSelfTest : public SanitizerSelfTest {
 protected:
  TsanSelfTest() : SanitizerSelfTest("tsan", {"tsan"}) {}
};

TEST_F(TsanSelfTest, DataRaceIsReportedAndStopsTheProgram) {
  ChildRun run = RunBroken("data_race", "1000");
  EXPECT_TRUE(FailedWithReport(run, "WARNING: ThreadSanitizer: data race"));
  // halt_on_error=1 in the config: the first report ends the program.
  EXPECT_THAT(run.output, Not(HasSubstr("snippet data_race returned")));
}

TEST_F(TsanSelfTest, ReportNamesSourceFileAndLine) {
  ChildRun run = RunBroken("data_race", "1000");
  EXPECT_THAT(run.output, HasSubstr("sanitizers/broken.cc:"));
}

// Fault-injection shims must work under TSan too: the shim loads and its
// pipe2 is reached (through TSan's interceptor with the static runtime).
TEST_F(TsanSelfTest, PreloadShimIsReached) {
  ChildRun shimmed;
  ExpectPreloadShimReached(&shimmed);
}

}  // namespace
}  // namespace sanitizers
