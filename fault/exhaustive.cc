// fault/exhaustive.cc — the fail-nth loop over ScopedFaultPlan.
#include "fault/exhaustive.h"

#include "fault/inprocess.h"
#include "fault/plan.h"
#include "gtest/gtest.h"

namespace fault {

int ForEachSingleFault(const std::string& rule_without_trigger,
                       const std::function<void(const std::string& plan)>& body,
                       int max_schedules) {
  auto parsed = parse_plan(rule_without_trigger);
  if (!parsed) {
    ADD_FAILURE() << "ForEachSingleFault: " << parsed.error().message();
    return 0;
  }
  Plan base = std::move(parsed).value();
  if (base.rules.size() != 1) {
    ADD_FAILURE() << "ForEachSingleFault: needs exactly one rule, got \""
                  << rule_without_trigger << "\"";
    return 0;
  }
  if (!base.rules[0].trigger.every_call()) {
    ADD_FAILURE()
        << "ForEachSingleFault: the rule must not have a trigger, got \""
        << rule_without_trigger << "\"";
    return 0;
  }
  const bool fatal_before = ::testing::Test::HasFatalFailure();
  for (int n = 1; n <= max_schedules; ++n) {
    Plan plan = base;
    plan.rules[0].trigger.first = plan.rules[0].trigger.last =
        static_cast<std::uint64_t>(n);
    std::string text = plan.to_string();
    SCOPED_TRACE(text);
    bool reached;
    {
      ScopedFaultPlan faults(std::move(plan));
      body(text);
      reached = faults.reached();
    }
    if (!reached || (!fatal_before && ::testing::Test::HasFatalFailure()))
      return n;
  }
  ADD_FAILURE() << "ForEachSingleFault: \"" << rule_without_trigger
                << "\" still reached its fault after " << max_schedules
                << " schedules";
  return max_schedules;
}

}  // namespace fault
