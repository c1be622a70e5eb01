// bench/msg_bench.cc — System V message-queue round trips between two
// processes: the parent sends a request (type 1), a forked echo child
// receives it and answers (type 2), the parent receives the answer. Raw
// msgsnd/msgrcv on both sides vs ipc::MessageQueue on both sides, at 64 B and
// 4 KiB. Time per round trip.
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "bench/ratio_table.h"
#include "ipc/sysv_msg.h"

namespace {

constexpr long kRequest = 1, kReply = 2, kQuit = 3;

struct RawMsg {
  explicit RawMsg(std::size_t n)
      : words(1 + (n + sizeof(long) - 1) / sizeof(long) + 1) {}
  void* raw() { return words.data(); }
  std::vector<long> words;  // mtype, then the text
};

// Echo server using raw calls: answers every request, leaves on kQuit.
[[noreturn]] void raw_echo(int q, std::size_t n) {
  RawMsg m(n);
  for (;;) {
    ssize_t got = ::msgrcv(q, m.raw(), n, -kQuit, 0);
    if (got < 0) ::_exit(errno == EINTR ? 0 : 3);
    if (m.words[0] == kQuit) ::_exit(0);
    m.words[0] = kReply;
    if (::msgsnd(q, m.raw(), static_cast<std::size_t>(got), 0) != 0) ::_exit(4);
  }
}

[[noreturn]] void layer_echo(const ipc::MessageQueue& q, std::size_t n) {
  ipc::MessageBuffer buf(n);
  for (;;) {
    auto got = q.receive(-kQuit, buf);
    if (!got.ok()) ::_exit(3);
    if (got->type == kQuit) ::_exit(0);
    if (!q.send(kReply, got->data).ok()) ::_exit(4);
  }
}

// A private queue and a forked echo child; both go at the end of the benchmark.
class EchoPair {
 public:
  template <class Echo>
  EchoPair(std::size_t n, Echo echo) : owner_(make_queue()) {
    pid_ = ::fork();
    if (pid_ == 0) echo(queue(), n);
  }
  ~EchoPair() {
    long quit[2] = {kQuit, 0};
    ::msgsnd(queue().id(), quit, 0, 0);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  const ipc::MessageQueue& queue() const { return owner_.queue(); }

 private:
  static ipc::MessageQueue make_queue() {
    auto q = ipc::MessageQueue::create_private();
    if (!q.ok()) std::abort();
    return *q;
  }
  ipc::QueueOwner owner_;
  pid_t pid_ = -1;
};

void BM_RawRoundTrip(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  EchoPair pair(n, [](const ipc::MessageQueue& q, std::size_t size) {
    raw_echo(q.id(), size);
  });
  int q = pair.queue().id();
  RawMsg out(n), in(n);
  std::memset(out.words.data() + 1, 'x', n);
  for (auto _ : state) {
    out.words[0] = kRequest;
    if (::msgsnd(q, out.raw(), n, 0) != 0) std::abort();
    if (::msgrcv(q, in.raw(), n, kReply, 0) != static_cast<ssize_t>(n))
      std::abort();
  }
}

void BM_LayerRoundTrip(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  EchoPair pair(n, [](const ipc::MessageQueue& q, std::size_t size) {
    layer_echo(q, size);
  });
  const ipc::MessageQueue& q = pair.queue();
  std::vector<std::byte> out(n, std::byte{'x'});
  ipc::MessageBuffer in(n);
  for (auto _ : state) {
    if (!q.send(kRequest, out).ok()) std::abort();
    auto got = q.receive(kReply, in);
    if (!got.ok() || got->data.size() != n) std::abort();
  }
}

BENCHMARK(BM_RawRoundTrip)->Arg(64)->Arg(4096);
BENCHMARK(BM_LayerRoundTrip)->Arg(64)->Arg(4096);

}  // namespace

IPCT_BENCH_MAIN({
    {"msg round trip, 64 B", "BM_RawRoundTrip/64", "BM_LayerRoundTrip/64",
     bench::Metric::kTime, 0.95},
    {"msg round trip, 4 KiB", "BM_RawRoundTrip/4096", "BM_LayerRoundTrip/4096",
     bench::Metric::kTime, 0.95},
})
