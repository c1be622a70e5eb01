// fuzz/sem_model_fuzz.cc — System V semaphore sets, differentially: operation
// sequences run on a real set of four semaphores through ipc::SemaphoreSet
// and on a reference model of semop(2)/semctl(2); any divergence aborts.
//
// The model (Linux ipc/sem.c):
//   semop: no operations → EINVAL; a sem_num past the set → EFBIG. Otherwise
//     the operations are tried in order on a copy: delta 0 waits while the
//     value is not 0, a negative delta waits while value + delta < 0, a
//     result above SEMVMX (32767) is ERANGE, and with SEM_UNDO so is an
//     adjustment (semadj - delta) outside -32768..32767. The first operation
//     that would wait decides: its IPC_NOWAIT makes EAGAIN, else the caller
//     waits. Only a complete success changes anything: the values, the
//     caller's semadj, and sempid (the caller) of every semaphore named.
//   SETVAL / SETALL: ERANGE outside 0..32767 (nothing set); otherwise set the
//     value(s) and sempid, and clear every process's semadj of them.
//   Exit of a process: value += semadj, clamped to 0..32767, sempid = it, for
//     each non-zero semadj.
//   A waiter completes (or fails ERANGE) as soon as a change lets its list
//     through; until then GETNCNT/GETZCNT count it once, at the operation
//     that blocks it (exactly, for a single operation or a list that alters;
//     only the total for a list of zero-waits, whose blocking operation the
//     kernel re-evaluates only when a semaphore reaches 0). A signal ends the
//     wait with EINTR (also with SA_RESTART), IPC_RMID with EIDRM.
//
// Processes: this one (its own semadj, reset each input by SETALL), children
// whose list completes at once (result reported over a pipe; they exit, and
// so run their undo, at once or up to three of them later, when this process
// says so), and at most one waiter child, seen blocked through
// GETNCNT/GETZCNT, never a sleep.
// This process never blocks: a list the model says would wait runs with a
// deadline already passed (semtimedop, the layer's ETIMEDOUT).
// One set per process is reused (and re-made after IPC_RMID).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "ipc/sysv_sem.h"

namespace {

constexpr int kNsems = 4;
constexpr auto kBound = std::chrono::seconds(5);  // a hang is a divergence

[[noreturn]] void diverged(const std::string& what) {
  std::fprintf(stderr, "sem_model_fuzz: kernel/layer and model diverge: %s\n",
               what.c_str());
  std::abort();
}

// ---- the model
// ---------------------------------------------------------------

enum class Outcome { kDone, kWait, kErange, kEagain, kEfbig, kEinval };

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kDone:
      return "success";
    case Outcome::kWait:
      return "wait";
    case Outcome::kErange:
      return "ERANGE";
    case Outcome::kEagain:
      return "EAGAIN";
    case Outcome::kEfbig:
      return "EFBIG";
    case Outcome::kEinval:
      return "EINVAL";
  }
  return "?";
}

struct Adjust {
  int v[kNsems] = {};
};

struct Model {
  int val[kNsems] = {};
  pid_t pid[kNsems] = {};

  struct Eval {
    Outcome outcome;
    int blocking = -1;  // index of the operation that waits
  };

  // semop(ops) by `who` with adjustments *adj, applied on success.
  Eval semop(const std::vector<ipc::SemOp>& ops, Adjust* adj, pid_t who,
             bool commit) {
    if (ops.empty()) return {Outcome::kEinval};
    for (const auto& o : ops) {
      if (o.num >= kNsems) return {Outcome::kEfbig};
    }
    int v[kNsems];
    std::copy(val, val + kNsems, v);
    Adjust a = *adj;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const ipc::SemOp& o = ops[i];
      int r = v[o.num];
      if ((o.delta == 0 && r != 0) || r + o.delta < 0) {
        return {o.nowait ? Outcome::kEagain : Outcome::kWait,
                static_cast<int>(i)};
      }
      r += o.delta;
      if (r > ipc::kSemVmx) return {Outcome::kErange};
      if (o.undo) {
        int u = a.v[o.num] - o.delta;
        if (u < -ipc::kSemVmx - 1 || u > ipc::kSemVmx)
          return {Outcome::kErange};
        a.v[o.num] = u;
      }
      v[o.num] = r;
    }
    if (commit) {
      std::copy(v, v + kNsems, val);
      *adj = a;
      for (const auto& o : ops) pid[o.num] = who;
    }
    return {Outcome::kDone};
  }

  void exit_undo(const Adjust& adj, pid_t who) {
    for (int i = 0; i < kNsems; ++i) {
      if (adj.v[i] == 0) continue;
      val[i] = std::clamp(val[i] + adj.v[i], 0, ipc::kSemVmx);
      pid[i] = who;
    }
  }
};

// ---- the real side ---------------------------------------------------------

struct Env {
  ipc::SemaphoreSet set = ipc::SemaphoreSet::from_id(-1);
};
Env* g_env = nullptr;

void make_set() {
  auto s = ipc::SemaphoreSet::create_private(kNsems);
  if (!s.ok()) diverged("setup: " + s.error().message());
  g_env->set = *s;
}

// The process's one set, removed at exit (libFuzzer leaves through exit()).
Env& env() {
  if (g_env == nullptr) {
    g_env = new Env;
    make_set();
    std::atexit([] { (void)g_env->set.remove(); });
  }
  return *g_env;
}

// What a child reports: one byte.
enum Code : char {
  kOk = 'k',
  kCodeErange = 'r',
  kCodeEagain = 'a',
  kCodeEfbig = 'f',
  kCodeEinval = 'v',
  kCodeEidrm = 'd',
  kCodeEintr = 'i',
  kCodeOther = '?',
};

Code code_of(const ipc::Status& s) {
  if (s.ok()) return kOk;
  switch (s.error().code()) {
    case ERANGE:
      return kCodeErange;
    case EAGAIN:
      return kCodeEagain;
    case EFBIG:
      return kCodeEfbig;
    case EINVAL:
      return kCodeEinval;
    case EIDRM:
      return kCodeEidrm;
    case EINTR:
      return kCodeEintr;
    default:
      return kCodeOther;
  }
}

Code code_of(Outcome o) {
  switch (o) {
    case Outcome::kDone:
      return kOk;
    case Outcome::kErange:
      return kCodeErange;
    case Outcome::kEagain:
      return kCodeEagain;
    case Outcome::kEfbig:
      return kCodeEfbig;
    case Outcome::kEinval:
      return kCodeEinval;
    case Outcome::kWait:
      break;
  }
  return kCodeOther;
}

void on_signal(int) {}

// A child that runs one semop list, reports its result byte on `report`, and
// leaves (running its undo) only when a byte arrives on `go`.
struct ChildProc {
  pid_t pid = -1;
  int report = -1;  // read end
  int go = -1;      // write end
  std::vector<ipc::SemOp> ops;
  Adjust adj;  // the model's semadj for it, once its list went through
};

ChildProc start_child(const ipc::SemaphoreSet& set,
                      const std::vector<ipc::SemOp>& ops, bool sa_restart) {
  int rep[2], go[2];
  if (::pipe2(rep, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0)
    diverged("setup: pipe2 failed");
  pid_t pid = ::fork();
  if (pid < 0) diverged("setup: fork failed");
  if (pid == 0) {
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sa.sa_flags = sa_restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGURG, &sa, nullptr);
    char c = code_of(set.op(ops, {.eintr = ipc::Eintr::kSurface}));
    if (::write(rep[1], &c, 1) != 1) ::_exit(1);
    ssize_t n;
    do {
      n = ::read(go[0], &c, 1);
    } while (n < 0 && errno == EINTR);
    ::_exit(n == 1 ? 0 : 1);
  }
  ::close(rep[1]);
  ::close(go[0]);
  return ChildProc{pid, rep[0], go[1], ops, {}};
}

// The child's result byte, or 0 if none came within `bound`.
char read_report(const ChildProc& c, std::chrono::milliseconds bound) {
  struct pollfd p = {c.report, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, static_cast<int>(bound.count()));
  } while (r < 0 && errno == EINTR);
  if (r != 1) return 0;
  char code = 0;
  ssize_t n;
  do {
    n = ::read(c.report, &code, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1 ? code : 0;
}

// Lets the child exit and reaps it (its undo is then done). A byte, not the
// end of file: later children hold copies of the pipe's write end.
void finish(ChildProc& c) {
  char go = 'g';
  if (::write(c.go, &go, 1) != 1) diverged("cannot release a child");
  ::close(c.go);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(c.pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  ::close(c.report);
  if (r != c.pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    diverged("child " + std::to_string(c.pid) + " did not exit cleanly");
}

void kill_child(ChildProc& c) {
  ::kill(c.pid, SIGKILL);
  ::close(c.go);
  int status;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::close(c.report);
}

std::string describe(const std::vector<ipc::SemOp>& ops) {
  std::string s = "[";
  for (const auto& o : ops) {
    if (s.size() > 1) s += ", ";
    s += std::to_string(o.num) + ":" + std::to_string(o.delta);
    if (o.undo) s += " undo";
    if (o.nowait) s += " nowait";
  }
  return s + "]";
}

// ---- one input
// ---------------------------------------------------------------

class Run {
 public:
  explicit Run(fuzz::FuzzInput& in) : in_(in), set_(env().set) {}
  ~Run() {
    if (waiter_) kill_child(*waiter_);
    for (ChildProc& c : held_) kill_child(c);
  }

  void reset() {
    unsigned short zeros[kNsems] = {};
    if (auto s = set_.set_values(zeros); !s.ok())
      diverged("reset: " + s.error().message());
    for (int i = 0; i < kNsems; ++i) m_.pid[i] = self_;
  }

  void step() {
    switch (in_.u8() % 9) {
      case 0:
      case 1:
        parent_op();
        break;
      case 2:
        child_op();
        break;
      case 3:
        set_value();
        break;
      case 4:
        set_all();
        break;
      case 5:
        check();
        break;
      case 6:
        interrupt_waiter();
        break;
      case 7:
        if (in_.u8() % 4 == 0) remove_set();  // rarer: a new set each time
        break;
      case 8:
        release_held();
        break;
    }
  }

  // Lets every held child exit (running its undo), then checks everything.
  void finish_all() {
    while (!held_.empty()) release_held();
    check();
  }

  void check() {
    auto vals = set_.values();
    if (!vals.ok()) diverged("GETALL: " + vals.error().message());
    for (int i = 0; i < kNsems; ++i) {
      if ((*vals)[i] != m_.val[i]) {
        diverged("value of " + std::to_string(i) + ": model " +
                 std::to_string(m_.val[i]) + ", got " +
                 std::to_string((*vals)[i]));
      }
      auto pid = set_.last_pid(i);
      if (!pid.ok() || *pid != m_.pid[i]) {
        diverged("GETPID of " + std::to_string(i) + ": model " +
                 std::to_string(m_.pid[i]) + ", got " +
                 (pid.ok() ? std::to_string(*pid) : pid.error().message()));
      }
    }
    check_counts();
  }

 private:
  // ---- choosing operations ----
  short delta() {
    static constexpr short kDeltas[] = {-1,
                                        1,
                                        0,
                                        -2,
                                        2,
                                        -3,
                                        3,
                                        ipc::kSemVmx,
                                        -ipc::kSemVmx,
                                        ipc::kSemVmx - 1,
                                        -32768,
                                        5};
    return kDeltas[in_.u8() % (sizeof kDeltas / sizeof kDeltas[0])];
  }
  std::vector<ipc::SemOp> ops(bool allow_nowait) {
    std::vector<ipc::SemOp> out(in_.u8() % 5);  // 0: the layer's EINVAL
    for (auto& o : out) {
      std::uint8_t b = in_.u8();
      o.num = static_cast<unsigned short>(b % 16 == 15 ? kNsems : b % kNsems);
      o.delta = delta();
      std::uint8_t f = in_.u8();
      o.undo = (f & 1) != 0;
      o.nowait = allow_nowait && (f & 6) == 6;
    }
    return out;
  }

  // ---- operations ----
  void parent_op() {
    std::vector<ipc::SemOp> list = ops(true);
    bool with_deadline = in_.boolean();
    Model::Eval e = m_.semop(list, &self_adj_, self_, false);
    if (e.outcome == Outcome::kWait) with_deadline = true;  // never block here
    ipc::SemOpOptions opt;
    if (with_deadline)
      opt.deadline = ipc::Clock::now() - std::chrono::seconds(1);
    ipc::Status s = set_.op(list, opt);
    int want = 0;
    switch (e.outcome) {
      case Outcome::kDone:
        break;
      case Outcome::kWait:
      case Outcome::kEagain:
        // Past the deadline the layer cannot tell an IPC_NOWAIT refusal from
        // the expiry: both are ETIMEDOUT.
        want = with_deadline ? ETIMEDOUT : EAGAIN;
        break;
      case Outcome::kErange:
        want = ERANGE;
        break;
      case Outcome::kEfbig:
        want = EFBIG;
        break;
      case Outcome::kEinval:
        want = EINVAL;
        break;
    }
    int got = s.ok() ? 0 : s.error().code();
    if (got != want) {
      diverged("semop" + describe(list) + (with_deadline ? " (deadline)" : "") +
               ": model " + outcome_name(e.outcome) + ", got " +
               (s.ok() ? "success" : s.error().message()));
    }
    if (e.outcome == Outcome::kDone) {
      m_.semop(list, &self_adj_, self_, true);
      settle();
    }
  }

  void child_op() {
    std::vector<ipc::SemOp> list = ops(true);
    Adjust fresh;  // a fork()ed child starts without adjustments
    Model::Eval e = m_.semop(list, &fresh, 0, false);
    if (e.outcome == Outcome::kWait) {
      if (waiter_) return;  // one waiter at a time
      // A waiter's list carries no IPC_NOWAIT: the kernel re-evaluates a
      // waiting list only when a change could let it through, and a
      // refusal found earlier by the model would not happen yet.
      for (auto& o : list) o.nowait = false;
      e = m_.semop(list, &fresh, 0, false);
      waiter_ = start_child(set_, list, in_.boolean());
      waiter_->ops = list;
      waiter_blocking_ = e.blocking;
      await_waiter();
      return;
    }
    ChildProc c = start_child(set_, list, false);
    char got = read_report(c, kBound);
    if (got != code_of(e.outcome)) {
      kill_child(c);
      diverged("child semop" + describe(list) + ": model " +
               outcome_name(e.outcome) + ", got " +
               (got == 0 ? std::string("no result (blocked?)")
                         : std::string(1, got)));
    }
    if (e.outcome == Outcome::kDone) {
      m_.semop(list, &c.adj, c.pid, true);
      settle();  // its list may have let the waiter through
    }
    if (in_.boolean() && held_.size() < 3) {
      held_.push_back(c);  // exits later: others act before its undo
      return;
    }
    finish(c);
    m_.exit_undo(c.adj, c.pid);
    settle();  // and so may its undo
  }

  void release_held() {
    if (held_.empty()) return;
    ChildProc c = held_.front();
    held_.erase(held_.begin());
    finish(c);
    m_.exit_undo(c.adj, c.pid);
    settle();
  }

  // SETVAL/SETALL clear the adjustments of every process.
  void clear_adjustments(int num) {
    self_adj_.v[num] = 0;
    for (ChildProc& c : held_) c.adj.v[num] = 0;
  }

  void set_value() {
    int num = in_.u8() % kNsems;
    static constexpr int kValues[] = {
        0, 1, 2, 3, ipc::kSemVmx, -1, ipc::kSemVmx + 1};
    int v = kValues[in_.u8() % (sizeof kValues / sizeof kValues[0])];
    ipc::Status s = set_.set_value(num, v);
    bool in_range = v >= 0 && v <= ipc::kSemVmx;
    if (s.ok() != in_range || (!s.ok() && s.error().code() != ERANGE)) {
      diverged("SETVAL " + std::to_string(num) + " = " + std::to_string(v) +
               ": " + (s.ok() ? "success" : s.error().message()));
    }
    if (!in_range) return;
    m_.val[num] = v;
    m_.pid[num] = self_;
    clear_adjustments(num);
    settle();
  }

  void set_all() {
    unsigned short v[kNsems];
    bool in_range = true;
    for (auto& x : v) {
      std::uint8_t b = in_.u8();
      x = b == 255 ? ipc::kSemVmx + 1 : b % 4;
      in_range = in_range && x <= ipc::kSemVmx;
    }
    ipc::Status s = set_.set_values(v);
    if (s.ok() != in_range || (!s.ok() && s.error().code() != ERANGE))
      diverged("SETALL: " +
               (s.ok() ? std::string("success") : s.error().message()));
    if (!in_range) return;
    for (int i = 0; i < kNsems; ++i) {
      m_.val[i] = v[i];
      m_.pid[i] = self_;
      clear_adjustments(i);
    }
    settle();
  }

  void interrupt_waiter() {
    if (!waiter_) return;
    if (::kill(waiter_->pid, SIGURG) != 0) diverged("kill waiter failed");
    char got = read_report(*waiter_, kBound);
    if (got != kCodeEintr) {
      diverged("signalled waiter" + describe(waiter_->ops) +
               ": want EINTR, got " +
               (got == 0 ? std::string("nothing") : std::string(1, got)));
    }
    finish(*waiter_);  // nothing went through: no undo
    waiter_.reset();
    check_counts();
  }

  void remove_set() {
    if (auto s = set_.remove(); !s.ok())
      diverged("IPC_RMID: " + s.error().message());
    if (waiter_) {
      char got = read_report(*waiter_, kBound);
      if (got != kCodeEidrm) {
        diverged("waiter of a removed set: want EIDRM, got " +
                 (got == 0 ? std::string("nothing") : std::string(1, got)));
      }
      finish(*waiter_);
      waiter_.reset();
    }
    make_set();
    set_ = env().set;
    m_ = Model{};
    self_adj_ = Adjust{};
    for (ChildProc& c : held_) c.adj = Adjust{};  // their undo has no set
    auto st = set_.stat();
    if (!st.ok() || st->nsems != kNsems || st->otime != 0)
      diverged("new set: " +
               (st.ok() ? std::string("bad stat") : st.error().message()));
  }

  // ---- waiters ----

  // Sees the waiter enqueued in the kernel: GETNCNT/GETZCNT show it.
  void await_waiter() {
    auto deadline = ipc::Clock::now() + kBound;
    for (;;) {
      int total = 0;
      for (int i = 0; i < kNsems; ++i) {
        total += set_.waiting_to_decrease(i).value() +
                 set_.waiting_for_zero(i).value();
      }
      if (total == 1) break;
      if (total > 1)
        diverged("one waiter counted " + std::to_string(total) + " times");
      struct pollfd p = {waiter_->report, POLLIN, 0};
      if (::poll(&p, 1, 0) == 1) {
        diverged("waiter" + describe(waiter_->ops) +
                 ": model says it waits, but it returned");
      }
      if (ipc::Clock::now() > deadline) {
        diverged("waiter" + describe(waiter_->ops) + " never counted");
      }
      ::sched_yield();
    }
    check_counts();
  }

  // GETNCNT/GETZCNT against the model's waiter.
  void check_counts() {
    bool zero_list =
        waiter_ &&
        std::all_of(waiter_->ops.begin(), waiter_->ops.end(),
                    [](const ipc::SemOp& o) { return o.delta == 0; });
    bool exact = waiter_ && (waiter_->ops.size() == 1 || !zero_list);
    int total = 0;
    for (int i = 0; i < kNsems; ++i) {
      auto n = set_.waiting_to_decrease(i);
      auto z = set_.waiting_for_zero(i);
      if (!n.ok() || !z.ok()) diverged("GETNCNT/GETZCNT failed");
      total += *n + *z;
      int want_n = 0, want_z = 0;
      if (exact) {
        const ipc::SemOp& b = waiter_->ops[waiter_blocking_];
        if (b.num == i) (b.delta == 0 ? want_z : want_n) = 1;
      }
      if (waiter_ && !exact) continue;  // only the total is defined
      if (*n != want_n || *z != want_z) {
        diverged("semaphore " + std::to_string(i) + " ncnt/zcnt: model " +
                 std::to_string(want_n) + "/" + std::to_string(want_z) +
                 ", got " + std::to_string(*n) + "/" + std::to_string(*z) +
                 (waiter_ ? " (waiter " + describe(waiter_->ops) + ")" : ""));
      }
    }
    if (total != (waiter_ ? 1 : 0))
      diverged("waiters counted: " + std::to_string(total));
  }

  // After a change: if the model lets the waiter's list through (or makes it
  // fail), the waiter must report that; then its exit runs its undo.
  void settle() {
    if (!waiter_) return;
    Model::Eval e = m_.semop(waiter_->ops, &waiter_->adj, waiter_->pid, false);
    if (e.outcome == Outcome::kWait) {
      waiter_blocking_ = e.blocking;
      char early = read_report(*waiter_, std::chrono::milliseconds(0));
      if (early != 0) {
        diverged("waiter" + describe(waiter_->ops) +
                 ": model says it still waits, got " + std::string(1, early));
      }
      return;
    }
    char got = read_report(*waiter_, kBound);
    if (got != code_of(e.outcome)) {
      diverged("woken waiter" + describe(waiter_->ops) + ": model " +
               outcome_name(e.outcome) + ", got " +
               (got == 0 ? std::string("nothing") : std::string(1, got)));
    }
    if (e.outcome == Outcome::kDone) {
      m_.semop(waiter_->ops, &waiter_->adj, waiter_->pid, true);
    }
    ChildProc w = *waiter_;
    waiter_.reset();
    finish(w);
    m_.exit_undo(w.adj, w.pid);
    // Its undo changed nothing another process waits for: it was the only
    // waiter.
  }

  fuzz::FuzzInput& in_;
  ipc::SemaphoreSet set_;
  Model m_;
  pid_t self_ = ::getpid();
  Adjust self_adj_;
  std::optional<ChildProc> waiter_;
  int waiter_blocking_ = -1;
  std::vector<ChildProc> held_;  // completed children not yet exited
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::FuzzInput in(data, size);
  Run run(in);
  run.reset();
  for (int step = 0; step < 48 && !in.empty(); ++step) run.step();
  run.finish_all();
  return 0;
}
