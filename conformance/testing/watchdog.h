// conformance/testing/watchdog.h — a per-test time limit for conformance
// binaries, so that an OS which makes a test hang (a write that never
// completes, a wake-up that never comes) costs one test, not the whole run.
//
// Armed only when $IPCT_TEST_TIMEOUT is a positive number of seconds (the
// report sets it). A test still running after that long makes the binary print
//   [ipct] watchdog: Suite.Name still running after N s
// on stderr and _exit(kWatchdogExit); the report then runs the suite's tests
// one at a time to judge the others. The watchdog thread blocks every signal,
// so process-directed signals still reach the test's threads.
#pragma once

#include "gtest/gtest.h"

namespace conformance::testing {

inline constexpr int kWatchdogExit = 124;

// A listener to append to GoogleTest's listeners, or nullptr if
// $IPCT_TEST_TIMEOUT is unset or 0. Any other value but a decimal number of
// seconds (cli/number.h) ends the program with status 2 and says why.
::testing::TestEventListener* make_watchdog_from_env();

}  // namespace conformance::testing
