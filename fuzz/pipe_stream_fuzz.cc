// fuzz/pipe_stream_fuzz.cc — a pipe as a byte stream through ipc/fd.h and
// ipc/pipe.h, with fuzzer-chosen sizes, modes, capacity and injected faults.
//
// Per input: a fresh pipe (closed again at the end; the descriptors must be
// gone afterwards), then
//   1. capacity (4 KiB .. 32 KiB, or the 64 KiB default): set_pipe_capacity
//      (request) must return the kernel's rounding, max(4096, next power of
//      two) (pages are 4096 here), and pipe_capacity() must agree;
//   2. prefill: one write of k <= capacity bytes, then a second capacity
//      request, which must fail EBUSY exactly when the new number of pages is
//      below the pages the k bytes occupy (ceil(k / 4096): one write into an
//      empty pipe fills whole pages), and succeed otherwise;
//   3. a ScopedFaultPlan of up to three rules on read/write/poll: short counts
//      (>= 256 bytes on every call, any count with a finite trigger) and EINTR
//      (finite or probabilistic triggers, so retry loops end);
//   4. the writer thread runs up to 16 writes (write_full, or write_some with
//      Eintr::kSurface or kRetry; with or without a Deadline; blocking or
//      non-blocking end), sizes 0 .. 4x the capacity, then closes its end;
//      the sizes are clipped so that all writes together stay within
//      64 KiB (kStreamBudget);
//      the main thread runs up to 16 reads (read_full / read_some, same
//      choices), then drains to EOF.
// Invariants: the reader sees exactly the bytes the writer's results say were
// written, in order (byte i of the stream is stream()[i]); write_full returns
// the whole size; read_full is short only at EOF; *_some never exceed the
// request and make progress (a write with a deadline takes what fits through
// a non-blocking twin of the pipe, ipc/fd.h: more than PIPE_BUF is allowed);
// EAGAIN only from a *_some call on a non-blocking end without a deadline;
// EINTR only from Eintr::kSurface calls; no other error (ETIMEDOUT from a 5 s
// deadline is a hang). Bounded blocking: the writer always closes its end and
// the reader always drains to EOF, so no blocking call can wait forever.
//
// Per process, not per input (throughput: docs/fuzzing.md): the writer thread
// (created once; each input hands it a job and waits for it, where it used to
// start and join a thread) and the read buffer. The fault log holds
// kFaultLogCapacity entries, not the Engine's default 4096 (allocating and
// constructing that log took over a third of an input's time under ASan); it
// is printed with a divergence.
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>

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
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "fault/inprocess.h"
#include "fuzz/fuzz_input.h"
#include "ipc/fd.h"
#include "ipc/pipe.h"

namespace {

constexpr std::size_t kPage = 4096;
constexpr int kMaxOps = 16;
constexpr auto kHangLimit = std::chrono::seconds(5);
// Bytes per input, all writes together: keeps an input well under a millisecond
// of pipe traffic while allowing writes of several capacities (4x 16 KiB).
constexpr std::size_t kStreamBudget = 64 * 1024;
// Largest capacity an input can get (the 64 KiB default; requests are below
// it), and so the largest read: pick_size gives at most 4 capacities + 8.
constexpr std::size_t kMaxCapacity = 64 * 1024;
constexpr std::size_t kMaxRead = 4 * kMaxCapacity + 8;
// Injected faults kept for the divergence message (the rest are counted).
constexpr std::size_t kFaultLogCapacity = 64;

// The current input's faults, for the divergence message (either thread).
std::atomic<const fault::ScopedFaultPlan*> g_faults{nullptr};

[[noreturn]] void diverged(const std::string& what, const std::string& plan) {
  std::fprintf(stderr, "pipe_stream_fuzz: %s\n  fault plan: \"%s\"\n",
               what.c_str(), plan.c_str());
  if (const fault::ScopedFaultPlan* f = g_faults.load()) {
    std::fprintf(stderr, "  injected so far:\n%s", f->format_log().c_str());
  }
  std::abort();
}

// The stream: byte i is stream()[i], a sequence with no short period, so a
// lost, repeated or reordered piece shows as a mismatch.
std::span<const std::byte> stream() {
  static const std::vector<std::byte> bytes = [] {
    std::vector<std::byte> b(kStreamBudget);
    for (std::size_t i = 0; i < b.size(); ++i) {
      std::uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
      b[i] = static_cast<std::byte>((x >> 56) ^ (i >> 12));
    }
    return b;
  }();
  return bytes;
}

std::size_t round_capacity(std::size_t request) {
  std::size_t c = kPage;
  while (c < request) c <<= 1;
  return c;
}

enum class Api { kFull, kSomeSurface, kSomeRetry };

struct Op {
  Api api = Api::kFull;
  bool deadline = false;
  std::size_t size = 0;
};

const char* api_name(Api a) {
  return a == Api::kFull          ? "full"
         : a == Api::kSomeSurface ? "some/surface"
                                  : "some/retry";
}

std::string describe(const char* side, const Op& op) {
  return std::string(side) + "(" + api_name(op.api) +
         (op.deadline ? ", deadline" : "") + ", " + std::to_string(op.size) +
         " bytes)";
}

// A size relative to the capacity: 0, small, around PIPE_BUF, around the
// capacity, k capacities +- a little, or anything up to 4x the capacity.
std::size_t pick_size(fuzz::FuzzInput& in, std::size_t cap) {
  std::uint8_t cls = in.u8();
  std::uint16_t v = in.u16();
  long delta = static_cast<long>(v % 17) - 8;
  switch (cls % 6) {
    case 0:
      return 0;
    case 1:
      return 1 + v % 256;
    case 2:
      return static_cast<std::size_t>(static_cast<long>(PIPE_BUF) + delta);
    case 3:
      return static_cast<std::size_t>(static_cast<long>(cap) + delta);
    case 4:
      return static_cast<std::size_t>(
          static_cast<long>(cap * (1 + (v >> 8) % 4)) + delta);
    default:
      return v % (4 * cap + 1);
  }
}

// Up to kMaxOps operations; with `budget`, sizes are clipped so that they add
// up to at most *budget bytes.
std::vector<Op> pick_ops(fuzz::FuzzInput& in, std::size_t cap,
                         std::size_t* budget) {
  std::vector<Op> ops(in.u8() % (kMaxOps + 1));
  for (Op& op : ops) {
    std::uint8_t k = in.u8();
    op.api = static_cast<Api>(k % 3);
    op.deadline = (k & 0x10) != 0;
    op.size = pick_size(in, cap);
    if (budget != nullptr) {
      op.size = std::min(op.size, *budget);
      *budget -= op.size;
    }
  }
  return ops;
}

std::string pick_trigger(fuzz::FuzzInput& in, bool finite) {
  static const char* kP[] = {"0.05", "0.1", "0.25", "0.5"};
  std::uint8_t k = in.u8();
  unsigned n = 1 + in.u8() % 32;
  switch (k % (finite ? 3 : 5)) {
    case 0:
      return std::string("@p=") + kP[(k >> 4) % 4];
    case 1:
      return "@" + std::to_string(n);
    case 2:
      return "@" + std::to_string(n) + ".." + std::to_string(n + (k >> 3) % 64);
    case 3:
      return "@" + std::to_string(n) + "+" + std::to_string(1 + (k >> 3) % 8);
    default:
      return "";  // every call
  }
}

// Up to three rules: short counts and EINTR on the calls the stream makes.
std::string pick_plan(fuzz::FuzzInput& in) {
  std::string plan;
  int rules = in.u8() % 4;
  for (int i = 0; i < rules; ++i) {
    std::uint8_t k = in.u8();
    const char* call = (k & 0x10) ? "read" : "write";
    std::string rule;
    switch ((k & 0x0f) %
            5) {  // 0x10: read instead of write; 0x20: short= on every call
      case 0: {   // at least 256 bytes a call on every call: bounded call count
        bool every = (k & 0x20) != 0;
        std::size_t n = every ? 256 + in.u16() % 8192 : 1 + in.u16() % 8192;
        rule = std::string(call) + ":short=" + std::to_string(n) +
               (every ? "" : pick_trigger(in, true));
        break;
      }
      case 1:
        rule = std::string(call) + ":short=half" + pick_trigger(in, false);
        break;
      case 2:
        rule = std::string(call) + ":short=random" + pick_trigger(in, false);
        break;
      case 3:
        rule = std::string(call) + ":EINTR" + pick_trigger(in, true);
        break;
      default:
        rule = "poll:EINTR" + pick_trigger(in, true);
        break;
    }
    plan += (plan.empty() ? "" : "; ") + rule;
  }
  if (!plan.empty()) plan += "; seed=" + std::to_string(in.u16());
  return plan;
}

struct Setup {
  std::size_t capacity;
  bool writer_nonblocking;
  bool reader_nonblocking;
};

// Checks an error against what the layer promises for this op.
void check_error(const char* side, const Op& op, bool nonblocking,
                 const ipc::Error& e, const std::string& plan) {
  int code = e.code();
  bool some = op.api != Api::kFull;
  if (code == EAGAIN && some && nonblocking && !op.deadline) return;
  if (code == EINTR && op.api == Api::kSomeSurface) return;
  diverged(describe(side, op) +
               (nonblocking ? " on a non-blocking end" : " on a blocking end") +
               ": unexpected error " + e.message(),
           plan);
}

// The writer's part of an input: runs its ops, counting what the results say
// was written.
std::uint64_t run_writer(ipc::Fd fd, const std::vector<Op>& ops,
                         std::uint64_t pos, bool nonblocking,
                         const std::string& plan) {
  for (const Op& op : ops) {
    auto buf = stream().subspan(pos, op.size);
    ipc::Deadline deadline =
        op.deadline ? ipc::deadline_in(kHangLimit) : ipc::kNoDeadline;
    ipc::Result<std::size_t> r =
        op.api == Api::kFull
            ? ipc::write_full(fd.get(), buf, deadline)
            : ipc::write_some(fd.get(), buf,
                              op.api == Api::kSomeRetry ? ipc::Eintr::kRetry
                                                        : ipc::Eintr::kSurface,
                              deadline);
    if (!r.ok()) {
      check_error("write", op, nonblocking, r.error(), plan);
      continue;
    }
    std::size_t n = *r;
    if (op.api == Api::kFull && n != op.size) {
      diverged(describe("write", op) + " returned " + std::to_string(n), plan);
    }
    if (n > op.size || (op.size > 0 && n == 0)) {
      diverged(describe("write", op) + " returned " + std::to_string(n), plan);
    }
    pos += n;
  }
  return pos;  // fd closes here: the reader sees EOF
}

// The writer thread, started on first use and kept for the whole process;
// run_writer() for one input at a time. SIGALRM is blocked in it, so that
// libFuzzer's -timeout alarm (acted on only in the fuzzing thread) always
// reaches the fuzzing thread.
class Writer {
 public:
  struct Job {
    ipc::Fd fd;  // closed by run_writer: the reader sees EOF
    const std::vector<Op>* ops;
    std::uint64_t start;
    bool nonblocking;
    const std::string* plan;
    std::uint64_t end = 0;  // run_writer's result, valid after wait()
  };

  // Never destroyed: the thread waits for jobs until the process exits.
  static Writer& get() {
    static Writer* const writer = new Writer;
    return *writer;
  }

  void start(Job* job) {
    {
      std::lock_guard lock(mu_);
      job_ = job;
      done_ = false;
    }
    cv_.notify_all();
  }

  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return done_; });
  }

 private:
  Writer() {
    sigset_t alarm, old;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alarm, &old);  // inherited by the new thread
    std::thread([this] { loop(); }).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  void loop() {
    for (;;) {
      Job* job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return job_ != nullptr; });
        job = job_;
      }
      std::uint64_t end = run_writer(std::move(job->fd), *job->ops, job->start,
                                     job->nonblocking, *job->plan);
      {
        std::lock_guard lock(mu_);
        job->end = end;
        job_ = nullptr;
        done_ = true;
      }
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  Job* job_ = nullptr;
  bool done_ = false;
};

// A destination of n bytes for one read. It ends where a per-process buffer
// ends, so a read past it still lands in ASan's redzone, as with the fresh
// vector it replaces (allocating and zeroing up to 256 KiB per read was a
// large part of an input's time under ASan).
std::span<std::byte> read_buffer(std::size_t n) {
  static std::vector<std::byte> buffer(kMaxRead);
  if (n > buffer.size())
    diverged("read of " + std::to_string(n) + " bytes: above kMaxRead", "");
  return std::span(buffer).last(n);
}

void check_bytes(std::span<const std::byte> got, std::uint64_t pos,
                 const std::string& what, const std::string& plan) {
  if (got.empty()) return;
  if (pos + got.size() > kStreamBudget ||
      std::memcmp(got.data(), stream().data() + pos, got.size()) != 0) {
    diverged(what + ": stream bytes [" + std::to_string(pos) + ", " +
                 std::to_string(pos + got.size()) +
                 ") differ from what was written",
             plan);
  }
}

void check_closed(int fd) {
  if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) {
    std::fprintf(stderr,
                 "pipe_stream_fuzz: descriptor %d still open after the input\n",
                 fd);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::signal(SIGPIPE,
           SIG_IGN);  // a bug that closes the read end early shows as EPIPE
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::FuzzInput in(data, size);
  const std::uint8_t flags = in.u8();
  auto p = ipc::make_pipe({.nonblocking = (flags & 1) != 0});
  if (!p.ok()) diverged("make_pipe: " + p.error().message(), "");
  const int rfd = p->read.get(), wfd = p->write.get();

  // 1. Capacity.
  std::size_t cap = 65536;  // the default
  if (flags & 2) {
    std::size_t request = in.u16() % (32 * 1024 + 1);
    auto c = ipc::set_pipe_capacity(wfd, request);
    if (!c.ok())
      diverged("set_pipe_capacity(" + std::to_string(request) +
                   "): " + c.error().message(),
               "");
    if (*c != round_capacity(request)) {
      diverged("set_pipe_capacity(" + std::to_string(request) +
                   ") = " + std::to_string(*c) + ", expected " +
                   std::to_string(round_capacity(request)),
               "");
    }
    cap = *c;
  }
  auto now = ipc::pipe_capacity(rfd);
  if (!now.ok() || *now != cap)
    diverged("pipe_capacity disagrees with set_pipe_capacity", "");

  // 2. Prefill (one write into the empty pipe) and a resize that may be
  //    refused.
  std::uint64_t written = 0;
  if (flags & 4) {
    std::size_t k = in.u16() % (cap + 1);
    auto w = ipc::write_full(wfd, stream().first(k));
    if (!w.ok() || *w != k)
      diverged("prefill of " + std::to_string(k) + " bytes failed", "");
    written = k;
    std::size_t request = in.u16();
    std::size_t used_pages = (k + kPage - 1) / kPage;
    std::size_t new_cap = round_capacity(request);
    auto c = ipc::set_pipe_capacity(rfd, request);
    std::string call = "set_pipe_capacity(" + std::to_string(request) +
                       ") with " + std::to_string(k) + " bytes buffered: ";
    if (new_cap / kPage < used_pages) {
      if (c.ok() || c.error().code() != EBUSY)
        diverged(call + "expected EBUSY", "");
    } else {
      if (!c.ok() || *c != new_cap)
        diverged(call + "expected " + std::to_string(new_cap), "");
      cap = new_cap;
    }
  }

  // 3. Modes and faults.
  const Setup setup{cap, (flags & 8) != 0, (flags & 16) != 0};
  if (!ipc::set_nonblocking(wfd, setup.writer_nonblocking).ok() ||
      !ipc::set_nonblocking(rfd, setup.reader_nonblocking).ok()) {
    diverged("set_nonblocking failed", "");
  }
  const std::string plan_text = pick_plan(in);
  std::size_t budget = kStreamBudget - written;
  const std::vector<Op> writes = pick_ops(in, cap, &budget);
  const std::vector<Op> reads = pick_ops(in, cap, nullptr);
  std::optional<fault::ScopedFaultPlan> faults;
  if (!plan_text.empty()) {
    faults.emplace(plan_text, kFaultLogCapacity);
    g_faults.store(&*faults);
  }

  // 4. Writer thread and reader.
  Writer& writer = Writer::get();
  Writer::Job job{std::move(p->write), &writes, written,
                  setup.writer_nonblocking, &plan_text};
  writer.start(&job);
  std::uint64_t pos = 0;
  bool eof = false;
  for (const Op& op : reads) {
    if (eof) break;
    std::span<std::byte> buf = read_buffer(op.size);
    ipc::Deadline deadline =
        op.deadline ? ipc::deadline_in(kHangLimit) : ipc::kNoDeadline;
    ipc::Result<std::size_t> r =
        op.api == Api::kFull
            ? ipc::read_full(rfd, buf, deadline)
            : ipc::read_some(rfd, buf,
                             op.api == Api::kSomeRetry ? ipc::Eintr::kRetry
                                                       : ipc::Eintr::kSurface,
                             deadline);
    if (!r.ok()) {
      check_error("read", op, setup.reader_nonblocking, r.error(), plan_text);
      continue;
    }
    std::size_t n = *r;
    if (n > op.size)
      diverged(describe("read", op) + " returned " + std::to_string(n),
               plan_text);
    check_bytes(buf.first(n), pos, describe("read", op), plan_text);
    pos += n;
    // read_full is short only at EOF; read_some returns 0 for a non-empty
    // buffer only at EOF.
    if ((op.api == Api::kFull && n < op.size) || (op.size > 0 && n == 0))
      eof = true;
  }
  // Drain to EOF (bounded: the writer closes its end when done).
  const std::span<std::byte> drain = read_buffer(2 * kPage + 1);
  while (!eof) {
    auto r = ipc::read_full(rfd, drain, ipc::deadline_in(kHangLimit));
    if (!r.ok()) diverged("drain: " + r.error().message(), plan_text);
    check_bytes(drain.first(*r), pos, "drain", plan_text);
    pos += *r;
    eof = *r < drain.size();
  }
  writer.wait();
  g_faults.store(nullptr);
  faults.reset();
  if (pos != job.end) {
    diverged("the reader saw " + std::to_string(pos) +
                 " bytes, the writer's results say " + std::to_string(job.end),
             plan_text);
  }

  p->read.reset();
  check_closed(rfd);
  check_closed(wfd);
  return 0;
}
