// fault/seccomp_supervisor.cc — the supervisor process of the seccomp
// mechanism: receives the filtered calls, keeps one Engine per process image,
// and answers each call (run it, fail it, shorten it, delay it, signal it,
// interrupt it once asleep).
//
// Threads: the main thread receives and answers notifications in order; a
// control thread waits (epoll) for watched processes to end and for the
// filter to lose its last user; effects that wait (delay=, a shortened
// transfer on a descriptor that is not ready, interrupt='s watch) run on a
// worker thread each, so that one waiting call never holds another thread's.
#include "fault/seccomp_supervisor.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fault/apply.h"
#include "fault/blocked.h"
#include "fault/engine.h"
#include "fault/foreign_code.h"
#include "fault/libc_syscalls.h"
#include "fault/proc_file.h"
#include "fault/seccomp_filter.h"

extern char** environ;

namespace fault::seccomp {
namespace {

// SECCOMP_IOCTL_NOTIF_SET_FLAGS and its one flag (Linux 6.6; the headers of
// older distributions lack them): wake the target on the supervisor's CPU.
constexpr unsigned long kIoctlSetFlags = SECCOMP_IOW(4, __u64);
constexpr unsigned long kSyncWakeUp = 1;
// The kernel's "restart this call after the handler, whatever SA_RESTART
// says" (include/linux/errno.h, not exported to user space).
constexpr int kErestartNoIntr = 513;
// The most one shortened transfer moves through the supervisor.
constexpr std::size_t kMaxTransfer = std::size_t{16} << 20;

long seccomp_call(unsigned op, unsigned flags, void* args) {
  return ::syscall(SYS_seccomp, op, flags, args);
}

// Writes all of `s` (EINTR and short writes retried).
void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// The value of "Name:\t..." in a /proc status text ("" if absent).
std::string status_field(const std::string& status, const char* name) {
  std::string key = std::string("\n") + name + ":";
  std::size_t at = status.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  while (at < status.size() && (status[at] == '\t' || status[at] == ' ')) ++at;
  std::size_t end = status.find('\n', at);
  return status.substr(at, end == std::string::npos ? end : end - at);
}

struct TaskIds {
  pid_t tgid = 0;
  pid_t ppid = 0;
};

std::optional<TaskIds> task_ids(pid_t tid) {
  std::string s =
      "\n" + read_proc_file("/proc/" + std::to_string(tid) + "/status");
  std::string tgid = status_field(s, "Tgid"), ppid = status_field(s, "PPid");
  if (tgid.empty() || ppid.empty()) return std::nullopt;
  return TaskIds{static_cast<pid_t>(std::strtol(tgid.c_str(), nullptr, 10)),
                 static_cast<pid_t>(std::strtol(ppid.c_str(), nullptr, 10))};
}

// Whether a signal sent to thread `tid` now is delivered to it (runs a
// handler or its default action) rather than staying blocked or being
// discarded as ignored.
bool signal_deliverable(pid_t tid, int signo) {
  std::string s =
      "\n" + read_proc_file("/proc/" + std::to_string(tid) + "/status");
  auto mask = [&](const char* name) {
    return std::strtoull(status_field(s, name).c_str(), nullptr, 16);
  };
  std::uint64_t bit = std::uint64_t{1} << (signo - 1);
  if ((mask("SigBlk") & bit) != 0 || (mask("SigIgn") & bit) != 0) return false;
  if ((mask("SigCgt") & bit) != 0) return true;
  // Default action "ignore" (the kernel's sig_kernel_ignore set).
  return signo != SIGCHLD && signo != SIGCONT && signo != SIGURG &&
         signo != SIGWINCH;
}

// Reads up to n bytes of thread tid's memory at addr; returns the count read.
std::size_t read_remote(pid_t tid, std::uint64_t addr, void* out,
                        std::size_t n) {
  struct iovec local = {out, n};
  struct iovec remote = {reinterpret_cast<void*>(addr), n};
  ssize_t got = ::process_vm_readv(tid, &local, 1, &remote, 1, 0);
  return got > 0 ? static_cast<std::size_t>(got) : 0;
}

std::size_t write_remote(pid_t tid, std::uint64_t addr, const void* in,
                         std::size_t n) {
  struct iovec local = {const_cast<void*>(in), n};
  struct iovec remote = {reinterpret_cast<void*>(addr), n};
  ssize_t put = ::process_vm_writev(tid, &local, 1, &remote, 1, 0);
  return put > 0 ? static_cast<std::size_t>(put) : 0;
}

// The 16 bytes at AT_RANDOM: fresh random bytes the kernel puts on the stack
// of every new program, so they change exactly when an exec succeeded.
using RandomBytes = std::array<unsigned char, 16>;
std::optional<RandomBytes> exec_identity(pid_t pid) {
  std::uint64_t random = auxv_value(pid, AT_RANDOM);
  RandomBytes r{};
  if (random == 0 || read_remote(pid, random, r.data(), r.size()) != 16)
    return std::nullopt;
  return r;
}

// A forked child's start: the engine it inherits (null: not counted until it
// execs).
struct PendingChild {
  std::unique_ptr<Engine> engine;
};

// One watched process (thread group) and its current image.
struct Process {
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    if (pidfd >= 0) ::close(pidfd);
  }

  pid_t tgid = 0;
  int pidfd = -1;  // set before the Process is shared, then never changed
  std::unique_ptr<Engine> engine;  // null: calls run uncounted
  bool exec_pending = false;
  pid_t exec_tid = 0;                   // the thread that called exec
  std::optional<RandomBytes> identity;  // of the image that called exec
  // The loader and sanitizer runtimes of the image (found at its first
  // counted call; a fork child shares its parent's).
  std::shared_ptr<const ForeignCode> foreign;
  std::deque<PendingChild> pending;  // forks not yet seen as processes
  bool logged = false;
};

// A call that a signal= effect interrupted: its restart is the same call.
struct Restart {
  int nr;
  std::uint64_t ip;
  std::array<std::uint64_t, 6> args;
  bool operator==(const Restart&) const = default;
};

Restart restart_of(const struct seccomp_data& d) {
  Restart r{d.nr, d.instruction_pointer, {}};
  for (int i = 0; i < 6; ++i) r.args[i] = d.args[i];
  return r;
}

volatile sig_atomic_t g_unused_stop_signal = 0;
void on_stop_signal(int) { g_unused_stop_signal = 1; }

class Supervisor {
 public:
  Supervisor(const Options& options, int listener, pid_t first)
      : plan_(options.plan),
        armed_(Engine(options.plan).armed_calls()),
        log_fd_(options.log_fd),
        fork_reset_(options.fork_reset),
        listener_(listener) {
    auto p = std::make_shared<Process>();
    p->tgid = first;  // ipcfault itself until it execs: uncounted
    watch(*p);
    processes_[first] = p;
    threads_[first] = first;
  }
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  ~Supervisor() {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    ::close(listener_);
  }

  // Sizes, epoll and the control thread; false (with errno) on failure.
  bool start() {
    struct seccomp_notif_sizes sizes {};
    if (seccomp_call(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) return false;
    notif_size_ = std::max<std::size_t>(sizes.seccomp_notif,
                                        sizeof(struct seccomp_notif));
    resp_size_ = std::max<std::size_t>(sizes.seccomp_notif_resp,
                                       sizeof(struct seccomp_notif_resp));
    // Optional (Linux 6.6): the target and the supervisor hand over on one
    // CPU instead of waking each other across CPUs.
    ::ioctl(listener_, kIoctlSetFlags, kSyncWakeUp);
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return false;
    struct epoll_event ev {};
    ev.events = 0;  // EPOLLHUP only: the filter has no task left
    ev.data.u64 = kListenerTag;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listener_, &ev) != 0)
      return false;
    for (auto& [tgid, p] : processes_) add_to_epoll(*p);
    main_thread_ = ::pthread_self();
    control_ = std::thread([this] { control_loop(); });
    return true;
  }

  // Serves until no process with the filter is left; returns an exit code.
  int run() {
    serve();
    control_.join();
    std::unique_lock<std::mutex> lock(workers_mu_);
    workers_cv_.wait(lock, [this] { return workers_ == 0; });
    return failed_ ? 1 : 0;
  }

 private:
  static constexpr std::uint64_t kListenerTag = ~std::uint64_t{0};

  // ---- the main thread: receive, decide, answer ----------------------------

  void serve() {
    std::vector<std::uint64_t> req_buf((notif_size_ + 7) / 8);
    auto* req = reinterpret_cast<struct seccomp_notif*>(req_buf.data());
    while (!stop_.load(std::memory_order_acquire)) {
      std::memset(req, 0, notif_size_);
      if (::ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
        // EINTR: the control thread's stop signal (or another); ENOENT: the
        // target left between the wake-up and the receive.
        if (errno == EINTR || errno == ENOENT) continue;
        // Cannot happen with a valid listener; nobody would answer the
        // program's calls any more, so end here (the program's filtered
        // calls then fail with ENOSYS).
        std::fprintf(stderr, "ipcfault: seccomp supervisor: receive: %s\n",
                     std::strerror(errno));
        ::_exit(1);
      }
      handle(*req);
    }
    main_done_.store(true, std::memory_order_release);
  }

  void send(std::uint64_t id, std::int64_t val, int error, bool cont) {
    // Zeroed space for the kernel's response size (which may exceed this
    // header's); one per thread, so the main thread allocates nothing per
    // call.
    thread_local std::vector<std::uint64_t> buf;
    buf.assign((resp_size_ + 7) / 8, 0);
    auto* resp = reinterpret_cast<struct seccomp_notif_resp*>(buf.data());
    resp->id = id;
    resp->val = val;
    resp->error = error;
    resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
    // ENOENT: the target is gone (killed) or, without
    // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, was interrupted: nothing to do.
    ::ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, resp);
  }
  void run_call(std::uint64_t id) { send(id, 0, 0, true); }
  void fail_call(std::uint64_t id, int error) { send(id, 0, -error, false); }
  void return_value(std::uint64_t id, std::int64_t v) { send(id, v, 0, false); }

  bool id_valid(std::uint64_t id) {
    return ::ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
  }

  void handle(const struct seccomp_notif& req) {
    const struct seccomp_data& d = req.data;
    pid_t tid = static_cast<pid_t>(req.pid);
    std::shared_ptr<Process> p = process_of(tid, req.id);
    if (p == nullptr) return run_call(req.id);
    if (p->exec_pending) resolve_exec(*p, tid);
    Route route = seccomp::route(d, armed_);
    if (route.kind != Kind::kSigreturn) cancel_watch(tid, d);
    switch (route.kind) {
      case Kind::kClone:
        on_clone(*p, d, tid);
        return run_call(req.id);
      case Kind::kExec:
        p->exec_pending = true;
        p->exec_tid = tid;
        p->identity = exec_identity(p->tgid);
        return run_call(req.id);
      case Kind::kExitGroup:
        write_log(*p);
        return run_call(req.id);
      case Kind::kSigreturn:
        note_sigreturn(tid);
        return run_call(req.id);
      case Kind::kOther:
        return run_call(req.id);
      case Kind::kCall:
      case Kind::kPath:
        break;
    }
    if (p->engine == nullptr) return run_call(req.id);
    if (auto it = restarts_.find(tid); it != restarts_.end()) {
      if (it->second == restart_of(d)) {
        // The kernel restarting a call that a signal interrupted (signal=, or
        // a handler with SA_RESTART): the same call, already counted.
        restarts_.erase(it);
        return run_call(req.id);
      }
    }
    if (p->foreign == nullptr || !p->foreign->knew(d.instruction_pointer))
      p->foreign =
          std::make_shared<const ForeignCode>(ForeignCode::of(p->tgid));
    if (p->foreign->contains(d.instruction_pointer))
      return run_call(req.id);  // the loader's or a sanitizer runtime's call
    Call call = route.call;
    if (route.kind == Kind::kPath) {
      char path[16] = {};
      std::size_t n =
          read_remote(tid, d.args[static_cast<std::size_t>(route.path_arg)],
                      path, sizeof path - 1);
      if (n == 0) return run_call(req.id);  // bad pointer: let it fail
      std::optional<Call> c =
          route_path(d.nr, std::string_view(path, ::strnlen(path, n)), armed_);
      if (!c) return run_call(req.id);
      call = *c;
    }
    int fd = fd_arg(call, d);
    if (call == Call::poll && d.args[1] == 1) {
      int polled = -1;
      if (read_remote(tid, d.args[0], &polled, sizeof polled) == sizeof polled)
        fd = polled;
    }
    std::size_t size = size_arg(call, d);
    Decision decision = p->engine->decide_for(tid, call, fd, size);
    remember_counted(tid, d);
    apply(req, *p, call, decision);
  }

  // ---- calls restarted after a signal handler -------------------------------
  //
  // A named call interrupted by a signal whose handler has SA_RESTART is
  // re-executed by the kernel after the handler: it goes through the filter
  // again, while the preload library sees one call. The handler returns
  // through rt_sigreturn, whose frame holds the registers the thread resumes
  // with: if they restart one of the thread's last counted calls (the
  // instruction pointer back on its syscall instruction, the call number in
  // rax), the next identical notification from the thread is that restart.

  static constexpr std::size_t kRemembered = 8;

  void remember_counted(pid_t tid, const struct seccomp_data& d) {
#if defined(__x86_64__)
    std::deque<Restart>& h = counted_[tid];
    h.push_front(restart_of(d));
    if (h.size() > kRemembered) h.pop_back();
#else
    (void)tid;
    (void)d;
#endif
  }

  void note_sigreturn(pid_t tid) {
#if defined(__x86_64__)
    auto h = counted_.find(tid);
    if (h == counted_.end()) return;
    // The thread waits in rt_sigreturn: /proc/<tid>/syscall shows its stack
    // pointer, which points at the ucontext of the signal frame.
    std::string sc =
        read_proc_file("/proc/" + std::to_string(tid) + "/syscall");
    unsigned long long fields[9] = {};
    if (std::sscanf(sc.c_str(), "%llu %llx %llx %llx %llx %llx %llx %llx %llx",
                    &fields[0], &fields[1], &fields[2], &fields[3], &fields[4],
                    &fields[5], &fields[6], &fields[7], &fields[8]) != 9)
      return;
    std::uint64_t sp = fields[7];
    greg_t gregs[NGREG];
    std::uint64_t at = sp + offsetof(ucontext_t, uc_mcontext.gregs);
    if (read_remote(tid, at, gregs, sizeof gregs) != sizeof gregs) return;
    auto rax = static_cast<std::uint64_t>(gregs[REG_RAX]);
    auto rip = static_cast<std::uint64_t>(gregs[REG_RIP]);
    for (const Restart& r : h->second) {
      // The syscall instruction is 2 bytes; the kernel reports the address
      // after it.
      if (static_cast<std::uint64_t>(r.nr) == rax && r.ip - 2 == rip) {
        restarts_[tid] = r;
        return;
      }
    }
#else
    (void)tid;
#endif
  }

  void apply(const struct seccomp_notif& req, Process& p, Call call,
             const Decision& d) {
    pid_t tid = static_cast<pid_t>(req.pid);
    if (!d.fired()) return run_call(req.id);
    // Every effect (fault/effect.h) is handled here: a new one fails to
    // compile until it is.
    struct Handlers {
      Supervisor* self;
      const struct seccomp_notif& req;
      Process& p;
      Call call;
      pid_t tid;
      void operator()(const PassEffect&) const { self->run_call(req.id); }
      void operator()(const ErrnoEffect& e) const {
        self->fail_call(req.id, e.error);
      }
      void operator()(const DelayEffect& e) const {
        std::uint64_t id = req.id;
        std::int64_t ns = e.ns;
        Supervisor* s = self;
        self->spawn([s, id, ns] {
          sleep_ns(ns);
          s->run_call(id);
        });
      }
      void operator()(const SignalEffect& e) const {
        // As with the preload library, the handler runs before the call: the
        // thread waits for our answer with the signal pending; answering
        // ERESTARTNOINTR makes the kernel deliver it and then restart the
        // call (whatever SA_RESTART says), which we let run uncounted. A
        // blocked or ignored signal is not delivered now: the call just runs.
        if (signal_deliverable(tid, e.signo)) {
          ::syscall(SYS_tgkill, p.tgid, tid, e.signo);
          self->restarts_[tid] = restart_of(req.data);
          return self->fail_call(req.id, kErestartNoIntr);
        }
        ::syscall(SYS_tgkill, p.tgid, tid, e.signo);
        self->run_call(req.id);
      }
      void operator()(const ShortEffect& e) const {
        self->shorten(req, p, call, static_cast<std::size_t>(e.max));
      }
      void operator()(const InterruptEffect& e) const {
        self->interrupt_when_asleep(req, p, tid, e.signo);
      }
    };
    std::visit(Handlers{this, req, p, call, tid}, d.effect);
  }

  // ---- interrupt=: a real signal once the thread sleeps in the call --------
  //
  // The call runs (CONTINUE) and a worker watches the thread, then tgkills it
  // once it sleeps inside the call: state S in the call's system call
  // (/proc/<tid>/syscall; the state alone where that file is missing), after
  // a voluntary context switch since our answer (it was asleep in the
  // notification wait before, which shows the same system call), and not in
  // a notification wait (wchan, where readable: its next call of the same
  // kind waits there before we receive it). The watch ends without a signal
  // when the thread's next notified call arrives (other than an
  // rt_sigreturn or the restart of this call), when the thread is gone, or
  // when the supervisor stops.

  struct Watch {
    std::mutex mu;  // held from the last look at `cancelled` to the tgkill
    bool cancelled = false;
  };

  void interrupt_when_asleep(const struct seccomp_notif& req, Process& p,
                             pid_t tid, int signo) {
    long nr = req.data.nr;
    pid_t tgid = p.tgid;
    std::uint64_t switches = voluntary_switches(tgid, tid);
    auto w = std::make_shared<Watch>();
    {
      std::lock_guard<std::mutex> lock(watches_mu_);
      watches_[tid] = w;
    }
    run_call(req.id);
    spawn([this, w, tgid, tid, nr, signo, switches] {
      bool exact =
          blocked_introspection() == BlockedIntrospection::kSyscallFile;
      for (unsigned spins = 0; !stop_.load(std::memory_order_acquire);
           ++spins) {
        {
          std::lock_guard<std::mutex> lock(w->mu);
          if (w->cancelled) break;
        }
        auto st = read_task_state(tgid, tid);
        if (!st || st->state == 'Z' || st->state == 'X') break;
        bool in_call = !exact || (st->syscall.has_value() &&
                                  syscall_is(nr, *st->syscall, st->arg0));
        if (st->state == 'S' && in_call &&
            voluntary_switches(tgid, tid) > switches &&
            !in_notification_wait(tgid, tid)) {
          std::lock_guard<std::mutex> lock(w->mu);
          if (!w->cancelled) ::syscall(SYS_tgkill, tgid, tid, signo);
          break;
        }
        if (spins < 64) {
          ::sched_yield();
        } else {
          // A sleeping thread stays asleep: past the first spins, looking
          // every 50 us (every ms after a while) finds it soon enough.
          struct timespec ts = {0, spins < 2000 ? 50000 : 1000000};
          ::nanosleep(&ts, nullptr);
        }
      }
      std::lock_guard<std::mutex> lock(watches_mu_);
      if (auto it = watches_.find(tid); it != watches_.end() && it->second == w)
        watches_.erase(it);
    });
  }

  // Ends the watch of thread `tid` (its next notified call `d` arrived),
  // unless `d` is the kernel restarting the watched call.
  void cancel_watch(pid_t tid, const struct seccomp_data& d) {
    if (auto r = restarts_.find(tid);
        r != restarts_.end() && r->second == restart_of(d))
      return;
    std::shared_ptr<Watch> w;
    {
      std::lock_guard<std::mutex> lock(watches_mu_);
      auto it = watches_.find(tid);
      if (it == watches_.end()) return;
      w = std::move(it->second);
      watches_.erase(it);
    }
    std::lock_guard<std::mutex> lock(w->mu);
    w->cancelled = true;
  }

  static std::uint64_t voluntary_switches(pid_t tgid, pid_t tid) {
    std::string s =
        "\n" + read_proc_file("/proc/" + std::to_string(tgid) + "/task/" +
                              std::to_string(tid) + "/status");
    return std::strtoull(status_field(s, "voluntary_ctxt_switches").c_str(),
                         nullptr, 10);
  }

  static bool in_notification_wait(pid_t tgid, pid_t tid) {
    std::string wchan =
        read_proc_file("/proc/" + std::to_string(tgid) + "/task/" +
                       std::to_string(tid) + "/wchan");
    return wchan.rfind("seccomp", 0) == 0;
  }

  // ---- short=: the transfer made by the supervisor -------------------------

  struct Transfer {
    std::uint64_t id;
    pid_t tid;
    pid_t tgid;
    Call call;
    int fd;  // our copy of the target's descriptor
    std::uint64_t buf;
    std::size_t count;
    std::uint64_t offset;
  };

  void shorten(const struct seccomp_notif& req, Process& p, Call call,
               std::size_t count) {
    const struct seccomp_data& d = req.data;
    int target_fd = static_cast<int>(d.args[0]);
    int fd = p.pidfd < 0 ? -1
                         : static_cast<int>(::syscall(SYS_pidfd_getfd, p.pidfd,
                                                      target_fd, 0));
    if (fd < 0) {
      // EBADF: the target's descriptor is not open, as the call would find.
      if (errno == EBADF) return fail_call(req.id, EBADF);
      warn_once("cannot take the target's descriptor (pidfd_getfd: " +
                std::string(std::strerror(errno)) +
                "); shortened calls run unshortened");
      return run_call(req.id);
    }
    // The descriptor copy must be the target's: still waiting in this call.
    if (!id_valid(req.id)) {
      ::close(fd);
      return;
    }
    if (is_signalfd(fd)) {
      // Reading a signalfd reports the reader's signals: ours, not the
      // target's. Let the call run unshortened.
      ::close(fd);
      return run_call(req.id);
    }
    Transfer t{req.id,    static_cast<pid_t>(req.pid),   p.tgid,   call, fd,
               d.args[1], std::min(count, kMaxTransfer), d.args[3]};
    bool reading = call == Call::read || call == Call::pread;
    struct pollfd pfd = {fd, static_cast<short>(reading ? POLLIN : POLLOUT), 0};
    int flags = ::fcntl(fd, F_GETFL);
    bool ready =
        (flags >= 0 && (flags & O_NONBLOCK) != 0) || ::poll(&pfd, 1, 0) != 0;
    if (ready) return transfer(t);
    spawn([this, t] {
      // Wait until the transfer would not block, or the target is gone.
      struct pollfd w = {
          t.fd,
          static_cast<short>(
              t.call == Call::read || t.call == Call::pread ? POLLIN : POLLOUT),
          0};
      for (;;) {
        int r = ::poll(&w, 1, 100);
        if (r != 0) break;
        if (!id_valid(t.id)) {
          ::close(t.fd);
          return;
        }
      }
      transfer(t);
    });
  }

  void transfer(const Transfer& t) {
    std::vector<char> buf(t.count);
    ssize_t n;
    bool reading = t.call == Call::read || t.call == Call::pread;
    if (reading) {
      // The target's buffer must be writable before anything is read: the
      // kernel fails such a read with EFAULT without consuming input. Its
      // bytes are read and written back unchanged.
      if (t.count > 0 &&
          (read_remote(t.tid, t.buf, buf.data(), buf.size()) != buf.size() ||
           write_remote(t.tid, t.buf, buf.data(), buf.size()) != buf.size())) {
        ::close(t.fd);
        return fail_call(t.id, EFAULT);
      }
      do {
        n = t.call == Call::pread ? ::pread(t.fd, buf.data(), buf.size(),
                                            static_cast<off_t>(t.offset))
                                  : ::read(t.fd, buf.data(), buf.size());
      } while (n < 0 && errno == EINTR);
      int error = errno;
      ::close(t.fd);
      if (n < 0) return fail_call(t.id, error);
      if (n > 0 &&
          write_remote(t.tid, t.buf, buf.data(), static_cast<std::size_t>(n)) !=
              static_cast<std::size_t>(n))
        return fail_call(t.id, EFAULT);
      return return_value(t.id, n);
    }
    std::size_t got = read_remote(t.tid, t.buf, buf.data(), buf.size());
    if (got == 0 && t.count > 0) {
      ::close(t.fd);
      return fail_call(t.id, EFAULT);
    }
    do {
      n = t.call == Call::pwrite
              ? ::pwrite(t.fd, buf.data(), got, static_cast<off_t>(t.offset))
              : ::write(t.fd, buf.data(), got);
    } while (n < 0 && errno == EINTR);
    int error = errno;
    ::close(t.fd);
    if (n < 0) {
      // The kernel sends SIGPIPE to the writer with EPIPE: that is the
      // target, not us (we ignore it).
      if (error == EPIPE) ::syscall(SYS_tgkill, t.tgid, t.tid, SIGPIPE);
      return fail_call(t.id, error);
    }
    return_value(t.id, n);
  }

  static bool is_signalfd(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != 0) return false;
    char link[64] = {};
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(self.c_str(), link, sizeof link - 1);
    return n > 0 && std::string_view(link, static_cast<std::size_t>(n)) ==
                        "anon_inode:[signalfd]";
  }

  void spawn(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(workers_mu_);
      ++workers_;
    }
    std::thread([this, fn = std::move(fn)] {
      fn();
      std::lock_guard<std::mutex> lock(workers_mu_);
      if (--workers_ == 0) workers_cv_.notify_all();
    }).detach();
  }

  void warn_once(const std::string& what) {
    if (warned_.exchange(true)) return;
    std::fprintf(stderr, "ipcfault: seccomp supervisor: %s\n", what.c_str());
  }

  // ---- processes, images, forks and execs ----------------------------------

  // The process of thread `tid`, registering a new thread or process.
  std::shared_ptr<Process> process_of(pid_t tid, std::uint64_t id) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = threads_.find(tid); it != threads_.end()) {
        if (auto p = processes_.find(it->second); p != processes_.end())
          return p->second;
      }
    }
    std::optional<TaskIds> ids = task_ids(tid);
    // The ids must be those of the task waiting in this notification.
    if (!ids || !id_valid(id)) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = processes_.find(ids->tgid); it != processes_.end()) {
      threads_[tid] = ids->tgid;
      return it->second;
    }
    auto p = std::make_shared<Process>();
    p->tgid = ids->tgid;
    auto parent = processes_.find(ids->ppid);
    if (parent != processes_.end() && !parent->second->pending.empty()) {
      // A fork child: what its parent had counted when it forked.
      p->engine = std::move(parent->second->pending.front().engine);
      parent->second->pending.pop_front();
      p->foreign = parent->second->foreign;
    } else {
      // A process whose fork we did not see (its parent is gone): fresh.
      p->engine = std::make_unique<Engine>(plan_);
    }
    watch(*p);
    add_to_epoll(*p);
    processes_[p->tgid] = p;
    threads_[tid] = p->tgid;
    return p;
  }

  void watch(Process& p) {
    p.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, p.tgid, 0));
  }

  void add_to_epoll(Process& p) {
    if (p.pidfd < 0 || epoll_fd_ < 0) return;
    struct epoll_event ev {};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<std::uint64_t>(p.tgid);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, p.pidfd, &ev);
  }

  void on_clone(Process& p, const struct seccomp_data& d, pid_t tid) {
    std::optional<std::uint64_t> flags = clone_flags(d);
    if (!flags) {  // clone3: struct clone_args, flags first
      std::uint64_t f = 0;
      if (read_remote(tid, d.args[0], &f, sizeof f) != sizeof f) return;
      flags = f;
    }
    if ((*flags & CLONE_THREAD) != 0) return;
    PendingChild child;
    // A child sharing the parent's memory (vfork, posix_spawn) runs
    // uncounted until it execs; a fork child continues the parent's counts.
    if (p.engine != nullptr && (*flags & CLONE_VM) == 0) {
      child.engine =
          fork_reset_ ? std::make_unique<Engine>(plan_) : p.engine->fork_copy();
    }
    std::lock_guard<std::mutex> lock(mu_);
    p.pending.push_back(std::move(child));
    // A clone that failed leaves an entry nobody takes: keep a bounded few.
    while (p.pending.size() > 64) p.pending.pop_front();
  }

  // After an exec call, at the process's next notification (from thread
  // `tid`): whether the exec replaced the image (AT_RANDOM changed). The
  // exec'ing thread's next call after a failed exec ends the wait; another
  // thread's call may come from the old image while the exec is under way.
  void resolve_exec(Process& p, pid_t tid) {
    if (tid != p.exec_tid && tid != p.tgid) return;  // the old image
    std::optional<RandomBytes> now = exec_identity(p.tgid);
    if (!p.identity) {
      // Unreadable before the exec: assume the exec succeeded.
      warn_once("cannot read the program's memory (process_vm_readv: " +
                std::string(std::strerror(errno)) +
                "); a failed exec is taken for a successful one");
    } else if (!now) {
      return;  // cannot tell now: wait for the next call
    } else if (*now == *p.identity) {
      if (tid == p.exec_tid) p.exec_pending = false;  // the exec failed
      return;
    }
    write_log(p);
    std::lock_guard<std::mutex> lock(mu_);
    p.exec_pending = false;
    p.identity.reset();
    p.engine = std::make_unique<Engine>(plan_);
    p.logged = false;
    p.foreign.reset();
  }

  // Appends the image's log once ("ipcfault: pid=N" and the engine's log, as
  // the preload library writes it).
  void write_log(Process& p) {
    std::string text;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (p.logged || p.engine == nullptr) return;
      p.logged = true;
      text = "ipcfault: pid=" + std::to_string(p.tgid) + "\n" +
             p.engine->format_log();
    }
    if (log_fd_ < 0) return;
    std::lock_guard<std::mutex> lock(log_mu_);
    write_all(log_fd_, text);
  }

  // ---- the control thread --------------------------------------------------

  void control_loop() {
    bool done = false;
    while (!done) {
      struct epoll_event events[16];
      int n = ::epoll_wait(epoll_fd_, events, 16, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        failed_ = true;
        break;
      }
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kListenerTag) {
          done = true;
        } else {
          process_ended(static_cast<pid_t>(events[i].data.u64));
        }
      }
    }
    // Every process with the filter is gone: end the main thread's receive.
    stop_.store(true, std::memory_order_release);
    while (!main_done_.load(std::memory_order_acquire)) {
      ::pthread_kill(main_thread_, SIGUSR2);
      struct timespec pause = {0, 10 * 1000 * 1000};
      ::nanosleep(&pause, nullptr);
    }
    std::vector<std::shared_ptr<Process>> left;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [tgid, p] : processes_) left.push_back(p);
    }
    for (auto& p : left) write_log(*p);
  }

  void process_ended(pid_t tgid) {
    std::shared_ptr<Process> p;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = processes_.find(tgid);
      if (it == processes_.end()) return;
      p = it->second;
      processes_.erase(it);
      for (auto t = threads_.begin(); t != threads_.end();) {
        t = t->second == tgid ? threads_.erase(t) : std::next(t);
      }
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, p->pidfd, nullptr);
    }
    write_log(*p);
    // The pidfd is closed with the last reference to the Process.
  }

  const Plan plan_;
  const CallSet armed_;
  const int log_fd_;
  const bool fork_reset_;
  const int listener_;
  std::size_t notif_size_ = sizeof(struct seccomp_notif);
  std::size_t resp_size_ = sizeof(struct seccomp_notif_resp);
  int epoll_fd_ = -1;
  pthread_t main_thread_{};
  std::thread control_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> main_done_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> warned_{false};

  std::mutex mu_;  // processes_, threads_, each Process's engine and pending
  std::unordered_map<pid_t, std::shared_ptr<Process>> processes_;
  std::unordered_map<pid_t, pid_t> threads_;  // tid -> tgid
  // Main thread only: the restart expected next from each thread, and each
  // thread's last counted calls (newest first).
  std::unordered_map<pid_t, Restart> restarts_;
  std::unordered_map<pid_t, std::deque<Restart>> counted_;
  // interrupt= watches by thread.
  std::mutex watches_mu_;
  std::unordered_map<pid_t, std::shared_ptr<Watch>> watches_;

  std::mutex log_mu_;

  std::mutex workers_mu_;
  std::condition_variable workers_cv_;
  int workers_ = 0;
};

// ---- the handshake between ipcfault and its supervisor ---------------------

// One message: the pid of the process that installed the filter (and then
// execs), with the listener descriptor attached.
struct Handshake {
  pid_t pid = 0;
  struct iovec io = {&pid, sizeof pid};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr m {};

  Handshake() {
    m.msg_iov = &io;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
  }
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;
};

bool send_listener(int sock, pid_t pid, int listener) {
  Handshake h;
  h.pid = pid;
  struct cmsghdr* c = CMSG_FIRSTHDR(&h.m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &listener, sizeof listener);
  ssize_t n;
  do {
    n = ::sendmsg(sock, &h.m, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == sizeof h.pid;
}

bool receive_listener(int sock, pid_t* pid, int* listener) {
  Handshake h;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &h.m, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  struct cmsghdr* c = CMSG_FIRSTHDR(&h.m);
  if (n != sizeof h.pid || c == nullptr || c->cmsg_type != SCM_RIGHTS)
    return false;
  std::memcpy(listener, CMSG_DATA(c), sizeof *listener);
  *pid = h.pid;
  return true;
}

// The supervisor's descriptors: the program's stdin and stdout must not stay
// open here (a reader of its output would wait for us), nor anything else it
// inherited (descriptors without close-on-exec); stderr stays for warnings.
void detach_descriptors(int keep1, int keep2) {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::close(null);
  }
  std::vector<int> close_these;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (struct dirent* e = ::readdir(dir)) {
      int fd = std::atoi(e->d_name);
      if (fd <= 2 || fd == keep1 || fd == keep2 || fd == ::dirfd(dir)) continue;
      int flags = ::fcntl(fd, F_GETFD);
      if (flags >= 0 && (flags & FD_CLOEXEC) == 0) close_these.push_back(fd);
    }
    ::closedir(dir);
  }
  for (int fd : close_these) ::close(fd);
}

// The supervisor process: receives the listener, serves, exits.
int supervisor_main(const Options& options, int sock) {
  for (int sig :
       {SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU}) {
    ::signal(sig, SIG_IGN);
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: interrupts the receive
  ::sigaction(SIGUSR2, &sa, nullptr);
  detach_descriptors(sock, options.log_fd);
  if (::chdir("/") != 0) {
    // Keeping the program's directory busy is harmless.
  }
  pid_t first = 0;
  int listener = -1;
  if (!receive_listener(sock, &first, &listener)) return 0;  // no program
  Supervisor supervisor(options, listener, first);
  if (!supervisor.start()) {
    std::fprintf(stderr, "ipcfault: seccomp supervisor cannot start: %s\n",
                 std::strerror(errno));
    return 1;
  }
  char ready = 1;
  ssize_t n;
  do {
    n = ::send(sock, &ready, 1, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  ::close(sock);
  return supervisor.run();
}

// Installs the filter in this thread; the listener descriptor, or -1.
int install_filter(const Plan& plan, std::string* why) {
  std::vector<struct sock_filter> insns =
      build_filter(Engine(plan).armed_calls());
  struct sock_fprog prog = {static_cast<unsigned short>(insns.size()),
                            insns.data()};
  // Without CAP_SYS_ADMIN the kernel requires no_new_privs (then setuid
  // programs run without their privileges).
  unsigned flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
                   SECCOMP_FILTER_FLAG_SPEC_ALLOW |
                   SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  for (int attempt = 0; attempt < 3; ++attempt) {
    long fd = seccomp_call(SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EACCES && ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0) {
      ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      continue;
    }
    if (errno == EINVAL &&
        (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) != 0) {
      // Before Linux 5.19: a signal can then withdraw a notification.
      flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
      continue;
    }
    break;
  }
  *why =
      std::string("seccomp(SECCOMP_SET_MODE_FILTER): ") + std::strerror(errno);
  return -1;
}

}  // namespace

ipc::Status probe() {
  std::uint32_t action = SECCOMP_RET_USER_NOTIF;
  if (seccomp_call(SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) {
    return ipc::Error(errno, "seccomp", "SECCOMP_RET_USER_NOTIF",
                      "needs Linux 5.5+ with CONFIG_SECCOMP_FILTER");
  }
  int self = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (self < 0) {
    return ipc::Error(errno, "pidfd_open", "", "needs Linux 5.3+");
  }
  int copy = static_cast<int>(::syscall(SYS_pidfd_getfd, self, 2, 0));
  int error = errno;
  ::close(self);
  if (copy < 0 && error != EBADF) {
    return ipc::Error(error, "pidfd_getfd", "", "needs Linux 5.6+");
  }
  if (copy >= 0) ::close(copy);
  return ipc::Status();
}

ipc::Status exec_supervised(const Options& options, const std::string& path,
                            char* const argv[]) {
  if (auto s = check_plan(options.plan); !s) return s;
  if (auto s = probe(); !s) return s;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return ipc::Error::from_errno("socketpair");
  // The supervisor is a grandchild that the intermediate child leaves to
  // init: the program never sees it among its children.
  pid_t middle = ::fork();
  if (middle < 0) {
    int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    return ipc::Error(e, "fork");
  }
  if (middle == 0) {
    pid_t s = ::fork();
    if (s != 0) ::_exit(s < 0 ? 1 : 0);
    ::close(sv[1]);
    std::exit(supervisor_main(options, sv[0]));
  }
  ::close(sv[0]);
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ::close(sv[1]);
    return ipc::Error(EAGAIN, "fork", "supervisor");
  }
  std::string why;
  int listener = install_filter(options.plan, &why);
  if (listener < 0) {
    int e = errno;
    ::close(sv[1]);
    return ipc::Error(e, "seccomp", "", why);
  }
  // From here on the filter is live: the supervisor answers our own calls
  // (uncounted until the exec).
  bool sent = send_listener(sv[1], ::getpid(), listener);
  ::close(listener);
  char ready = 0;
  ssize_t n = 0;
  if (sent) {
    do {
      n = ::recv(sv[1], &ready, 1, 0);
    } while (n < 0 && errno == EINTR);
  }
  ::close(sv[1]);
  if (n != 1) {
    return ipc::Error(EPROTO, "seccomp supervisor", "",
                      "did not start (see its message above)");
  }
  ::execve(path.c_str(), argv, environ);
  return ipc::Error::from_errno("execve", path);
}

}  // namespace fault::seccomp
