// fault/plan_test.cc — the plan grammar: accepted and rejected texts, canonical
// form, round trip, and the meaning of each parsed field.
#include "fault/plan.h"

#include <signal.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace fault {
namespace {

using ::ipc::testing::FailsWith;
using ::testing::HasSubstr;
using ::testing::Not;

Plan parse_ok(const std::string& text) {
  auto p = parse_plan(text);
  EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().message());
  return p.ok() ? p.value() : Plan{};
}

// text -> canonical form
struct Accept {
  const char* text;
  const char* canonical;
};

const Accept kAccepted[] = {
    {"", ""},
    {"  ;; ", ""},
    {"read:EINTR", "read:EINTR"},
    {"read:EINTR@2", "read:EINTR@2"},
    {"read:short=1; msgsnd:EAGAIN@3; seed=42",
     "read:short=1; msgsnd:EAGAIN@3; seed=42"},
    {" read : EINTR @ 2 ; ", "read:EINTR@2"},
    {"read:EINTR@1+", "read:EINTR"},  // "1 and every later" is every call
    {"read:EINTR@3+", "read:EINTR@3+"},
    {"io:EINTR@1+2", "io:EINTR@1+2"},
    {"read:EINTR@4..9", "read:EINTR@4..9"},
    {"read:EINTR@4..9+", "read:EINTR@4..9"},
    {"read:EINTR@4..20+3", "read:EINTR@4..20+3"},
    {"read:EINTR@7..7+3", "read:EINTR@7"},
    {"read:EINTR@18446744073709551615", "read:EINTR@18446744073709551615"},
    {"read:EINTR@1000000", "read:EINTR@1000000"},  // beyond strace's 65535
    {"msgrcv|msgsnd:EIDRM@10..20", "msgsnd|msgrcv:EIDRM@10..20"},
    {"read|write|pread|pwrite:EIO", "io:EIO"},
    {"msgget|msgsnd|msgrcv|msgctl|close:ENOMEM", "msg|close:ENOMEM"},
    {"shm:ENOSPC", "shm:ENOSPC"},
    {"sig:EINVAL", "sig:EINVAL"},
    {"sem:EINTR", "sem:EINTR"},
    {"semtimedop|semop:EINTR@2", "semop|semtimedop:EINTR@2"},
    {"all:EPERM", "all:EPERM"},
    {"io|msg|shm|sig:EPERM", "io|msg|shm|sig:EPERM"},
    {"read:EWOULDBLOCK", "read:EAGAIN"},
    {"open:ENOTSUP", "open:EOPNOTSUPP"},
    {"read:short=half", "read:short=half"},
    {"io:short=random@p=0.25; seed=7", "io:short=random@p=0.25; seed=7"},
    {"write:short=4096", "write:short=4096"},
    {"read:delay=1500us", "read:delay=1500us"},
    {"read:delay=2000ms", "read:delay=2s"},
    {"read:delay=0s", "read:delay=0ns"},
    {"read:delay=7ns", "read:delay=7ns"},
    {"read:signal=SIGUSR1@1,fd=3", "read:signal=SIGUSR1@1,fd=3"},
    {"msgrcv:signal=SIGRTMIN+2", "msgrcv:signal=SIGRTMIN+2"},
    {"msgrcv:signal=SIGRTMIN", "msgrcv:signal=SIGRTMIN"},
    {"msgrcv:signal=SIGRTMAX-1", "msgrcv:signal=SIGRTMIN+29"},
    {"msgrcv:interrupt=SIGUSR1@1", "msgrcv:interrupt=SIGUSR1@1"},
    {"open:interrupt=SIGRTMAX-1", "open:interrupt=SIGRTMIN+29"},
    {"read:pass@1; read:EAGAIN", "read:pass@1; read:EAGAIN"},
    {"read:EINTR@p=1", "read:EINTR@p=1"},
    {"read:EINTR@p=0", "read:EINTR@p=0"},
    {"read:EINTR@p=.5", "read:EINTR@p=0.5"},
    {"read:EINTR,tid=1234,fd=5", "read:EINTR,fd=5,tid=1234"},
    {"io|msgsnd:EINTR,fd=0", "io|msgsnd:EINTR,fd=0"},
    {"seed=0", ""},
    {"seed=18446744073709551615", "seed=18446744073709551615"},
};

TEST(PlanParse, AcceptedTextsHaveTheirCanonicalForm) {
  for (const Accept& a : kAccepted) {
    SCOPED_TRACE(a.text);
    EXPECT_EQ(parse_ok(a.text).to_string(), a.canonical);
  }
}

TEST(PlanParse, EveryExampleRoundTrips) {
  const char* header_examples[] = {
      "read:EINTR@2",
      "read:short=1; msgsnd:EAGAIN@3",
      "io:EINTR@1+2",
      "msgrcv|msgsnd:EIDRM@10..20",
      "write:short=random@p=0.25; seed=42",
      "read:signal=SIGUSR1@1,fd=3",
      "read:pass@1; read:EAGAIN",
      "read:short=1; msgsnd:EAGAIN@3; seed=42",
      "read:EINTR@p=0.1; write:delay=3ms@5..9; seed=1",
  };
  std::vector<std::string> texts(std::begin(header_examples),
                                 std::end(header_examples));
  for (const Accept& a : kAccepted) texts.push_back(a.text);
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    auto p = parse_plan(text);
    ASSERT_TRUE(p.ok()) << p.error().message();
    std::string canonical = p->to_string();
    auto again = parse_plan(canonical);
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, *p);
    EXPECT_EQ(again->to_string(), canonical);
  }
}

TEST(PlanParse, ProbabilityRoundTripsExactly) {
  for (double p : {0.1, 1.0 / 3, 0.123456789012345678, 1e-9, 0.999999}) {
    Plan plan;
    Rule r;
    r.calls = call_bit(Call::read);
    r.effect = ErrnoEffect{EINTR};
    r.trigger.probability = p;
    plan.rules.push_back(r);
    auto again = parse_plan(plan.to_string());
    ASSERT_TRUE(again.ok()) << plan.to_string();
    EXPECT_EQ(*again->rules[0].trigger.probability, p) << plan.to_string();
  }
}

TEST(PlanParse, FieldsMeanWhatTheySay) {
  Plan p = parse_ok(
      "msgsnd|read:ENOMEM@5..50+5,fd=7,tid=99; write:short=3; seed=11");
  ASSERT_EQ(p.rules.size(), 2u);
  EXPECT_EQ(p.seed, 11u);
  const Rule& r = p.rules[0];
  EXPECT_EQ(r.calls, call_bit(Call::msgsnd) | call_bit(Call::read));
  EXPECT_EQ(r.effect, Effect(ErrnoEffect{ENOMEM}));
  EXPECT_EQ(r.trigger.first, 5u);
  EXPECT_EQ(r.trigger.last, 50u);
  EXPECT_EQ(r.trigger.step, 5u);
  EXPECT_FALSE(r.trigger.probability.has_value());
  EXPECT_EQ(r.fd, 7);
  EXPECT_EQ(r.tid, 99);
  const Rule& w = p.rules[1];
  EXPECT_EQ(w.calls, call_bit(Call::write));
  EXPECT_EQ(w.effect, Effect(ShortEffect{ShortEffect::Mode::kAtMost, 3}));
  EXPECT_TRUE(w.trigger.every_call());
  EXPECT_FALSE(w.fd.has_value());
  EXPECT_FALSE(w.tid.has_value());

  auto effect = [](const std::string& text) {
    return parse_ok(text).rules.at(0).effect;
  };
  EXPECT_EQ(effect("read:delay=3ms"), Effect(DelayEffect{3000000}));
  EXPECT_EQ(effect("read:delay=2s"), Effect(DelayEffect{2000000000}));
  EXPECT_EQ(effect("read:delay=5us"), Effect(DelayEffect{5000}));
  EXPECT_EQ(effect("read:signal=SIGUSR2"), Effect(SignalEffect{SIGUSR2}));
  EXPECT_EQ(effect("read:signal=SIGRTMIN+3"),
            Effect(SignalEffect{SIGRTMIN + 3}));
  EXPECT_EQ(effect("read:signal=SIGRTMAX-2"),
            Effect(SignalEffect{SIGRTMAX - 2}));
  EXPECT_EQ(effect("read:signal=SIGRTMAX"), Effect(SignalEffect{SIGRTMAX}));
  EXPECT_EQ(effect("read:interrupt=SIGUSR1"), Effect(InterruptEffect{SIGUSR1}));
  EXPECT_EQ(effect("read:E2BIG"), Effect(ErrnoEffect{E2BIG}));
  EXPECT_EQ(effect("read:EHWPOISON"), Effect(ErrnoEffect{EHWPOISON}));
  EXPECT_EQ(parse_ok("read:EINTR@p=0.75").rules[0].trigger.probability, 0.75);
  EXPECT_EQ(parse_ok("all:EIO").rules[0].calls, kAllCalls);
  EXPECT_EQ(parse_ok("read:EIO@3+").rules[0].trigger.last, kForever);
  EXPECT_EQ(effect("read:pass"), Effect(PassEffect{}));
  EXPECT_EQ(effect("read:short=half"),
            Effect(ShortEffect{ShortEffect::Mode::kHalf, 1}));
  EXPECT_EQ(effect("read:short=random"),
            Effect(ShortEffect{ShortEffect::Mode::kRandom, 1}));
}

TEST(PlanParse, EverySeamCallNameIsAccepted) {
  for (std::size_t i = 0; i < ipc::sys::kCallCount; ++i) {
    Call c = static_cast<Call>(i);
    std::string name = ipc::sys::call_name(c);
    Plan p = parse_ok(name + ":EIO");
    ASSERT_EQ(p.rules.size(), 1u) << name;
    EXPECT_EQ(p.rules[0].calls, call_bit(c)) << name;
  }
}

TEST(PlanParse, TriggerSelection) {
  auto selected = [](const std::string& trigger) {
    Plan p = parse_ok("read:EIO@" + trigger);
    std::vector<int> out;
    for (int k = 1; k <= 20; ++k) {
      if (p.rules[0].trigger.selects(static_cast<std::uint64_t>(k)))
        out.push_back(k);
    }
    return out;
  };
  EXPECT_EQ(selected("3"), (std::vector<int>{3}));
  EXPECT_EQ(selected("3..5"), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(selected("17+"), (std::vector<int>{17, 18, 19, 20}));
  EXPECT_EQ(selected("2+5"), (std::vector<int>{2, 7, 12, 17}));
  EXPECT_EQ(selected("2..12+5"), (std::vector<int>{2, 7, 12}));
  EXPECT_EQ(selected("2..11+5"), (std::vector<int>{2, 7}));
}

// A user's token is quoted in an error bounded and with control bytes
// escaped (cli::quote): a 100000-byte call name does not make a 100000-byte
// message, and the plan shown as the context is bounded too.
TEST(PlanParse, ErrorsQuoteTokensBoundedAndEscaped) {
  const std::string huge(100000, 'x');
  for (const std::string& text : {huge + ":EINTR", "read:E" + huge,
                                  "read:" + huge, "read:signal=S" + huge}) {
    auto plan = parse_plan(text);
    ASSERT_FALSE(plan.ok());
    const std::string message = plan.error().message();
    EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
    EXPECT_THAT(message, HasSubstr("... (")) << message.substr(0, 400);
  }
  auto control = parse_plan("re\x1b[2Jad:EINTR");
  ASSERT_FALSE(control.ok());
  EXPECT_THAT(control.error().message(), Not(HasSubstr("\x1b")));
  EXPECT_THAT(control.error().message(), HasSubstr("\\x1b"));
}

// text -> expected fragment of the error (including the column).
struct Reject {
  const char* text;
  const char* error;
};

const Reject kRejected[] = {
    {"reed:EINTR", "unknown call 'reed' at column 1"},
    {"read|wrte:EINTR", "unknown call 'wrte' at column 6"},
    {"read:EFOO", "unknown errno 'EFOO' at column 6"},
    {"read:eintr", "unknown effect 'eintr'"},
    {"read",
     "expected ':' after the call names, found end of plan at column 5"},
    {":EINTR", "expected a call name, found ':' at column 1"},
    {"read:", "unknown effect end of plan (expected an errno name"},
    {"msgsnd:short=1",
     "short= applies only to read/write/pread/pwrite, not msgsnd at column 8"},
    {"all:short=1", "short= applies only to read/write/pread/pwrite"},
    {"read:short=0", "short= needs a count of at least 1 at column 12"},
    {"read:short=most",
     "short= takes a count, 'half' or 'random', found 'most' at column 12"},
    {"read:short", "expected '=' after 'short'"},
    {"read:delay=5",
     "delay needs a unit ns, us, ms or s, found end of plan at column 13"},
    {"read:delay=5min", "delay needs a unit ns, us, ms or s, found 'min'"},
    {"read:delay=ms", "expected a number for delay, found 'ms' at column 12"},
    {"read:delay=99999999999s", "delay out of range at column 12"},
    {"read:signal=USR1", "unknown signal 'USR1' at column 13"},
    {"read:signal=SIGFOO", "unknown signal 'SIGFOO'"},
    {"read:signal=SIGRTMIN-1", "write SIGRTMIN+N or SIGRTMAX-N"},
    {"read:signal=SIGRTMIN+99", "real-time signal out of range"},
    {"read:interrupt=USR1", "unknown signal 'USR1' at column 16"},
    {"read:interrupt", "expected '=' after 'interrupt'"},
    {"read:EINTR@0", "calls are counted from 1 at column 12"},
    {"read:EINTR@",
     "expected a number for trigger, found end of plan at column 12"},
    {"read:EINTR@5..3", "range end is before its start at column 15"},
    {"read:EINTR@1+0", "step must be at least 1 at column 14"},
    {"read:EINTR@18446744073709551616",
     "trigger number out of range at column 12"},
    {"read:EINTR@p=1.5",
     "p= needs a probability between 0 and 1, found '1' at column 14"},
    {"read:EINTR@p=-0.1", "p= needs a probability between 0 and 1"},
    {"read:EINTR@p=x", "p= needs a probability between 0 and 1, found 'x'"},
    {"read:EINTR@p=nan", "p= needs a probability between 0 and 1"},
    {"read:EINTR,pid=3",
     "expected a scope 'fd=' or 'tid=', found 'pid' at column 12"},
    {"read:EINTR,fd", "expected '=' after 'fd'"},
    {"read:EINTR,fd=3,fd=4", "fd= given twice at column 17"},
    {"read:EINTR,tid=3,tid=4", "tid= given twice"},
    {"read:EINTR,tid=0", "tid out of range at column 16"},
    {"read:EINTR,fd=4294967296", "fd out of range"},
    {"msgsnd:EINTR,fd=3",
     "fd= applies only to calls that take a descriptor at column 14"},
    {"read:EINTR , fd = 5", "expected '=' after 'fd' at column 16"},
    {"read:EINTR x", "expected ';' or end of plan, found 'x' at column 12"},
    {"read:EINTR@2 3", "expected ';' or end of plan, found '3' at column 14"},
    {"seed=1; seed=2", "seed given twice at column 9"},
    {"seed=x", "expected a number for seed, found 'x' at column 6"},
    {"seed=99999999999999999999", "seed number out of range at column 6"},
};

TEST(PlanParse, RejectedTextsPointAtTheOffendingToken) {
  for (const Reject& r : kRejected) {
    SCOPED_TRACE(r.text);
    auto p = parse_plan(r.text);
    ASSERT_THAT(p, FailsWith(EINVAL));
    EXPECT_EQ(p.error().op(), "parse_plan");
    EXPECT_THAT(p.error().detail(), HasSubstr(r.error));
    EXPECT_THAT(p.error().message(), HasSubstr(r.text));
  }
}

TEST(PlanParse, LongTextIsShortenedInTheErrorContext) {
  std::string text(100, ' ');
  text += "bogus:EIO";
  auto p = parse_plan(text);
  ASSERT_THAT(p, FailsWith(EINVAL));
  // 80 bytes of it, quoted, and its length (cli::quote).
  EXPECT_THAT(p.error().context(), HasSubstr("... (109 bytes)"));
  EXPECT_LT(p.error().context().size(), 100u);
  EXPECT_THAT(p.error().detail(), HasSubstr("at column 101"));
}

TEST(PlanNames, ErrnoAndSignalNames) {
  EXPECT_EQ(errno_name(EINTR), "EINTR");
  EXPECT_EQ(errno_name(EIDRM), "EIDRM");
  EXPECT_EQ(errno_name(0), "errno 0");
  EXPECT_EQ(errno_name(9999), "errno 9999");
  EXPECT_EQ(signal_name(SIGUSR1), "SIGUSR1");
  EXPECT_EQ(signal_name(SIGRTMIN), "SIGRTMIN");
  EXPECT_EQ(signal_name(SIGRTMIN + 4), "SIGRTMIN+4");
  EXPECT_EQ(signal_name(0), "signal 0");
  EXPECT_EQ(calls_to_string(call_bit(Call::close) | call_bit(Call::read)),
            "read|close");
  EXPECT_EQ(calls_to_string(kAllCalls), "all");
  Trigger every;
  EXPECT_EQ(trigger_to_string(every), "");
}

TEST(PlanNames, CallClassification) {
  EXPECT_TRUE(call_takes_fd(Call::read));
  EXPECT_TRUE(call_takes_fd(Call::mmap));
  EXPECT_TRUE(call_takes_fd(Call::poll));
  EXPECT_FALSE(call_takes_fd(Call::msgsnd));
  EXPECT_FALSE(call_takes_fd(Call::open));
  EXPECT_TRUE(call_can_short(Call::pwrite));
  EXPECT_FALSE(call_can_short(Call::msgrcv));
}

}  // namespace
}  // namespace fault
