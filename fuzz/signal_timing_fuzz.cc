// fuzz/signal_timing_fuzz.cc — real signals landing on real blocking IPC calls
// at fuzzer-chosen moments, checked against signal(7).
//
// Each input is up to kMaxScenarios scenarios of 4 bytes:
//   [call] [when | SA_RESTART | signal] [len] [aux]
// call: pipe read (empty pipe), pipe write (full 4 KiB pipe), msgrcv (empty
//   queue), msgsnd (full queue), sigtimedwait, FIFO open (read end, no writer);
//   each through the ipc layer with Eintr::kSurface, so that the layer's EINTR
//   handling is what gets checked.
// signal: SIGRTMIN+2..+7, never SIGUSR1/2 or SIGALRM (libFuzzer's); a handler
//   with or without SA_RESTART.
// when: before the call (pthread_kill to self: the handler runs before the
// call,
//   which then proceeds), while blocked (fault::interrupt_when_blocked from a
//   helper thread, once /proc shows the call asleep), or after the call.
// The helper thread then unblocks the call (writes the bytes, drains the pipe,
// sends the message, removes the filler message, queues the awaited signal,
// opens the FIFO's other end) — only after the interrupted call has returned
// or the handler has run, so the kernel's choice was made before.
// Invariants:
//   - the call fails with EINTR exactly when signal(7) says: while blocked, and
//     the call never restarts (msgrcv, msgsnd, sigtimedwait) or the handler has
//     no SA_RESTART (pipe read/write, FIFO open); otherwise it completes;
//   - the handler runs exactly once, and before the call for "before";
//   - nothing is lost or duplicated: the bytes, the message, the queued signal
//     value arrive exactly once (retrying the call after EINTR), and the pipe,
//     queue and pending set are empty afterwards.
// Kernel objects (pipe, queue, FIFO) are made once per process and reused; the
// queue and the FIFO are removed at exit and before a failure aborts. Every
// wait is bounded: the helper aborts (a crash the fuzzer reports) if a call is
// still blocked 10 s after being unblocked. SIGALRM (libFuzzer's -timeout, no
// SA_RESTART) is blocked in the calling thread during an input so it cannot add
// an EINTR.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fault/blocked.h"
#include "fuzz/fuzz_input.h"
#include "ipc/fd.h"
#include "ipc/fifo.h"
#include "ipc/limits.h"
#include "ipc/pipe.h"
#include "ipc/signals.h"
#include "ipc/sysv_msg.h"

namespace {

using namespace std::chrono_literals;

constexpr int kMaxScenarios = 4;
constexpr std::size_t kPipeSize =
    4096;  // one page: a 4096-byte filler makes it full
constexpr long kFillerType = 1;
constexpr long kMessageType = 2;

enum Call : int {
  kPipeRead,
  kPipeWrite,
  kMsgRcv,
  kMsgSnd,
  kSigTimedWait,
  kFifoOpen,
  kCallCount
};
enum When : int { kBefore, kWhileBlocked, kAfter };

const char* const kCallNames[] = {"pipe read", "pipe write",   "msgrcv",
                                  "msgsnd",    "sigtimedwait", "FIFO open"};
const char* const kWhenNames[] = {"before", "while blocked", "after"};

// The system call /proc shows while each call sleeps (glibc's open is openat).
long syscall_of(Call c) {
  switch (c) {
    case kPipeRead:
      return SYS_read;
    case kPipeWrite:
      return SYS_write;
    case kMsgRcv:
      return SYS_msgrcv;
    case kMsgSnd:
      return SYS_msgsnd;
    case kSigTimedWait:
      return SYS_rt_sigtimedwait;
    default:
      return SYS_openat;
  }
}

// signal(7): SysV IPC and sigtimedwait never restart; the others do with
// SA_RESTART.
bool restarts(Call c, bool sa_restart) {
  return sa_restart && (c == kPipeRead || c == kPipeWrite || c == kFifoOpen);
}

int interrupt_signal(int index) { return SIGRTMIN + 2 + index % 6; }
int awaited_signal() { return SIGRTMIN + 1; }  // what sigtimedwait waits for

std::string g_scenario;  // description of the running scenario, for failures
void remove_objects();   // the queue and the FIFO (abort skips atexit)

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "signal_timing_fuzz: %s: %s\n", g_scenario.c_str(),
               what.c_str());
  remove_objects();
  std::abort();
}

template <typename T>
T must(ipc::Result<T> r, const char* what) {
  if (!r.ok()) fail(std::string(what) + ": " + r.error().message());
  return std::move(r).value();
}
void must(const ipc::Status& s, const char* what) {
  if (!s.ok()) fail(std::string(what) + ": " + s.error().message());
}

// Payload byte i of scenario `seq`.
std::vector<std::byte> payload(std::uint32_t seq, std::size_t n) {
  std::vector<std::byte> p(n);
  for (std::size_t i = 0; i < n; ++i)
    p[i] = static_cast<std::byte>((seq * 131 + i) & 0xff);
  return p;
}

// ---- the handler -----------------------------------------------------------

std::atomic<int> g_handled[65];
ipc::Notifier* g_notifier = nullptr;

void on_signal(int sig) {
  g_handled[sig].fetch_add(1);
  g_notifier->notify();  // async-signal-safe, keeps errno
}

// ---- what the helper thread does for one scenario --------------------------

struct Job {
  Call call = kPipeRead;
  When when = kBefore;
  int sig = 0;
  pid_t tid = 0;          // the calling thread
  pthread_t thread = {};  // the same, for pthread_sigqueue
  std::uint32_t seq = 0;
  std::size_t len = 0;     // bytes to write (pipe read), message size (msgrcv)
  int handled_before = 0;  // g_handled[sig] before the scenario
  // Results, written by the helper before `unblocked`.
  bool signal_sent = false;
  bool ordered =
      true;  // the call had returned or the handler had run before the unblock
  std::string error;  // the helper's own failure, reported by the caller
  int fifo_fd = -1;   // the FIFO's other end, opened by the helper
};

struct Env {
  Env(ipc::Pipe p, ipc::MessageQueue q, std::size_t mnb, ipc::Notifier n)
      : pipe(std::move(p)), queue(q), msgmnb(mnb), notifier(std::move(n)) {}

  ipc::Pipe pipe;
  ipc::MessageQueue queue;
  std::size_t msgmnb;
  std::string dir, fifo;
  ipc::Notifier notifier;
  ipc::MessageBuffer buffer{8192};

  std::mutex mu;
  std::condition_variable cv;
  Job* job = nullptr;      // posted by the caller, taken by the helper
  bool unblocked = false;  // the helper has done its part
  bool done = false;       // the caller has finished the scenario
  std::atomic<bool> call_returned{false};
};

Env* g_env = nullptr;

void remove_objects() {
  if (g_env == nullptr) return;
  (void)g_env->queue.remove();
  if (!g_env->fifo.empty()) (void)ipc::remove_fifo(g_env->fifo);
  if (!g_env->dir.empty()) ::rmdir(g_env->dir.c_str());
}

// Unblocks the call. Every step has a deadline: the helper never hangs.
void unblock(Env& e, Job& j) {
  auto deadline = ipc::deadline_in(5s);
  auto complain = [&j](const std::string& what) {
    if (j.error.empty()) j.error = "helper: " + what;
  };
  switch (j.call) {
    case kPipeRead: {
      auto bytes = payload(j.seq, j.len);
      auto r = ipc::write_full(e.pipe.write.get(), bytes, deadline);
      if (!r.ok()) complain(r.error().message());
      break;
    }
    case kPipeWrite: {  // drain the filler
      std::vector<std::byte> got(kPipeSize);
      auto r = ipc::read_full(e.pipe.read.get(), got, deadline);
      if (!r.ok())
        complain(r.error().message());
      else if (*r != kPipeSize || got != payload(~j.seq, kPipeSize))
        complain("filler corrupted");
      break;
    }
    case kMsgRcv: {
      auto s =
          e.queue.send(kMessageType, payload(j.seq, j.len), {.nowait = true});
      if (!s.ok()) complain(s.error().message());
      break;
    }
    case kMsgSnd: {  // remove the filler: room for the blocked message
      ipc::MessageBuffer buf(8192);
      auto r = e.queue.receive(kFillerType, buf, {.nowait = true});
      if (!r.ok()) complain(r.error().message());
      break;
    }
    case kSigTimedWait: {
      union sigval v;
      v.sival_int = static_cast<int>(j.seq);
      if (int rc = ::pthread_sigqueue(j.thread, awaited_signal(), v); rc != 0) {
        complain(std::string("pthread_sigqueue: ") + std::strerror(rc));
      }
      break;
    }
    case kFifoOpen: {  // O_RDWR never waits: it is a reader and a writer
      int fd = ::open(e.fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        complain(std::string("open FIFO O_RDWR: ") + std::strerror(errno));
        break;
      }
      auto b = payload(j.seq, 1);
      if (::write(fd, b.data(), 1) != 1)
        complain(std::string("write FIFO: ") + std::strerror(errno));
      j.fifo_fd = fd;
      break;
    }
    default:
      break;
  }
}

// Whether `sig` is no longer pending for thread `tid` (SigPnd in
// /proc/self/task/TID/status) while the thread sleeps in system call `nr`.
bool restarted(pid_t tid, int sig, long nr) {
  std::string path = "/proc/self/task/" + std::to_string(tid) + "/status";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* p = std::strstr(buf, "SigPnd:");
  if (p == nullptr) return false;
  unsigned long long pending = std::strtoull(p + 7, nullptr, 16);
  if ((pending >> (sig - 1)) & 1) return false;
  auto st = fault::read_task_state(0, tid);
  return st.ok() && st->state == 'S' && st->syscall == nr;
}

void run_job(Env& e, Job& j) {
  const long nr = syscall_of(j.call);
  const auto deadline = ipc::deadline_in(5s);
  ipc::Status s =
      j.when == kWhileBlocked
          ? fault::interrupt_when_blocked(0, j.tid, j.sig, nr, deadline)
          : fault::wait_until_blocked(0, j.tid, nr, deadline);
  if (!s.ok()) {
    j.error = "the call never blocked: " + s.error().message();
  } else if (j.when == kWhileBlocked) {
    j.signal_sent = true;
    // Let the kernel decide (EINTR or restart) before the call can complete:
    // wait until the call has returned, or the handler has run, or the signal
    // has been taken (no longer pending) and the thread sleeps in the same call
    // again — a restart. The last one matters under TSan, whose handler is
    // deferred until the call returns. After 2 s go on regardless and say so
    // (the caller then accepts either outcome).
    auto until = ipc::Clock::now() + 2s;
    while (!e.call_returned.load() &&
           g_handled[j.sig].load() == j.handled_before &&
           !restarted(j.tid, j.sig, nr)) {
      if (ipc::Clock::now() > until) {
        j.ordered = false;
        break;
      }
      std::this_thread::yield();
    }
  }
  unblock(e, j);
}

// The helper: takes a job, delivers the signal / unblocks, and then watches the
// caller — a call still blocked 10 s later is a hang, reported as a crash.
void helper_main(Env* e) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::unique_lock<std::mutex> lock(e->mu);
  for (;;) {
    e->cv.wait(lock, [e] { return e->job != nullptr; });
    Job* j = e->job;
    e->job = nullptr;
    lock.unlock();
    run_job(*e, *j);
    lock.lock();
    e->unblocked = true;
    e->cv.notify_all();
    if (!e->cv.wait_for(lock, 10s, [e] { return e->done; })) {
      fail("the call is still blocked 10 s after it was unblocked");
    }
    e->done = false;
  }
}

Env& env() {
  if (g_env != nullptr) return *g_env;
  auto* e = new Env(must(ipc::make_pipe(), "pipe"),
                    must(ipc::MessageQueue::create_private(), "msgget"),
                    must(ipc::msg_limits(), "msg limits").msgmnb,
                    must(ipc::Notifier::create(), "eventfd"));
  g_env = e;
  std::atexit(remove_objects);
  if (must(ipc::set_pipe_capacity(e->pipe.write.get(), kPipeSize),
           "F_SETPIPE_SZ") != kPipeSize) {
    fail("pipe capacity is not one page");
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
      "/sigfuzz.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr)
    fail("mkdtemp " + templ + ": " + std::strerror(errno));
  e->dir = templ;
  e->fifo = templ + "/fifo";
  must(ipc::make_fifo(e->fifo), "mkfifo");
  g_notifier = &e->notifier;
  std::thread(helper_main, e).detach();
  return *e;
}

// Waits (bounded) until the handler for `sig` has run `want` times since
// `base`.
int handled_since(Env& e, int sig, int base, int want) {
  auto deadline = ipc::deadline_in(5s);
  while (g_handled[sig].load() - base < want) {
    if (!e.notifier.wait(deadline).ok()) break;
  }
  return g_handled[sig].load() - base;
}

// One scenario: set the scene, post the job, make the call, judge it.
void run_scenario(Env& e, fuzz::FuzzInput& in, std::uint32_t seq) {
  const Call call = static_cast<Call>(in.u8() % kCallCount);
  const std::uint8_t mode = in.u8();
  const When when = static_cast<When>(mode % 3);
  const bool sa_restart = (mode & 4) != 0;
  const int sig = interrupt_signal(mode >> 3);
  const std::uint8_t len_byte = in.u8();
  const std::uint8_t aux = in.u8();
  g_scenario = std::string(kCallNames[call]) + ", " + ipc::signal_name(sig) +
               " " + kWhenNames[when] +
               (sa_restart ? ", SA_RESTART" : ", no SA_RESTART");

  auto action = must(ipc::ScopedSigaction::install(sig, on_signal,
                                                   sa_restart ? SA_RESTART : 0),
                     "sigaction");
  std::optional<ipc::ScopedSignalMask> awaited_blocked;
  (void)e.notifier.drain();

  Job job;
  job.call = call;
  job.when = when;
  job.sig = sig;
  job.tid = fault::current_tid();
  job.thread = ::pthread_self();
  job.seq = seq;
  job.handled_before = g_handled[sig].load();

  // Set the scene so that the call blocks.
  std::size_t len = 0, bufsize = 0, filler = 0;
  long msgtyp = 0;
  switch (call) {
    case kPipeRead:
      len = 1 + len_byte * 16u;  // 1..4081 bytes arrive
      bufsize =
          1 + aux * 16u;  // read buffer: shorter reads leave the rest queued
      break;
    case kPipeWrite:
      len = 1 + len_byte * 16u;  // <= PIPE_BUF: atomic, never a short count
      must(ipc::write_full(e.pipe.write.get(), payload(~seq, kPipeSize),
                           ipc::deadline_in(5s)),
           "fill the pipe");
      break;
    case kMsgRcv:
      len = len_byte % 65;
      msgtyp = aux % 3 == 0 ? 0 : aux % 3 == 1 ? kMessageType : -kMessageType;
      break;
    case kMsgSnd:
      filler = 1 + aux % 64;        // qbytes = filler: the queue is full
      len = 1 + len_byte % filler;  // fits once the filler is gone
      must(e.queue.set_qbytes(filler), "set qbytes");
      must(e.queue.send(kFillerType, payload(~seq, filler), {.nowait = true}),
           "send filler");
      break;
    case kSigTimedWait:
      awaited_blocked.emplace(must(
          ipc::ScopedSignalMask::block(ipc::make_sigset({awaited_signal()})),
          "block the awaited signal"));
      break;
    default:
      break;
  }
  job.len = len;

  // Post the job, then (maybe) signal first, then call.
  e.call_returned.store(false);
  {
    std::lock_guard<std::mutex> lock(e.mu);
    e.unblocked = false;
    e.job = &job;
  }
  e.cv.notify_all();

  if (when == kBefore) {
    ::pthread_kill(::pthread_self(), sig);
    if (g_handled[sig].load() - job.handled_before != 1)
      fail("handler did not run before the call");
  }

  bool completed = false;
  int call_errno = 0;
  std::string call_error;
  std::vector<std::byte> got;       // pipe read: bytes the call returned
  std::optional<ipc::Fd> fifo_end;  // FIFO open: the read end
  auto note = [&](const ipc::Error& err) {
    call_errno = err.code();
    call_error = err.message();
  };
  switch (call) {
    case kPipeRead: {
      std::vector<std::byte> buf(bufsize);
      auto r = ipc::read_some(e.pipe.read.get(), buf, ipc::Eintr::kSurface);
      if (r.ok()) {
        completed = true;
        got.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
      } else {
        note(r.error());
      }
      break;
    }
    case kPipeWrite: {
      auto bytes = payload(seq, len);
      auto r = ipc::write_some(e.pipe.write.get(), bytes, ipc::Eintr::kSurface);
      if (r.ok()) {
        completed = true;
        if (*r != len)
          fail("short write of " + std::to_string(*r) + " of " +
               std::to_string(len) + " bytes");
      } else {
        note(r.error());
      }
      break;
    }
    case kMsgRcv: {
      auto r =
          e.queue.receive(msgtyp, e.buffer, {.eintr = ipc::Eintr::kSurface});
      if (r.ok()) {
        completed = true;
        if (r->type != kMessageType)
          fail("received type " + std::to_string(r->type));
        got.assign(r->data.begin(), r->data.end());
      } else {
        note(r.error());
      }
      break;
    }
    case kMsgSnd: {
      auto s = e.queue.send(kMessageType, payload(seq, len),
                            {.eintr = ipc::Eintr::kSurface});
      if (s.ok())
        completed = true;
      else
        note(s.error());
      break;
    }
    case kSigTimedWait: {
      auto r = ipc::wait_signal(ipc::make_sigset({awaited_signal()}), 5s,
                                ipc::Eintr::kSurface);
      if (r.ok()) {
        completed = true;
        if (r->si_signo != awaited_signal() ||
            r->si_value.sival_int != static_cast<int>(seq)) {
          fail("sigtimedwait returned the wrong signal or value");
        }
      } else {
        note(r.error());
      }
      break;
    }
    default: {
      auto r = ipc::open_fifo(e.fifo, ipc::FifoEnd::kRead,
                              {.eintr = ipc::Eintr::kSurface});
      if (r.ok()) {
        completed = true;
        fifo_end.emplace(std::move(r).value());
      } else {
        note(r.error());
      }
      break;
    }
  }
  e.call_returned.store(true);
  if (when == kAfter) {
    ::pthread_kill(::pthread_self(), sig);
    if (g_handled[sig].load() - job.handled_before != 1)
      fail("handler did not run for the late signal");
  }

  // Wait for the helper's unblock, then judge the outcome.
  {
    std::unique_lock<std::mutex> lock(e.mu);
    e.cv.wait(lock, [&e] { return e.unblocked; });
  }
  ipc::Fd helper_fifo(job.fifo_fd);
  if (!job.error.empty()) fail(job.error);
  if (!completed && call_errno != EINTR) fail("the call failed: " + call_error);
  const bool want_eintr = when == kWhileBlocked && !restarts(call, sa_restart);
  if (job.ordered && completed == want_eintr) {
    fail(want_eintr
             ? "the call completed; signal(7) says EINTR"
             : "the call failed with EINTR; signal(7) says it completes (" +
                   call_error + ")");
  }

  // Nothing lost, nothing duplicated: finish the transfer after an EINTR and
  // check that exactly the expected data arrived and nothing else remains.
  auto deadline = ipc::deadline_in(5s);
  switch (call) {
    case kPipeRead: {
      std::vector<std::byte> rest(len - got.size());
      must(ipc::read_full(e.pipe.read.get(), rest, deadline), "read the rest");
      got.insert(got.end(), rest.begin(), rest.end());
      if (got != payload(seq, len))
        fail("pipe bytes differ from what was written");
      if (must(ipc::bytes_available(e.pipe.read.get()), "FIONREAD") != 0)
        fail("extra bytes in the pipe");
      break;
    }
    case kPipeWrite: {
      if (!completed) {
        auto n = must(ipc::write_some(e.pipe.write.get(), payload(seq, len),
                                      ipc::Eintr::kSurface),
                      "write again after EINTR");
        if (n != len) fail("short write after EINTR");
      }
      std::vector<std::byte> back(len);
      must(ipc::read_full(e.pipe.read.get(), back, deadline), "read back");
      if (back != payload(seq, len))
        fail("pipe bytes differ from what was written");
      if (must(ipc::bytes_available(e.pipe.read.get()), "FIONREAD") != 0) {
        fail("the message was written twice (extra bytes in the pipe)");
      }
      break;
    }
    case kMsgRcv: {
      if (!completed) {
        auto r = must(e.queue.receive(msgtyp, e.buffer, {.nowait = true}),
                      "receive after EINTR");
        got.assign(r.data.begin(), r.data.end());
      }
      if (got != payload(seq, len)) fail("message payload differs");
      auto again = e.queue.receive(0, e.buffer, {.nowait = true});
      if (again.ok() || again.error().code() != ENOMSG)
        fail("queue not empty after the receive");
      break;
    }
    case kMsgSnd: {
      if (!completed) {
        must(e.queue.send(kMessageType, payload(seq, len), {.nowait = true}),
             "send again after EINTR");
      }
      auto r = must(e.queue.receive(0, e.buffer, {.nowait = true}),
                    "receive the sent message");
      std::vector<std::byte> data(r.data.begin(), r.data.end());
      if (r.type != kMessageType || data != payload(seq, len))
        fail("sent message differs");
      auto again = e.queue.receive(0, e.buffer, {.nowait = true});
      if (again.ok() || again.error().code() != ENOMSG)
        fail("message queued twice");
      must(e.queue.set_qbytes(e.msgmnb), "restore qbytes");
      break;
    }
    case kSigTimedWait: {
      if (!completed) {
        auto r = must(ipc::wait_signal(ipc::make_sigset({awaited_signal()}), 5s,
                                       ipc::Eintr::kSurface),
                      "sigtimedwait after EINTR");
        if (r.si_value.sival_int != static_cast<int>(seq))
          fail("wrong value after EINTR");
      }
      auto again = ipc::wait_signal(ipc::make_sigset({awaited_signal()}), 0ns);
      if (again.ok() || again.error().code() != EAGAIN)
        fail("the awaited signal arrived twice");
      break;
    }
    default: {
      if (!completed) {
        fifo_end.emplace(must(ipc::open_fifo(e.fifo, ipc::FifoEnd::kRead,
                                             {.eintr = ipc::Eintr::kSurface}),
                              "open the FIFO after EINTR"));
      }
      std::vector<std::byte> b(1);
      must(ipc::read_full(fifo_end->get(), b, deadline), "read the FIFO");
      if (b != payload(seq, 1)) fail("FIFO byte differs");
      if (must(ipc::bytes_available(fifo_end->get()), "FIONREAD") != 0)
        fail("extra bytes in the FIFO");
      break;
    }
  }

  int runs = handled_since(e, sig, job.handled_before, 1);
  if (runs != 1)
    fail("the handler ran " + std::to_string(runs) + " times, not once");

  {
    std::lock_guard<std::mutex> lock(e.mu);
    e.done = true;
  }
  e.cv.notify_all();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  Env& e = env();
  // libFuzzer's -timeout SIGALRM has no SA_RESTART: keep it away from the
  // calls. It stays pending and is delivered to this thread when the mask is
  // restored.
  auto no_alarm =
      must(ipc::ScopedSignalMask::block(ipc::make_sigset({SIGALRM})),
           "block SIGALRM");
  fuzz::FuzzInput in(data, size);
  static std::uint32_t seq = 0;
  for (int i = 0; i < kMaxScenarios && in.remaining() >= 4; ++i)
    run_scenario(e, in, ++seq);
  return 0;
}
