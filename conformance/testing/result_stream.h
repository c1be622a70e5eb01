// conformance/testing/result_stream.h — a GoogleTest listener that appends
// each test's start and result to a file as it happens, so that the report
// still knows which tests finished, and with what result, when the binary
// dies before writing --gtest_output (a crash, the per-test watchdog, a
// kill), and which test was running at that moment.
//
// Armed when $IPCT_RESULTS_STREAM names a file. One JSON object a line,
// each written with one write(2) on an O_APPEND descriptor:
//   {"event":"start","test":"Suite.Name"}
//   {"event":"end","test":"Suite.Name","result":"passed|failed|skipped",
//    "message":"file:line\nfailure…" or the skip reason,
//    "unchecked":"…" if the test noted checks it could not make}
// The report reads it with conformance::add_result_stream (verdict.h).
#pragma once

#include "gtest/gtest.h"

namespace conformance::testing {

// A listener to append to GoogleTest's listeners *before* any listener that
// may still fail a test in OnTestEnd (the leak listener), so that it sees
// those failures; nullptr if $IPCT_RESULTS_STREAM is unset or cannot be
// opened (then it says why on stderr).
::testing::TestEventListener* make_result_stream_from_env();

}  // namespace conformance::testing
