// sanitizers/asan_selftest.cc — proves that --config=asan (and --config=fuzz)
// build with a live AddressSanitizer and LeakSanitizer, symbolized reports, and
// a static ASan runtime that lets an LD_PRELOAD shim come first. Skips under
// other configs; fails if the config's -fsanitize flags are missing.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sanitizers/selftest_util.h"

namespace sanitizers {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AsanSelfTest : public SanitizerSelfTest {
 protected:
  AsanSelfTest() : SanitizerSelfTest("asan", {"asan", "fuzz"}) {}
};

TEST_F(AsanSelfTest, HeapBufferOverflowIsReportedAndStopsTheProgram) {
  ChildRun run = RunBroken("heap_overflow", "16");
  EXPECT_TRUE(
      FailedWithReport(run, "ERROR: AddressSanitizer: heap-buffer-overflow"));
  EXPECT_THAT(run.output, HasSubstr("0 bytes to the right of 16-byte region"));
  EXPECT_THAT(run.output, Not(HasSubstr("snippet heap_overflow returned")));
}

TEST_F(AsanSelfTest, LeakIsReported) {
  ChildRun run = RunBroken("leak", "4242");
  EXPECT_TRUE(
      FailedWithReport(run, "ERROR: LeakSanitizer: detected memory leaks"));
  EXPECT_THAT(run.output,
              HasSubstr("Direct leak of 4242 byte(s) in 1 object(s)"));
}

// Without a symbolizer the frames read "(<binary>+0x...)" with no file:line.
TEST_F(AsanSelfTest, ReportNamesSourceFileAndLine) {
  ChildRun run = RunBroken("heap_overflow", "16");
  EXPECT_THAT(run.output, HasSubstr("heap_overflow"));
  EXPECT_THAT(run.output, HasSubstr("sanitizers/broken.cc:"));
}

// The way fault/ and conformance/ use LD_PRELOAD. With gcc's shared libasan
// the child dies with "ASan runtime does not come first in initial library
// list" (facts file 5.1); with -static-libasan the shim loads and ASan's pipe2
// interceptor forwards to the shim's pipe2, which fails with EDOM.
TEST_F(AsanSelfTest, PreloadShimIsReachedThroughTheInterceptor) {
  ChildRun shimmed;
  ASSERT_NO_FATAL_FAILURE(ExpectPreloadShimReached(&shimmed));
  EXPECT_THAT(shimmed.output, HasSubstr("snippet pipe2 returned 1"));
}

}  // namespace
}  // namespace sanitizers
