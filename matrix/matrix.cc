// matrix/matrix.cc — the OS matrix driver: runs the portable bundle's report
// on several targets (this machine, gVisor, kernels under qemu, …) and prints
// one table of where they differ. The target interface: matrix/README.md.
//
//   ./bazelw run //:matrix -- [--targets host,gvisor] [--jobs N] [--json F]
//                             [--out F] [--results DIR] [--target-timeout S]
//                             [--bundle ARCH=FILE] [--list] [-- report args]
//
// Progress on stderr, the Markdown matrix on stdout (or --out). Exit status: 0
// if every column has the same verdicts, 1 if some differ, 2 on usage errors
// or when some target could not run.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
#include "conformance/compare.h"
#include "conformance/json.h"
#include "conformance/process.h"
#include "conformance/verdict.h"

namespace matrix {
namespace {

using conformance::Json;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: matrix [--targets NAME,...] [--jobs N] [--json FILE] [--out FILE]\n"
    "              [--results DIR] [--target-timeout SECONDS]\n"
    "              [--bundle ARCH=FILE]... [--list] [-- REPORT-ARGS...]\n"
    "  --targets        targets to run (default: all that can run here)\n"
    "  --jobs N         targets run at once (default: number of cores)\n"
    "  --json/--out     the matrix as JSON / Markdown (default: stdout)\n"
    "  --results DIR    each target's report.json, report.md, log.txt\n"
    "  --target-timeout kill a target that runs longer (default 3600)\n"
    "  --bundle A=FILE  the bundle archive for architecture A (default: "
    "built)\n"
    "  --list           each target's description and check, nothing run\n"
    "  after --         passed to every target's report (e.g. --only "
    "'PIPE-*')\n";

struct Options {
  std::vector<std::string> targets, report_args;
  int jobs = 0;
  std::string json, out, results;
  int target_timeout_s = 3600;
  std::map<std::string, std::string> bundles;  // arch → archive
  bool list = false;
};

struct Target {
  std::string name, script;
  std::string arch, kind, title;
  int check_status = 0;
  std::string check_why;
  // The run.
  std::string outdir;
  std::string error;  // why the column is all errors ("" if it ran)
  int exit_status = -1;
  double seconds = 0;
  pid_t pid = 0;
  int out_fd = -1;
  std::string pending;  // a partial output line
  Clock::time_point started, deadline;
  bool terminated = false;
  std::string last_progress;
  std::optional<Json> report;
};

bool parse_args(int argc, char** argv, Options& o, std::string& err) {
  cli::Args args(argc, argv, err);
  while (args.next()) {
    const std::string& a = args.arg();
    std::string v;
    if (a == "--") {
      o.report_args = args.rest();
    } else if (a == "--targets") {
      if (!args.list(o.targets)) return false;
    } else if (a == "--jobs") {
      if (!args.number(o.jobs, 1, 64)) return false;
    } else if (a == "--target-timeout") {
      if (!args.number(o.target_timeout_s, 1, 7 * 86400)) return false;
    } else if (a == "--json" || a == "--out" || a == "--results") {
      if (!args.value(v)) return false;
      (a == "--json"  ? o.json
       : a == "--out" ? o.out
                      : o.results) = cli::user_path(v);
    } else if (a == "--bundle") {
      if (!args.value(v)) return false;
      auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) {
        err = "--bundle needs ARCH=FILE, got " + cli::quote(v);
        return false;
      }
      o.bundles[v.substr(0, eq)] = cli::user_path(v.substr(eq + 1));
    } else if (a == "--list") {
      o.list = true;
    } else {
      return args.unknown();
    }
  }
  return true;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string last_lines(const std::string& text, int n) {
  std::string t = trim(text);
  std::size_t pos = t.size();
  for (int i = 0; i < n && pos != std::string::npos && pos > 0; ++i)
    pos = t.rfind('\n', pos - 1);
  return pos == std::string::npos ? t : t.substr(pos + 1);
}

// The compiler's and Bazel's error lines of a failed build (at most `n`),
// else its last `n` lines: Bazel ends a failed build with advice, not the
// cause.
std::string build_errors(const std::string& text, int n) {
  std::string found;
  int count = 0;
  std::size_t start = 0;
  while (start < text.size() && count < n) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.find("error:") != std::string::npos ||
        line.rfind("ERROR:", 0) == 0) {
      found += (found.empty() ? "" : "\n") + line;
      ++count;
    }
    start = end + 1;
  }
  return found.empty() ? last_lines(text, n) : found;
}

// Runs a target script's quick subcommand (describe/check/prepare) to the
// end, output captured.
conformance::RunResult run_script(const Target& t,
                                  const std::vector<std::string>& args,
                                  std::chrono::seconds timeout) {
  std::vector<std::string> argv = {t.script};
  argv.insert(argv.end(), args.begin(), args.end());
  conformance::RunOptions ro;
  ro.timeout = timeout;
  ro.env = {"IPCT_MATRIX_TARGET=" + t.name};
  auto r = conformance::run_program(argv, ro);
  if (r) return *r;
  conformance::RunResult failed;
  failed.wait_status = 2 << 8;
  failed.output = r.error().message();
  return failed;
}

int exit_code(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return 128 + (WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0);
}

std::vector<Target> discover(const std::string& dir, std::string& err) {
  std::vector<Target> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    err = "cannot list " + dir + ": " + std::strerror(errno);
    return out;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string f = e->d_name;
    if (f.size() <= 3 || f.compare(f.size() - 3, 3, ".sh") != 0) continue;
    Target t;
    t.name = f.substr(0, f.size() - 3);
    t.script = dir + "/" + f;
    out.push_back(std::move(t));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const Target& a, const Target& b) {
    // host first: it is the reference column.
    if ((a.name == "host") != (b.name == "host")) return a.name == "host";
    return a.name < b.name;
  });
  return out;
}

// describe: "arch=x kind=y title=rest of line".
bool describe(Target& t) {
  auto r = run_script(t, {"describe"}, std::chrono::seconds(30));
  std::string line = trim(r.output);
  for (const char* key : {"arch=", "kind=", "title="}) {
    auto p = line.find(key);
    if (p == std::string::npos) continue;
    std::size_t start = p + std::strlen(key);
    std::string value = std::string(key) == "title="
                            ? line.substr(start)
                            : line.substr(start, line.find(' ', start) - start);
    (std::string(key) == "arch="   ? t.arch
     : std::string(key) == "kind=" ? t.kind
                                   : t.title) = value;
  }
  if (exit_code(r.wait_status) != 0 || t.arch.empty()) {
    t.error = "describe failed: " + cli::quote(line, 200);
    return false;
  }
  return true;
}

void check(Target& t) {
  auto r = run_script(t, {"check"}, std::chrono::seconds(60));
  t.check_status = exit_code(r.wait_status);
  t.check_why = trim(r.output);
}

// The bundle for `arch`: --bundle, else the x86_64 one in our runfiles, else
// built with ./bazelw build --config=<arch> //:bundle in the workspace.
std::optional<std::string> find_bundle(const std::string& arch,
                                       const Options& opt, std::string& why) {
  auto given = opt.bundles.find(arch);
  if (given != opt.bundles.end()) {
    if (::access(given->second.c_str(), R_OK) == 0) return given->second;
    why =
        "--bundle " + arch + "=" + given->second + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (arch == "x86_64") {
    auto p = conformance::runfile("bundle/bundle.tar.gz");
    if (p) return *p;
  }
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  if (ws == nullptr || *ws == '\0') {
    why = "no bundle for " + arch +
          " (run through ./bazelw run //:matrix, or give --bundle " + arch +
          "=FILE)";
    return std::nullopt;
  }
  std::fprintf(stderr,
               "[matrix] building the %s bundle: ./bazelw build "
               "--config=%s //:bundle\n",
               arch.c_str(), arch.c_str());
  // Run from the workspace: bazelw and bazel look for it in the current
  // directory. --symlink_prefix=/ leaves the workspace's bazel-bin pointing
  // at the user's own (x86-64) build.
  std::string cmd =
      "cd \"$0\" && ./bazelw build --config=\"$1\" --symlink_prefix=/ "
      "//:bundle && ./bazelw info --config=\"$1\" bazel-bin 2>/dev/null";
  conformance::RunOptions quiet;
  quiet.timeout = std::chrono::hours(2);
  auto r = conformance::run_program({"/bin/sh", "-c", cmd, ws, arch}, quiet);
  if (!r || r->wait_status != 0) {
    why = "building the " + arch + " bundle failed: " +
          (r ? build_errors(r->output, 3) : r.error().message());
    return std::nullopt;
  }
  std::string bin = last_lines(r->output, 1);
  std::string path = bin + "/bundle/bundle.tar.gz";
  if (::access(path.c_str(), R_OK) != 0) {
    why = "built, but no " + path;
    return std::nullopt;
  }
  return path;
}

void start(Target& t, const std::string& bundle, const Options& opt, int cpus) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    t.error = std::string("pipe2: ") + std::strerror(errno);
    return;
  }
  std::vector<std::string> args = {t.script, "run", bundle, t.outdir};
  args.insert(args.end(), opt.report_args.begin(), opt.report_args.end());
  std::vector<std::string> env = conformance::child_environment(
      {"IPCT_MATRIX_TARGET=" + t.name,
       "IPCT_MATRIX_CPUS=" + std::to_string(cpus)});
  const char* cache = std::getenv("IPCT_MATRIX_CACHE");
  const char* home = std::getenv("HOME");
  if (cache == nullptr || *cache == '\0') {
    env.push_back(std::string("IPCT_MATRIX_CACHE=") +
                  (home != nullptr ? home : "/root") +
                  "/.cache/ipctorture-matrix");
  }
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  t.started = Clock::now();
  t.deadline = t.started + std::chrono::seconds(opt.target_timeout_s);
  pid_t pid = ::fork();
  if (pid < 0) {
    t.error = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    if (::chdir(t.outdir.c_str()) != 0) ::_exit(2);
    ::execve(argv[0], argv.data(), envp.data());
    std::perror(argv[0]);
    ::_exit(2);
  }
  ::setpgid(pid, pid);
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  t.pid = pid;
  t.out_fd = fds[0];
  std::fprintf(stderr, "[matrix] %s: started (%s, %s)\n", t.name.c_str(),
               t.arch.c_str(), t.kind.c_str());
}

// Progress: the report's per-suite lines and whatever a target says
// about itself; everything else is in its log.txt.
void show_output(Target& t, bool flush_all) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(t.out_fd, buf, sizeof buf);
    if (n <= 0) break;
    t.pending.append(buf, static_cast<std::size_t>(n));
  }
  std::size_t nl;
  while ((nl = t.pending.find('\n')) != std::string::npos ||
         (flush_all && !t.pending.empty())) {
    std::string line = t.pending.substr(0, nl);
    t.pending.erase(0, nl == std::string::npos ? std::string::npos : nl + 1);
    bool progress = (line.rfind("[report] (", 0) == 0 &&
                     line.find(" passed, ") != std::string::npos) ||
                    line.find("did not finish") != std::string::npos ||
                    (line.rfind("[report] ", 0) == 0 &&
                     line.find(" behaviours: ") != std::string::npos) ||
                    line.rfind("[" + t.name + "]", 0) == 0;
    if (progress) {
      std::fprintf(
          stderr, "[matrix] %s: %s\n", t.name.c_str(),
          line.rfind("[report] ", 0) == 0 ? line.c_str() + 9 : line.c_str());
    }
    if (!line.empty()) t.last_progress = line;
    if (nl == std::string::npos) break;
  }
}

void reap(Target& t, int status) {
  show_output(t, true);
  ::close(t.out_fd);
  t.out_fd = -1;
  t.pid = 0;
  t.exit_status = exit_code(status);
  t.seconds = std::chrono::duration<double>(Clock::now() - t.started).count();
}

// Runs the started-or-waiting targets, at most `jobs` at once.
void run_all(std::vector<Target*>& todo,
             const std::map<std::string, std::string>& bundles,
             const Options& opt, int jobs, int cpus) {
  std::vector<Target*> running;
  std::size_t next = 0;
  while (next < todo.size() || !running.empty()) {
    while (running.size() < static_cast<std::size_t>(jobs) &&
           next < todo.size()) {
      Target* t = todo[next++];
      start(*t, bundles.at(t->arch), opt, cpus);
      if (t->pid > 0) running.push_back(t);
    }
    std::vector<struct pollfd> fds;
    for (Target* t : running) fds.push_back({t->out_fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 500);
    for (auto it = running.begin(); it != running.end();) {
      Target& t = **it;
      show_output(t, false);
      int status = 0;
      pid_t r = ::waitpid(t.pid, &status, WNOHANG);
      if (r == t.pid) {
        ::kill(-t.pid, SIGKILL);  // helpers it left in its group
        reap(t, status);
        std::fprintf(stderr, "[matrix] %s: finished in %.0f s (exit %d)\n",
                     t.name.c_str(), t.seconds, t.exit_status);
        it = running.erase(it);
        continue;
      }
      auto now = Clock::now();
      if (now > t.deadline && !t.terminated) {
        std::fprintf(stderr, "[matrix] %s: still running after %d s: SIGTERM\n",
                     t.name.c_str(), opt.target_timeout_s);
        ::kill(-t.pid, SIGTERM);
        t.terminated = true;
        t.deadline = now + std::chrono::seconds(10);
        t.error = "the target ran longer than --target-timeout " +
                  std::to_string(opt.target_timeout_s) + " s";
      } else if (now > t.deadline && t.terminated) {
        ::kill(-t.pid, SIGKILL);
      }
      ++it;
    }
  }
}

// A report of the whole catalogue where every behaviour is an error.
std::string error_report(const conformance::Catalog& cat, const Target& t) {
  conformance::Report r;
  r.host = {{"kernel", "Kernel", "unknown (" + t.name + " did not run)"},
            {"matrix_error", "Matrix", t.error}};
  for (const conformance::Behaviour& b : cat.behaviours) {
    conformance::BehaviourResult br;
    br.behaviour = &b;
    br.verdict = conformance::Verdict::kError;
    br.reason = "target " + t.name + " could not run: " + t.error;
    r.results.push_back(std::move(br));
  }
  return conformance::render_json(r);
}

int count_of(const Json& report, const char* verdict) {
  int n = 0;
  const Json* b = report.get("behaviours");
  if (b == nullptr || !b->is_array()) return 0;
  for (const Json& e : b->as_array()) n += e.get_string("verdict") == verdict;
  return n;
}

std::string seconds_str(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f s", s);
  return buf;
}

int run(int argc, char** argv) {
  Options opt;
  std::string err;
  if (!parse_args(argc, argv, opt, err)) {
    if (!err.empty()) std::fprintf(stderr, "matrix: %s\n", err.c_str());
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto targets_dir = conformance::runfile("matrix/targets", argv[0]);
  if (!targets_dir) {
    std::fprintf(stderr, "matrix: %s\n", targets_dir.error().message().c_str());
    return 2;
  }
  std::vector<Target> all = discover(*targets_dir, err);
  if (!err.empty()) {
    std::fprintf(stderr, "matrix: %s\n", err.c_str());
    return 2;
  }
  for (const std::string& name : opt.targets) {
    bool known = false;
    for (const Target& t : all) known = known || t.name == name;
    if (!known) {
      std::string names;
      for (const Target& t : all) names += " " + t.name;
      std::fprintf(stderr, "matrix: unknown target %s (targets:%s)\n",
                   cli::quote(name).c_str(), names.c_str());
      return 2;
    }
  }
  std::vector<Target*> selected;
  for (Target& t : all) {
    bool asked = opt.targets.empty() ||
                 std::find(opt.targets.begin(), opt.targets.end(), t.name) !=
                     opt.targets.end();
    if (!asked) continue;
    if (describe(t)) check(t);
    if (opt.list) {
      std::printf("%-18s %-8s %-9s %s\n    check: %s\n", t.name.c_str(),
                  t.arch.c_str(), t.kind.c_str(), t.title.c_str(),
                  !t.error.empty()      ? t.error.c_str()
                  : t.check_status == 0 ? "can run"
                  : t.check_status == 3
                      ? ("never here: " + t.check_why).c_str()
                      : ("needs prepare: " + t.check_why).c_str());
      continue;
    }
    if (t.error.empty() && t.check_status == 3) {
      if (opt.targets.empty()) {
        std::fprintf(stderr, "[matrix] %s: not run here: %s\n", t.name.c_str(),
                     t.check_why.c_str());
        continue;
      }
      t.error = "cannot run on this machine: " + t.check_why;
    }
    selected.push_back(&t);
  }
  if (opt.list) return 0;
  if (selected.empty()) {
    std::fprintf(stderr, "matrix: no target can run here\n");
    return 2;
  }

  std::optional<cli::OutputFile> out_md, out_json;
  if (auto s =
          cli::open_output_files({{&opt.out, &out_md}, {&opt.json, &out_json}});
      !s) {
    std::fprintf(stderr, "matrix: %s\n", s.error().message().c_str());
    return 2;
  }
  auto catalog_path = conformance::runfile("conformance/catalog.txt", argv[0]);
  auto catalog =
      catalog_path
          ? conformance::load_catalog(*catalog_path)
          : ipc::Result<conformance::Catalog>(std::move(catalog_path).error());
  if (!catalog) {
    std::fprintf(stderr, "matrix: %s\n", catalog.error().message().c_str());
    return 2;
  }
  if (opt.results.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    opt.results = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                  "/ipct-matrix-XXXXXX";
    if (::mkdtemp(opt.results.data()) == nullptr) {
      std::fprintf(stderr, "matrix: mkdtemp: %s\n", std::strerror(errno));
      return 2;
    }
  } else if (::mkdir(opt.results.c_str(), 0755) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "matrix: mkdir %s: %s\n", opt.results.c_str(),
                 std::strerror(errno));
    return 2;
  }
  auto start_all = Clock::now();

  // Prepare (one at a time: apt-get takes a lock), then bundles per arch.
  for (Target* t : selected) {
    if (!t->error.empty() || t->check_status == 0) continue;
    std::fprintf(stderr, "[matrix] %s: preparing (%s)\n", t->name.c_str(),
                 t->check_why.c_str());
    auto r = run_script(*t, {"prepare"}, std::chrono::hours(1));
    if (exit_code(r.wait_status) != 0) {
      t->error = "prepare failed: " + last_lines(r.output, 3);
      continue;
    }
    check(*t);
    if (t->check_status != 0)
      t->error = "still cannot run after prepare: " + t->check_why;
  }
  std::map<std::string, std::string> bundles;
  std::map<std::string, std::string> bundle_errors;
  for (Target* t : selected) {
    if (!t->error.empty()) continue;
    if (bundles.count(t->arch) == 0 && bundle_errors.count(t->arch) == 0) {
      std::string why;
      auto b = find_bundle(t->arch, opt, why);
      if (b) {
        bundles[t->arch] = *b;
      } else {
        bundle_errors[t->arch] = why;
      }
    }
    if (bundle_errors.count(t->arch) != 0) t->error = bundle_errors[t->arch];
  }

  std::vector<Target*> runnable;
  for (Target* t : selected) {
    t->outdir = opt.results + "/" + t->name;
    ::mkdir(t->outdir.c_str(), 0755);
    if (t->error.empty()) runnable.push_back(t);
  }
  long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
  int jobs = opt.jobs > 0 ? opt.jobs : static_cast<int>(std::max(1L, cores));
  int cpus = static_cast<int>(std::max(
      1L,
      cores / std::min<long>(jobs, std::max<std::size_t>(1, runnable.size()))));
  run_all(runnable, bundles, opt, jobs, cpus);

  // Each column: the target's report, or all errors.
  std::vector<conformance::ReportFile> files;
  for (Target* t : selected) {
    std::string path = t->outdir + "/report.json";
    std::string text = slurp(path);
    auto doc = text.empty()
                   ? ipc::Result<Json>(ipc::Error(ENOENT, "read", path))
                   : conformance::parse_json(text);
    if (t->error.empty() && (!doc || doc->get("behaviours") == nullptr)) {
      std::string log = slurp(t->outdir + "/log.txt");
      t->error = "no report (exit " + std::to_string(t->exit_status) +
                 "): " + (log.empty() ? t->last_progress : last_lines(log, 3));
    }
    if (!t->error.empty()) {
      text = error_report(*catalog, *t);
      std::ofstream(path) << text;
      doc = conformance::parse_json(text);
      std::fprintf(stderr, "[matrix] %s: error column: %s\n", t->name.c_str(),
                   t->error.c_str());
    }
    t->report = std::move(*doc);
    files.push_back({t->name, text});
  }
  double total =
      std::chrono::duration<double>(Clock::now() - start_all).count();

  std::string md = "# ipctorture OS matrix\n\n";
  int differing = 0;
  if (files.size() >= 2) {
    auto c = conformance::compare_reports(files, false);
    if (!c) {
      std::fprintf(stderr, "matrix: %s\n", c.error().message().c_str());
      return 2;
    }
    differing = c->differing;
    md += "## Behaviours whose verdicts differ\n\n" + c->differences + "\n";
    md += "## Targets\n\n";
    md +=
        "| Target | Arch | Kind | Wall time | conforms | partial | deviates "
        "| skipped | error | Notes |\n|---|---|---|---|---|---|---|---|---|"
        "---|\n";
    for (Target* t : selected) {
      md += "| " + t->name + " | " + t->arch + " | " + t->kind + " | " +
            (t->seconds > 0 ? seconds_str(t->seconds) : "—") + " |";
      for (const char* v :
           {"conforms", "partial", "deviates", "skipped", "error"})
        md += " " + std::to_string(count_of(*t->report, v)) + " |";
      std::string note =
          t->error.empty() ? t->title : "**could not run**: " + t->error;
      for (char& ch : note) {
        if (ch == '|' || ch == '\n') ch = ' ';
      }
      md += " " + note + " |\n";
    }
    md += "\n## Host facts and counts\n\n" + c->facts;
    if (!c->details.empty())
      md += "\n## Observed where a behaviour deviates\n\n" + c->details;
  } else {
    Target* t = selected[0];
    md += "One target (" + t->name +
          "): nothing to compare. Its report: " + t->outdir + "/report.md\n";
  }
  md += "\nResults: " + opt.results +
        " (report.json, report.md, log.txt per "
        "target); wall time " +
        seconds_str(total) + ".\n";

  Json j = Json::object();
  Json jt = Json::array();
  for (Target* t : selected) {
    Json e = Json::object();
    e.set("name", t->name);
    e.set("arch", t->arch);
    e.set("kind", t->kind);
    e.set("title", t->title);
    e.set("status", t->error.empty() ? "ran" : "error");
    e.set("error", t->error.empty() ? Json() : Json(t->error));
    e.set("seconds", t->seconds);
    e.set("report", t->outdir + "/report.json");
    Json counts = Json::object();
    for (const char* v :
         {"conforms", "partial", "deviates", "skipped", "error"})
      counts.set(v, count_of(*t->report, v));
    e.set("counts", std::move(counts));
    jt.push(std::move(e));
  }
  j.set("targets", std::move(jt));
  std::map<std::string, Json> rows;
  std::vector<std::string> order;
  for (Target* t : selected) {
    for (const Json& b : t->report->get("behaviours")->as_array()) {
      std::string id = b.get_string("id");
      if (rows.count(id) == 0) {
        order.push_back(id);
        rows[id] = Json::object()
                       .set("id", id)
                       .set("title", b.get_string("title"))
                       .set("verdicts", Json::object());
      }
      Json verdicts = *rows[id].get("verdicts");
      verdicts.set(t->name, b.get_string("verdict"));
      rows[id].set("verdicts", std::move(verdicts));
    }
  }
  Json jb = Json::array();
  for (const std::string& id : order) {
    std::set<std::string> seen;
    for (const auto& [k, v] : rows[id].get("verdicts")->as_object())
      seen.insert(v.as_string());
    rows[id].set("differs", seen.size() > 1 ||
                                rows[id].get("verdicts")->as_object().size() !=
                                    selected.size());
    jb.push(std::move(rows[id]));
  }
  j.set("behaviours", std::move(jb));
  j.set("differing", differing);
  j.set("seconds", total);

  bool ok = cli::write_result("matrix", out_md, md);
  if (out_json) ok &= cli::write_result("matrix", out_json, j.dump(2) + "\n");
  std::fprintf(stderr,
               "[matrix] %zu targets, %d behaviours differ, %.0f s; "
               "results in %s\n",
               selected.size(), differing, total, opt.results.c_str());
  if (!ok) return 2;
  for (Target* t : selected) {
    if (!t->error.empty()) return 2;
  }
  return differing > 0 ? 1 : 0;
}

}  // namespace
}  // namespace matrix

int main(int argc, char** argv) { return matrix::run(argc, argv); }
