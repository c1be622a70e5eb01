// bench/seam_bench.cc — the cost of the system-call seam itself.
//
// The seam's price is one relaxed atomic load and one indirect call. To see it
// without a kernel's noise, the table entry for `read` is pointed at a stub
// that does no system call; the baseline calls the same stub directly (not
// inlined). A third run uses a real read(2) of 0 bytes from /dev/zero through
// libc and through the seam, and once more through the seam with a fault plan
// armed on read that never fires (the interceptor decides on every call): the
// armed cost is measured against the unarmed seam on the same call. Run with
// --benchmark_enable_random_interleaving (bench/run.sh does) so that the
// kernel's drift on this VM falls on both sides alike.
#include <fcntl.h>
#include <unistd.h>

#include "bench/ratio_table.h"
#include "fault/inprocess.h"
#include "ipc/sys.h"

namespace {

__attribute__((noinline)) ssize_t stub_read(int fd, void* buf, size_t n) {
  benchmark::DoNotOptimize(buf);
  return static_cast<ssize_t>(n) + fd;
}

void BM_DirectStub(benchmark::State& state) {
  char c;
  int fd = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(fd);
    benchmark::DoNotOptimize(stub_read(fd, &c, 0));
  }
}

void BM_SeamStub(benchmark::State& state) {
  ipc::sys::table().read.store(&stub_read);
  char c;
  int fd = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(fd);
    benchmark::DoNotOptimize(ipc::sys::read(fd, &c, 0));
  }
  ipc::sys::reset_table();
}

void BM_LibcRead0(benchmark::State& state) {
  int fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
  char c;
  for (auto _ : state) benchmark::DoNotOptimize(::read(fd, &c, 0));
  ::close(fd);
}

void BM_SeamRead0(benchmark::State& state) {
  int fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
  char c;
  for (auto _ : state) benchmark::DoNotOptimize(ipc::sys::read(fd, &c, 0));
  ::close(fd);
}

void BM_SeamArmedRead0(benchmark::State& state) {
  fault::ScopedFaultPlan plan("read:EINTR@1000000000000");
  int fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
  char c;
  for (auto _ : state) benchmark::DoNotOptimize(ipc::sys::read(fd, &c, 0));
  ::close(fd);
  if (plan.injected() != 0) state.SkipWithError("the never-due plan fired");
}

BENCHMARK(BM_DirectStub);
BENCHMARK(BM_SeamStub);
BENCHMARK(BM_LibcRead0);
BENCHMARK(BM_SeamRead0);
BENCHMARK(BM_SeamArmedRead0);

}  // namespace

IPCT_BENCH_MAIN({
    {"seam vs direct call (stub, no syscall)", "BM_DirectStub", "BM_SeamStub",
     bench::Metric::kTime, 0, 2.0},
    {"seam vs libc, read(2) of 0 bytes (kernel noise dominates)",
     "BM_LibcRead0", "BM_SeamRead0", bench::Metric::kTime},
    {"seam with a plan armed that never fires vs the unarmed seam, read(2) of "
     "0 bytes",
     "BM_SeamRead0", "BM_SeamArmedRead0", bench::Metric::kTime, 0, 20.0},
})
