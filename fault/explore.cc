// fault/explore.cc — the reference runs, the runs of the space (in
// parallel), their classification, the table and the JSON file.
#include "fault/explore.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/number.h"
#include "cli/output_file.h"
#include "cli/quote.h"
#include "conformance/json.h"
#include "fault/explore_space.h"
#include "fault/isolated_run.h"
#include "fault/plan.h"
#include "fault/subprocess.h"

namespace fault {
namespace {

constexpr char kUsage[] =
    R"(usage: ipcfault explore [--calls LIST] [--effects LIST] [--stdin FILE]
                        [--timeout S] [--jobs N] [--budget N] [--json FILE]
                        [--mechanism=auto|preload|seccomp] -- PROGRAM [ARGS...]

Runs PROGRAM once per single fault (call, ordinal, effect) and classifies
each run against unfaulted reference runs: clean, handled (other exit status,
a message on stderr), silent (other exit status, no message), corrupt (same
status or success, other output), leak (System V objects, /dev/shm entries
or FIFOs left behind), crash (a signal or a sanitizer report), hang (past
the timeout). Prints a table and the replay command of every run that is not
clean.

  --calls LIST    calls to explore, e.g. read,write,msgsnd (default: every
                  call the reference made)
  --effects LIST  effects to try, e.g. EINTR,EIO,short (default: those each
                  call can meet: read EINTR EIO EAGAIN short, write EINTR EIO
                  EAGAIN ENOSPC short, msgsnd EINTR EAGAIN EIDRM
                  ENOMEM, ...)
  --stdin FILE    every run reads FILE on stdin (default /dev/null)
  --timeout S     seconds before a run counts as a hang (default 10)
  --jobs N        runs at a time (default: the number of CPUs)
  --budget N      at most N runs (default 500; 0: the whole space): each
                  (call, effect) first at its first ordinal, then its last,
                  then at ordinals spread evenly between
  --json FILE     also write the results as JSON
  --mechanism M   passed to each ipcfault run (default auto)

Each run is isolated where the kernel permits (as root): own PID, IPC and
mount namespaces, a fresh /dev/shm, /tmp and the working directory overlaid
(what a run writes there is discarded).
)";

enum class Outcome {
  kClean,
  kHandled,
  kSilent,
  kLeak,
  kCorrupt,
  kCrash,
  kHang
};
constexpr std::array<Outcome, 7> kSeverityOrder = {
    Outcome::kHang,   Outcome::kCrash,   Outcome::kCorrupt, Outcome::kLeak,
    Outcome::kSilent, Outcome::kHandled, Outcome::kClean};

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kClean:
      return "clean";
    case Outcome::kHandled:
      return "handled";
    case Outcome::kSilent:
      return "silent";
    case Outcome::kLeak:
      return "leak";
    case Outcome::kCorrupt:
      return "corrupt";
    case Outcome::kCrash:
      return "crash";
    case Outcome::kHang:
      return "hang";
  }
  return "?";
}

struct Options {
  std::vector<std::string> program;
  std::string stdin_path;
  CallSet calls = 0;  // 0: what the reference made
  std::vector<std::string> effects;
  int timeout_s = 10;
  int jobs = 1;
  std::size_t budget = 500;
  std::string json_path;
  std::string mechanism;  // "" = ipcfault's default (auto)
  std::string self;       // the ipcfault executable
  std::string self_shown;
};

// One run of the program under ipcfault, isolated.
struct Observed {
  bool started = false;
  std::string error;  // why it could not be started
  bool timed_out = false;
  int status = 0;  // the program's wait status
  Captured out, err;
  IsolatedReport isolation;
  std::string log;
};

// A plan that fires nothing and counts every call ("calls: read=N ...").
constexpr char kCountingPlan[] = "all:pass@1000000000000";

std::vector<std::atomic<pid_t>>* g_running = nullptr;

void on_interrupt(int sig) {
  if (g_running != nullptr) {
    for (auto& p : *g_running) {
      pid_t pid = p.load();
      if (pid > 0) ::kill(-pid, SIGKILL);
    }
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() &&
      s.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789_-+=/.,:@%") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string replay_command(const Options& o, const std::string& plan) {
  std::string cmd = shell_quote(o.self_shown);
  if (!o.mechanism.empty()) cmd += " --mechanism=" + o.mechanism;
  cmd += " --plan " + shell_quote(plan) + " --";
  for (const std::string& a : o.program) cmd += " " + shell_quote(a);
  if (!o.stdin_path.empty()) cmd += " < " + shell_quote(o.stdin_path);
  return cmd;
}

Observed run_once(const Options& o, const std::string& plan,
                  const std::string& workdir, const std::string& log_path,
                  std::atomic<pid_t>* running) {
  Command c;
  c.argv = {o.self, "--isolated-run", "--keep", workdir, "--", o.self};
  if (!o.mechanism.empty()) c.argv.push_back("--mechanism=" + o.mechanism);
  c.argv.insert(c.argv.end(), {"--plan", plan, "--log", log_path, "--"});
  c.argv.insert(c.argv.end(), o.program.begin(), o.program.end());
  c.stdin_path = o.stdin_path;
  c.timeout = std::chrono::seconds(o.timeout_s);
  c.side_channel = true;
  c.running = running;
  Observed r;
  auto done = run_command(c);
  if (!done) {
    r.error = done.error().message();
    return r;
  }
  r.started = true;
  r.timed_out = done->timed_out;
  r.out = std::move(done->out);
  r.err = std::move(done->err);
  r.isolation = parse_isolated_report(done->side.data);
  r.status = r.isolation.complete ? r.isolation.status : done->status;
  if (int fd = ::open(log_path.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
      r.log.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    ::unlink(log_path.c_str());
  }
  return r;
}

// Largest count of each call over the process images of a log.
std::map<std::string, std::uint64_t> call_counts(const std::string& log) {
  std::map<std::string, std::uint64_t> counts;
  std::size_t at = 0;
  while ((at = log.find("\ncalls:", at)) != std::string::npos) {
    at += 7;
    std::size_t end = log.find('\n', at);
    std::string line = log.substr(at, end - at);
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && line[i] == ' ') ++i;
      std::size_t eq = line.find('=', i), sp = line.find(' ', i);
      if (eq == std::string::npos) break;
      std::string name = line.substr(i, eq - i);
      std::uint64_t n = std::strtoull(line.c_str() + eq + 1, nullptr, 10);
      counts[name] = std::max(counts[name], n);
      i = sp == std::string::npos ? line.size() : sp;
    }
  }
  return counts;
}

bool fault_reached(const std::string& log) {
  std::size_t at = 0;
  while ((at = log.find("\ninjected: ", at)) != std::string::npos) {
    at += 11;
    if (std::strtoull(log.c_str() + at, nullptr, 10) > 0) return true;
  }
  return false;
}

bool sanitizer_report(const std::string& err) {
  for (const char* marker :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
        "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer",
        "runtime error:", "ERROR: MemorySanitizer"}) {
    if (err.find(marker) != std::string::npos) return true;
  }
  return false;
}

// How many objects of each kind ("sysv-msg", "fifo", ...) were left.
std::map<std::string, int> left_by_kind(const IsolatedReport& r) {
  std::map<std::string, int> n;
  for (const std::string& l : r.left) ++n[l.substr(0, l.find(' '))];
  return n;
}

struct Reference {
  Observed run;
  bool output_deterministic = true;
  std::map<std::string, int> left;  // the most either reference run left
  std::map<std::string, std::uint64_t> calls;
};

struct Classified {
  Outcome outcome = Outcome::kClean;
  std::string detail;  // one line: what differed
};

Classified classify(const Reference& ref, const Observed& run) {
  Classified c;
  if (run.timed_out) {
    c.outcome = Outcome::kHang;
    c.detail = "killed after the timeout";
    return c;
  }
  if (WIFSIGNALED(run.status)) {
    c.outcome = Outcome::kCrash;
    c.detail = describe_status(run.status);
    return c;
  }
  if (sanitizer_report(run.err.data)) {
    c.outcome = Outcome::kCrash;
    c.detail = "sanitizer report on stderr";
    return c;
  }
  bool same_status = run.status == ref.run.status;
  bool success = WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0;
  bool same_output = !ref.output_deterministic || run.out == ref.run.out;
  if ((same_status || success) && !same_output) {
    c.outcome = Outcome::kCorrupt;
    c.detail = describe_status(run.status) + ", " +
               std::to_string(run.out.length) + " bytes of output (reference " +
               std::to_string(ref.run.out.length) + ", different)";
    return c;
  }
  std::map<std::string, int> left = left_by_kind(run.isolation);
  for (const auto& [kind, n] : left) {
    auto it = ref.left.find(kind);
    if (n > (it == ref.left.end() ? 0 : it->second)) {
      c.outcome = Outcome::kLeak;
      for (const std::string& l : run.isolation.left)
        c.detail += (c.detail.empty() ? "left " : ", ") + l;
      return c;
    }
  }
  if (!same_status) {
    bool message = run.err.length > 0 && !(run.err == ref.run.err);
    c.outcome = message ? Outcome::kHandled : Outcome::kSilent;
    c.detail = describe_status(run.status);
    if (message) {
      std::string first = run.err.data.substr(0, run.err.data.find('\n'));
      c.detail += ": " + cli::quote(first, 100);
    }
    return c;
  }
  return c;
}

struct RunResult {
  std::string plan;
  Observed run;
  Classified c;
  bool reached = false;
};

int usage_error(const std::string& message) {
  std::fprintf(stderr,
               "ipcfault explore: %s\n(ipcfault explore --help for usage)\n",
               message.c_str());
  return 2;
}

conformance::Json status_json(int status, conformance::Json* exit_code) {
  *exit_code = WIFEXITED(status) ? conformance::Json(WEXITSTATUS(status))
                                 : conformance::Json(nullptr);
  return conformance::Json(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// Removes the work directory and what the runs left in it.
void remove_workdir(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") ::unlink((dir + "/" + name).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir.c_str());
}

}  // namespace

int explore_main(int argc, char** argv, const char* self, const char* shown) {
  Options o;
  o.self = self;
  o.self_shown = shown;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  o.jobs = cpus > 0 ? static_cast<int>(std::min<long>(cpus, 64)) : 1;
  std::string calls_text, effects_text;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (std::size_t eq = arg.find('=');
        arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto take = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    bool known = arg == "--calls" || arg == "--effects" || arg == "--stdin" ||
                 arg == "--timeout" || arg == "--jobs" || arg == "--budget" ||
                 arg == "--json" || arg == "--mechanism";
    if (!known) return usage_error("unknown option " + cli::quote(argv[i]));
    if (!take()) return usage_error(arg + " needs a value");
    if (arg == "--calls") {
      calls_text = value;
    } else if (arg == "--effects") {
      effects_text = value;
    } else if (arg == "--stdin") {
      o.stdin_path = value;
    } else if (arg == "--json") {
      o.json_path = value;
    } else if (arg == "--mechanism") {
      if (value != "auto" && value != "preload" && value != "seccomp")
        return usage_error("bad --mechanism " + cli::quote(value) +
                           ": auto, preload or seccomp");
      o.mechanism = value;
    } else if (arg == "--timeout") {
      auto t = cli::parse_number<int>("--timeout", value, 1, 86400);
      if (!t) return usage_error(t.error().message());
      o.timeout_s = *t;
    } else if (arg == "--jobs") {
      auto j = cli::parse_number<int>("--jobs", value, 1, 256);
      if (!j) return usage_error(j.error().message());
      o.jobs = *j;
    } else if (arg == "--budget") {
      auto b = cli::parse_number<std::size_t>("--budget", value, 0, 10000000);
      if (!b) return usage_error(b.error().message());
      o.budget = *b;
    }
  }
  if (i >= argc) return usage_error("no program given (put it after --)");
  for (; i < argc; ++i) o.program.push_back(argv[i]);

  if (!calls_text.empty()) {
    std::string names = calls_text;
    std::replace(names.begin(), names.end(), ',', '|');
    auto p = parse_plan(names + ":pass");
    if (!p || p->rules.size() != 1)
      return usage_error("bad --calls " + cli::quote(calls_text) + ": " +
                         (p ? "" : p.error().message()));
    o.calls = p->rules[0].calls;
  }
  if (!effects_text.empty()) {
    std::vector<std::string> known;
    for (std::size_t c = 0; c < ipc::sys::kCallCount; ++c) {
      for (const ExploreEffect& e : effects_for(static_cast<Call>(c)))
        known.push_back(e.name);
    }
    std::size_t at = 0;
    while (at <= effects_text.size()) {
      std::size_t end = effects_text.find(',', at);
      if (end == std::string::npos) end = effects_text.size();
      std::string name = effects_text.substr(at, end - at);
      at = end + 1;
      if (std::find(known.begin(), known.end(), name) == known.end())
        return usage_error("unknown effect " + cli::quote(name) +
                           " in --effects (an errno name a call can meet, "
                           "or short)");
      o.effects.push_back(name);
    }
  }
  if (!o.stdin_path.empty()) {
    int fd = ::open(o.stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return usage_error("cannot read --stdin " + cli::quote(o.stdin_path) +
                         ": " + std::strerror(errno));
    ::close(fd);
  }
  std::optional<cli::OutputFile> json;
  if (!o.json_path.empty()) {
    auto f = cli::OutputFile::open(o.json_path);
    if (!f) return usage_error("bad --json: " + f.error().message());
    json.emplace(std::move(f).value());
  }

  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
      "/ipcfault-explore-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    return usage_error("cannot make a work directory " + cli::quote(pattern) +
                       ": " + std::strerror(errno));
  const std::string workdir = pattern;

  std::vector<std::atomic<pid_t>> running(static_cast<std::size_t>(o.jobs));
  g_running = &running;
  ::signal(SIGINT, on_interrupt);
  ::signal(SIGTERM, on_interrupt);
  ::signal(SIGHUP, on_interrupt);

  // 1. The reference, twice.
  std::fprintf(stderr, "explore: reference runs of %s\n",
               cli::quote(o.program[0], 200).c_str());
  Reference ref;
  Observed second;
  for (int k = 0; k < 2; ++k) {
    Observed r = run_once(o, kCountingPlan, workdir, workdir + "/reference.log",
                          &running[0]);
    if (!r.started || r.timed_out || !r.isolation.complete) {
      remove_workdir(workdir);
      std::fprintf(stderr, "ipcfault explore: the reference run %s: %s\n%s",
                   !r.started ? "could not start" : "did not complete",
                   !r.started    ? r.error.c_str()
                   : r.timed_out ? ("still running after --timeout " +
                                    std::to_string(o.timeout_s) + " s")
                                       .c_str()
                                 : "no report from the isolated run",
                   r.err.data.c_str());
      return 2;
    }
    for (const auto& [name, n] : call_counts(r.log))
      ref.calls[name] = std::max(ref.calls[name], n);
    for (const auto& [kind, n] : left_by_kind(r.isolation))
      ref.left[kind] = std::max(ref.left[kind], n);
    if (k == 0) {
      ref.run = std::move(r);
    } else {
      second = std::move(r);
    }
  }
  ref.output_deterministic = ref.run.out == second.out;
  if (!ref.output_deterministic) {
    std::fprintf(stderr,
                 "explore: warning: two unfaulted runs printed different "
                 "output; output is not compared (corrupt cannot be told)\n");
  }
  if (second.status != ref.run.status) {
    std::fprintf(stderr,
                 "explore: warning: two unfaulted runs ended differently (%s, "
                 "%s)\n",
                 describe_status(ref.run.status).c_str(),
                 describe_status(second.status).c_str());
  }
  if (!ref.run.isolation.isolated) {
    std::fprintf(stderr,
                 "explore: warning: runs are not isolated (%s): no leak "
                 "check, and a run's leftover processes are not killed\n",
                 ref.run.isolation.not_isolated_why.c_str());
  }

  // 2. The space.
  std::vector<std::pair<Call, std::uint64_t>> counts;
  for (const auto& [name, n] : ref.calls) {
    Call c;
    if (!ipc::sys::call_from_name(name.c_str(), &c)) continue;
    if (o.calls != 0 && (o.calls & call_bit(c)) == 0) continue;
    counts.push_back({c, n});
  }
  std::sort(counts.begin(), counts.end());
  ExploreSpace space = ExploreSpace::make(counts, o.effects, o.budget);
  const std::vector<std::string>& plans = space.plans();
  std::fprintf(stderr, "explore: %zu runs of a space of %llu, %d at a time\n",
               plans.size(), static_cast<unsigned long long>(space.size()),
               o.jobs);

  // 3. The runs.
  std::vector<RunResult> results(plans.size());
  std::atomic<std::size_t> next{0};
  std::mutex progress_mu;
  std::size_t finished = 0, not_clean = 0;
  bool tty = ::isatty(2) != 0;
  auto worker = [&](int slot) {
    for (;;) {
      std::size_t k = next.fetch_add(1);
      if (k >= plans.size()) return;
      RunResult& r = results[k];
      r.plan = plans[k];
      r.run = run_once(o, r.plan, workdir,
                       workdir + "/run-" + std::to_string(k) + ".log",
                       &running[static_cast<std::size_t>(slot)]);
      r.reached = fault_reached(r.run.log);
      if (!r.run.started) {
        r.c.outcome = Outcome::kCrash;
        r.c.detail = "could not start: " + r.run.error;
      } else {
        r.c = classify(ref, r.run);
      }
      std::lock_guard<std::mutex> lock(progress_mu);
      ++finished;
      if (r.c.outcome != Outcome::kClean) ++not_clean;
      std::size_t every = std::max<std::size_t>(1, plans.size() / 20);
      if (tty) {
        std::fprintf(stderr, "\rexplore: %zu/%zu runs, %zu not clean", finished,
                     plans.size(), not_clean);
        if (finished == plans.size()) std::fputc('\n', stderr);
      } else if (finished % every == 0 || finished == plans.size()) {
        std::fprintf(stderr, "explore: %zu/%zu runs, %zu not clean\n", finished,
                     plans.size(), not_clean);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < o.jobs; ++j) threads.emplace_back(worker, j);
  for (std::thread& t : threads) t.join();
  g_running = nullptr;
  remove_workdir(workdir);

  // 4. The table.
  std::map<Outcome, std::vector<const RunResult*>> by;
  std::size_t reached = 0;
  for (const RunResult& r : results) {
    by[r.c.outcome].push_back(&r);
    reached += r.reached;
  }
  std::string calls_line;
  for (const auto& [name, n] : ref.calls) {
    if (n > 0) calls_line += " " + name + "=" + std::to_string(n);
  }
  std::printf("ipcfault explore:");
  for (const std::string& a : o.program)
    std::printf(" %s", shell_quote(a).c_str());
  std::printf("\n\nreference: %s, %llu bytes of output; calls:%s\n",
              describe_status(ref.run.status).c_str(),
              static_cast<unsigned long long>(ref.run.out.length),
              calls_line.c_str());
  std::printf(
      "runs: %zu of a space of %llu (budget %zu), fault reached in "
      "%zu; %s\n\n",
      plans.size(), static_cast<unsigned long long>(space.size()), o.budget,
      reached,
      ref.run.isolation.isolated ? "isolated in namespaces" : "not isolated");
  std::printf("| outcome | runs |\n|---|---|\n");
  for (Outcome out : kSeverityOrder) {
    std::printf("| %s | %zu |\n", outcome_name(out), by[out].size());
  }
  for (Outcome out : kSeverityOrder) {
    if (out == Outcome::kClean || by[out].empty()) continue;
    std::printf("\n%s (%zu):\n", outcome_name(out), by[out].size());
    for (const RunResult* r : by[out]) {
      std::printf("  %s%s: %s\n    %s\n", r->plan.c_str(),
                  r->reached ? "" : " (fault not reached)", r->c.detail.c_str(),
                  replay_command(o, r->plan).c_str());
    }
  }

  // 5. JSON.
  if (json) {
    using conformance::Json;
    Json doc = Json::object();
    Json reference = Json::object();
    Json command = Json::array();
    for (const std::string& a : o.program) command.push(a);
    reference.set("command", command);
    reference.set("mechanism", o.mechanism.empty() ? "auto" : o.mechanism);
    Json exit_code;
    Json sig = status_json(ref.run.status, &exit_code);
    reference.set("exit", exit_code);
    reference.set("signal", sig);
    reference.set("stdout_bytes", static_cast<double>(ref.run.out.length));
    reference.set("stderr_bytes", static_cast<double>(ref.run.err.length));
    reference.set("output_deterministic", ref.output_deterministic);
    Json calls = Json::object();
    for (const auto& [name, n] : ref.calls)
      calls.set(name, static_cast<double>(n));
    reference.set("calls", calls);
    Json left = Json::array();
    for (const std::string& l : ref.run.isolation.left) left.push(l);
    reference.set("left", left);
    reference.set("isolation",
                  ref.run.isolation.isolated
                      ? std::string("namespaces")
                      : "none: " + ref.run.isolation.not_isolated_why);
    doc.set("reference", reference);
    Json runs = Json::array();
    for (const RunResult& r : results) {
      Json j = Json::object();
      j.set("plan", r.plan);
      j.set("outcome", outcome_name(r.c.outcome));
      Json e;
      Json s = status_json(r.run.status, &e);
      j.set("exit", r.run.timed_out ? Json(nullptr) : e);
      j.set("signal", r.run.timed_out ? Json(SIGKILL) : s);
      j.set("reached", r.reached);
      j.set("detail", r.c.detail);
      j.set("replay", replay_command(o, r.plan));
      runs.push(j);
    }
    doc.set("runs", runs);
    Json summary = Json::object();
    summary.set("space", static_cast<double>(space.size()));
    summary.set("runs", static_cast<double>(plans.size()));
    summary.set("budget", static_cast<double>(o.budget));
    summary.set("reached", static_cast<double>(reached));
    for (Outcome out : kSeverityOrder)
      summary.set(outcome_name(out), static_cast<double>(by[out].size()));
    doc.set("summary", summary);
    ipc::Status s = json->write(doc.dump(2) + "\n");
    if (s) s = json->commit();
    if (!s) {
      std::fprintf(stderr, "ipcfault explore: --json: %s\n",
                   s.error().message().c_str());
      return 2;
    }
  }
  return 0;
}

}  // namespace fault
