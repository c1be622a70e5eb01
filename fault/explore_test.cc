// fault/explore_test.cc — ipcfault explore end to end on programs of ours
// whose error handling is known: each class is found where it is and only
// there, the replay command reproduces a finding, nothing is left behind.
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "conformance/json.h"
#include "fault/explore_space.h"
#include "fault/subprocess.h"
#include "fault/test_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace fault {
namespace {

using ::fault::testing::Built;
using ::fault::testing::Pattern;
using ::fault::testing::ReadFile;
using ::fault::testing::WriteFile;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

struct Explored {
  int exit_code = -1;
  std::string out, err;
  conformance::Json json;
  // The runs of one outcome.
  std::vector<const conformance::Json*> runs(const std::string& outcome) const {
    std::vector<const conformance::Json*> v;
    if (const conformance::Json* r = json.get("runs")) {
      for (const conformance::Json& run : r->as_array()) {
        if (run.get_string("outcome") == outcome) v.push_back(&run);
      }
    }
    return v;
  }
  double summary(const std::string& key) const {
    const conformance::Json* s = json.get("summary");
    const conformance::Json* v = s ? s->get(key) : nullptr;
    return v != nullptr && v->is_number() ? v->as_number() : -1;
  }
};

class ExploreTest : public ::testing::Test {
 protected:
  Explored Explore(std::vector<std::string> options,
                   const std::vector<std::string>& program) {
    fault::Command c;
    c.argv = {ipcfault_, "explore", "--json", json_, "--jobs", "2"};
    c.argv.insert(c.argv.end(), options.begin(), options.end());
    c.argv.push_back("--");
    c.argv.insert(c.argv.end(), program.begin(), program.end());
    c.cwd = dir_.path();
    c.timeout = std::chrono::seconds(120);
    auto done = fault::run_command(c);
    Explored e;
    EXPECT_TRUE(done.ok());
    if (!done.ok()) return e;
    EXPECT_FALSE(done->timed_out);
    e.exit_code = WIFEXITED(done->status) ? WEXITSTATUS(done->status) : -1;
    e.out = done->out.data;
    e.err = done->err.data;
    auto parsed = conformance::parse_json(ReadFile(json_));
    if (parsed.ok()) e.json = std::move(parsed).value();
    return e;
  }

  std::string ipcfault_ = Built("ipcfault");
  std::string bug_ = Built("copy_with_a_bug");
  std::string target_ = Built("explore_test_target");
  ipc::testing::TempDir dir_;
  std::string json_ = dir_.file("out.json");
  std::string input_ = dir_.file("input");
};

TEST_F(ExploreTest, CopyThatIgnoresShortWritesIsCorruptAndTheReplayShowsIt) {
  std::string data = Pattern(10000);
  WriteFile(input_, data);
  for (const char* mechanism : {"--mechanism=preload", "--mechanism=seccomp"}) {
    Explored e = Explore({"--stdin", input_, mechanism}, {bug_});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    std::vector<const conformance::Json*> corrupt = e.runs("corrupt");
    ASSERT_FALSE(corrupt.empty()) << e.out;
    for (const conformance::Json* run : corrupt) {
      EXPECT_THAT(run->get_string("plan"), HasSubstr("write:short=1@"));
      EXPECT_TRUE(run->get("reached")->as_bool());
    }
    EXPECT_THAT(e.out, HasSubstr("corrupt (" + std::to_string(corrupt.size())));
    EXPECT_EQ(e.summary("crash"), 0);
    EXPECT_EQ(e.summary("hang"), 0);
    EXPECT_EQ(e.summary("leak"), 0);
    // The replay command, run by a shell in the same directory, loses bytes
    // and still exits 0.
    std::string replay = corrupt[0]->get_string("replay");
    EXPECT_THAT(e.out, HasSubstr(replay));
    fault::Command sh;
    sh.argv = {"/bin/sh", "-c", replay};
    sh.cwd = dir_.path();
    auto again = fault::run_command(sh);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->status, 0) << replay << "\n" << again->err.data;
    // Bytes lost: the first chunk is cut short and the copy goes on.
    EXPECT_LT(again->out.length, data.size()) << replay;
    EXPECT_TRUE(again->out.data.size() >= 1 && data[0] == again->out.data[0]);
  }
}

TEST_F(ExploreTest, TheCorrectTwinHasNoCorruptCrashHangOrLeakRun) {
  WriteFile(input_, Pattern(10000));
  for (const char* mechanism : {"--mechanism=preload", "--mechanism=seccomp"}) {
    Explored e = Explore({"--stdin", input_, mechanism}, {target_, "copy"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_GT(e.summary("runs"), 20) << e.out;
    for (const char* bad : {"corrupt", "crash", "hang", "leak", "silent"})
      EXPECT_EQ(e.summary(bad), 0) << mechanism << " " << bad << "\n" << e.out;
    // Every injected EINTR and short count was absorbed.
    for (const conformance::Json* run : e.runs("handled")) {
      EXPECT_THAT(run->get_string("plan"), Not(HasSubstr("EINTR")));
      EXPECT_THAT(run->get_string("plan"), Not(HasSubstr("short")));
    }
    EXPECT_GT(e.summary("clean"), 0);
  }
}

TEST_F(ExploreTest, AnObjectLeftBehindOnAnErrorPathIsALeak) {
  struct Case {
    std::vector<std::string> program;
    std::string calls;
    std::string left;  // what the leak report names
  };
  std::vector<Case> cases = {
      {{target_, "queue"}, "msgrcv", "sysv-msg"},
      {{target_, "shm"}, "ftruncate", "dev-shm"},
      {{target_, "fifo", dir_.path()}, "write", "fifo"},
  };
  for (const Case& k : cases) {
    Explored e = Explore({"--calls", k.calls}, k.program);
    ASSERT_EQ(e.exit_code, 0) << e.err;
    std::vector<const conformance::Json*> leaks = e.runs("leak");
    EXPECT_FALSE(leaks.empty()) << k.program[1] << "\n" << e.out;
    for (const conformance::Json* run : leaks)
      EXPECT_THAT(run->get_string("detail"), HasSubstr(k.left));
    EXPECT_EQ(e.summary("clean") + e.summary("leak") + e.summary("handled"),
              e.summary("runs"))
        << e.out;
  }
  // Nothing escaped the runs' namespaces into ours.
  EXPECT_EQ(::access((dir_.path() + "/explore-test-fifo").c_str(), F_OK), -1);
  EXPECT_EQ(::access("/dev/shm/explore-test-shm", F_OK), -1);
}

TEST_F(ExploreTest, AbortIsACrashAndWaitingForeverIsAHang) {
  WriteFile(input_, Pattern(100));
  Explored e = Explore({"--stdin", input_, "--effects", "EIO"},
                       {target_, "abort-on-error"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.summary("crash"), e.summary("runs")) << e.out;
  EXPECT_THAT(e.out, HasSubstr("signal 6"));

  auto start = std::chrono::steady_clock::now();
  e = Explore({"--stdin", input_, "--effects", "EAGAIN", "--timeout", "1"},
              {target_, "wait-on-eagain"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.summary("hang"), e.summary("runs")) << e.out;
  EXPECT_GE(e.summary("hang"), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  // The hung processes were killed with their namespace.
  if (DIR* d = ::opendir("/proc")) {
    while (struct dirent* ent = ::readdir(d)) {
      std::string exe = "/proc/" + std::string(ent->d_name) + "/exe";
      char buf[4096];
      ssize_t n = ::readlink(exe.c_str(), buf, sizeof buf - 1);
      if (n <= 0) continue;
      EXPECT_THAT(std::string(buf, static_cast<std::size_t>(n)),
                  Not(HasSubstr("explore_test_target")));
    }
    ::closedir(d);
  }
}

TEST_F(ExploreTest, BadOptionsAreRefusedBeforeAnyRun) {
  for (const std::vector<std::string>& opts :
       std::vector<std::vector<std::string>>{
           {"--timeout", "10abc"},
           {"--jobs", "0"},
           {"--effects", "EFOO"},
           {"--calls", "reed"},
           {"--stdin", "/no/such/file"},
           {"--mechanism=ptrace"},
       }) {
    fault::Command c;
    c.argv = {ipcfault_, "explore"};
    c.argv.insert(c.argv.end(), opts.begin(), opts.end());
    c.argv.insert(c.argv.end(), {"--", target_, "copy"});
    auto done = fault::run_command(c);
    ASSERT_TRUE(done.ok());
    EXPECT_EQ(WEXITSTATUS(done->status), 2) << opts[0];
    EXPECT_THAT(done->err.data, HasSubstr(opts[0].substr(0, 7))) << opts[0];
    EXPECT_THAT(done->err.data, Not(HasSubstr("reference runs"))) << opts[0];
  }
  fault::Command c;
  c.argv = {ipcfault_, "explore", "--json", "/no/such/dir/out.json",
            "--",      target_,   "copy"};
  auto done = fault::run_command(c);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(WEXITSTATUS(done->status), 2);
  EXPECT_THAT(done->err.data, HasSubstr("--json"));
  EXPECT_THAT(done->err.data, Not(HasSubstr("reference runs")));
}

TEST(ExploreSpace, OrdinalsFirstLastThenSpread) {
  EXPECT_THAT(spread_ordinals(1, 10), ElementsAre(1));
  EXPECT_THAT(spread_ordinals(2, 10), ElementsAre(1, 2));
  EXPECT_THAT(spread_ordinals(9, 100), ElementsAre(1, 9, 5, 3, 7, 2, 4, 6, 8));
  EXPECT_THAT(spread_ordinals(1000, 3), ElementsAre(1, 1000, 500));
  std::vector<std::uint64_t> all = spread_ordinals(50, 1000);
  std::sort(all.begin(), all.end());
  for (std::uint64_t k = 1; k <= 50; ++k) EXPECT_EQ(all[k - 1], k);
}

TEST(ExploreSpace, BudgetVisitsEveryStreamBeforeAnySecondOrdinal) {
  ExploreSpace s = ExploreSpace::make({{Call::read, 100}, {Call::write, 2}},
                                      {"EIO", "short"}, 6);
  EXPECT_EQ(s.size(), 204u);
  EXPECT_THAT(s.plans(), ElementsAre("read:EIO@1", "read:short=1@1",
                                     "write:EIO@1", "write:short=1@1",
                                     "read:EIO@100", "read:short=1@100"));
  ExploreSpace whole = ExploreSpace::make({{Call::msgsnd, 3}}, {}, 0);
  // EINTR EAGAIN EIDRM ENOMEM interrupt x 3
  EXPECT_EQ(whole.plans().size(), 15u);
}

TEST(ExploreSpace, EveryEffectIsAValidPlan) {
  for (std::size_t c = 0; c < ipc::sys::kCallCount; ++c) {
    auto call = static_cast<Call>(c);
    std::vector<ExploreEffect> effects = effects_for(call);
    EXPECT_FALSE(effects.empty()) << ipc::sys::call_name(call);
    for (const ExploreEffect& e : effects) {
      std::string plan =
          std::string(ipc::sys::call_name(call)) + ":" + e.plan + "@1";
      EXPECT_TRUE(parse_plan(plan).ok()) << plan;
    }
  }
}

}  // namespace
}  // namespace fault
