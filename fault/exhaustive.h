// fault/exhaustive.h — exhaustive single-fault exploration for GoogleTest.
//
// syzkaller's fail-nth loop, in-process: run the body with the fault on the
// 1st matching call, then on the 2nd, ... until a run completes without
// reaching it.
//
//   TEST(Pipe, WriteFullSurvivesShortWrites) {
//     int runs = fault::ForEachSingleFault("write:short=1", [&](const std::string& plan) {
//       ... fresh pipe, write_full, read back, EXPECT the exact bytes ...
//     });
//     EXPECT_GT(runs, 1);
//   }
//
// The rule is one rule without a trigger (scopes and a "; seed=N" are fine):
// "read:EINTR", "io:EAGAIN,fd=5", "write:short=random; seed=7". Each run is
// wrapped in SCOPED_TRACE("<rule>@<n>") so a failure names its schedule, and
// runs under a ScopedFaultPlan installed by ForEachSingleFault (the body must
// not install another). Stops early after a fatal failure in the body. It is a
// test failure if the rule is invalid, already has a trigger, or still reaches
// the fault after `max_schedules` runs.
#pragma once

#include <functional>
#include <string>

namespace fault {

// Returns the number of runs (schedules) made, including the last one that did
// not reach the fault; 0 if the rule was rejected.
int ForEachSingleFault(const std::string& rule_without_trigger,
                       const std::function<void(const std::string& plan)>& body,
                       int max_schedules = 10000);

}  // namespace fault
