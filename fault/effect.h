// fault/effect.h — the fault effects: what happens to a call a rule selects.
//
// One struct per effect, and everything about the effect is in it:
//   kSyntax            how the usage and parse errors name it ("short=")
//   accepts(word)      whether the word that starts an effect is its own
//   parse(text, word, col)  its value, read after that word ("=half")
//   print(out)         its canonical text: parse(print(e)) == e
//   applies_to(call)   whether a rule naming `call` may have it
//   decide(draw, n)    the effect made concrete for one call of n bytes
//                      (short=half and short=random become a count)
//   describe(n, out)   a decided effect as the fault log shows it
//   apply(size)        what an interceptor does before the real call: the
//                      errno to fail with without making it, or 0 to make it
//                      (with *size, the byte count, possibly reduced)
//   arbitrary(choose)  a valid value from a fuzzer's choices (property tests)
//
// `Effect` is the variant of them all; the EffectType concept below makes the
// compiler check that each has every member. The parser, the printer, the
// engine, the interceptors and the fuzz target go through the variant (its
// alternatives in turn, or std::visit), never through a list of their own: a
// new effect is one struct here with its definitions in effect.cc, its entry
// in `Effect`, its case in the seccomp supervisor's apply() (which does not
// compile without it), and its tests (docs/architecture.md, "Where new work
// goes").
#pragma once

#include <signal.h>
#include <string.h>
#include <sys/types.h>

#include <cerrno>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "ipc/result.h"
#include "ipc/sys.h"

namespace fault {

using ipc::sys::Call;
class PlanText;  // fault/plan_text.h

// The seeded randomness of one decision: a pure function of the plan's seed,
// the rule's index, the call's ordinal for that rule and a stream number
// (0: the p= trigger; each effect that draws has a stream of its own).
//   draw(stream) = sm(sm(sm(seed ^ stream) ^ rule) ^ ordinal)
// where sm is splitmix64's finaliser applied after adding its golden gamma
// (0x9e3779b97f4a7c15).
struct Draw {
  std::uint64_t seed = 0;
  std::uint64_t rule = 0;
  std::uint64_t ordinal = 0;
  std::uint64_t operator()(std::uint64_t stream) const;
};

// pass: make the call unchanged (the rule counts as reached, and shadows the
// rules after it for that call).
struct PassEffect {
  static constexpr std::string_view kSyntax = "pass";
  static bool accepts(std::string_view word) { return word == "pass"; }
  static ipc::Result<PassEffect> parse(PlanText&, std::string_view,
                                       std::size_t) {
    return PassEffect{};
  }
  void print(std::string& out) const { out += "pass"; }
  static constexpr bool applies_to(Call) { return true; }
  PassEffect decide(const Draw&, std::size_t) const { return *this; }
  void describe(std::size_t, std::string& out) const { out += "pass"; }
  int apply(std::size_t*) const { return 0; }
  template <typename Choices>
  static PassEffect arbitrary(Choices&) {
    return {};
  }
  bool operator==(const PassEffect&) const = default;
};

// EINTR, EAGAIN, ...: fail with that errno without making the call.
struct ErrnoEffect {
  static constexpr std::string_view kSyntax = "an errno name";
  int error = 0;

  static bool accepts(std::string_view word) {
    return !word.empty() && word[0] == 'E';
  }
  static ipc::Result<ErrnoEffect> parse(PlanText& text, std::string_view word,
                                        std::size_t col);
  void print(std::string& out) const;
  static constexpr bool applies_to(Call) { return true; }
  ErrnoEffect decide(const Draw&, std::size_t) const { return *this; }
  void describe(std::size_t, std::string& out) const { print(out); }
  int apply(std::size_t*) const { return error; }
  template <typename Choices>
  static ErrnoEffect arbitrary(Choices& in) {
    for (int tries = 0; tries < 4; ++tries) {  // only errnos with a name
      int e = in.boolean() ? 1 + in.u8() % 140 : 1 + in.u16() % 4095;
      if (::strerrorname_np(e) != nullptr) return {e};
    }
    return {EINTR};
  }
  bool operator==(const ErrnoEffect&) const = default;
};

// short=N|half|random: make a read/write/pread/pwrite with the byte count n
// cut to min(n, N), max(1, n/2) or 1 + draw % n (n = 0 stays 0). Decided, it
// is always the first form with the count to use.
struct ShortEffect {
  static constexpr std::string_view kSyntax = "short=";
  enum class Mode { kAtMost, kHalf, kRandom };
  static constexpr std::uint64_t kStream = 1;  // Draw stream of short=random
  Mode mode = Mode::kAtMost;
  std::uint64_t max = 1;  // kAtMost: N >= 1 (0 only once decided, for n = 0)

  static bool accepts(std::string_view word) { return word == "short"; }
  static ipc::Result<ShortEffect> parse(PlanText& text, std::string_view word,
                                        std::size_t col);
  void print(std::string& out) const;
  static constexpr bool applies_to(Call c) {
    return c == Call::read || c == Call::write || c == Call::pread ||
           c == Call::pwrite;
  }
  ShortEffect decide(const Draw& draw, std::size_t n) const;
  void describe(std::size_t n, std::string& out) const;
  int apply(std::size_t* size) const;
  template <typename Choices>
  static ShortEffect arbitrary(Choices& in) {
    switch (in.u8() % 3) {
      case 0: {
        std::uint64_t n = in.boolean()
                              ? 1u + in.u8()
                              : in.u32() | std::uint64_t{in.u32()} << 32;
        return {Mode::kAtMost, n == 0 ? 1 : n};
      }
      case 1:
        return {Mode::kHalf, 1};
      default:
        return {Mode::kRandom, 1};
    }
  }
  bool operator==(const ShortEffect&) const = default;
};

// delay=N(ns|us|ms|s): sleep that long (against a monotonic deadline: a signal
// handler in between does not lengthen it), then make the call.
struct DelayEffect {
  static constexpr std::string_view kSyntax = "delay=";
  std::int64_t ns = 0;

  static bool accepts(std::string_view word) { return word == "delay"; }
  static ipc::Result<DelayEffect> parse(PlanText& text, std::string_view word,
                                        std::size_t col);
  void print(std::string& out) const;
  static constexpr bool applies_to(Call) { return true; }
  DelayEffect decide(const Draw&, std::size_t) const { return *this; }
  void describe(std::size_t n, std::string& out) const;
  int apply(std::size_t*) const;
  template <typename Choices>
  static DelayEffect arbitrary(Choices& in) {
    static constexpr std::int64_t kScale[] = {1, 1000, 1000000, 1000000000, 7};
    const std::int64_t scale = kScale[in.u8() % 5];
    std::uint64_t v =
        in.boolean() ? in.u16() : in.u32() | std::uint64_t{in.u32()} << 32;
    v %= static_cast<std::uint64_t>(INT64_MAX / scale) + 1;
    return {static_cast<std::int64_t>(v) * scale};
  }
  bool operator==(const DelayEffect&) const = default;
};

// signal=SIGNAME: send the calling thread that signal with tgkill, then make
// the call. Its handler runs before the call starts, so a call that then
// blocks is not interrupted by it (interrupt= is the effect that does).
struct SignalEffect {
  static constexpr std::string_view kSyntax = "signal=";
  int signo = 0;

  static bool accepts(std::string_view word) { return word == "signal"; }
  static ipc::Result<SignalEffect> parse(PlanText& text, std::string_view word,
                                         std::size_t col);
  void print(std::string& out) const;
  static constexpr bool applies_to(Call) { return true; }
  SignalEffect decide(const Draw&, std::size_t) const { return *this; }
  void describe(std::size_t n, std::string& out) const;
  int apply(std::size_t*) const;
  template <typename Choices>
  static SignalEffect arbitrary(Choices& in) {
    if (in.boolean())
      return {SIGRTMIN + static_cast<int>(in.u8() % (SIGRTMAX - SIGRTMIN + 1))};
    for (int tries = 0; tries < 4; ++tries) {
      int s = 1 + in.u8() % (SIGRTMIN - 1);
      if (::sigabbrev_np(s) != nullptr) return {s};
    }
    return {SIGUSR1};
  }
  bool operator==(const SignalEffect&) const = default;
};

// interrupt=SIGNAME: make the call, and send the calling thread that signal
// with tgkill once it is seen asleep inside the call (fault/blocked.h), so
// that the kernel itself ends the sleep: EINTR, or a restart if the handler
// has SA_RESTART (signal(7)). Nothing is sent if the call returns without
// sleeping. apply() does nothing: the interceptor makes the call under a
// watcher (fault/apply.h; the seccomp supervisor watches the thread itself).
struct InterruptEffect {
  static constexpr std::string_view kSyntax = "interrupt=";
  int signo = 0;

  static bool accepts(std::string_view word) { return word == "interrupt"; }
  static ipc::Result<InterruptEffect> parse(PlanText& text,
                                            std::string_view word,
                                            std::size_t col);
  void print(std::string& out) const;
  static constexpr bool applies_to(Call) { return true; }
  InterruptEffect decide(const Draw&, std::size_t) const { return *this; }
  void describe(std::size_t n, std::string& out) const;
  int apply(std::size_t*) const { return 0; }
  template <typename Choices>
  static InterruptEffect arbitrary(Choices& in) {
    return {SignalEffect::arbitrary(in).signo};
  }
  bool operator==(const InterruptEffect&) const = default;
};

// Every effect. The first alternative is what a default Effect (and a
// Decision for which no rule fired) holds.
using Effect = std::variant<PassEffect, ErrnoEffect, ShortEffect, DelayEffect,
                            SignalEffect, InterruptEffect>;

template <typename T>
concept EffectType = requires(const T& e, PlanText& text, std::string& out,
                              std::size_t* size, const Draw& draw) {
  { T::kSyntax } -> std::convertible_to<std::string_view>;
  { T::accepts(std::string_view()) } -> std::same_as<bool>;
  { T::parse(text, std::string_view(), 0) } -> std::same_as<ipc::Result<T>>;
  { e.print(out) } -> std::same_as<void>;
  { T::applies_to(Call::read) } -> std::same_as<bool>;
  { e.decide(draw, 0) } -> std::same_as<T>;
  { e.describe(0, out) } -> std::same_as<void>;
  { e.apply(size) } -> std::same_as<int>;
  { e == e } -> std::same_as<bool>;
};
template <typename V>
struct AllEffectTypes;
template <typename... Ts>
struct AllEffectTypes<std::variant<Ts...>> {
  static constexpr bool value = (EffectType<Ts> && ...);
};
static_assert(AllEffectTypes<Effect>::value,
              "every alternative of Effect has the members listed at the top "
              "of fault/effect.h");

// ---- the variant as a whole ------------------------------------------------

// Parses the effect that starts with `word` (read from `text` at column
// `col`): the first alternative that accepts the word parses the rest.
ipc::Result<Effect> parse_effect(PlanText& text, std::string_view word,
                                 std::size_t col);
std::string effect_to_string(const Effect& effect);
bool effect_applies_to(const Effect& effect, Call call);
// "short= applies only to read/write/pread/pwrite": for a call it refuses.
std::string effect_restriction(const Effect& effect);
// The effect of a rule made concrete for one call of `n` bytes.
Effect decide_effect(const Effect& effect, const Draw& draw, std::size_t n);
// A decided effect as the fault log shows it ("short 10 -> 5", "EINTR").
std::string describe_effect(const Effect& decided, std::size_t n);
// apply() of the decided effect (see the top of this file).
int apply_effect(const Effect& decided, std::size_t* size);
// "an errno name, pass, short=, delay=, signal= or interrupt=": for usage
// and errors.
std::string effect_syntaxes();

// Sleeps `ns` nanoseconds against a monotonic deadline (what delay= does; a
// signal handler in between does not lengthen it).
void sleep_ns(std::int64_t ns);

// Names of the values effects take.
std::string errno_name(int error);   // "EINTR"; "errno 999" if unknown
std::string signal_name(int signo);  // "SIGUSR1", "SIGRTMIN+2"
// A signal name at the cursor: SIGUSR1, SIGRTMIN+N, SIGRTMAX-N.
ipc::Result<int> parse_signal(PlanText& text);

}  // namespace fault
