// bench/pipe_bench.cc — pipe streaming: raw write/read vs the layer's
// write_full/read_full vs framed messages, at 1 B, 64 B, 4 KiB and 64 KiB
// chunks, in one thread (write a chunk, read it back: the pipe never fills).
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "bench/ratio_table.h"
#include "ipc/frame.h"
#include "ipc/pipe.h"

namespace {

ipc::Pipe make_big_pipe() {
  auto p = ipc::make_pipe();
  if (!p.ok()) std::abort();
  // 64 KiB payload + a 12-byte frame header must fit without blocking.
  (void)ipc::set_pipe_capacity(p->write.get(), 128 * 1024);
  return std::move(*p);
}

void BM_RawPipe(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  ipc::Pipe p = make_big_pipe();
  std::vector<char> out(n, 'x'), in(n);
  for (auto _ : state) {
    if (::write(p.write.get(), out.data(), n) != static_cast<ssize_t>(n)) std::abort();
    if (::read(p.read.get(), in.data(), n) != static_cast<ssize_t>(n)) std::abort();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_FullPipe(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  ipc::Pipe p = make_big_pipe();
  std::vector<std::byte> out(n, std::byte{'x'}), in(n);
  for (auto _ : state) {
    if (!ipc::write_full(p.write.get(), out).ok()) std::abort();
    if (!ipc::read_full(p.read.get(), in).ok()) std::abort();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_FramedPipe(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  ipc::Pipe p = make_big_pipe();
  std::vector<std::byte> out(n, std::byte{'x'});
  ipc::FrameDecoder decoder(n);
  for (auto _ : state) {
    if (!ipc::write_frame(p.write.get(), 1, out, n).ok()) std::abort();
    auto f = ipc::read_frame(p.read.get(), decoder);
    if (!f.ok() || !*f) std::abort();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

BENCHMARK(BM_RawPipe)->Arg(1)->Arg(64)->Arg(4096)->Arg(65536);
BENCHMARK(BM_FullPipe)->Arg(1)->Arg(64)->Arg(4096)->Arg(65536);
BENCHMARK(BM_FramedPipe)->Arg(1)->Arg(64)->Arg(4096)->Arg(65536);

}  // namespace

IPCT_BENCH_MAIN({
    {"write_full/read_full, 1 B", "BM_RawPipe/1", "BM_FullPipe/1"},
    {"write_full/read_full, 64 B", "BM_RawPipe/64", "BM_FullPipe/64"},
    {"write_full/read_full, 4 KiB", "BM_RawPipe/4096", "BM_FullPipe/4096", bench::Metric::kThroughput, 0.95},
    {"write_full/read_full, 64 KiB", "BM_RawPipe/65536", "BM_FullPipe/65536", bench::Metric::kThroughput, 0.95},
    {"framed, 1 B", "BM_RawPipe/1", "BM_FramedPipe/1"},
    {"framed, 64 B", "BM_RawPipe/64", "BM_FramedPipe/64"},
    {"framed, 4 KiB", "BM_RawPipe/4096", "BM_FramedPipe/4096", bench::Metric::kThroughput, 0.90},
    {"framed, 64 KiB", "BM_RawPipe/65536", "BM_FramedPipe/65536"},
})
