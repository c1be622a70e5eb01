// conformance/report.cc — the product's main job: run the whole behaviour
// catalogue against this host and say, per behaviour ID, whether the OS
// conforms.
//
//   ./bazelw run //:report [-- --out FILE --json FILE --junit FILE
//                              --only 'PIPE-0*' --verbose]
//   bazel-bin/conformance/report ...       (outside Bazel: same runfiles)
//   ipctorture/report ...                  (the unpacked portable bundle)
//
// Runs every conformance binary (conformance/suite_runner.h) in a private IPC
// namespace with a private /dev/shm and its own PID namespace when permitted,
// in a sanitised environment, maps the results to IDs through
// conformance/catalog.txt, prints progress on stderr and Markdown on stdout
// (or --out), and optionally JSON and JUnit XML. Exit status: 0 if nothing
// deviates, 1 if something does, 2 on usage errors or if some behaviour could
// not be judged (error verdicts).
//
// A tool that observes the OS: it calls libc directly, not the ipc::sys seam.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/output_file.h"
#include "cli/quote.h"
#include "cli/user_path.h"
#include "conformance/catalog.h"
#include "conformance/host_facts.h"
#include "conformance/json.h"
#include "conformance/ld_so.h"
#include "conformance/process.h"
#include "conformance/suite_runner.h"
#include "conformance/verdict.h"

namespace conformance {
namespace {

constexpr const char* kUsage =
    "usage: report [--out FILE] [--json FILE] [--junit FILE] [--only "
    "PATTERN]...\n"
    "              [--verbose] [--catalog FILE] [--suite BINARY]...\n"
    "              [--timeout SECONDS] [--test-timeout SECONDS]\n"
    "              [--shared-ipc] [--preload LIB] [--env NAME=VALUE]...\n"
    "  --only PATTERN   behaviour IDs to run (fnmatch, e.g. 'PIPE-0*'); "
    "repeatable\n"
    "  --verbose        stream the suites' own output to stderr\n"
    "  --catalog FILE   catalogue to use instead of the built-in one\n"
    "  --suite BINARY   run this conformance binary instead of the built-in "
    "ones\n"
    "  --timeout S      kill a suite that runs longer (default 1800); the "
    "test it\n"
    "                   was running is an error (not judged)\n"
    "  --test-timeout S end a suite whose current test runs longer (default "
    "60); the\n"
    "                   tests that did not start then run again\n"
    "  --shared-ipc     do not run the suites in a private IPC namespace\n"
    "  --preload LIB    run the suites with LD_PRELOAD=LIB (e.g. a deviation "
    "shim from\n"
    "                   conformance/selftest, or an emulation layer to "
    "judge)\n"
    "  --env NAME=VALUE give the suites this variable (their environment is "
    "otherwise\n"
    "                   sanitised: no GTEST_*, IPCT_*, LD_* but LD_PRELOAD "
    "and\n"
    "                   LD_LIBRARY_PATH, …)\n";

struct Options {
  std::string out, json, junit, catalog, preload;
  std::vector<std::string> only, suites, env;
  bool verbose = false;
  bool shared_ipc = false;
  int timeout_s = 1800;
  int test_timeout_s = 60;
  bool host_facts_only = false;  // internal: print host facts as JSON and exit
};

constexpr int kMaxSeconds = 7 * 24 * 3600;  // --timeout, --test-timeout

bool parse_args(int argc, char** argv, Options& o, std::string& err) {
  cli::Args args(argc, argv, err);
  while (args.next()) {
    const std::string& a = args.arg();
    std::string v;
    if (a == "--out" || a == "--json" || a == "--junit" || a == "--catalog") {
      if (!args.value(v)) return false;
      std::string& into = a == "--out"     ? o.out
                          : a == "--json"  ? o.json
                          : a == "--junit" ? o.junit
                                           : o.catalog;
      into = cli::user_path(v);
    } else if (a == "--only") {
      if (!args.list(o.only)) return false;
    } else if (a == "--suite") {
      if (!args.value(v)) return false;
      o.suites.push_back(cli::user_path(v));
    } else if (a == "--timeout") {
      if (!args.number(o.timeout_s, 1, kMaxSeconds)) return false;
    } else if (a == "--test-timeout") {
      if (!args.number(o.test_timeout_s, 1, kMaxSeconds)) return false;
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (a == "--preload") {
      if (!args.value(v)) return false;
      o.preload = cli::user_path(v);
    } else if (a == "--env") {
      if (!args.value(v)) return false;
      if (v.find('=') == std::string::npos || v[0] == '=') {
        err = "--env needs NAME=VALUE, got " + cli::quote(v);
        return false;
      }
      o.env.push_back(v);
    } else if (a == "--shared-ipc") {
      o.shared_ipc = true;
    } else if (a == "--host-facts") {
      o.host_facts_only = true;
    } else {
      return args.unknown();
    }
  }
  return true;
}

std::string basename_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string self_path(const char* argv0) {
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  return n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : argv0;
}

struct Plan {
  std::vector<const Behaviour*> behaviours;  // selected, catalogue order
  // binary → gtest names needed
  std::map<std::string, std::set<std::string>> tests;
};

Plan make_plan(const Catalog& cat, const std::vector<std::string>& only) {
  Plan plan;
  for (const Behaviour& b : cat.behaviours) {
    bool wanted = only.empty();
    for (const std::string& p : only) wanted = wanted || id_matches(p, b.id);
    if (!wanted) continue;
    plan.behaviours.push_back(&b);
    for (const TestRef& t : b.tests)
      plan.tests[t.binary].insert(t.gtest_name());
  }
  return plan;
}

// SIGINT/SIGTERM/SIGHUP: kill the running suite (everything it started dies
// with it), then clean up and die of the same signal.
volatile sig_atomic_t g_interrupted = 0;

void on_interrupt(int sig) {
  g_interrupted = sig;
  kill_running_child();
}

void install_interrupt_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

// How the suites' processes are contained and isolated: as much as we are
// allowed.
struct Confinement {
  Isolation isolation = Isolation::kNone;
  Containment containment = Containment::kSubreaper;
  std::string ipc_fact, shm_fact, containment_fact;
};

Confinement choose_confinement(bool shared_ipc) {
  Confinement c;
  ipc::Status pid_ns = isolation_available(Isolation::kPrivateIpcAndDevShm,
                                           Containment::kPidNamespace);
  if (shared_ipc) {
    c.ipc_fact = "shared with the host (--shared-ipc)";
  } else if (isolation_available(Isolation::kPrivateIpcAndDevShm)) {
    c.isolation = Isolation::kPrivateIpcAndDevShm;
  } else if (auto s = isolation_available(Isolation::kPrivateIpc); s) {
    c.isolation = Isolation::kPrivateIpc;
  } else {
    c.ipc_fact = "shared with the host (" + s.error().message() + ")";
  }
  if (c.isolation != Isolation::kNone)
    c.ipc_fact = "private (a new IPC namespace for each suite)";
  c.shm_fact = c.isolation == Isolation::kPrivateIpcAndDevShm
                   ? "private tmpfs (own mount namespace)"
                   : "shared with the host";
  if (c.isolation == Isolation::kPrivateIpcAndDevShm && pid_ns) {
    c.containment = Containment::kPidNamespace;
    c.containment_fact = containment_name(c.containment);
  } else {
    std::string why =
        " (no PID namespace: " +
        (pid_ns ? std::string("the IPC and mount namespaces are not private")
                : pid_ns.error().message());
    ipc::Status subreaper =
        isolation_available(Isolation::kNone, Containment::kSubreaper);
    if (subreaper) {
      c.containment = Containment::kSubreaper;
    } else {
      c.containment = Containment::kProcessGroup;
      why += "; no child subreaper: " + subreaper.error().message();
    }
    c.containment_fact = containment_name(c.containment) + why + ")";
  }
  return c;
}

// Decides the suites' LD_PRELOAD: --preload, else the one inherited from our
// environment. Refuses (returns nullopt, message in `err`) one that ld.so
// would ignore. `fact` says what the suites get.
std::optional<std::string> choose_preload(const std::string& preload,
                                          const ElfFile& suite_elf,
                                          std::string& fact, std::string& err) {
  const char* inherited_c = std::getenv("LD_PRELOAD");
  std::string inherited = inherited_c != nullptr ? inherited_c : "";
  if (!preload.empty()) {
    if (auto s = check_preload(preload, suite_elf); !s) {
      err =
          "--preload " + cli::quote(preload, 200) + ": " + s.error().message();
      return std::nullopt;
    }
    fact = preload + " (--preload";
    fact += inherited.empty() ? ")"
                              : "; replaces the inherited LD_PRELOAD=" +
                                    cli::quote(inherited, 200) + ")";
    return preload;
  }
  if (split_preload(inherited).empty()) {
    fact = "none";
    return std::string();
  }
  for (const std::string& entry : split_preload(inherited)) {
    auto path = find_preload(entry);
    ipc::Status s = path ? check_preload(*path, suite_elf)
                         : ipc::Status(std::move(path).error());
    if (!s) {
      err = "LD_PRELOAD=" + cli::quote(inherited, 200) +
            " from the environment would not reach the suites: " +
            s.error().message() +
            "; unset it, or name the library with --preload";
      return std::nullopt;
    }
  }
  fact = inherited + " (inherited from the environment)";
  return inherited;
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

  // Output files are checked now, not after a long run.
  std::optional<cli::OutputFile> out_md, out_json, out_junit;
  if (auto s = cli::open_output_files({{&opt.out, &out_md},
                                       {&opt.json, &out_json},
                                       {&opt.junit, &out_junit}});
      !s) {
    std::fprintf(stderr, "report: %s\n", s.error().message().c_str());
    return 2;
  }

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
      // A missing suite is an error verdict of its behaviours, not a usage
      // error: the others are still judged.
      if (!name.empty())
        suites.push_back(data_root(argv[0]) + "/conformance/" + name);
    }
  }
  Plan plan = make_plan(*cat, opt.only);
  if (plan.behaviours.empty()) {
    std::fprintf(stderr, "report: no behaviour ID matches --only\n");
    return 2;
  }

  // LD_PRELOAD reaches a suite only if it is dynamically linked.
  ElfFile suite_elf = this_program();
  for (const std::string& s : suites) {
    if (auto e = read_elf(s); e) {
      suite_elf = *e;
      break;
    }
  }
  std::string preload_fact;
  auto preload = choose_preload(opt.preload, suite_elf, preload_fact, err);
  if (!preload) {
    std::fprintf(stderr, "report: %s\n", err.c_str());
    return 2;
  }
  std::vector<std::string> dropped;
  sanitised_environment({}, &dropped);

  Confinement conf = choose_confinement(opt.shared_ipc);

  Report report;
  {
    RunOptions ro;
    ro.isolation = conf.isolation;
    ro.containment = conf.containment;
    ro.sanitise_environment = true;
    ro.env = opt.env;
    ro.timeout = std::chrono::seconds(60);
    auto facts = run_program({self_path(argv[0]), "--host-facts"}, ro);
    auto doc = facts && facts->wait_status == 0
                   ? parse_json(facts->output)
                   : ipc::Result<Json>(ipc::Error(EIO, "host facts"));
    for (const HostFactLabel& l : host_fact_labels()) {
      report.host.push_back(
          {l.key, l.label,
           doc ? doc->get_string(l.key, "unavailable") : "unavailable"});
    }
    report.host.push_back(
        {"ipc_namespace", "IPC namespace of the suites", conf.ipc_fact});
    report.host.push_back({"dev_shm", "/dev/shm of the suites", conf.shm_fact});
    report.host.push_back(
        {"containment", "Processes of each suite", conf.containment_fact});
    report.host.push_back(
        {"preload", "LD_PRELOAD of the suites", preload_fact});
    report.host.push_back({"suites_linkage", "Suites linked",
                           suite_elf.has_interp
                               ? "dynamically (host build: LD_PRELOAD applies)"
                               : "statically (portable bundle)"});
    std::string env_fact = "sanitised";
    if (!dropped.empty()) {
      env_fact += "; dropped:";
      for (const std::string& d : dropped) env_fact += " " + d;
    }
    if (!opt.env.empty()) {
      env_fact += "; added (--env):";
      for (const std::string& e : opt.env) env_fact += " " + e;
    }
    report.host.push_back(
        {"environment", "Environment of the suites", env_fact});
  }

  const char* tmpdir = std::getenv("TMPDIR");
  std::string work =
      std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") +
      "/ipct-report-XXXXXX";
  // Searchable (not listable) by others: tests that drop privileges reach
  // their files under the suites' $TMPDIR (suite_runner.cc).
  if (::mkdtemp(work.data()) == nullptr || ::chmod(work.c_str(), 0711) != 0) {
    std::fprintf(stderr, "report: mkdtemp(%s): %s\n", work.c_str(),
                 std::strerror(errno));
    return 2;
  }
  install_interrupt_handlers();

  SuiteRunConfig rc;
  rc.isolation = conf.isolation;
  rc.containment = conf.containment;
  rc.suite_timeout = std::chrono::seconds(opt.timeout_s);
  rc.test_timeout_s = opt.test_timeout_s;
  rc.verbose = opt.verbose;
  rc.work_dir = work;
  rc.env = opt.env;
  if (!preload->empty()) rc.env.push_back("LD_PRELOAD=" + *preload);
  // The suites find their data (the peer program) where we find ours.
  if (running_from_bundle(argv[0])) {
    rc.env.push_back("IPCT_BUNDLE_DIR=" + data_root(argv[0]));
  } else if (std::string rf = runfiles_dir(argv[0]); !rf.empty()) {
    rc.env.push_back("RUNFILES_DIR=" + rf);
  }
  SuiteRunner runner(rc, *cat);
  Outcomes outcomes;
  std::vector<std::string> to_run;
  for (const std::string& path : suites) {
    if (plan.tests.count(basename_of(path)) != 0 || opt.only.empty())
      to_run.push_back(path);
  }
  for (std::size_t i = 0; i < to_run.size() && g_interrupted == 0; ++i) {
    std::string name = basename_of(to_run[i]);
    std::set<std::string> tests =
        opt.only.empty() ? std::set<std::string>{} : plan.tests[name];
    SuiteStats s = runner.run(to_run[i], tests, static_cast<int>(i + 1),
                              static_cast<int>(to_run.size()), outcomes);
    report.tests += s.passed + s.failed + s.skipped;
    ++report.suites;
  }
  remove_tree(work);
  if (g_interrupted != 0) {
    std::fprintf(stderr, "report: interrupted by signal %d; no report\n",
                 static_cast<int>(g_interrupted));
    int sig = g_interrupted;
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return 2;
  }

  for (const Behaviour* b : plan.behaviours)
    report.results.push_back(judge(*b, outcomes));
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  std::string md = render_markdown(report);
  bool ok = cli::write_result("report", out_md, md);
  if (out_json)
    ok &= cli::write_result("report", out_json, render_json(report));
  if (out_junit)
    ok &= cli::write_result("report", out_junit, render_junit(report));
  std::fprintf(stderr, "[report] %s\n", summary_line(report).c_str());
  if (!ok) return 2;
  return report.exit_status();
}

}  // namespace
}  // namespace conformance

int main(int argc, char** argv) { return conformance::run(argc, argv); }
