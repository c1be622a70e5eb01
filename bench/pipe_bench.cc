// bench/pipe_bench.cc — pipe streaming: raw write/read vs the layer's
// write_full/read_full vs framed messages in both frame formats (checked and
// unchecked, ipc/frame.h; read back with read_frame and with FrameReader), at
// 1 B, 64 B, 4 KiB and 64 KiB chunks, in one thread (write a chunk, read it
// back: the pipe never fills); and CRC-32C alone.
//
// Framed rows count payload bytes. A frame carries 12 header bytes more than
// its payload, so a 4 KiB payload puts 4108 bytes through the pipe, which
// take two pipe buffers (pages) where raw 4 KiB takes one: the rows "same
// bytes through the pipe" compare the time per round trip against a raw
// write/read of 4108 bytes, and a frame of 4096 bytes (payload 4084) against
// raw 4096, separating the layer's own cost from the format's.
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

// Without copies: the writer builds the frame in its own buffer behind room
// for the header (write_frame_in_place), as the raw writer writes its buffer,
// and the reader looks at the payload where it was read (next_view), as the
// raw reader reads into its buffer.
template <ipc::FrameFormat kFormat>
void BM_ZeroCopyFramePipe(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  ipc::Pipe p = make_big_pipe();
  std::vector<std::byte> out(ipc::kFrameHeaderSize + n, std::byte{'x'});
  ipc::FrameReader in(p.read.get(), n, kFormat);
  for (auto _ : state) {
    if (!ipc::write_frame_in_place(p.write.get(), 1, out, n, ipc::kNoDeadline,
                                   kFormat)
             .ok())
      std::abort();
    auto f = in.next_view();
    if (!f.ok() || !*f || (*f)->payload.size() != n) std::abort();
    benchmark::DoNotOptimize((*f)->payload.data());
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

// 4108: the bytes a frame with a 4 KiB payload puts through the pipe.
BENCHMARK(BM_RawPipe)->Arg(1)->Arg(64)->Arg(4096)->Arg(4108)->Arg(65536);
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
BENCHMARK(BM_ZeroCopyFramePipe<kUnchecked>)
    ->Name("BM_UncheckedZeroCopyFramePipe")
    ->Arg(4084)
    ->Arg(4096)
    ->Arg(65536);
BENCHMARK(BM_ZeroCopyFramePipe<kChecked>)
    ->Name("BM_ZeroCopyFramePipe")
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
    {"framed unchecked, no copy (write_frame_in_place, next_view), 4 KiB",
     "BM_RawPipe/4096", "BM_UncheckedZeroCopyFramePipe/4096",
     bench::Metric::kThroughput, 0.90},
    {"framed unchecked, no copy, 64 KiB", "BM_RawPipe/65536",
     "BM_UncheckedZeroCopyFramePipe/65536"},
    {"framed checked, no copy, 4 KiB", "BM_RawPipe/4096",
     "BM_ZeroCopyFramePipe/4096"},
    {"framed checked, no copy, 64 KiB", "BM_RawPipe/65536",
     "BM_ZeroCopyFramePipe/65536"},
    {"raw 4108 B (a 4 KiB frame's bytes) vs raw 4 KiB, CPU time per round trip",
     "BM_RawPipe/4096", "BM_RawPipe/4108", bench::Metric::kCpuTime},
    {"same bytes through the pipe: framed unchecked, no copy, 4 KiB payload "
     "vs raw 4108 B, CPU time per round trip",
     "BM_RawPipe/4108", "BM_UncheckedZeroCopyFramePipe/4096",
     bench::Metric::kCpuTime, 0.90},
    {"same bytes through the pipe: framed unchecked, no copy, 4096 B frame "
     "(payload 4084) vs raw 4 KiB, CPU time per round trip",
     "BM_RawPipe/4096", "BM_UncheckedZeroCopyFramePipe/4084",
     bench::Metric::kCpuTime, 0.90},
})
