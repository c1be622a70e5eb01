// fault/effect_test.cc — each fault effect on its own (fault/effect.h): what
// it decides for a call, how the log describes it, what applying it does, and
// that every value its arbitrary() makes prints to text that parses back.
#include "fault/effect.h"

#include <signal.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "fault/plan.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fault {
namespace {

using ::testing::HasSubstr;

// Choices for arbitrary(): bytes of a fixed pseudo-random sequence.
class Choices {
 public:
  explicit Choices(std::uint64_t seed) : draw_{seed, 0, 0} {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(next()); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(next()); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(next()); }
  bool boolean() { return (next() & 1) != 0; }

 private:
  std::uint64_t next() { return draw_(++draw_.ordinal); }
  Draw draw_;
};

// One rule naming a call the effect applies to, printed and parsed back.
template <std::size_t I>
void ExpectArbitraryValuesRoundTrip() {
  using T = std::variant_alternative_t<I, Effect>;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    Choices choices(seed);
    Effect e(std::in_place_index<I>, T::arbitrary(choices));
    const std::string text = "read:" + effect_to_string(e);
    auto plan = parse_plan(text);
    ASSERT_TRUE(plan.ok()) << text << ": " << plan.error().message();
    ASSERT_EQ(plan->rules.size(), 1u);
    EXPECT_EQ(plan->rules[0].effect, e) << text;
    EXPECT_EQ(plan->to_string(), text);
  }
}

template <std::size_t... I>
void ExpectEveryEffectRoundTrips(std::index_sequence<I...>) {
  (ExpectArbitraryValuesRoundTrip<I>(), ...);
}

TEST(Effect, ArbitraryValuesOfEveryEffectRoundTrip) {
  ExpectEveryEffectRoundTrips(
      std::make_index_sequence<std::variant_size_v<Effect>>());
}

TEST(Effect, TheUsageListNamesEveryEffect) {
  EXPECT_EQ(effect_syntaxes(),
            "an errno name, pass, short=, delay=, signal= or interrupt=");
}

TEST(Effect, ADefaultEffectIsPass) {
  EXPECT_TRUE(std::holds_alternative<PassEffect>(Effect()));
}

TEST(Effect, ShortDecidesACountForTheCall) {
  using Mode = ShortEffect::Mode;
  auto count = [](ShortEffect e, std::size_t n, std::uint64_t ordinal = 1) {
    ShortEffect d = e.decide(Draw{7, 0, ordinal}, n);
    EXPECT_EQ(d.mode, Mode::kAtMost);
    return d.max;
  };
  EXPECT_EQ(count(ShortEffect{Mode::kAtMost, 3}, 10), 3u);
  EXPECT_EQ(count(ShortEffect{Mode::kAtMost, 30}, 10), 10u);
  EXPECT_EQ(count(ShortEffect{Mode::kAtMost, 3}, 0), 0u);
  EXPECT_EQ(count(ShortEffect{Mode::kHalf, 1}, 9), 4u);
  EXPECT_EQ(count(ShortEffect{Mode::kHalf, 1}, 1), 1u);
  EXPECT_EQ(count(ShortEffect{Mode::kHalf, 1}, 0), 0u);
  EXPECT_EQ(count(ShortEffect{Mode::kRandom, 1}, 1), 1u);
  EXPECT_EQ(count(ShortEffect{Mode::kRandom, 1}, 0), 0u);
  // short=random: 1 + draw(1) % n, the stream documented in effect.h.
  for (std::uint64_t k = 1; k < 50; ++k) {
    const Draw draw{7, 0, k};
    EXPECT_EQ(count(ShortEffect{Mode::kRandom, 1}, 1000, k),
              1 + draw(ShortEffect::kStream) % 1000);
  }
}

TEST(Effect, ApplyingShortCutsTheCountOnly) {
  ShortEffect decided{ShortEffect::Mode::kAtMost, 5};
  std::size_t n = 100;
  EXPECT_EQ(decided.apply(&n), 0);
  EXPECT_EQ(n, 5u);
  n = 3;
  EXPECT_EQ(decided.apply(&n), 0);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(decided.apply(nullptr), 0);
}

TEST(Effect, ApplyingAnErrnoFailsWithIt) {
  std::size_t n = 100;
  EXPECT_EQ(apply_effect(ErrnoEffect{EIDRM}, &n), EIDRM);
  EXPECT_EQ(n, 100u);
  EXPECT_EQ(apply_effect(PassEffect{}, &n), 0);
  EXPECT_EQ(n, 100u);
}

TEST(Effect, ApplyingADelaySleepsAtLeastThatLong) {
  auto now_ns = [] {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
  };
  std::int64_t start = now_ns();
  EXPECT_EQ(apply_effect(DelayEffect{20000000}, nullptr), 0);
  EXPECT_GE(now_ns() - start, 20000000);
}

std::atomic<int> g_signals{0};
void count_signal(int) { g_signals.fetch_add(1); }

TEST(Effect, ApplyingASignalRunsItsHandlerOnThisThreadAndKeepsErrno) {
  struct sigaction sa = {}, old = {};
  sa.sa_handler = &count_signal;
  ASSERT_EQ(::sigaction(SIGUSR2, &sa, &old), 0);
  g_signals = 0;
  errno = ENOSPC;
  EXPECT_EQ(apply_effect(SignalEffect{SIGUSR2}, nullptr), 0);
  EXPECT_EQ(errno, ENOSPC);
  // A signal a thread sends itself is delivered before tgkill returns.
  EXPECT_EQ(g_signals.load(), 1);
  ::sigaction(SIGUSR2, &old, nullptr);
}

TEST(Effect, DescriptionsForTheLog) {
  EXPECT_EQ(describe_effect(PassEffect{}, 10), "pass");
  EXPECT_EQ(describe_effect(ErrnoEffect{EINTR}, 10), "EINTR");
  EXPECT_EQ(describe_effect(ShortEffect{ShortEffect::Mode::kAtMost, 5}, 10),
            "short 10 -> 5");
  EXPECT_EQ(describe_effect(DelayEffect{2000}, 0), "delay 2000ns");
  EXPECT_EQ(describe_effect(SignalEffect{SIGUSR1}, 0), "signal SIGUSR1");
  EXPECT_EQ(describe_effect(InterruptEffect{SIGUSR1}, 0),
            "interrupt SIGUSR1 once asleep");
}

TEST(Effect, RestrictionsNameTheCallsAllowed) {
  for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
    auto c = static_cast<Call>(i);
    EXPECT_TRUE(effect_applies_to(ErrnoEffect{EIO}, c));
    EXPECT_EQ(effect_applies_to(ShortEffect{}, c), call_can_short(c));
  }
  EXPECT_EQ(effect_restriction(ShortEffect{}),
            "short= applies only to read/write/pread/pwrite");
}

}  // namespace
}  // namespace fault
