// bench/hostile_peers.cc — what a hostile or slow peer costs a frame reader:
// CPU time and memory of FrameReader and of read_frame for
//   1. one 64 MiB frame, written as fast as the pipe takes it;
//   2. one frame trickled in: 1000 pieces of 4 KiB, one every 2 ms;
//   3. 8 peers that each send a header claiming 64 MiB, then stall.
// Prints a Markdown table (docs/reliability.md keeps the figures). Run with
// `bazel run -c opt //bench:hostile_peers`. Not a Google Benchmark: each case
// is one scenario, measured once per reader, with the reader thread's CPU
// time (CLOCK_THREAD_CPUTIME_ID) and the process's resident set.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ipc/frame.h"
#include "ipc/pipe.h"

namespace {

constexpr std::size_t kHuge = 64u << 20;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "hostile_peers: %s\n", what.c_str());
  std::exit(1);
}

double thread_cpu_s() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

long rss_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

ipc::Pipe make() {
  auto p = ipc::make_pipe();
  if (!p) die(p.error().message());
  return std::move(*p);
}

// Reads one frame from `fd` with FrameReader or read_frame; returns the CPU
// seconds the reading thread spent.
double read_one(int fd, bool frame_reader) {
  double start = thread_cpu_s();
  if (frame_reader) {
    ipc::FrameReader in(fd, kHuge);
    auto f = in.next();
    if (!f || !*f) die("FrameReader: no frame");
  } else {
    ipc::FrameDecoder dec(kHuge);
    auto f = ipc::read_frame(fd, dec);
    if (!f || !*f) die("read_frame: no frame");
  }
  return thread_cpu_s() - start;
}

// Case 1 and 2: a writer thread sends `frame` in pieces of `piece` bytes,
// `pause` apart.
double one_frame(bool frame_reader, std::size_t piece,
                 std::chrono::milliseconds pause) {
  ipc::Pipe p = make();
  std::vector<std::byte> frame = ipc::encode_frame(
      1, std::vector<std::byte>(piece == 0 ? kHuge : 1000 * piece,
                                std::byte{0x5a}));
  std::thread writer([&] {
    std::size_t step = piece == 0 ? frame.size() : piece;
    for (std::size_t at = 0; at < frame.size(); at += step) {
      std::size_t n = std::min(step, frame.size() - at);
      if (!ipc::write_full(p.write.get(), {frame.data() + at, n})) die("write");
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
    }
  });
  double cpu = read_one(p.read.get(), frame_reader);
  writer.join();
  return cpu;
}

// Case 3: 8 peers, each a header claiming 64 MiB and then nothing. Returns the
// growth of the resident set, in KiB, once each reader has taken what there
// is (a non-blocking read end: EAGAIN ends the attempt).
long stalled_claims(bool frame_reader) {
  std::vector<ipc::Pipe> pipes;
  std::vector<std::unique_ptr<ipc::FrameReader>> readers;
  std::vector<std::unique_ptr<ipc::FrameDecoder>> decoders;
  for (int i = 0; i < 8; ++i) pipes.push_back(make());
  long before = rss_kib();
  for (auto& p : pipes) {
    std::vector<std::byte> header = ipc::encode_frame(1, {});
    std::uint32_t claim = kHuge;
    std::memcpy(&header[4], &claim, 4);  // little-endian host
    if (!ipc::write_full(p.write.get(), header)) die("write");
    if (!ipc::set_nonblocking(p.read.get(), true)) die("fcntl");
    if (frame_reader) {
      readers.push_back(
          std::make_unique<ipc::FrameReader>(p.read.get(), kHuge));
      auto f = readers.back()->next();
      if (f || f.error().code() != EAGAIN) die("FrameReader: expected EAGAIN");
    } else {
      decoders.push_back(std::make_unique<ipc::FrameDecoder>(kHuge));
      auto f = ipc::read_frame(p.read.get(), *decoders.back());
      if (f || f.error().code() != EAGAIN) die("read_frame: expected EAGAIN");
    }
  }
  return rss_kib() - before;
}

}  // namespace

int main() {
  std::printf("| case | FrameReader | read_frame |\n|---|---|---|\n");
  std::printf("| one 64 MiB frame: reader CPU | %.3f s | %.3f s |\n",
              one_frame(true, 0, std::chrono::milliseconds(0)),
              one_frame(false, 0, std::chrono::milliseconds(0)));
  std::printf(
      "| 1000 x 4 KiB trickled every 2 ms: reader CPU | %.3f s | %.3f s |\n",
      one_frame(true, 4096, std::chrono::milliseconds(2)),
      one_frame(false, 4096, std::chrono::milliseconds(2)));
  long fr = stalled_claims(true);
  long rf = stalled_claims(false);
  std::printf(
      "| 8 peers claiming 64 MiB, stalled: RSS growth | %+ld KiB | %+ld KiB "
      "|\n",
      fr, rf);
  return 0;
}
