// bench/pipe_bench.cc — pipe streaming: raw write/read vs the layer's
// write_full/read_full vs framed messages in both frame formats (checked and
// unchecked, ipc/frame.h; read back with read_frame and with FrameReader), at
// 1 B, 64 B, 4 KiB and 64 KiB chunks, in one thread (write a chunk, read it
// back: the pipe never fills); and CRC-32C alone.
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "bench/ratio_table.h"
#include "ipc/crc32c.h"
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
    if (::write(p.write.get(), out.data(), n) != static_cast<ssize_t>(n))
      std::abort();
    if (::read(p.read.get(), in.data(), n) != static_cast<ssize_t>(n))
      std::abort();
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

template <ipc::FrameFormat kFormat>
void BM_FramedPipe(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  ipc::Pipe p = make_big_pipe();
  std::vector<std::byte> out(n, std::byte{'x'});
  ipc::FrameDecoder decoder(n, kFormat);
  for (auto _ : state) {
    if (!ipc::write_frame(p.write.get(), 1, out, n, ipc::kNoDeadline, kFormat)
             .ok())
      std::abort();
    auto f = ipc::read_frame(p.read.get(), decoder);
    if (!f.ok() || !*f) std::abort();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// The same through FrameReader (reads ahead: one read per frame).
template <ipc::FrameFormat kFormat>
void BM_FrameReaderPipe(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  ipc::Pipe p = make_big_pipe();
  std::vector<std::byte> out(n, std::byte{'x'});
  ipc::FrameReader in(p.read.get(), n, kFormat);
  for (auto _ : state) {
    if (!ipc::write_frame(p.write.get(), 1, out, n, ipc::kNoDeadline, kFormat)
             .ok())
      std::abort();
    auto f = in.next();
    if (!f.ok() || !*f) std::abort();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

constexpr auto kChecked = ipc::FrameFormat::kChecked;
constexpr auto kUnchecked = ipc::FrameFormat::kUnchecked;

// CRC-32C of 4 KiB: the checksum's share of a framed round trip (computed
// twice per frame, by the writer and by the reader).
void BM_Crc32c4K(benchmark::State& state) {
  std::vector<std::byte> data(4096, std::byte{'x'});
  std::uint32_t crc = 0;
  for (auto _ : state) {
    crc = ipc::crc32c(data, crc);
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * data.size()));
  state.SetLabel(ipc::crc32c_uses_hardware() ? "sse4.2" : "portable");
}

BENCHMARK(BM_RawPipe)->Arg(1)->Arg(64)->Arg(4096)->Arg(65536);
BENCHMARK(BM_FullPipe)->Arg(1)->Arg(64)->Arg(4096)->Arg(65536);
BENCHMARK(BM_FramedPipe<kChecked>)
    ->Name("BM_FramedPipe")
    ->Arg(1)
    ->Arg(64)
    ->Arg(4096)
    ->Arg(65536);
BENCHMARK(BM_FrameReaderPipe<kChecked>)
    ->Name("BM_FrameReaderPipe")
    ->Arg(1)
    ->Arg(64)
    ->Arg(4096)
    ->Arg(65536);
BENCHMARK(BM_FramedPipe<kUnchecked>)
    ->Name("BM_UncheckedFramedPipe")
    ->Arg(4096)
    ->Arg(65536);
BENCHMARK(BM_FrameReaderPipe<kUnchecked>)
    ->Name("BM_UncheckedFrameReaderPipe")
    ->Arg(1)
    ->Arg(64)
    ->Arg(4096)
    ->Arg(65536);
BENCHMARK(BM_Crc32c4K);

}  // namespace

IPCT_BENCH_MAIN({
    {"write_full/read_full, 1 B", "BM_RawPipe/1", "BM_FullPipe/1"},
    {"write_full/read_full, 64 B", "BM_RawPipe/64", "BM_FullPipe/64"},
    {"write_full/read_full, 4 KiB", "BM_RawPipe/4096", "BM_FullPipe/4096",
     bench::Metric::kThroughput, 0.95},
    {"write_full/read_full, 64 KiB", "BM_RawPipe/65536", "BM_FullPipe/65536",
     bench::Metric::kThroughput, 0.95},
    {"framed (read_frame), 1 B", "BM_RawPipe/1", "BM_FramedPipe/1"},
    {"framed (read_frame), 64 B", "BM_RawPipe/64", "BM_FramedPipe/64"},
    {"framed (read_frame), 4 KiB", "BM_RawPipe/4096", "BM_FramedPipe/4096"},
    {"framed (read_frame), 64 KiB", "BM_RawPipe/65536", "BM_FramedPipe/65536"},
    {"framed (FrameReader), 1 B", "BM_RawPipe/1", "BM_FrameReaderPipe/1"},
    {"framed (FrameReader), 64 B", "BM_RawPipe/64", "BM_FrameReaderPipe/64"},
    {"framed (FrameReader), 4 KiB", "BM_RawPipe/4096",
     "BM_FrameReaderPipe/4096"},
    {"framed (FrameReader), 64 KiB", "BM_RawPipe/65536",
     "BM_FrameReaderPipe/65536"},
    {"framed unchecked (read_frame), 4 KiB", "BM_RawPipe/4096",
     "BM_UncheckedFramedPipe/4096"},
    {"framed unchecked (read_frame), 64 KiB", "BM_RawPipe/65536",
     "BM_UncheckedFramedPipe/65536"},
    {"framed unchecked (FrameReader), 1 B", "BM_RawPipe/1",
     "BM_UncheckedFrameReaderPipe/1"},
    {"framed unchecked (FrameReader), 64 B", "BM_RawPipe/64",
     "BM_UncheckedFrameReaderPipe/64"},
    {"framed unchecked (FrameReader), 4 KiB", "BM_RawPipe/4096",
     "BM_UncheckedFrameReaderPipe/4096", bench::Metric::kThroughput, 0.90},
    {"framed unchecked (FrameReader), 64 KiB", "BM_RawPipe/65536",
     "BM_UncheckedFrameReaderPipe/65536"},
})
