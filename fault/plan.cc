// fault/plan.cc — parser and canonical printer of the fault plan language.
#include "fault/plan.h"

#include <signal.h>
#include <string.h>

#include <cctype>
#include <charconv>
#include <cmath>

namespace fault {
namespace {

struct Group {
  const char* name;
  CallSet calls;
};

// Printed in this order when folding a call set back into names.
const Group kGroups[] = {
    {"io", call_bit(Call::read) | call_bit(Call::write) | call_bit(Call::pread) |
               call_bit(Call::pwrite)},
    {"msg", call_bit(Call::msgget) | call_bit(Call::msgsnd) | call_bit(Call::msgrcv) |
                call_bit(Call::msgctl)},
    {"shm", call_bit(Call::shmget) | call_bit(Call::shmat) | call_bit(Call::shmdt) |
                call_bit(Call::shmctl) | call_bit(Call::shm_open) | call_bit(Call::shm_unlink) |
                call_bit(Call::ftruncate) | call_bit(Call::mmap) | call_bit(Call::munmap)},
    {"sig", call_bit(Call::sigaction) | call_bit(Call::pthread_sigmask) |
                call_bit(Call::sigtimedwait)},
};

// Names that strerrorname_np/sigabbrev_np do not return for their number.
struct Alias {
  const char* name;
  int value;
};
const Alias kErrnoAliases[] = {{"EWOULDBLOCK", EWOULDBLOCK}, {"EDEADLOCK", EDEADLOCK},
                               {"ENOTSUP", ENOTSUP}};

constexpr int kMaxErrno = 4095;  // the kernel's -MAX_ERRNO

bool errno_from_name(std::string_view name, int* out) {
  for (const Alias& a : kErrnoAliases) {
    if (name == a.name) return (*out = a.value), true;
  }
  for (int e = 1; e <= kMaxErrno; ++e) {
    const char* n = ::strerrorname_np(e);
    if (n != nullptr && name == n) return (*out = e), true;
  }
  return false;
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  ipc::Result<Plan> parse() {
    Plan plan;
    bool have_seed = false;
    for (;;) {
      skip_blanks();
      if (at_end()) break;
      if (peek() == ';') {  // empty rule
        ++pos_;
        continue;
      }
      if (s_.substr(pos_, 5) == "seed=") {
        std::size_t col = pos_;
        if (have_seed) return fail(col, "seed given twice");
        pos_ += 5;
        auto n = number("seed");
        if (!n) return std::move(n).error();
        plan.seed = *n;
        have_seed = true;
      } else {
        auto rule = parse_rule();
        if (!rule) return std::move(rule).error();
        plan.rules.push_back(*rule);
      }
      skip_blanks();
      if (at_end()) break;
      if (peek() != ';') return fail(pos_, "expected ';' or end of plan, found " + token_at(pos_));
      ++pos_;
    }
    return plan;
  }

 private:
  ipc::Result<Rule> parse_rule() {
    Rule rule;
    // calls
    for (;;) {
      skip_blanks();
      std::size_t col = pos_;
      std::string_view name = word();
      if (name.empty()) return fail(col, "expected a call name, found " + token_at(col));
      CallSet set = 0;
      if (name == "all") set = kAllCalls;
      for (const Group& g : kGroups) {
        if (name == g.name) set = g.calls;
      }
      if (set == 0) set = call_named(name);
      if (set == 0) return fail(col, "unknown call '" + std::string(name) + "'");
      rule.calls |= set;
      skip_blanks();
      if (!eat('|')) break;
    }
    if (!eat(':')) return fail(pos_, "expected ':' after the call names, found " + token_at(pos_));
    // effect
    skip_blanks();
    std::size_t effect_col = pos_;
    auto effect = parse_effect();
    if (!effect) return std::move(effect).error();
    rule.effect = *effect;
    if (rule.effect.kind == EffectKind::kShort) {
      for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
        Call c = static_cast<Call>(i);
        if (rule.names(c) && !call_can_short(c)) {
          return fail(effect_col, std::string("short= applies only to read/write/pread/pwrite, not ") +
                                      ipc::sys::call_name(c));
        }
      }
    }
    // trigger
    skip_blanks();
    if (eat('@')) {
      auto trigger = parse_trigger();
      if (!trigger) return std::move(trigger).error();
      rule.trigger = *trigger;
    }
    // scopes
    for (;;) {
      skip_blanks();
      if (!eat(',')) break;
      skip_blanks();
      std::size_t col = pos_;
      std::string_view key = word();
      if (key != "fd" && key != "tid") {
        return fail(col, "expected a scope 'fd=' or 'tid=', found " + token_at(col));
      }
      if (!eat('=')) return fail(pos_, "expected '=' after '" + std::string(key) + "'");
      std::size_t value_col = pos_;
      auto n = number(key == "fd" ? "fd" : "tid");
      if (!n) return std::move(n).error();
      if (key == "fd") {
        if (rule.fd) return fail(col, "fd= given twice");
        if (*n > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
          return fail(value_col, "fd out of range");
        }
        if ((rule.calls & fd_calls()) == 0) {
          return fail(col, "fd= applies only to calls that take a descriptor");
        }
        rule.fd = static_cast<int>(*n);
      } else {
        if (rule.tid) return fail(col, "tid= given twice");
        if (*n == 0 || *n > static_cast<std::uint64_t>(std::numeric_limits<pid_t>::max())) {
          return fail(value_col, "tid out of range");
        }
        rule.tid = static_cast<pid_t>(*n);
      }
    }
    return rule;
  }

  ipc::Result<Effect> parse_effect() {
    std::size_t col = pos_;
    std::string_view name = word();
    Effect e;
    if (name == "pass") {
      e.kind = EffectKind::kPass;
    } else if (name == "short") {
      if (!eat('=')) return fail(pos_, "expected '=' after 'short'");
      e.kind = EffectKind::kShort;
      std::size_t value_col = pos_;
      if (at_digit()) {
        auto n = number("short");
        if (!n) return std::move(n).error();
        if (*n == 0) return fail(value_col, "short= needs a count of at least 1");
        e.short_mode = ShortMode::kAtMost;
        e.short_max = *n;
      } else {
        std::string_view mode = word();
        if (mode == "half") {
          e.short_mode = ShortMode::kHalf;
        } else if (mode == "random") {
          e.short_mode = ShortMode::kRandom;
        } else {
          return fail(value_col, "short= takes a count, 'half' or 'random', found " +
                                     token_at(value_col));
        }
      }
    } else if (name == "delay") {
      if (!eat('=')) return fail(pos_, "expected '=' after 'delay'");
      std::size_t value_col = pos_;
      auto n = number("delay");
      if (!n) return std::move(n).error();
      std::size_t unit_col = pos_;
      std::string_view unit = word();
      std::uint64_t scale = unit == "ns" ? 1 : unit == "us" ? 1000 : unit == "ms" ? 1000000
                          : unit == "s"  ? 1000000000
                                         : 0;
      if (scale == 0) return fail(unit_col, "delay needs a unit ns, us, ms or s, found " + token_at(unit_col));
      if (*n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / scale) {
        return fail(value_col, "delay out of range");
      }
      e.kind = EffectKind::kDelay;
      e.delay_ns = static_cast<std::int64_t>(*n * scale);
    } else if (name == "signal") {
      if (!eat('=')) return fail(pos_, "expected '=' after 'signal'");
      auto sig = parse_signal();
      if (!sig) return std::move(sig).error();
      e.kind = EffectKind::kSignal;
      e.signo = *sig;
    } else if (!name.empty() && name[0] == 'E') {
      if (!errno_from_name(name, &e.error)) return fail(col, "unknown errno '" + std::string(name) + "'");
      e.kind = EffectKind::kErrno;
    } else {
      return fail(col, "unknown effect " + token_at(col) +
                           " (expected an errno name, short=, delay=, signal= or pass)");
    }
    return e;
  }

  ipc::Result<int> parse_signal() {
    std::size_t col = pos_;
    std::string_view name = word();
    if (name == "SIGRTMIN" || name == "SIGRTMAX") {
      bool min = name == "SIGRTMIN";
      int base = min ? SIGRTMIN : SIGRTMAX;
      std::int64_t off = 0;
      if (peek() == '+' || peek() == '-') {
        bool plus = s_[pos_++] == '+';
        if (plus != min) return fail(pos_ - 1, "write SIGRTMIN+N or SIGRTMAX-N");
        auto n = number("signal offset");
        if (!n) return std::move(n).error();
        if (*n > static_cast<std::uint64_t>(SIGRTMAX - SIGRTMIN)) {
          return fail(col, "real-time signal out of range (SIGRTMIN..SIGRTMAX)");
        }
        off = plus ? static_cast<std::int64_t>(*n) : -static_cast<std::int64_t>(*n);
      }
      return static_cast<int>(base + off);
    }
    if (name.size() > 3 && name.substr(0, 3) == "SIG") {
      for (int s = 1; s < SIGRTMIN; ++s) {
        const char* abbrev = ::sigabbrev_np(s);
        if (abbrev != nullptr && name.substr(3) == abbrev) return s;
      }
    }
    return fail(col, "unknown signal " + token_at(col));
  }

  ipc::Result<Trigger> parse_trigger() {
    skip_blanks();
    Trigger t;
    std::size_t col = pos_;
    if (s_.substr(pos_, 2) == "p=") {
      pos_ += 2;
      std::size_t value_col = pos_;
      double p = 0;
      auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), p);
      if (ec != std::errc() || !std::isfinite(p) || p < 0 || p > 1) {
        return fail(value_col, "p= needs a probability between 0 and 1, found " + token_at(value_col));
      }
      pos_ = static_cast<std::size_t>(end - s_.data());
      t.probability = p;
      return t;
    }
    auto first = number("trigger");
    if (!first) return std::move(first).error();
    if (*first == 0) return fail(col, "calls are counted from 1");
    t.first = t.last = *first;
    bool range = false;
    if (s_.substr(pos_, 2) == "..") {
      range = true;
      pos_ += 2;
      std::size_t last_col = pos_;
      auto last = number("trigger");
      if (!last) return std::move(last).error();
      if (*last < *first) return fail(last_col, "range end is before its start");
      t.last = *last;
    }
    if (eat('+')) {
      if (!range) t.last = kForever;
      if (at_digit()) {
        std::size_t step_col = pos_;
        auto step = number("step");
        if (!step) return std::move(step).error();
        if (*step == 0) return fail(step_col, "step must be at least 1");
        t.step = *step;
      }
    }
    if (t.first == t.last) t.step = 1;  // a single call: the step is irrelevant
    return t;
  }

  // Unsigned decimal number, 64-bit.
  ipc::Result<std::uint64_t> number(const char* what) {
    std::size_t col = pos_;
    if (!at_digit()) return fail(col, std::string("expected a number for ") + what + ", found " + token_at(col));
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), v);
    pos_ = static_cast<std::size_t>(end - s_.data());
    if (ec != std::errc()) {
      while (at_digit()) ++pos_;
      return fail(col, std::string(what) + " number out of range");
    }
    return v;
  }

  static CallSet fd_calls() {
    CallSet s = 0;
    for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
      if (call_takes_fd(static_cast<Call>(i))) s |= call_bit(static_cast<Call>(i));
    }
    return s;
  }

  // The word at pos_ (a view into the text: no allocation per token).
  std::string_view word() {
    std::size_t start = pos_;
    while (!at_end() && is_word_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  // The call named `name`, as a one-call set; 0 if there is none.
  static CallSet call_named(std::string_view name) {
    for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
      if (name == ipc::sys::call_name(static_cast<Call>(i))) return call_bit(static_cast<Call>(i));
    }
    return 0;
  }

  // The token starting at `col`, quoted, for messages; "end of plan" at the end.
  std::string token_at(std::size_t col) const {
    if (col >= s_.size()) return "end of plan";
    std::size_t end = col;
    while (end < s_.size() && is_word_char(s_[end])) ++end;
    if (end == col) end = col + 1;
    return "'" + std::string(s_.substr(col, end - col)) + "'";
  }

  ipc::Error fail(std::size_t col, const std::string& what) const {
    std::string shown(s_.substr(0, 80));
    if (s_.size() > 80) shown += "...";
    return ipc::Error(EINVAL, "parse_plan", "\"" + shown + "\"",
                      what + " at column " + std::to_string(col + 1));
  }

  void skip_blanks() {
    while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  bool eat(char c) {
    if (at_end() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  bool at_digit() const { return !at_end() && s_[pos_] >= '0' && s_[pos_] <= '9'; }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

ipc::Result<Plan> parse_plan(std::string_view text) { return Parser(text).parse(); }

std::string errno_name(int error) {
  const char* n = error > 0 ? ::strerrorname_np(error) : nullptr;
  return n != nullptr ? n : "errno " + std::to_string(error);
}

std::string signal_name(int signo) {
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    return signo == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(signo - SIGRTMIN);
  }
  const char* abbrev = signo > 0 ? ::sigabbrev_np(signo) : nullptr;
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signo);
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
    if (calls & call_bit(static_cast<Call>(i))) add(ipc::sys::call_name(static_cast<Call>(i)));
  }
  return out;
}

std::string effect_to_string(const Effect& e) {
  switch (e.kind) {
    case EffectKind::kPass:
      return "pass";
    case EffectKind::kErrno:
      return errno_name(e.error);
    case EffectKind::kShort:
      switch (e.short_mode) {
        case ShortMode::kAtMost:
          return "short=" + std::to_string(e.short_max);
        case ShortMode::kHalf:
          return "short=half";
        case ShortMode::kRandom:
          return "short=random";
      }
      break;
    case EffectKind::kDelay: {
      // The largest unit that divides the delay exactly.
      static const struct { std::int64_t ns; const char* unit; } kUnits[] = {
          {1000000000, "s"}, {1000000, "ms"}, {1000, "us"}, {1, "ns"}};
      for (const auto& u : kUnits) {
        if (e.delay_ns % u.ns == 0 && (e.delay_ns != 0 || u.ns == 1)) {
          return "delay=" + std::to_string(e.delay_ns / u.ns) + u.unit;
        }
      }
      break;
    }
    case EffectKind::kSignal:
      return "signal=" + signal_name(e.signo);
  }
  return "?";
}

std::string trigger_to_string(const Trigger& t) {
  if (t.probability) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, *t.probability);  // shortest round-trip form
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
  if (seed != 0) out += (out.empty() ? "" : "; ") + std::string("seed=") + std::to_string(seed);
  return out;
}

}  // namespace fault
