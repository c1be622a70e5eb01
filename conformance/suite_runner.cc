// conformance/suite_runner.cc — see suite_runner.h.
#include "conformance/suite_runner.h"

#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace conformance {
namespace {

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

std::string tail(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : "…" + s.substr(s.size() - n);
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}

}  // namespace

void remove_tree(const std::string& path) {
  ::nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

std::set<std::string> SuiteRunner::catalogued_tests(
    const std::string& binary) const {
  std::set<std::string> out;
  for (const Behaviour& b : catalog_.behaviours) {
    for (const TestRef& t : b.tests) {
      if (t.binary == binary) out.insert(t.gtest_name());
    }
  }
  return out;
}

SuiteStats SuiteRunner::run(const std::string& path,
                            const std::set<std::string>& tests, int index,
                            int total, Outcomes& outcomes) {
  std::string name = basename_of(path);
  std::set<std::string> wanted = tests.empty() ? catalogued_tests(name) : tests;
  std::fprintf(stderr, "[report] (%d/%d) %s: running %zu test%s…\n", index,
               total, name.c_str(), wanted.size(),
               wanted.size() == 1 ? "" : "s");
  SuiteStats stats;
  Outcomes mine;
  auto give_rest = [&](TestOutcome::Kind kind, const std::string& why) {
    for (const std::string& t : wanted) {
      mine.emplace(name + ":" + t, TestOutcome{kind, why, ""});
    }
  };

  if (::access(path.c_str(), X_OK) != 0) {
    std::string why =
        "cannot run the suite " + path + ": " + std::strerror(errno);
    std::fprintf(stderr, "[report] %s: %s\n", name.c_str(), why.c_str());
    give_rest(TestOutcome::Kind::kError, why);
  } else {
    // The first attempt runs the whole binary when no subset was asked for;
    // later ones only the tests still without an outcome.
    std::set<std::string> filter = tests;
    for (;;) {
      Attempt a = attempt(path, filter);
      ++stats.attempts;
      stats.seconds += a.seconds;
      stats.leftovers_killed += a.leftovers_killed;
      std::size_t before = mine.size();
      for (auto& [key, o] : a.outcomes) mine.insert({key, o});
      if (a.completed) break;
      if (!a.stream.unfinished.empty()) {
        // Ended by its own watchdog or a crash, the test failed; cut short by
        // the suite's time limit (--timeout), it was not judged.
        mine[name + ":" + a.stream.unfinished] =
            TestOutcome{a.timed_out ? TestOutcome::Kind::kError
                                    : TestOutcome::Kind::kFailed,
                        a.stream.unfinished + " did not finish: " + a.why, ""};
      }
      std::set<std::string> rest;
      for (const std::string& t : wanted) {
        if (mine.count(name + ":" + t) == 0) rest.insert(t);
      }
      std::fprintf(stderr, "[report] %s did not finish (%s)%s\n", name.c_str(),
                   first_line(a.why).c_str(),
                   a.stream.unfinished.empty()
                       ? ""
                       : (" in " + a.stream.unfinished).c_str());
      if (rest.empty()) break;
      if (a.stream.started == 0 || mine.size() == before) {
        // Nothing ran (or nothing new finished): the binary itself cannot
        // run these tests here.
        std::string why =
            (a.stream_seen ? "the suite died before its first test: "
                           : "the suite could not start (no results): ") +
            a.why;
        give_rest(TestOutcome::Kind::kError, why);
        break;
      }
      std::fprintf(stderr,
                   "[report] %s: running the %zu test%s that did not "
                   "start\n",
                   name.c_str(), rest.size(), rest.size() == 1 ? "" : "s");
      filter = std::move(rest);
    }
  }
  for (const std::string& t : wanted) {
    auto it = mine.find(name + ":" + t);
    if (it == mine.end()) continue;  // judged "not run" (error) later
    switch (it->second.kind) {
      case TestOutcome::Kind::kPassed:
        ++stats.passed;
        break;
      case TestOutcome::Kind::kFailed:
        ++stats.failed;
        break;
      case TestOutcome::Kind::kSkipped:
        ++stats.skipped;
        break;
      case TestOutcome::Kind::kError:
        ++stats.errors;
        break;
    }
  }
  outcomes.insert(mine.begin(), mine.end());
  std::fprintf(stderr,
               "[report] (%d/%d) %s: %d passed, %d failed, %d skipped, %d not "
               "run in %.1f s%s\n",
               index, total, name.c_str(), stats.passed, stats.failed,
               stats.skipped, stats.errors, stats.seconds,
               stats.leftovers_killed > 0
                   ? (" (killed " + std::to_string(stats.leftovers_killed) +
                      " leftover process(es))")
                         .c_str()
                   : "");
  return stats;
}

SuiteRunner::Attempt SuiteRunner::attempt(const std::string& path,
                                          const std::set<std::string>& tests) {
  std::string name = basename_of(path);
  std::string base =
      config_.work_dir + "/" + name + "." + std::to_string(++serial_);
  std::string json_path = base + ".json", stream_path = base + ".stream",
              tmp = base + ".tmp";
  Attempt a;
  // $TMPDIR of the suite: searchable by others (0711), as /tmp is, for tests
  // that drop privileges; $TEST_TMPDIR, the suite's temp root, inside it and
  // private (0700), as Bazel's is.
  std::string test_tmp = tmp + "/test";
  if (::mkdir(tmp.c_str(), 0711) != 0 || ::chmod(tmp.c_str(), 0711) != 0 ||
      ::mkdir(test_tmp.c_str(), 0700) != 0) {
    a.why = "mkdir " + tmp + ": " + std::strerror(errno);
    remove_tree(tmp);
    return a;
  }
  std::vector<std::string> argv = {path, "--gtest_output=json:" + json_path};
  if (!tests.empty()) {
    std::string filter;
    for (const std::string& t : tests)
      filter += (filter.empty() ? "" : ":") + t;
    argv.push_back("--gtest_filter=" + filter);
  }
  RunOptions ro;
  ro.isolation = config_.isolation;
  ro.containment = config_.containment;
  ro.timeout = config_.suite_timeout;
  ro.output_fd = config_.verbose ? 2 : -1;
  ro.sanitise_environment = true;
  ro.env = config_.env;
  ro.env.push_back("TEST_TMPDIR=" + test_tmp);
  ro.env.push_back("TMPDIR=" + tmp);
  ro.env.push_back("IPCT_TEST_TIMEOUT=" +
                   std::to_string(config_.test_timeout_s));
  ro.env.push_back("IPCT_RESULTS_STREAM=" + stream_path);
  auto run = run_program(argv, ro);
  // Every process of the attempt is gone now (containment): its files can go.
  remove_tree(tmp);
  std::string json_text = slurp(json_path), stream_text = slurp(stream_path);
  a.stream_seen = ::access(stream_path.c_str(), F_OK) == 0;
  ::unlink(json_path.c_str());
  ::unlink(stream_path.c_str());
  if (!run) {
    a.why = run.error().message();
    return a;
  }
  a.seconds = run->seconds;
  a.leftovers_killed = run->leftovers_killed;
  ipc::Status parsed =
      json_text.empty()
          ? ipc::Status(ipc::Error(ENOENT, "read", "--gtest_output file"))
          : add_gtest_json(name, json_text, a.outcomes);
  bool exited_normally =
      WIFEXITED(run->wait_status) && WEXITSTATUS(run->wait_status) <= 1;
  if (!run->timed_out && parsed) {
    a.completed = true;
    if (!exited_normally) {
      std::fprintf(stderr, "[report] note: %s %s after writing its results\n",
                   name.c_str(), describe_status(run->wait_status).c_str());
    }
    return a;
  }
  a.outcomes.clear();
  a.stream = add_result_stream(name, stream_text, a.outcomes);
  a.timed_out = run->timed_out;
  a.why = run->timed_out ? "the suite's time limit (" +
                               std::to_string(config_.suite_timeout.count()) +
                               " s) ran out"
                         : describe_status(run->wait_status);
  if (!run->output.empty())
    a.why += "\nlast output:\n" + tail(run->output, 2000);
  return a;
}

}  // namespace conformance
