// fault/engine.cc — counters, triggers, the seeded draw and the fault log.
#include "fault/engine.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace fault {
namespace {

constexpr std::uint64_t kTriggerStream = 0;  // Draw stream of p= triggers

thread_local pid_t t_tid = 0;

// A fork child's only thread has a new tid: forget the cached one.
void forget_tid() { t_tid = 0; }
[[maybe_unused]] const int g_atfork =
    ::pthread_atfork(nullptr, nullptr, &forget_tid);

}  // namespace

pid_t cached_tid() {
  if (t_tid == 0) t_tid = static_cast<pid_t>(::syscall(SYS_gettid));
  return t_tid;
}

std::string format_entry(const LogEntry& e) {
  const Decision& d = e.decision;
  std::string out = std::string(ipc::sys::call_name(e.call)) + " #" +
                    std::to_string(d.ordinal) + " (rule " +
                    std::to_string(d.rule);
  if (e.fd >= 0) out += ", fd=" + std::to_string(e.fd);
  out += ", tid=" + std::to_string(e.tid) + "): ";
  return out + describe_effect(d.effect, e.requested);
}

Engine::Engine(Plan plan, std::size_t log_capacity)
    : plan_(std::move(plan)),
      rule_counts_(new std::atomic<std::uint64_t>[plan_.rules.size()]),
      capacity_(log_capacity),
      slots_(new Slot[log_capacity]) {
  counted_by_rule_.fill(-1);
  for (std::size_t r = 0; r < plan_.rules.size(); ++r) {
    rule_counts_[r].store(0, std::memory_order_relaxed);
    const Rule& rule = plan_.rules[r];
    for (std::size_t c = 0; c < ipc::sys::kCallCount; ++c) {
      bool only_c =
          rule.calls == call_bit(static_cast<Call>(c)) && !rule.fd && !rule.tid;
      if (only_c && counted_by_rule_[c] < 0)
        counted_by_rule_[c] = static_cast<int>(r);
    }
    armed_ |= plan_.rules[r].calls;
    for (std::size_t c = 0; c < ipc::sys::kCallCount; ++c) {
      if (plan_.rules[r].names(static_cast<Call>(c)))
        rules_for_[c].push_back(r);
    }
  }
  for (std::size_t c = 0; c < ipc::sys::kCallCount; ++c) {
    if (rules_for_[c].size() != 1 || counted_by_rule_[c] < 0) continue;
    const Rule& rule =
        plan_.rules[static_cast<std::size_t>(counted_by_rule_[c])];
    if (rule.trigger.probability) continue;
    fast_[c] = Fast{counted_by_rule_[c], rule.trigger.first};
  }
}

void Engine::reset_counts() {
  for (std::size_t r = 0; r < plan_.rules.size(); ++r)
    rule_counts_[r].store(0, std::memory_order_relaxed);
  for (auto& count : call_counts_) count.store(0, std::memory_order_relaxed);
  std::uint64_t used = std::min<std::uint64_t>(
      fired_.load(std::memory_order_relaxed), capacity_);
  for (std::uint64_t i = 0; i < used; ++i)
    slots_[i].ready.store(false, std::memory_order_relaxed);
  fired_.store(0, std::memory_order_release);
}

bool Engine::rule_matches(const Rule& rule, int fd, pid_t tid) const {
  if (rule.fd && *rule.fd != fd) return false;
  if (rule.tid && *rule.tid != (tid != 0 ? tid : cached_tid())) return false;
  return true;
}

Decision Engine::decide_rest(Call call, int fd, std::size_t size,
                             std::uint64_t token) {
  return token == kGeneralPath ? decide_slow(call, fd, size)
                               : decide_counted(call, fd, size, token);
}

// The fast path's slow end: the single rule's ordinal k is due or past due.
Decision Engine::decide_counted(Call call, int fd, std::size_t size,
                                std::uint64_t k) {
  auto r = static_cast<std::size_t>(fast_[static_cast<std::size_t>(call)].rule);
  if (!plan_.rules[r].trigger.selects(k)) return Decision{};
  return fire(call, fd, size, r, k);
}

Decision Engine::fire(Call call, int fd, std::size_t size, std::size_t r,
                      std::uint64_t k, pid_t tid) {
  Decision d;
  d.rule = static_cast<int>(r);
  d.ordinal = k;
  d.effect = decide_effect(plan_.rules[r].effect, Draw{plan_.seed, r, k}, size);
  LogEntry e;
  e.call = call;
  e.fd = fd;
  e.tid = tid != 0 ? tid : cached_tid();
  e.requested = size;
  e.decision = d;
  record(e);
  return d;
}

Decision Engine::decide_slow(Call call, int fd, std::size_t size, pid_t tid) {
  auto c = static_cast<std::size_t>(call);
  if (counted_by_rule_[c] < 0) bump(call_counts_[c]);
  // Every matching rule counts the call, even after an earlier one fired, so
  // that each rule's ordinals do not depend on the other rules.
  int fired_rule = -1;
  std::uint64_t fired_k = 0;
  for (std::size_t r : rules_for_[c]) {
    const Rule& rule = plan_.rules[r];
    if (!rule_matches(rule, fd, tid)) continue;
    std::uint64_t k = bump(rule_counts_[r]);
    if (fired_rule >= 0) continue;
    bool due;
    if (rule.trigger.probability) {
      std::uint64_t x = Draw{plan_.seed, r, k}(kTriggerStream);
      due = static_cast<double>(x >> 11) * 0x1p-53 < *rule.trigger.probability;
    } else {
      due = rule.trigger.selects(k);
    }
    if (due) {
      fired_rule = static_cast<int>(r);
      fired_k = k;
    }
  }
  if (fired_rule < 0) return Decision{};
  return fire(call, fd, size, static_cast<std::size_t>(fired_rule), fired_k,
              tid);
}

std::unique_ptr<Engine> Engine::fork_copy() const {
  auto copy = std::make_unique<Engine>(plan_, capacity_);
  for (std::size_t r = 0; r < plan_.rules.size(); ++r) {
    copy->rule_counts_[r].store(rule_counts_[r].load(std::memory_order_relaxed),
                                std::memory_order_relaxed);
  }
  for (std::size_t c = 0; c < ipc::sys::kCallCount; ++c) {
    copy->call_counts_[c].store(call_counts_[c].load(std::memory_order_relaxed),
                                std::memory_order_relaxed);
  }
  std::uint64_t n = injected();
  for (std::uint64_t i = 0; i < std::min<std::uint64_t>(n, capacity_); ++i) {
    if (!slots_[i].ready.load(std::memory_order_acquire)) continue;
    copy->slots_[i].entry = slots_[i].entry;
    copy->slots_[i].ready.store(true, std::memory_order_relaxed);
  }
  copy->fired_.store(n, std::memory_order_release);
  return copy;
}

void Engine::record(const LogEntry& entry) {
  std::uint64_t i = fired_.fetch_add(1, std::memory_order_acq_rel);
  if (i >= capacity_) return;
  slots_[i].entry = entry;
  slots_[i].ready.store(true, std::memory_order_release);
}

std::uint64_t Engine::calls(Call call) const {
  auto c = static_cast<std::size_t>(call);
  if (c >= ipc::sys::kCallCount) return 0;
  int r = counted_by_rule_[c];
  return r >= 0 ? rule_counts_[static_cast<std::size_t>(r)].load(
                      std::memory_order_relaxed)
                : call_counts_[c].load(std::memory_order_relaxed);
}

std::uint64_t Engine::rule_count(std::size_t rule) const {
  return rule < plan_.rules.size()
             ? rule_counts_[rule].load(std::memory_order_relaxed)
             : 0;
}

std::vector<LogEntry> Engine::log() const {
  std::vector<LogEntry> out;
  std::uint64_t n = std::min<std::uint64_t>(injected(), capacity_);
  for (std::uint64_t i = 0; i < n; ++i) {
    if (slots_[i].ready.load(std::memory_order_acquire))
      out.push_back(slots_[i].entry);
  }
  return out;
}

std::uint64_t Engine::log_dropped() const {
  std::uint64_t n = injected();
  return n > capacity_ ? n - capacity_ : 0;
}

std::string Engine::format_log() const {
  // The seed once, in the plan (its canonical form leaves out seed=0).
  std::string plan = plan_.to_string();
  if (plan_.seed == 0)
    plan += (plan.empty() ? "" : "; ") + std::string("seed=0");
  std::string out = "plan: " + plan +
                    "\ninjected: " + std::to_string(injected()) + "\ncalls:";
  for (std::size_t c = 0; c < ipc::sys::kCallCount; ++c) {
    auto call = static_cast<Call>(c);
    if (std::uint64_t n = armed(call) ? calls(call) : 0; n > 0)
      out += std::string(" ") + ipc::sys::call_name(call) + "=" +
             std::to_string(n);
  }
  out += "\n";
  for (const LogEntry& e : log()) out += format_entry(e) + "\n";
  if (std::uint64_t dropped = log_dropped()) {
    out += "(" + std::to_string(dropped) + " more not logged)\n";
  }
  return out;
}

}  // namespace fault
