// fault/inprocess.h — in-process fault injection through the ipc::sys seam.
//
//   {
//     fault::ScopedFaultPlan faults("read:EINTR@2");
//     ... code under test calling ipc::sys::read ...
//     EXPECT_TRUE(faults.reached());
//     EXPECT_EQ(faults.count(fault::Call::read), 3u);
//   }  // the seam is back to what it was
//
// While a ScopedFaultPlan lives, every call the plan names goes through an
// interceptor in ipc::sys::table() that asks the Engine and then fails the call
// (-1, MAP_FAILED or (void*)-1 with errno; pthread_sigmask returns the error
// number), shortens its count, delays it, sends the calling thread a real
// signal with tgkill at entry, or passes it, and makes the real call through
// ipc::sys::libc(). Calls the plan does not name keep their table entry, so
// they cost nothing extra.
//
// signal= differs from strace's: the signal is sent just before the call, so
// its handler runs before the call starts and a call that then blocks is not
// interrupted by it (strace makes it pending inside the syscall). To interrupt
// a blocked call use SignalInjector::when_blocked (fault/signal_injector.h).
//
// Only ONE ScopedFaultPlan may exist at a time in a process (the seam is
// process-wide); creating a second aborts with a message. The injection
// machinery itself (sleep, tgkill, gettid) calls libc directly, never the seam.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fault/engine.h"
#include "fault/plan.h"

namespace fault {

class ScopedFaultPlan {
 public:
  // Installs `plan` into the seam. `log_capacity`: how many injected faults
  // log() keeps (later ones are only counted: injected(), "(N more not
  // logged)"). The log is allocated up front, so code that makes a plan per
  // iteration and reads few entries (a fuzz target) should ask for a small one.
  explicit ScopedFaultPlan(
      Plan plan, std::size_t log_capacity = Engine::kDefaultLogCapacity);
  // Parses and installs; aborts with the parse error if the text is invalid.
  // Meant for literal plans in tests; use parse_plan() for untrusted text.
  explicit ScopedFaultPlan(
      std::string_view plan_text,
      std::size_t log_capacity = Engine::kDefaultLogCapacity);
  // Restores the table entries it replaced, waiting for interceptors that are
  // still deciding.
  ~ScopedFaultPlan();
  ScopedFaultPlan(const ScopedFaultPlan&) = delete;
  ScopedFaultPlan& operator=(const ScopedFaultPlan&) = delete;

  const Plan& plan() const { return engine_->plan(); }
  const Engine& engine() const { return *engine_; }
  // Faults injected so far, oldest first, and the same as text (with the seed).
  std::vector<LogEntry> log() const { return engine_->log(); }
  std::string format_log() const { return engine_->format_log(); }
  // Calls of `call` seen by the interceptors (0 for calls the plan does not
  // name).
  std::uint64_t count(Call call) const { return engine_->calls(call); }
  std::uint64_t injected() const { return engine_->injected(); }
  // Whether some rule's trigger was reached (some fault, or pass, fired).
  bool reached() const { return engine_->reached(); }

 private:
  std::unique_ptr<Engine> engine_;
  ipc::sys::LibcTable saved_{};  // the table entries it replaced
};

}  // namespace fault
