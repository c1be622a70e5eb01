// fault/plan.cc — parser and canonical printer of the fault plan language.
#include "fault/plan.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "fault/plan_text.h"

namespace fault {
namespace {

struct Group {
  const char* name;
  CallSet calls;
};

// Printed in this order when folding a call set back into names.
const Group kGroups[] = {
    {"io", call_bit(Call::read) | call_bit(Call::write) |
               call_bit(Call::pread) | call_bit(Call::pwrite)},
    {"msg", call_bit(Call::msgget) | call_bit(Call::msgsnd) |
                call_bit(Call::msgrcv) | call_bit(Call::msgctl)},
    {"shm", call_bit(Call::shmget) | call_bit(Call::shmat) |
                call_bit(Call::shmdt) | call_bit(Call::shmctl) |
                call_bit(Call::shm_open) | call_bit(Call::shm_unlink) |
                call_bit(Call::ftruncate) | call_bit(Call::mmap) |
                call_bit(Call::munmap)},
    {"sig", call_bit(Call::sigaction) | call_bit(Call::pthread_sigmask) |
                call_bit(Call::sigtimedwait)},
    {"sem", call_bit(Call::semget) | call_bit(Call::semop) |
                call_bit(Call::semtimedop) | call_bit(Call::semctl) |
                call_bit(Call::sem_open) | call_bit(Call::sem_close) |
                call_bit(Call::sem_unlink) | call_bit(Call::sem_init) |
                call_bit(Call::sem_destroy) | call_bit(Call::sem_wait) |
                call_bit(Call::sem_trywait) | call_bit(Call::sem_timedwait) |
                call_bit(Call::sem_post) | call_bit(Call::sem_getvalue)},
};

class Parser {
 public:
  explicit Parser(std::string_view text) : t_(text) {}

  ipc::Result<Plan> parse() {
    Plan plan;
    bool have_seed = false;
    for (;;) {
      t_.skip_blanks();
      if (t_.at_end()) break;
      if (t_.eat(';')) continue;  // empty rule
      if (t_.starts_with("seed=")) {
        std::size_t col = t_.pos();
        if (have_seed) return t_.fail(col, "seed given twice");
        t_.skip(5);
        auto n = t_.number("seed");
        if (!n) return std::move(n).error();
        plan.seed = *n;
        have_seed = true;
      } else {
        auto rule = parse_rule();
        if (!rule) return std::move(rule).error();
        plan.rules.push_back(*rule);
      }
      t_.skip_blanks();
      if (t_.at_end()) break;
      if (!t_.eat(';'))
        return t_.fail(t_.pos(), "expected ';' or end of plan, found " +
                                     t_.token_at(t_.pos()));
    }
    return plan;
  }

 private:
  ipc::Result<Rule> parse_rule() {
    Rule rule;
    // calls
    for (;;) {
      t_.skip_blanks();
      std::size_t col = t_.pos();
      std::string_view name = t_.word();
      if (name.empty())
        return t_.fail(col, "expected a call name, found " + t_.token_at(col));
      CallSet set = 0;
      if (name == "all") set = kAllCalls;
      for (const Group& g : kGroups) {
        if (name == g.name) set = g.calls;
      }
      if (set == 0) set = call_named(name);
      if (set == 0)
        return t_.fail(col, "unknown call " + cli::quote(name, t_.kTokenBytes));
      rule.calls |= set;
      t_.skip_blanks();
      if (!t_.eat('|')) break;
    }
    if (!t_.eat(':'))
      return t_.fail(t_.pos(), "expected ':' after the call names, found " +
                                   t_.token_at(t_.pos()));
    // effect
    t_.skip_blanks();
    std::size_t effect_col = t_.pos();
    std::string_view word = t_.word();
    auto effect = parse_effect(t_, word, effect_col);
    if (!effect) return std::move(effect).error();
    rule.effect = *effect;
    for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
      Call c = static_cast<Call>(i);
      if (rule.names(c) && !effect_applies_to(rule.effect, c)) {
        return t_.fail(effect_col, effect_restriction(rule.effect) + ", not " +
                                       ipc::sys::call_name(c));
      }
    }
    // trigger
    t_.skip_blanks();
    if (t_.eat('@')) {
      auto trigger = parse_trigger();
      if (!trigger) return std::move(trigger).error();
      rule.trigger = *trigger;
    }
    // scopes
    for (;;) {
      t_.skip_blanks();
      if (!t_.eat(',')) break;
      t_.skip_blanks();
      std::size_t col = t_.pos();
      std::string_view key = t_.word();
      if (key != "fd" && key != "tid") {
        return t_.fail(
            col, "expected a scope 'fd=' or 'tid=', found " + t_.token_at(col));
      }
      if (!t_.eat('='))
        return t_.fail(t_.pos(),
                       "expected '=' after '" + std::string(key) + "'");
      std::size_t value_col = t_.pos();
      auto n = t_.number(key == "fd" ? "fd" : "tid");
      if (!n) return std::move(n).error();
      if (key == "fd") {
        if (rule.fd) return t_.fail(col, "fd= given twice");
        if (*n > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
          return t_.fail(value_col, "fd out of range");
        }
        if ((rule.calls & fd_calls()) == 0) {
          return t_.fail(col,
                         "fd= applies only to calls that take a descriptor");
        }
        rule.fd = static_cast<int>(*n);
      } else {
        if (rule.tid) return t_.fail(col, "tid= given twice");
        if (*n == 0 || *n > static_cast<std::uint64_t>(
                                std::numeric_limits<pid_t>::max())) {
          return t_.fail(value_col, "tid out of range");
        }
        rule.tid = static_cast<pid_t>(*n);
      }
    }
    return rule;
  }

  ipc::Result<Trigger> parse_trigger() {
    t_.skip_blanks();
    Trigger t;
    std::size_t col = t_.pos();
    if (t_.starts_with("p=")) {
      t_.skip(2);
      std::size_t value_col = t_.pos();
      std::string_view rest = t_.rest();
      double p = 0;
      auto [end, ec] =
          std::from_chars(rest.data(), rest.data() + rest.size(), p);
      if (ec != std::errc() || !std::isfinite(p) || p < 0 || p > 1) {
        return t_.fail(value_col,
                       "p= needs a probability between 0 and 1, found " +
                           t_.token_at(value_col));
      }
      t_.skip(static_cast<std::size_t>(end - rest.data()));
      t.probability = p;
      return t;
    }
    auto first = t_.number("trigger");
    if (!first) return std::move(first).error();
    if (*first == 0) return t_.fail(col, "calls are counted from 1");
    t.first = t.last = *first;
    bool range = false;
    if (t_.starts_with("..")) {
      range = true;
      t_.skip(2);
      std::size_t last_col = t_.pos();
      auto last = t_.number("trigger");
      if (!last) return std::move(last).error();
      if (*last < *first)
        return t_.fail(last_col, "range end is before its start");
      t.last = *last;
    }
    if (t_.eat('+')) {
      if (!range) t.last = kForever;
      if (t_.at_digit()) {
        std::size_t step_col = t_.pos();
        auto step = t_.number("step");
        if (!step) return std::move(step).error();
        if (*step == 0) return t_.fail(step_col, "step must be at least 1");
        t.step = *step;
      }
    }
    if (t.first == t.last) t.step = 1;  // a single call: the step is irrelevant
    return t;
  }

  static CallSet fd_calls() {
    CallSet s = 0;
    for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
      if (call_takes_fd(static_cast<Call>(i)))
        s |= call_bit(static_cast<Call>(i));
    }
    return s;
  }

  // The call named `name`, as a one-call set; 0 if there is none.
  static CallSet call_named(std::string_view name) {
    for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
      if (name == ipc::sys::call_name(static_cast<Call>(i)))
        return call_bit(static_cast<Call>(i));
    }
    return 0;
  }

  PlanText t_;
};

}  // namespace

ipc::Result<Plan> parse_plan(std::string_view text) {
  return Parser(text).parse();
}

std::string calls_to_string(CallSet calls) {
  if (calls == kAllCalls) return "all";
  std::string out;
  auto add = [&out](const char* name) {
    if (!out.empty()) out += '|';
    out += name;
  };
  for (const Group& g : kGroups) {
    if ((calls & g.calls) == g.calls) {
      add(g.name);
      calls &= ~g.calls;
    }
  }
  for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
    if (calls & call_bit(static_cast<Call>(i)))
      add(ipc::sys::call_name(static_cast<Call>(i)));
  }
  return out;
}

std::string trigger_to_string(const Trigger& t) {
  if (t.probability) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf,
                           *t.probability);  // shortest round-trip form
    return "p=" + std::string(buf, r.ptr);
  }
  if (t.every_call()) return "";
  std::string out = std::to_string(t.first);
  if (t.last == t.first) return out;
  if (t.last == kForever) {
    out += '+';
    if (t.step != 1) out += std::to_string(t.step);
    return out;
  }
  out += ".." + std::to_string(t.last);
  if (t.step != 1) out += "+" + std::to_string(t.step);
  return out;
}

std::string Plan::to_string() const {
  std::string out;
  for (const Rule& r : rules) {
    if (!out.empty()) out += "; ";
    out += calls_to_string(r.calls) + ":" + effect_to_string(r.effect);
    std::string trigger = trigger_to_string(r.trigger);
    if (!trigger.empty()) out += "@" + trigger;
    if (r.fd) out += ",fd=" + std::to_string(*r.fd);
    if (r.tid) out += ",tid=" + std::to_string(*r.tid);
  }
  if (seed != 0)
    out +=
        (out.empty() ? "" : "; ") + std::string("seed=") + std::to_string(seed);
  return out;
}

}  // namespace fault
