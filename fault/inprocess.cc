// fault/inprocess.cc — seam interceptors that apply the Engine's decisions.
#include "fault/inprocess.h"

#include <sched.h>
#include <sys/single_threaded.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "fault/apply.h"

namespace fault {
namespace {

namespace sys = ipc::sys;

std::atomic<bool> g_installed{false};
std::atomic<Engine*> g_engine{nullptr};
// Interceptors between reading g_engine and finishing decide(); the destructor
// waits for 0 before freeing the engine. (seq_cst on both sides: see
// ~ScopedFaultPlan.)
std::atomic<int> g_deciding{0};

// Asks the engine about one call and applies every effect except failing
// and interrupt= (fault/apply.h).
// Returns the errno to fail with, or 0 to make the call; *interrupt is the
// signal of an interrupt= decision, or 0.
// In a single-threaded process (glibc's __libc_single_threaded) the count is
// skipped: the destructor runs on the one thread, so no interceptor can be
// deciding at the same time, and the two seq_cst read-modify-writes were most
// of an armed call's cost (bench/seam_bench).
int before_call(Call call, int fd, std::size_t* size, int* interrupt) {
  const bool track = !__libc_single_threaded;
  if (track) g_deciding.fetch_add(1);
  Engine* engine = g_engine.load();
  Decision d = engine != nullptr
                   ? engine->decide(call, fd, size != nullptr ? *size : 0)
                   : Decision{};
  if (track) g_deciding.fetch_sub(1);
  *interrupt = interrupt_signal(d);
  return apply_before_call(d, size);
}

// intercept_read(fd, buf, n), intercept_write(...), ...: one per seam call.
#define FAULT_INTERCEPTOR(name, ret, params, args)                    \
  ret intercept_##name params {                                       \
    auto a = std::tie args;                                           \
    int interrupt = 0;                                                \
    int error = before_call(Call::name, fd_of<Call::name>(a),         \
                            size_of<Call::name>(a), &interrupt);      \
    if (error != 0) return failure_value<ret>(Call::name, error);     \
    if (interrupt != 0)                                               \
      return call_interrupted(Call::name, interrupt,                  \
                              [&] { return sys::libc().name args; }); \
    return sys::libc().name args;                                     \
  }
IPC_SYS_CALLS(FAULT_INTERCEPTOR)
#undef FAULT_INTERCEPTOR

void install(Engine* engine, sys::LibcTable* saved) {
  g_engine.store(engine);
  CallSet armed = engine->armed_calls();
#define FAULT_INSTALL(name, ret, params, args) \
  saved->name = sys::table().name.load();      \
  if (armed & call_bit(Call::name)) sys::table().name.store(&intercept_##name);
  IPC_SYS_CALLS(FAULT_INSTALL)
#undef FAULT_INSTALL
}

void uninstall(const sys::LibcTable& saved) {
#define FAULT_RESTORE(name, ret, params, args) \
  sys::table().name.store(saved.name);
  IPC_SYS_CALLS(FAULT_RESTORE)
#undef FAULT_RESTORE
}

Plan parse_or_die(std::string_view text) {
  auto plan = parse_plan(text);
  if (!plan) {
    std::fprintf(stderr, "ScopedFaultPlan: %s\n",
                 plan.error().message().c_str());
    std::abort();
  }
  return std::move(plan).value();
}

}  // namespace

ScopedFaultPlan::ScopedFaultPlan(Plan plan, std::size_t log_capacity)
    : engine_(std::make_unique<Engine>(std::move(plan), log_capacity)) {
  if (g_installed.exchange(true)) {
    std::fprintf(stderr,
                 "ScopedFaultPlan: only one ScopedFaultPlan may exist at a "
                 "time (the seam is "
                 "process-wide); another one is still installed\n");
    std::abort();
  }
  install(engine_.get(), &saved_);
}

ScopedFaultPlan::ScopedFaultPlan(std::string_view plan_text,
                                 std::size_t log_capacity)
    : ScopedFaultPlan(parse_or_die(plan_text), log_capacity) {}

ScopedFaultPlan::~ScopedFaultPlan() {
  uninstall(saved_);
  // An interceptor that read a non-null engine incremented g_deciding before
  // that read; so once we have stored nullptr, g_deciding == 0 means no one can
  // still be using the engine.
  g_engine.store(nullptr);
  while (g_deciding.load() != 0) ::sched_yield();
  g_installed.store(false);
}

}  // namespace fault
