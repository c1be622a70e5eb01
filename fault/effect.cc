// fault/effect.cc — each effect's parser, printer, decision, log text and
// action, and the variant-wide functions built from them.
#include "fault/effect.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <utility>

#include "fault/plan_text.h"

namespace fault {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Names that strerrorname_np does not return for their number.
struct Alias {
  const char* name;
  int value;
};
const Alias kErrnoAliases[] = {{"EWOULDBLOCK", EWOULDBLOCK},
                               {"EDEADLOCK", EDEADLOCK},
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

// The word must be followed by '='.
ipc::Status expect_equals(PlanText& text, std::string_view word) {
  if (text.eat('=')) return ipc::ok_status();
  return text.fail(text.pos(),
                   "expected '=' after '" + std::string(word) + "'");
}

template <std::size_t I = 0>
ipc::Result<Effect> parse_alternative(PlanText& text, std::string_view word,
                                      std::size_t col) {
  if constexpr (I == std::variant_size_v<Effect>) {
    return text.fail(col, "unknown effect " + text.token_at(col) +
                              " (expected " + effect_syntaxes() + ")");
  } else {
    using T = std::variant_alternative_t<I, Effect>;
    if (!T::accepts(word)) return parse_alternative<I + 1>(text, word, col);
    auto e = T::parse(text, word, col);
    if (!e) return std::move(e).error();
    return Effect(std::in_place_index<I>, *e);
  }
}

template <std::size_t... I>
std::string syntaxes(std::index_sequence<I...>) {
  const std::string_view names[] = {
      std::variant_alternative_t<I, Effect>::kSyntax...};
  // Errno names first: the effect most plans use.
  std::string out(ErrnoEffect::kSyntax);
  std::size_t left = sizeof...(I) - 1;
  for (std::string_view n : names) {
    if (n == ErrnoEffect::kSyntax) continue;
    out += --left == 0 ? " or " : ", ";
    out += n;
  }
  return out;
}

}  // namespace

std::uint64_t Draw::operator()(std::uint64_t stream) const {
  return splitmix64(splitmix64(splitmix64(seed ^ stream) ^ rule) ^ ordinal);
}

void sleep_ns(std::int64_t ns) {
  struct timespec until;
  ::clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += static_cast<time_t>(ns / 1000000000);
  until.tv_nsec += static_cast<long>(ns % 1000000000);
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec += 1;
    until.tv_nsec -= 1000000000;
  }
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) ==
         EINTR) {
  }
}

// ---- names -----------------------------------------------------------------

std::string errno_name(int error) {
  const char* n = error > 0 ? ::strerrorname_np(error) : nullptr;
  return n != nullptr ? n : "errno " + std::to_string(error);
}

std::string signal_name(int signo) {
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    return signo == SIGRTMIN ? "SIGRTMIN"
                             : "SIGRTMIN+" + std::to_string(signo - SIGRTMIN);
  }
  const char* abbrev = signo > 0 ? ::sigabbrev_np(signo) : nullptr;
  return abbrev != nullptr ? std::string("SIG") + abbrev
                           : "signal " + std::to_string(signo);
}

ipc::Result<int> parse_signal(PlanText& text) {
  std::size_t col = text.pos();
  std::string_view name = text.word();
  if (name == "SIGRTMIN" || name == "SIGRTMAX") {
    bool min = name == "SIGRTMIN";
    int base = min ? SIGRTMIN : SIGRTMAX;
    std::int64_t off = 0;
    if (text.peek() == '+' || text.peek() == '-') {
      bool plus = text.peek() == '+';
      text.skip(1);
      if (plus != min)
        return text.fail(text.pos() - 1, "write SIGRTMIN+N or SIGRTMAX-N");
      auto n = text.number("signal offset");
      if (!n) return std::move(n).error();
      if (*n > static_cast<std::uint64_t>(SIGRTMAX - SIGRTMIN)) {
        return text.fail(col,
                         "real-time signal out of range (SIGRTMIN..SIGRTMAX)");
      }
      off =
          plus ? static_cast<std::int64_t>(*n) : -static_cast<std::int64_t>(*n);
    }
    return static_cast<int>(base + off);
  }
  if (name.size() > 3 && name.substr(0, 3) == "SIG") {
    for (int s = 1; s < SIGRTMIN; ++s) {
      const char* abbrev = ::sigabbrev_np(s);
      if (abbrev != nullptr && name.substr(3) == abbrev) return s;
    }
  }
  return text.fail(col, "unknown signal " + text.token_at(col));
}

// ---- errno -----------------------------------------------------------------

ipc::Result<ErrnoEffect> ErrnoEffect::parse(PlanText& text,
                                            std::string_view word,
                                            std::size_t col) {
  ErrnoEffect e;
  if (!errno_from_name(word, &e.error))
    return text.fail(
        col, "unknown errno " + cli::quote(word, PlanText::kTokenBytes));
  return e;
}

void ErrnoEffect::print(std::string& out) const { out += errno_name(error); }

// ---- short -----------------------------------------------------------------

ipc::Result<ShortEffect> ShortEffect::parse(PlanText& text,
                                            std::string_view word,
                                            std::size_t) {
  if (auto s = expect_equals(text, word); !s) return std::move(s).error();
  std::size_t value_col = text.pos();
  if (text.at_digit()) {
    auto n = text.number("short");
    if (!n) return std::move(n).error();
    if (*n == 0)
      return text.fail(value_col, "short= needs a count of at least 1");
    return ShortEffect{Mode::kAtMost, *n};
  }
  std::string_view mode = text.word();
  if (mode == "half") return ShortEffect{Mode::kHalf, 1};
  if (mode == "random") return ShortEffect{Mode::kRandom, 1};
  return text.fail(value_col,
                   "short= takes a count, 'half' or 'random', "
                   "found " +
                       text.token_at(value_col));
}

void ShortEffect::print(std::string& out) const {
  switch (mode) {
    case Mode::kAtMost:
      out += "short=" + std::to_string(max);
      return;
    case Mode::kHalf:
      out += "short=half";
      return;
    case Mode::kRandom:
      out += "short=random";
      return;
  }
}

ShortEffect ShortEffect::decide(const Draw& draw, std::size_t n) const {
  std::uint64_t count = 0;
  if (n != 0) {
    switch (mode) {
      case Mode::kAtMost:
        count = std::min<std::uint64_t>(n, max);
        break;
      case Mode::kHalf:
        count = std::max<std::size_t>(1, n / 2);
        break;
      case Mode::kRandom:
        count = 1 + draw(kStream) % n;
        break;
    }
  }
  return {Mode::kAtMost, count};
}

void ShortEffect::describe(std::size_t n, std::string& out) const {
  out += "short " + std::to_string(n) + " -> " + std::to_string(max);
}

int ShortEffect::apply(std::size_t* size) const {
  if (size != nullptr && *size > max) *size = static_cast<std::size_t>(max);
  return 0;
}

// ---- delay -----------------------------------------------------------------

ipc::Result<DelayEffect> DelayEffect::parse(PlanText& text,
                                            std::string_view word,
                                            std::size_t) {
  if (auto s = expect_equals(text, word); !s) return std::move(s).error();
  std::size_t value_col = text.pos();
  auto n = text.number("delay");
  if (!n) return std::move(n).error();
  std::size_t unit_col = text.pos();
  std::string_view unit = text.word();
  std::uint64_t scale = unit == "ns"   ? 1
                        : unit == "us" ? 1000
                        : unit == "ms" ? 1000000
                        : unit == "s"  ? 1000000000
                                       : 0;
  if (scale == 0)
    return text.fail(unit_col, "delay needs a unit ns, us, ms or s, found " +
                                   text.token_at(unit_col));
  if (*n >
      static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) /
          scale) {
    return text.fail(value_col, "delay out of range");
  }
  return DelayEffect{static_cast<std::int64_t>(*n * scale)};
}

void DelayEffect::print(std::string& out) const {
  // The largest unit that divides the delay exactly.
  static const struct {
    std::int64_t ns;
    const char* unit;
  } kUnits[] = {{1000000000, "s"}, {1000000, "ms"}, {1000, "us"}, {1, "ns"}};
  for (const auto& u : kUnits) {
    if (ns % u.ns == 0 && (ns != 0 || u.ns == 1)) {
      out += "delay=" + std::to_string(ns / u.ns) + u.unit;
      return;
    }
  }
}

void DelayEffect::describe(std::size_t, std::string& out) const {
  out += "delay " + std::to_string(ns) + "ns";
}

int DelayEffect::apply(std::size_t*) const {
  sleep_ns(ns);
  return 0;
}

// ---- signal ----------------------------------------------------------------

ipc::Result<SignalEffect> SignalEffect::parse(PlanText& text,
                                              std::string_view word,
                                              std::size_t) {
  if (auto s = expect_equals(text, word); !s) return std::move(s).error();
  auto signo = parse_signal(text);
  if (!signo) return std::move(signo).error();
  return SignalEffect{*signo};
}

void SignalEffect::print(std::string& out) const {
  out += "signal=" + signal_name(signo);
}

void SignalEffect::describe(std::size_t, std::string& out) const {
  out += "signal " + signal_name(signo);
}

int SignalEffect::apply(std::size_t*) const {
  int saved = errno;
  ::syscall(SYS_tgkill, ::getpid(), ::gettid(), signo);
  errno = saved;
  return 0;
}

// ---- interrupt -------------------------------------------------------------

ipc::Result<InterruptEffect> InterruptEffect::parse(PlanText& text,
                                                    std::string_view word,
                                                    std::size_t) {
  if (auto s = expect_equals(text, word); !s) return std::move(s).error();
  auto signo = parse_signal(text);
  if (!signo) return std::move(signo).error();
  return InterruptEffect{*signo};
}

void InterruptEffect::print(std::string& out) const {
  out += "interrupt=" + signal_name(signo);
}

void InterruptEffect::describe(std::size_t, std::string& out) const {
  out += "interrupt " + signal_name(signo) + " once asleep";
}

// ---- the variant -----------------------------------------------------------

ipc::Result<Effect> parse_effect(PlanText& text, std::string_view word,
                                 std::size_t col) {
  return parse_alternative(text, word, col);
}

std::string effect_to_string(const Effect& effect) {
  std::string out;
  std::visit([&out](const auto& e) { e.print(out); }, effect);
  return out;
}

bool effect_applies_to(const Effect& effect, Call call) {
  return std::visit([call](const auto& e) { return e.applies_to(call); },
                    effect);
}

std::string effect_restriction(const Effect& effect) {
  std::string calls;
  for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
    auto c = static_cast<Call>(i);
    if (!effect_applies_to(effect, c)) continue;
    if (!calls.empty()) calls += '/';
    calls += ipc::sys::call_name(c);
  }
  std::string_view syntax = std::visit(
      [](const auto& e) -> std::string_view { return e.kSyntax; }, effect);
  return std::string(syntax) + " applies only to " + calls;
}

Effect decide_effect(const Effect& effect, const Draw& draw, std::size_t n) {
  return std::visit(
      [&draw, n](const auto& e) -> Effect { return e.decide(draw, n); },
      effect);
}

std::string describe_effect(const Effect& decided, std::size_t n) {
  std::string out;
  std::visit([&out, n](const auto& e) { e.describe(n, out); }, decided);
  return out;
}

int apply_effect(const Effect& decided, std::size_t* size) {
  return std::visit([size](const auto& e) { return e.apply(size); }, decided);
}

std::string effect_syntaxes() {
  return syntaxes(std::make_index_sequence<std::variant_size_v<Effect>>());
}

}  // namespace fault
