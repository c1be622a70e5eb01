// conformance/report.cc — the product's main job: run the whole behaviour
// catalogue against this host and say, per behaviour ID, whether the OS
// conforms.
//
//   ./bazelw run //:report [-- --out FILE --json FILE --junit FILE
//                              --only 'PIPE-0*' --verbose]
//   bazel-bin/conformance/report ...       (outside Bazel: same runfiles)
//
// Runs every conformance binary once with --gtest_output=json (in a private
// IPC namespace with a private /dev/shm when permitted), maps the results to
// IDs through conformance/catalog.txt, prints progress on stderr and Markdown
// on stdout (or --out), and optionally JSON and JUnit XML. Exit status: 0 if
// nothing deviates, 1 if something does, 2 on usage or infrastructure errors.
//
// A tool that observes the OS: it calls libc directly, not the ipc::sys seam.
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/catalog.h"
#include "conformance/json.h"
#include "conformance/process.h"
#include "conformance/verdict.h"

namespace conformance {
namespace {

constexpr const char* kUsage =
    "usage: report [--out FILE] [--json FILE] [--junit FILE] [--only PATTERN]...\n"
    "              [--verbose] [--catalog FILE] [--suite BINARY]... [--timeout SECONDS]\n"
    "              [--test-timeout SECONDS]\n"
    "              [--shared-ipc] [--preload LIB]\n"
    "  --only PATTERN   behaviour IDs to run (fnmatch, e.g. 'PIPE-0*'); repeatable\n"
    "  --verbose        stream the suites' own output to stderr\n"
    "  --catalog FILE   catalogue to use instead of the built-in one\n"
    "  --suite BINARY   run this conformance binary instead of the built-in ones\n"
    "  --timeout S      kill a suite that runs longer (default 1800)\n"
    "  --test-timeout S end a suite whose current test runs longer (default 60); its\n"
    "                   tests are then run one at a time\n"
    "  --shared-ipc     do not run the suites in a private IPC namespace\n"
    "  --preload LIB    run the suites with LD_PRELOAD=LIB (e.g. a deviation shim from\n"
    "                   conformance/selftest, or an emulation layer to judge)\n";

struct Options {
  std::string out, json, junit, catalog, preload;
  std::vector<std::string> only, suites;
  bool verbose = false;
  bool shared_ipc = false;
  int timeout_s = 1800;
  int test_timeout_s = 60;
  bool host_facts_only = false;  // internal: print host facts as JSON and exit
};

// `bazel run` starts us in the runfiles tree; relative paths the user typed
// are relative to where they typed them.
std::string user_path(const std::string& p) {
  const char* wd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (p.empty() || p[0] == '/' || wd == nullptr || *wd == '\0') return p;
  return std::string(wd) + "/" + p;
}

bool parse_args(int argc, char** argv, Options& o, std::string& err) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= argc) {
        err = a + " needs a value";
        return false;
      }
      into = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--out") {
      if (!value(v)) return false;
      o.out = user_path(v);
    } else if (a == "--json") {
      if (!value(v)) return false;
      o.json = user_path(v);
    } else if (a == "--junit") {
      if (!value(v)) return false;
      o.junit = user_path(v);
    } else if (a == "--catalog") {
      if (!value(v)) return false;
      o.catalog = user_path(v);
    } else if (a == "--only") {
      if (!value(v)) return false;
      std::stringstream parts(v);
      for (std::string p; std::getline(parts, p, ',');) {
        if (!p.empty()) o.only.push_back(p);
      }
    } else if (a == "--suite") {
      if (!value(v)) return false;
      o.suites.push_back(user_path(v));
    } else if (a == "--timeout") {
      if (!value(v)) return false;
      o.timeout_s = std::atoi(v.c_str());
      if (o.timeout_s <= 0) {
        err = "--timeout needs a positive number of seconds";
        return false;
      }
    } else if (a == "--test-timeout") {
      if (!value(v)) return false;
      o.test_timeout_s = std::atoi(v.c_str());
      if (o.test_timeout_s <= 0) {
        err = "--test-timeout needs a positive number of seconds";
        return false;
      }
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (a == "--preload") {
      if (!value(v)) return false;
      o.preload = user_path(v);
      if (::access(o.preload.c_str(), R_OK) != 0) {
        err = "--preload " + o.preload + ": " + std::strerror(errno);
        return false;
      }
    } else if (a == "--shared-ipc") {
      o.shared_ipc = true;
    } else if (a == "--host-facts") {
      o.host_facts_only = true;
    } else if (a == "--help" || a == "-h") {
      err = "";
      return false;
    } else {
      err = "unknown argument " + a;
      return false;
    }
  }
  return true;
}

std::string trimmed_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "unavailable";
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Facts about the OS as the suites see it. Printed by a child that runs in
// the suites' isolation, because the IPC limits belong to the IPC namespace.
Json collect_host_facts() {
  Json f = Json::object();
  struct utsname u;
  if (::uname(&u) == 0) {
    f.set("kernel", std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine);
  }
  f.set("libc", std::string("glibc ") + gnu_get_libc_version() + " (" + gnu_get_libc_release() + ")");
  f.set("page_size", std::to_string(::sysconf(_SC_PAGESIZE)));
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == 0) {
    long pipe_buf = ::fpathconf(fds[0], _PC_PIPE_BUF);
    f.set("pipe_buf", std::to_string(PIPE_BUF) + " (fpathconf: " + std::to_string(pipe_buf) + ")");
    f.set("pipe_capacity_default", std::to_string(::fcntl(fds[0], F_GETPIPE_SZ)));
    ::close(fds[0]);
    ::close(fds[1]);
  }
  f.set("pipe_max_size", trimmed_file("/proc/sys/fs/pipe-max-size"));
  for (const char* k : {"msgmax", "msgmnb", "msgmni", "shmmax", "shmall", "shmmni"}) {
    f.set(k, trimmed_file(std::string("/proc/sys/kernel/") + k));
  }
  f.set("uid", std::to_string(::getuid()) + (::getuid() == 0 ? " (root)" : ""));
  return f;
}

struct Plan {
  std::vector<const Behaviour*> behaviours;          // selected, catalogue order
  std::map<std::string, std::set<std::string>> tests;  // binary → gtest names needed
};

Plan make_plan(const Catalog& cat, const std::vector<std::string>& only) {
  Plan plan;
  for (const Behaviour& b : cat.behaviours) {
    bool wanted = only.empty();
    for (const std::string& p : only) wanted = wanted || id_matches(p, b.id);
    if (!wanted) continue;
    plan.behaviours.push_back(&b);
    for (const TestRef& t : b.tests) plan.tests[t.binary].insert(t.gtest_name());
  }
  return plan;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

std::string tail(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : "…" + s.substr(s.size() - n);
}

class Runner {
 public:
  Runner(const Options& o, const Catalog& cat, Isolation iso, std::string tmp, std::string runfiles)
      : opt_(o), cat_(cat), iso_(iso), tmp_(std::move(tmp)), runfiles_(std::move(runfiles)) {}

  // Runs one binary for the given tests (all of them if `tests` is empty);
  // adds outcomes. If the binary does not finish (a crash, a hang caught by
  // the per-test watchdog, the suite timeout), every catalogued test of it
  // without a result is run again on its own, so one broken test costs only
  // its own behaviours. Returns the number of tests with a result.
  int run_suite(const std::string& path, const std::set<std::string>& tests, int index, int total,
                Outcomes& outcomes) {
    std::string name = basename_of(path);
    std::fprintf(stderr, "[report] (%d/%d) %s: running %zu test%s…\n", index, total, name.c_str(),
                 tests.size(), tests.size() == 1 ? "" : "s");
    Attempt first = attempt(path, opt_.only.empty() ? std::set<std::string>{} : tests);
    Outcomes mine = first.outcomes;
    double seconds = first.seconds;
    if (!first.why.empty()) {
      std::fprintf(stderr, "[report] %s did not finish: %s; running its tests one at a time\n",
                   name.c_str(), first_line(first.why).c_str());
      for (const std::string& test : catalogued_tests(name, tests)) {
        if (mine.count(name + ":" + test) != 0) continue;
        Attempt one = attempt(path, {test});
        seconds += one.seconds;
        auto it = one.outcomes.find(name + ":" + test);
        if (it != one.outcomes.end() && one.why.empty()) {
          mine.insert(*it);
        } else {
          mine[name + ":" + test] = TestOutcome{TestOutcome::Kind::kFailed, test + " did not finish: " + one.why};
        }
      }
    }
    int passed = 0, failed = 0, skipped = 0;
    for (const auto& [key, o] : mine) {
      passed += o.kind == TestOutcome::Kind::kPassed;
      failed += o.kind == TestOutcome::Kind::kFailed;
      skipped += o.kind == TestOutcome::Kind::kSkipped;
    }
    outcomes.insert(mine.begin(), mine.end());
    std::fprintf(stderr, "[report] (%d/%d) %s: %d passed, %d failed, %d skipped in %.1f s\n", index,
                 total, name.c_str(), passed, failed, skipped, seconds);
    return passed + failed + skipped;
  }

 private:
  struct Attempt {
    Outcomes outcomes;
    std::string why;  // empty if the binary finished and wrote its results
    double seconds = 0;
  };

  // One run of `path` over `tests` (empty: all); parses its JSON results.
  Attempt attempt(const std::string& path, const std::set<std::string>& tests) {
    std::string name = basename_of(path);
    std::string json_path = tmp_ + "/" + name + ".json";
    std::vector<std::string> argv = {path, "--gtest_output=json:" + json_path};
    if (!tests.empty()) {
      std::string filter;
      for (const std::string& t : tests) filter += (filter.empty() ? "" : ":") + t;
      argv.push_back("--gtest_filter=" + filter);
    }
    RunOptions ro;
    ro.isolation = iso_;
    ro.timeout = std::chrono::seconds(opt_.timeout_s);
    ro.output_fd = opt_.verbose ? 2 : -1;
    // A private temp root per suite; the suites find their own data (peer
    // programs) in our runfiles tree, which contains theirs.
    ro.env = {"TEST_TMPDIR=", "IPCT_TEST_TIMEOUT=" + std::to_string(opt_.test_timeout_s)};
    if (!runfiles_.empty()) ro.env.push_back("RUNFILES_DIR=" + runfiles_);
    if (!opt_.preload.empty()) ro.env.push_back("LD_PRELOAD=" + opt_.preload);
    Attempt a;
    auto run = run_program(argv, ro);
    if (!run) {
      a.why = run.error().message();
      return a;
    }
    a.seconds = run->seconds;
    std::ifstream in(json_path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ::unlink(json_path.c_str());
    ipc::Status parsed = text.empty() ? ipc::Status(ipc::Error(ENOENT, "read", json_path))
                                      : add_gtest_json(name, text, a.outcomes);
    bool died = !WIFEXITED(run->wait_status) || (WEXITSTATUS(run->wait_status) > 1);
    if (run->timed_out || died || !parsed) {
      a.why = (run->timed_out ? "timed out after " + std::to_string(opt_.timeout_s) + " s"
                              : describe_status(run->wait_status)) +
              (parsed ? "" : "; no results (" + parsed.error().message() + ")");
      if (!run->output.empty()) a.why += "\nlast output:\n" + tail(run->output, 2000);
    }
    return a;
  }

  // The tests of binary `name` the catalogue names (within `only` if given).
  std::vector<std::string> catalogued_tests(const std::string& name, const std::set<std::string>& only) {
    std::set<std::string> out;
    for (const Behaviour& b : cat_.behaviours) {
      for (const TestRef& t : b.tests) {
        if (t.binary == name && (only.empty() || only.count(t.gtest_name()) != 0)) out.insert(t.gtest_name());
      }
    }
    return {out.begin(), out.end()};
  }

  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  const Options& opt_;
  const Catalog& cat_;
  Isolation iso_;
  std::string tmp_;
  std::string runfiles_;
};

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "report: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}

int run(int argc, char** argv) {
  Options opt;
  std::string err;
  if (!parse_args(argc, argv, opt, err)) {
    if (!err.empty()) std::fprintf(stderr, "report: %s\n", err.c_str());
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (opt.host_facts_only) {
    std::printf("%s\n", collect_host_facts().dump().c_str());
    return 0;
  }
  auto start = std::chrono::steady_clock::now();

  std::string catalog_path = opt.catalog;
  if (catalog_path.empty()) {
    auto p = runfile("conformance/catalog.txt", argv[0]);
    if (!p) {
      std::fprintf(stderr, "report: %s\n", p.error().message().c_str());
      return 2;
    }
    catalog_path = *p;
  }
  auto cat = load_catalog(catalog_path);
  if (!cat) {
    std::fprintf(stderr, "report: %s\n", cat.error().message().c_str());
    return 2;
  }
  std::vector<std::string> suites = opt.suites;
  if (suites.empty()) {
    auto list = runfile("conformance/suites.txt", argv[0]);
    if (!list) {
      std::fprintf(stderr, "report: %s\n", list.error().message().c_str());
      return 2;
    }
    std::ifstream in(*list);
    for (std::string name; std::getline(in, name);) {
      if (name.empty()) continue;
      auto bin = runfile("conformance/" + name, argv[0]);
      if (!bin) {
        std::fprintf(stderr, "report: %s\n", bin.error().message().c_str());
        return 2;
      }
      suites.push_back(*bin);
    }
  }
  Plan plan = make_plan(*cat, opt.only);
  if (plan.behaviours.empty()) {
    std::fprintf(stderr, "report: no behaviour ID matches --only\n");
    return 2;
  }

  // Isolation: as private as we are allowed to make it.
  Isolation iso = Isolation::kNone;
  std::string ipc_fact, shm_fact;
  if (opt.shared_ipc) {
    ipc_fact = "shared with the host (--shared-ipc)";
  } else if (isolation_available(Isolation::kPrivateIpcAndDevShm)) {
    iso = Isolation::kPrivateIpcAndDevShm;
  } else if (auto s = isolation_available(Isolation::kPrivateIpc); s) {
    iso = Isolation::kPrivateIpc;
  } else {
    ipc_fact = "shared with the host (" + s.error().message() + ")";
  }
  if (iso != Isolation::kNone) ipc_fact = "private (unshare(CLONE_NEWIPC) for each suite)";
  shm_fact = iso == Isolation::kPrivateIpcAndDevShm ? "private tmpfs (own mount namespace)"
                                                     : "shared with the host";

  Report report;
  {
    std::string self = argv[0];
    char exe[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) self.assign(exe, static_cast<std::size_t>(n));
    RunOptions ro;
    ro.isolation = iso;
    ro.timeout = std::chrono::seconds(60);
    auto facts = run_program({self, "--host-facts"}, ro);
    auto doc = facts && facts->wait_status == 0 ? parse_json(facts->output)
                                                : ipc::Result<Json>(ipc::Error(EIO, "host facts"));
    static const std::pair<const char*, const char*> kLabels[] = {
        {"kernel", "Kernel"},
        {"libc", "libc"},
        {"page_size", "Page size"},
        {"pipe_buf", "PIPE_BUF"},
        {"pipe_capacity_default", "Default pipe capacity (F_GETPIPE_SZ)"},
        {"pipe_max_size", "/proc/sys/fs/pipe-max-size"},
        {"msgmax", "kernel.msgmax"},
        {"msgmnb", "kernel.msgmnb"},
        {"msgmni", "kernel.msgmni"},
        {"shmmax", "kernel.shmmax"},
        {"shmall", "kernel.shmall"},
        {"shmmni", "kernel.shmmni"},
        {"uid", "Run as uid"},
    };
    for (const auto& [key, label] : kLabels) {
      report.host.push_back({key, label, doc ? doc->get_string(key, "unavailable") : "unavailable"});
    }
    report.host.push_back({"ipc_namespace", "IPC namespace of the suites", ipc_fact});
    report.host.push_back({"dev_shm", "/dev/shm of the suites", shm_fact});
    report.host.push_back(
        {"preload", "LD_PRELOAD of the suites", opt.preload.empty() ? "none" : opt.preload});
  }

  const char* tmpdir = std::getenv("TMPDIR");
  std::string tmp = std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") +
                    "/ipct-report-XXXXXX";
  if (::mkdtemp(tmp.data()) == nullptr) {
    std::fprintf(stderr, "report: mkdtemp(%s): %s\n", tmp.c_str(), std::strerror(errno));
    return 2;
  }
  Runner runner(opt, *cat, iso, tmp, runfiles_dir(argv[0]));
  Outcomes outcomes;
  std::vector<std::string> to_run;
  for (const std::string& path : suites) {
    if (plan.tests.count(basename_of(path)) != 0 || opt.only.empty()) to_run.push_back(path);
  }
  for (std::size_t i = 0; i < to_run.size(); ++i) {
    std::string name = basename_of(to_run[i]);
    report.tests += runner.run_suite(to_run[i], plan.tests[name], static_cast<int>(i + 1),
                                     static_cast<int>(to_run.size()), outcomes);
    ++report.suites;
  }
  ::rmdir(tmp.c_str());

  for (const Behaviour* b : plan.behaviours) report.results.push_back(judge(*b, outcomes));
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::string md = render_markdown(report);
  bool ok = true;
  if (opt.out.empty()) {
    std::fwrite(md.data(), 1, md.size(), stdout);
    std::fflush(stdout);
  } else {
    ok = write_file(opt.out, md) && ok;
  }
  if (!opt.json.empty()) ok = write_file(opt.json, render_json(report)) && ok;
  if (!opt.junit.empty()) ok = write_file(opt.junit, render_junit(report)) && ok;
  std::fprintf(stderr, "[report] %s\n", summary_line(report).c_str());
  if (!ok) return 2;
  return report.count(Verdict::kDeviates) > 0 ? 1 : 0;
}

}  // namespace
}  // namespace conformance

int main(int argc, char** argv) { return conformance::run(argc, argv); }
