// fault/engine_test.cc — decisions of the Engine: trigger semantics, scopes,
// rule precedence, seeded probability and short=random, the log, thread safety.
#include "fault/engine.h"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Plan must_parse(const std::string& text) {
  auto p = parse_plan(text);
  EXPECT_TRUE(p.ok()) << text << ": " << (p.ok() ? "" : p.error().message());
  return p.ok() ? p.value() : Plan{};
}

// The byte count a fired short= decision leaves to the call.
std::size_t decided_size(const Decision& d) {
  EXPECT_TRUE(d.fired());
  const auto* s = std::get_if<ShortEffect>(&d.effect);
  EXPECT_NE(s, nullptr);
  return s != nullptr ? s->max : 0;
}

// Ordinals (1..n) of the reads on fd 3 for which `plan` fires.
std::vector<int> fired_reads(const std::string& plan, int n = 30) {
  Engine e(must_parse(plan));
  std::vector<int> out;
  for (int k = 1; k <= n; ++k) {
    if (e.decide(Call::read, 3, 100).fired()) out.push_back(k);
  }
  return out;
}

TEST(Engine, CountTriggers) {
  EXPECT_EQ(fired_reads("read:EINTR@2"), (std::vector<int>{2}));
  EXPECT_EQ(fired_reads("read:EINTR@4..6"), (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(fired_reads("read:EINTR@28+"), (std::vector<int>{28, 29, 30}));
  EXPECT_EQ(fired_reads("read:EINTR@3+10"), (std::vector<int>{3, 13, 23}));
  EXPECT_EQ(fired_reads("read:EINTR@3..13+5"), (std::vector<int>{3, 8, 13}));
  EXPECT_EQ(fired_reads("read:EINTR", 4), (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(fired_reads("write:EINTR"), (std::vector<int>{}));
  EXPECT_EQ(fired_reads(""), (std::vector<int>{}));
}

TEST(Engine, CountsBeyond16Bits) {
  Engine e(must_parse("read:EINTR@70000"));
  int fired_at = 0;
  for (int k = 1; k <= 70001; ++k) {
    if (e.decide(Call::read, 0, 1).fired()) fired_at = k;
  }
  EXPECT_EQ(fired_at, 70000);
  EXPECT_EQ(e.calls(Call::read), 70001u);
  EXPECT_EQ(e.rule_count(0), 70001u);
}

TEST(Engine, DecisionCarriesTheEffect) {
  Engine e(must_parse(
      "read:EIDRM@1; read:delay=3ms@2; read:signal=SIGUSR2@3; read:pass@4; "
      "read:short=7@5"));
  Decision d = e.decide(Call::read, 0, 100);
  EXPECT_EQ(d.effect, Effect(ErrnoEffect{EIDRM}));
  EXPECT_EQ(d.rule, 0);
  EXPECT_EQ(d.ordinal, 1u);
  d = e.decide(Call::read, 0, 100);
  EXPECT_EQ(d.effect, Effect(DelayEffect{3000000}));
  EXPECT_EQ(d.rule, 1);
  d = e.decide(Call::read, 0, 100);
  EXPECT_EQ(d.effect, Effect(SignalEffect{SIGUSR2}));
  d = e.decide(Call::read, 0, 100);
  EXPECT_EQ(d.effect, Effect(PassEffect{}));
  EXPECT_TRUE(d.fired());
  d = e.decide(Call::read, 0, 100);
  EXPECT_EQ(d.effect, Effect(ShortEffect{ShortEffect::Mode::kAtMost, 7}));
  EXPECT_EQ(d.rule, 4);
  EXPECT_EQ(d.ordinal, 5u);
  EXPECT_FALSE(e.decide(Call::read, 0, 100).fired());
  EXPECT_EQ(e.injected(), 5u);
}

TEST(Engine, ShortSizes) {
  auto size_for = [](const std::string& effect, std::size_t n) {
    Engine e(must_parse("write:" + effect));
    return decided_size(e.decide(Call::write, 1, n));
  };
  EXPECT_EQ(size_for("short=1", 4096), 1u);
  EXPECT_EQ(size_for("short=3", 2), 2u);
  EXPECT_EQ(size_for("short=3", 0), 0u);
  EXPECT_EQ(size_for("short=half", 10), 5u);
  EXPECT_EQ(size_for("short=half", 11), 5u);
  EXPECT_EQ(size_for("short=half", 1), 1u);
  EXPECT_EQ(size_for("short=half", 0), 0u);
  EXPECT_EQ(size_for("short=random", 0), 0u);
  EXPECT_EQ(size_for("short=random", 1), 1u);
  // short=random: always in [1, n], not constant, deterministic per seed.
  Engine a(must_parse("write:short=random; seed=5"));
  Engine b(must_parse("write:short=random; seed=5"));
  std::set<std::size_t> seen;
  for (int i = 0; i < 200; ++i) {
    std::size_t x = decided_size(a.decide(Call::write, 1, 10));
    EXPECT_GE(x, 1u);
    EXPECT_LE(x, 10u);
    EXPECT_EQ(decided_size(b.decide(Call::write, 1, 10)), x);
    seen.insert(x);
  }
  EXPECT_EQ(seen.size(), 10u);  // 200 draws over 10 values hit them all
}

TEST(Engine, FirstFiringRuleWinsButAllMatchingRulesCount) {
  Engine e(must_parse("read:pass@1; read:EAGAIN@2..3; read:EINTR"));
  EXPECT_EQ(e.decide(Call::read, 0, 1).effect, Effect(PassEffect{}));
  EXPECT_EQ(e.decide(Call::read, 0, 1).effect, Effect(ErrnoEffect{EAGAIN}));
  EXPECT_EQ(e.decide(Call::read, 0, 1).effect, Effect(ErrnoEffect{EAGAIN}));
  Decision d = e.decide(Call::read, 0, 1);
  EXPECT_EQ(d.effect, Effect(ErrnoEffect{EINTR}));
  EXPECT_EQ(d.rule, 2);
  EXPECT_EQ(d.ordinal,
            4u);  // rule 2 counted the three calls rules 0 and 1 took
  EXPECT_EQ(e.rule_count(0), 4u);
  EXPECT_EQ(e.rule_count(1), 4u);
  EXPECT_EQ(e.rule_count(2), 4u);
  EXPECT_EQ(e.rule_count(3), 0u);  // no such rule
}

TEST(Engine, GroupRulesCountAllTheirCallsTogether) {
  Engine e(must_parse("io:EINTR@2+2"));
  EXPECT_FALSE(e.decide(Call::read, 0, 1).fired());
  EXPECT_TRUE(e.decide(Call::write, 1, 1).fired());
  EXPECT_FALSE(e.decide(Call::pread, 0, 1).fired());
  EXPECT_TRUE(e.decide(Call::pwrite, 1, 1).fired());
  EXPECT_FALSE(
      e.decide(Call::close, 1, 0).fired());  // not in the group: not counted
  EXPECT_FALSE(e.decide(Call::read, 0, 1).fired());
  EXPECT_EQ(e.rule_count(0), 5u);
  EXPECT_EQ(e.calls(Call::read), 2u);
  EXPECT_EQ(e.calls(Call::close), 0u);
  EXPECT_TRUE(e.armed(Call::pwrite));
  EXPECT_FALSE(e.armed(Call::close));
}

TEST(Engine, FdScopeCountsOnlyThatDescriptor) {
  Engine e(must_parse("read:EINTR@2,fd=7"));
  EXPECT_FALSE(e.decide(Call::read, 7, 1).fired());
  EXPECT_FALSE(e.decide(Call::read, 8, 1).fired());
  EXPECT_FALSE(e.decide(Call::read, 8, 1).fired());
  Decision d = e.decide(Call::read, 7, 1);
  EXPECT_TRUE(d.fired());
  EXPECT_EQ(d.ordinal, 2u);
  EXPECT_EQ(e.calls(Call::read), 4u);
  EXPECT_EQ(e.rule_count(0), 2u);
}

TEST(Engine, TidScopeCountsOnlyThatThread) {
  pid_t other = 0;
  std::vector<bool> other_fired;
  std::promise<void> tid_known;
  auto tid_future = tid_known.get_future();
  std::promise<void> go;
  auto go_future = go.get_future();
  Plan plan;  // filled once the thread's tid is known
  std::unique_ptr<Engine> engine;
  std::thread t([&] {
    other = cached_tid();
    tid_known.set_value();
    go_future.wait();
    for (int i = 0; i < 3; ++i)
      other_fired.push_back(engine->decide(Call::read, 0, 1).fired());
  });
  tid_future.wait();
  engine = std::make_unique<Engine>(
      must_parse("read:EINTR@2,tid=" + std::to_string(other)));
  // This thread's calls neither fire nor advance the rule's counter.
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(engine->decide(Call::read, 0, 1).fired());
  go.set_value();
  t.join();
  EXPECT_EQ(other_fired, (std::vector<bool>{false, true, false}));
  ASSERT_EQ(engine->log().size(), 1u);
  EXPECT_EQ(engine->log()[0].tid, other);
  EXPECT_EQ(engine->rule_count(0), 3u);
}

TEST(Engine, CachedTidIsTheKernelTid) {
  EXPECT_EQ(cached_tid(), static_cast<pid_t>(::syscall(SYS_gettid)));
  pid_t in_thread = 0;
  std::thread t([&] { in_thread = cached_tid(); });
  t.join();
  EXPECT_NE(in_thread, cached_tid());
  EXPECT_GT(in_thread, 0);
}

TEST(Engine, CachedTidIsResetInAForkChild) {
  pid_t parent = cached_tid();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    pid_t t = cached_tid();
    ::_exit(t == ::getpid() && t != parent ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

std::vector<int> probability_schedule(std::uint64_t seed, const char* p = "0.3",
                                      int n = 400) {
  return fired_reads(
      std::string("read:EINTR@p=") + p + "; seed=" + std::to_string(seed), n);
}

TEST(Engine, ProbabilityIsDeterministicPerSeed) {
  std::vector<int> a = probability_schedule(42);
  EXPECT_EQ(probability_schedule(42), a);
  EXPECT_NE(probability_schedule(43), a);
  EXPECT_NE(probability_schedule(0), a);
  // About 30% of 400 calls (binomial: mean 120, sd 9.2; 80..160 is > 4 sd).
  EXPECT_GT(a.size(), 80u);
  EXPECT_LT(a.size(), 160u);
  EXPECT_TRUE(probability_schedule(7, "0").empty());
  EXPECT_EQ(probability_schedule(7, "1", 50).size(), 50u);
}

TEST(Engine, ProbabilityDependsOnOrdinalNotOnThreadInterleaving) {
  // Each rule's decision is a function of (seed, rule, ordinal): the set of
  // fired ordinals is the same whether the calls come from one or four threads.
  std::vector<int> serial = probability_schedule(9, "0.5", 4000);
  Engine e(must_parse("read:EINTR@p=0.5; seed=9"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&e] {
      for (int i = 0; i < 1000; ++i) e.decide(Call::read, 3, 1);
    });
  }
  for (auto& t : threads) t.join();
  std::set<int> ordinals;
  for (const LogEntry& entry : e.log())
    ordinals.insert(static_cast<int>(entry.decision.ordinal));
  EXPECT_EQ(std::vector<int>(ordinals.begin(), ordinals.end()), serial);
}

TEST(Engine, ConcurrentCallsGetUniqueOrdinals) {
  Engine e(must_parse("read:EINTR@5000..5099"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&e] {
      for (int i = 0; i < 2500; ++i) e.decide(Call::read, 3, 1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(e.calls(Call::read), 10000u);
  EXPECT_EQ(e.injected(), 100u);
  std::set<std::uint64_t> ordinals;
  for (const LogEntry& entry : e.log()) ordinals.insert(entry.decision.ordinal);
  ASSERT_EQ(ordinals.size(), 100u);
  EXPECT_EQ(*ordinals.begin(), 5000u);
  EXPECT_EQ(*ordinals.rbegin(), 5099u);
}

TEST(Engine, LogRecordsEachInjectedFault) {
  Engine e(must_parse("read:EINTR@2; write:short=half@1; seed=3"));
  e.decide(Call::read, 4, 10);
  e.decide(Call::read, 4, 10);
  e.decide(Call::write, 5, 10);
  e.decide(Call::msgsnd, -1, 0);
  std::vector<LogEntry> log = e.log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].call, Call::read);
  EXPECT_EQ(log[0].fd, 4);
  EXPECT_EQ(log[0].tid, cached_tid());
  EXPECT_EQ(log[0].decision.ordinal, 2u);
  EXPECT_EQ(log[0].decision.effect, Effect(ErrnoEffect{EINTR}));
  EXPECT_EQ(log[1].call, Call::write);
  EXPECT_EQ(log[1].requested, 10u);
  EXPECT_EQ(decided_size(log[1].decision), 5u);
  EXPECT_EQ(format_entry(log[0]),
            "read #2 (rule 0, fd=4, tid=" + std::to_string(cached_tid()) +
                "): EINTR");
  std::string text = e.format_log();
  EXPECT_THAT(text,
              HasSubstr("plan: read:EINTR@2; write:short=half@1; seed=3\n"));
  // The seed once: in the plan, not again on a line of its own.
  EXPECT_THAT(text, Not(HasSubstr("seed: ")));
  EXPECT_EQ(text.find("seed="), text.rfind("seed="));
  EXPECT_THAT(text, HasSubstr("injected: 2\n"));
  EXPECT_THAT(text, HasSubstr("write #1 (rule 1, fd=5, tid="));
  EXPECT_THAT(text, HasSubstr("): short 10 -> 5\n"));
  EXPECT_EQ(e.log_dropped(), 0u);
}

TEST(Engine, FormatEntryNamesEveryEffect) {
  Engine e(
      must_parse("msgsnd:delay=2us@1; msgsnd:signal=SIGUSR1@2; msgsnd:pass@3"));
  for (int i = 0; i < 3; ++i) e.decide(Call::msgsnd, -1, 0);
  std::vector<LogEntry> log = e.log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_THAT(format_entry(log[0]), HasSubstr("msgsnd #1 (rule 0, tid="));
  EXPECT_THAT(format_entry(log[0]), HasSubstr("): delay 2000ns"));
  EXPECT_THAT(format_entry(log[1]), HasSubstr("): signal SIGUSR1"));
  EXPECT_THAT(format_entry(log[2]), HasSubstr("): pass"));
}

TEST(Engine, LogBeyondCapacityIsCountedNotStored) {
  Engine e(must_parse("read:EINTR"), 3);
  for (int i = 0; i < 5; ++i) e.decide(Call::read, 0, 1);
  EXPECT_EQ(e.injected(), 5u);
  EXPECT_EQ(e.log().size(), 3u);
  EXPECT_EQ(e.log()[2].decision.ordinal, 3u);
  EXPECT_EQ(e.log_dropped(), 2u);
  EXPECT_THAT(e.format_log(), HasSubstr("(2 more not logged)"));
}

// What a fresh engine of the same plan would decide, for the fast path (one
// count rule), the general path (two rules, a scope) and the log.
TEST(Engine, ResetCountsStartsOverAsAFreshEngine) {
  Engine e(must_parse("read:EIO@2; write:EINTR@1,fd=1; close:pass"), 2);
  for (int i = 0; i < 3; ++i) e.decide(Call::read, 0, 1);
  e.decide(Call::write, 1, 1);
  e.decide(Call::write, 2, 1);
  for (int i = 0; i < 2; ++i) e.decide(Call::close, 3, 0);
  ASSERT_EQ(e.injected(), 4u);
  ASSERT_EQ(e.log_dropped(), 2u);
  e.reset_counts();
  EXPECT_EQ(e.injected(), 0u);
  EXPECT_FALSE(e.reached());
  EXPECT_TRUE(e.log().empty());
  EXPECT_EQ(e.log_dropped(), 0u);
  EXPECT_EQ(e.calls(Call::read), 0u);
  EXPECT_EQ(e.calls(Call::write), 0u);
  for (std::size_t r = 0; r < 3; ++r) EXPECT_EQ(e.rule_count(r), 0u) << r;
  EXPECT_FALSE(e.decide(Call::read, 0, 1).fired());
  Decision d = e.decide(Call::read, 0, 1);
  EXPECT_TRUE(d.fired());
  EXPECT_EQ(d.ordinal, 2u);
  EXPECT_EQ(e.decide(Call::write, 1, 1).ordinal, 1u);
  ASSERT_EQ(e.log().size(), 2u);
  EXPECT_EQ(e.log()[0].call, Call::read);
  EXPECT_EQ(e.log()[1].call, Call::write);
  EXPECT_THAT(e.format_log(), HasSubstr("injected: 2\n"));
}

TEST(Engine, UnarmedCallsAreNotCounted) {
  Engine e(must_parse("msgsnd:EAGAIN"));
  EXPECT_EQ(e.armed_calls(), call_bit(Call::msgsnd));
  EXPECT_FALSE(e.decide(Call::read, 0, 1).fired());
  EXPECT_EQ(e.calls(Call::read), 0u);
  EXPECT_FALSE(e.reached());
  EXPECT_TRUE(e.decide(Call::msgsnd, -1, 0).fired());
  EXPECT_TRUE(e.reached());
  EXPECT_EQ(e.calls(static_cast<Call>(ipc::sys::kCallCount)),
            0u);  // out of range
}

TEST(Engine, DecideForScopesAndLogsTheGivenThread) {
  Engine e(must_parse("read:EIO@2,tid=4242; write:EINTR@1"));
  EXPECT_FALSE(e.decide_for(4242, Call::read, 3, 8).fired());
  EXPECT_FALSE(e.decide_for(777, Call::read, 3, 8).fired());  // not counted
  EXPECT_FALSE(e.decide(Call::read, 3, 8).fired());  // this thread: no match
  Decision d = e.decide_for(4242, Call::read, 3, 8);
  EXPECT_TRUE(d.fired());
  EXPECT_EQ(d.ordinal, 2u);
  EXPECT_TRUE(e.decide_for(99, Call::write, 1, 4).fired());
  std::vector<LogEntry> log = e.log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].tid, 4242);
  EXPECT_EQ(log[1].tid, 99);
  EXPECT_FALSE(e.decide_for(1, Call::msgsnd, -1, 0).fired());
}

TEST(Engine, DecideForMatchesDecide) {
  // The general path the supervisor takes decides like the inline fast path.
  for (const char* plan : {"read:EINTR@3..5", "read:short=random@p=0.5; seed=9",
                           "read:EIO@2; read|write:EAGAIN@3+2"}) {
    Engine fast(must_parse(plan)), general(must_parse(plan));
    for (int k = 0; k < 40; ++k) {
      Call c = k % 3 == 0 ? Call::write : Call::read;
      Decision a = fast.decide(c, 3, 100);
      Decision b = general.decide_for(cached_tid(), c, 3, 100);
      EXPECT_EQ(a.rule, b.rule) << plan << " call " << k;
      EXPECT_EQ(a.ordinal, b.ordinal) << plan << " call " << k;
      EXPECT_EQ(a.effect, b.effect) << plan << " call " << k;
    }
  }
}

TEST(Engine, ForkCopyContinuesCountsAndLog) {
  Engine parent(must_parse("read:EIO@2; read:EINTR@4; msgsnd|msgrcv:pass@9"));
  parent.decide(Call::read, 3, 1);
  parent.decide(Call::read, 3, 1);  // EIO, logged
  parent.decide(Call::msgsnd, -1, 0);
  std::unique_ptr<Engine> child = parent.fork_copy();
  EXPECT_EQ(child->plan(), parent.plan());
  EXPECT_EQ(child->calls(Call::read), 2u);
  EXPECT_EQ(child->calls(Call::msgsnd), 1u);
  EXPECT_EQ(child->injected(), 1u);
  ASSERT_EQ(child->log().size(), 1u);
  EXPECT_EQ(child->log()[0].decision.effect, Effect(ErrnoEffect{EIO}));
  child->decide(Call::read, 3, 1);
  Decision d = child->decide(Call::read, 3, 1);  // the child's 4th read
  EXPECT_EQ(d.effect, Effect(ErrnoEffect{EINTR}));
  EXPECT_EQ(d.ordinal, 4u);
  EXPECT_EQ(parent.calls(Call::read), 2u);  // the parent is unchanged
  EXPECT_EQ(parent.injected(), 1u);
  EXPECT_THAT(child->format_log(), HasSubstr("calls: read=4 msgsnd=1\n"));
}

TEST(Engine, FormatLogCountsTheArmedCallsSeen) {
  Engine e(must_parse("read|write:EIO@100; msgsnd:EAGAIN@100"));
  for (int i = 0; i < 3; ++i) e.decide(Call::read, 0, 1);
  e.decide(Call::write, 1, 1);
  e.decide(Call::close, 1, 0);  // not armed: not counted
  EXPECT_THAT(e.format_log(), HasSubstr("\ncalls: read=3 write=1\n"));
  Engine idle(must_parse("read:EIO@1"));
  EXPECT_THAT(idle.format_log(), HasSubstr("\ncalls:\n"));
}

}  // namespace
}  // namespace fault
