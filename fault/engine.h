// fault/engine.h — decides, call by call, which fault of a Plan applies.
//
// The Engine is shared by every injection mechanism (the in-process seam, the
// LD_PRELOAD library): an interceptor asks decide(call, fd, size) and applies
// the Decision. It depends on nothing but the plan.
//
//   fault::Engine engine(*fault::parse_plan("read:EINTR@2"));
//   fault::Decision d = engine.decide(fault::Call::read, fd, n);
//   if (d.fired()) { int error = fault::apply_effect(d.effect, &n); ... }
//
// Counting: every rule that matches a call (call in its set, scopes satisfied)
// advances its own atomic 64-bit counter; the value after the increment is the
// call's ordinal for that rule. The first rule in plan order whose trigger
// selects its ordinal fires. Counters are per process (per thread for a rule
// with tid=, since only that thread's calls match it).
//
// Randomness: decisions are a pure function of (seed, rule index, ordinal), so
// a run replays exactly from the plan text and its seed, whatever the thread
// interleaving does to wall-clock order (fault::Draw, fault/effect.h). A p=
// trigger fires when (draw(0) >> 11) * 2^-53 < p; short=random draws from its
// own stream.
//
// Cost: decide() takes no lock and allocates nothing; for a call no rule names
// it is one load and one branch; for a call of one count rule that is not yet
// due, one increment and a compare (unlocked while single-threaded, see
// bump(); figures in docs/performance.md). Firing
// appends to a fixed-capacity log with an atomic index (entries beyond the
// capacity are counted, not stored). decide() is async-signal-safe; the
// accessors and format_log() are not.
#pragma once

#include <sys/single_threaded.h>
#include <sys/types.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fault/plan.h"

namespace fault {

// What the interceptor must do with one call. `rule < 0`: nothing fired, run
// the call unchanged. Otherwise `effect` is the rule's effect made concrete
// for this call (fault/effect.h: a short= holds the count to use); its apply()
// says what to do.
struct Decision {
  int rule = -1;
  std::uint64_t ordinal = 0;  // the call's ordinal for that rule
  Effect effect;
  bool fired() const { return rule >= 0; }
};

// One injected fault: together with the plan and its seed, the list of these is
// the run's schedule.
struct LogEntry {
  Call call = Call::read;
  int fd = -1;    // -1: the call has no descriptor (or fd unknown)
  pid_t tid = 0;  // kernel thread that made the call
  std::size_t requested =
      0;  // byte count asked for (read/write family), else 0
  Decision decision;
};

// "read #2 (rule 0, fd=3, tid=1234): EINTR"
std::string format_entry(const LogEntry& entry);

// Kernel thread id of the calling thread, cached per thread (reset in fork
// children).
pid_t cached_tid();

class Engine {
 public:
  static constexpr std::size_t kDefaultLogCapacity = 4096;

  explicit Engine(Plan plan, std::size_t log_capacity = kDefaultLogCapacity);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const Plan& plan() const { return plan_; }
  // Calls that at least one rule names (the only ones worth intercepting).
  CallSet armed_calls() const { return armed_; }
  bool armed(Call call) const { return (armed_ & call_bit(call)) != 0; }

  // Decides for one call. `fd` is -1 if the call has none; `size` is the byte
  // count of read/write/pread/pwrite (0 otherwise).
  Decision decide(Call call, int fd, std::size_t size) {
    std::uint64_t token = triage(call);
    return token == kNoFault ? Decision{} : decide_rest(call, fd, size, token);
  }

  // decide() in two halves, for interceptors whose path when nothing fires
  // must stay a few instructions with no local whose address escapes (so that
  // the real function is reached by a tail jump): triage() counts the call
  // and is inline for the two common cases, a call no rule names (one load,
  // one branch) and the call of a single unscoped count rule whose first due
  // ordinal is still ahead (one counter increment and a compare). It returns
  // kNoFault when nothing fires; otherwise decide_rest() with the same token
  // finishes the decision (it may still be that nothing fires).
  static constexpr std::uint64_t kNoFault = 0;
  std::uint64_t triage(Call call) {
    if (!armed(call)) return kNoFault;
    auto c = static_cast<std::size_t>(call);
    if (const Fast& f = fast_[c]; f.rule >= 0) {
      std::uint64_t k = bump(rule_counts_[static_cast<std::size_t>(f.rule)]);
      return k < f.first ? kNoFault : k;
    }
    return kGeneralPath;
  }
  Decision decide_rest(Call call, int fd, std::size_t size,
                       std::uint64_t token);

  // Forgets every count and logged fault, as a fresh Engine of the same plan
  // would: what an IPCFAULT_FORK=reset child needs. Not thread-safe: only
  // while no other thread can call decide() (a fork child's only thread).
  // Allocates nothing, so it may run in a pthread_atfork child handler.
  void reset_counts();

  // decide() for a call made by thread `tid` of another process (the seccomp
  // supervisor decides for the processes it watches): tid= scopes and the log
  // use `tid` instead of the calling thread. Always the general path.
  Decision decide_for(pid_t tid, Call call, int fd, std::size_t size) {
    if (!armed(call)) return Decision{};
    return decide_slow(call, fd, size, tid);
  }

  // A new engine with this one's plan, counters and log: what a fork child
  // inherits (the seccomp supervisor keeps one engine per process).
  std::unique_ptr<Engine> fork_copy() const;

  // How many calls of `call` decide() has seen; calls that no rule names are
  // not counted (they return before touching any counter).
  std::uint64_t calls(Call call) const;
  // How many calls rule `rule` has counted so far (its last ordinal).
  std::uint64_t rule_count(std::size_t rule) const;
  // Faults fired so far (log entries, including those beyond the capacity).
  std::uint64_t injected() const {
    return fired_.load(std::memory_order_acquire);
  }
  bool reached() const { return injected() > 0; }

  // Completed log entries in the order they were fired; at most the capacity.
  std::vector<LogEntry> log() const;
  std::uint64_t log_dropped() const;
  // "plan: <canonical plan>; seed=N\n", "injected: N\n", "calls: read=3
  // write=1\n" (the calls seen of each armed call, those seen at least
  // once), then one format_entry() line per entry.
  std::string format_log() const;

 private:
  struct Slot {
    std::atomic<bool> ready{false};
    LogEntry entry;
  };

  // triage()'s token for a call whose rules the general path must count and
  // decide (a fast rule's token is the call's ordinal, which cannot reach
  // 2^64 - 1 in practice).
  static constexpr std::uint64_t kGeneralPath = ~std::uint64_t{0};

  // A call named by exactly one rule, with no fd=/tid= scope and a count
  // trigger: its counter is the call count and nothing fires before `first`.
  struct Fast {
    int rule = -1;
    std::uint64_t first = 0;
  };

  // counter + 1, returning the new value. In a single-threaded process (glibc's
  // __libc_single_threaded) this is one unlocked x86 xadd: no other thread can
  // touch the counter and a signal handler cannot split one instruction, so
  // ordinals stay exact, for a fraction of a locked xadd's cost.
  // Once a thread is created the flag stays false and pthread_create orders
  // every earlier increment before the new thread's.
  static std::uint64_t bump(std::atomic<std::uint64_t>& counter) {
#if defined(__x86_64__)
    if (__libc_single_threaded) {
      std::uint64_t v = 1;
      static_assert(sizeof(counter) == sizeof(std::uint64_t));
      asm volatile("xaddq %0, %1" : "+r"(v), "+m"(counter) : : "memory");
      return v + 1;
    }
#endif
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  Decision decide_counted(Call call, int fd, std::size_t size,
                          std::uint64_t ordinal);
  // `tid` 0: the calling thread (cached_tid()).
  Decision decide_slow(Call call, int fd, std::size_t size, pid_t tid = 0);
  Decision fire(Call call, int fd, std::size_t size, std::size_t rule,
                std::uint64_t ordinal, pid_t tid = 0);
  bool rule_matches(const Rule& rule, int fd, pid_t tid) const;
  void record(const LogEntry& entry);

  Plan plan_;
  CallSet armed_ = 0;
  // Indices of the rules naming each call, in plan order.
  std::array<std::vector<std::size_t>, ipc::sys::kCallCount> rules_for_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> rule_counts_;
  // Calls of each kind seen while armed. If a rule names only that call and
  // has no fd/tid filter, its own count is the call count and call_counts_
  // is not touched (one atomic increment per call instead of two).
  std::array<int, ipc::sys::kCallCount> counted_by_rule_{};
  std::array<Fast, ipc::sys::kCallCount> fast_{};
  std::array<std::atomic<std::uint64_t>, ipc::sys::kCallCount> call_counts_{};
  std::size_t capacity_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> fired_{0};
};

}  // namespace fault
