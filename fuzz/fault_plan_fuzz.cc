// fuzz/fault_plan_fuzz.cc — the fault plan grammar (fault/plan.h): parser and
// canonical printer. Pure model target, no system calls.
//
// Every input is used twice:
//   1. as plan text: parse_plan either fails with a clear error (EINVAL, a
//      non-empty detail ending in "at column N" with N inside the text + 1),
//      or gives a plan whose printed form parses back to an equal plan and
//      prints identically (print is a fixed point);
//   2. as choices (fuzz::FuzzInput) that build a valid Plan directly, field by
//      field (every trigger, scope and seed the grammar can express, and every
//      effect from its own arbitrary(), fault/effect.h),
//      which must print to text that parses back to the same Plan. This reaches
//      printer cases (large delays, odd errnos and signals, p= values) that
//      text mutation finds slowly.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "fault/plan.h"
#include "fuzz/fuzz_input.h"

namespace {

std::uint64_t u64(fuzz::FuzzInput& in) {
  return in.u32() | (std::uint64_t{in.u32()} << 32);
}

// Strings are built only on the way to abort(): under ASan every allocation
// costs about as much as parsing a short rule, so the passing path makes none
// of its own.
[[noreturn]] void fail(const std::string& what, std::string_view text) {
  std::fprintf(stderr, "fault_plan_fuzz: %s\n  text: \"%.*s\"\n", what.c_str(),
               static_cast<int>(text.size()), text.data());
  std::abort();
}

// print(plan) must parse back to plan, and print again to the same text.
void check_round_trip(const fault::Plan& plan, std::string_view origin) {
  const std::string printed = plan.to_string();
  auto again = fault::parse_plan(printed);
  if (!again.ok()) {
    fail("the printed form does not parse: " + again.error().message() +
             "\n  printed: \"" + printed + "\"",
         origin);
  }
  if (!(*again == plan))
    fail("parse(print(plan)) != plan; printed: \"" + printed + "\"", origin);
  if (again->to_string() != printed) {
    fail("print is not a fixed point: \"" + printed + "\" -> \"" +
             again->to_string() + "\"",
         origin);
  }
}

// A parse error must say what is wrong and where.
void check_error(const ipc::Error& e, std::string_view text) {
  if (e.code() != EINVAL)
    fail("parse error with errno " + std::to_string(e.code()), text);
  const std::string_view d = e.detail();
  auto at = d.rfind(" at column ");
  if (d.empty() || at == std::string_view::npos || at == 0) {
    fail("parse error without a problem and a column: \"" + e.message() + "\"",
         text);
  }
  const std::string col(
      d.substr(at + 11));  // a few digits: no allocation (short string)
  if (col.empty() || col.find_first_not_of("0123456789") != std::string::npos) {
    fail("parse error column is not a number: \"" + e.message() + "\"", text);
  }
  unsigned long n = std::strtoul(col.c_str(), nullptr, 10);
  if (n < 1 || n > text.size() + 1) {
    fail("parse error column " + col + " outside the text: \"" + e.message() +
             "\"",
         text);
  }
}

// ---- building a valid Plan from choices ------------------------------------

fault::CallSet pick_calls(fuzz::FuzzInput& in, bool short_only) {
  using fault::Call;
  if (short_only) {
    // A non-empty subset of read/write/pread/pwrite.
    static const Call kShortCalls[] = {Call::read, Call::write, Call::pread,
                                       Call::pwrite};
    unsigned mask = 1 + in.u8() % 15;
    fault::CallSet s = 0;
    for (unsigned i = 0; i < 4; ++i) {
      if (mask & (1u << i)) s |= fault::call_bit(kShortCalls[i]);
    }
    return s;
  }
  auto one = [&in] {
    return fault::call_bit(static_cast<Call>(in.u8() % ipc::sys::kCallCount));
  };
  // Any subset for 1 choice byte in 16, else one, two or a group (equally
  // often): a random subset prints ~18 names, each looked up by name when
  // parsed back: at 1 in 4 they took a fifth of the target's time.
  const std::uint8_t kind = in.u8();
  switch (kind % 16 == 15 ? 3 : kind % 3) {
    case 0:
      return one();
    case 1:
      return one() | one();
    case 2: {  // a whole group (printed folded back), maybe with one more call
      fault::CallSet s = 0;
      static const Call kIo[] = {Call::read, Call::write, Call::pread,
                                 Call::pwrite};
      static const Call kSig[] = {Call::sigaction, Call::pthread_sigmask,
                                  Call::sigtimedwait};
      if (in.boolean()) {
        for (Call c : kIo) s |= fault::call_bit(c);
      } else {
        for (Call c : kSig) s |= fault::call_bit(c);
      }
      return in.boolean() ? s | one() : s;
    }
    default: {  // any subset
      fault::CallSet s = u64(in) & fault::kAllCalls;
      return s != 0 ? s : fault::kAllCalls;
    }
  }
}

// Alternative I of fault::Effect, from its own arbitrary() (fault/effect.h).
template <std::size_t I = 0>
fault::Effect arbitrary_effect(fuzz::FuzzInput& in, std::size_t index) {
  if constexpr (I + 1 == std::variant_size_v<fault::Effect>) {
    return fault::Effect(
        std::in_place_index<I>,
        std::variant_alternative_t<I, fault::Effect>::arbitrary(in));
  } else {
    if (index != I) return arbitrary_effect<I + 1>(in, index);
    return fault::Effect(
        std::in_place_index<I>,
        std::variant_alternative_t<I, fault::Effect>::arbitrary(in));
  }
}

// Any effect that every call of the rule may have (else pass).
fault::Effect pick_effect(fuzz::FuzzInput& in, fault::CallSet calls) {
  fault::Effect e =
      arbitrary_effect(in, in.u8() % std::variant_size_v<fault::Effect>);
  for (std::size_t c = 0; c < ipc::sys::kCallCount; ++c) {
    auto call = static_cast<fault::Call>(c);
    if ((calls & fault::call_bit(call)) != 0 &&
        !fault::effect_applies_to(e, call))
      return fault::PassEffect{};
  }
  return e;
}

fault::Trigger pick_trigger(fuzz::FuzzInput& in) {
  fault::Trigger t;
  auto num = [&in]() -> std::uint64_t {
    switch (in.u8() % 3) {
      case 0:
        return 1 + in.u8();
      case 1:
        return 1 + std::uint64_t{in.u32()};
      default:
        return std::max<std::uint64_t>(1, u64(in));
    }
  };
  switch (in.u8() % 6) {
    case 0:  // every call
      break;
    case 1:  // N
      t.first = t.last = num();
      break;
    case 2:  // N..M
      t.first = num();
      t.last = t.first + in.u16();
      if (t.last < t.first) t.last = fault::kForever;
      break;
    case 3:  // N+ or N+K
      t.first = num();
      t.step = num();
      break;
    case 4:  // N..M+K
      t.first = num();
      t.last = t.first + in.u32();
      if (t.last < t.first) t.last = fault::kForever;
      if (t.last != t.first) t.step = num();
      break;
    default: {  // p=P
      std::uint64_t bits = u64(in);
      double p = static_cast<double>(bits >> 11) * 0x1p-53;  // [0, 1)
      if (in.u8() == 0xff) p = 1.0;
      t.probability = p;
      break;
    }
  }
  if (t.first == t.last)
    t.step = 1;  // what the parser stores for a single call
  return t;
}

fault::Plan build_plan(fuzz::FuzzInput& in) {
  fault::Plan plan;
  int n = in.u8() % 4;
  plan.rules.reserve(
      static_cast<std::size_t>(n));  // one allocation, not up to three
  for (int i = 0; i < n; ++i) {
    fault::Rule r;
    bool short_only = in.u8() % 4 == 0;
    r.calls = pick_calls(in, short_only);
    r.effect = pick_effect(in, r.calls);
    r.trigger = pick_trigger(in);
    std::uint8_t scopes = in.u8();
    bool takes_fd = false;
    for (std::size_t c = 0; c < ipc::sys::kCallCount; ++c) {
      auto call = static_cast<fault::Call>(c);
      if (r.names(call) && fault::call_takes_fd(call)) takes_fd = true;
    }
    if ((scopes & 1) && takes_fd)
      r.fd = static_cast<int>(in.u32() & 0x7fffffff);
    if (scopes & 2) r.tid = static_cast<pid_t>(1 + in.u32() % 0x7fffffff);
    plan.rules.push_back(r);
  }
  if (in.boolean()) plan.seed = u64(in);
  return plan;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // 1. The bytes as plan text.
  auto plan = fault::parse_plan(text);
  if (plan.ok()) {
    check_round_trip(*plan, text);
  } else {
    check_error(plan.error(), text);
  }

  // 2. The bytes as choices for a valid plan.
  fuzz::FuzzInput in(data, size);
  fault::Plan built = build_plan(in);
  check_round_trip(built, "(built from choices)");
  return 0;
}
