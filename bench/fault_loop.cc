// bench/fault_loop.cc — the workload of fault_overhead_bench: N iterations of
// a 1-byte write and a 1-byte read on a pipe, through libc (so that
// libipcfault.so or strace sees each call). Prints the loop's own wall and CPU
// time ("ns=<wall> cpu_ns=<process CPU>"), so start-up costs (exec, loading,
// strace attaching) are not counted.
//
//   fault_loop N
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  long n = argc == 2 ? std::atol(argv[1]) : 0;
  if (n <= 0) {
    std::fprintf(stderr, "usage: fault_loop ITERATIONS\n");
    return 2;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return 3;
  char c = 'x';
  auto cpu = [] {
    timespec ts;
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
  };
  long long cpu_start = cpu();
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    if (::write(fds[1], &c, 1) != 1 || ::read(fds[0], &c, 1) != 1) {
      std::perror("fault_loop");
      return 4;
    }
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now() - start);
  std::printf("ns=%lld cpu_ns=%lld\n", static_cast<long long>(ns.count()),
              cpu() - cpu_start);
  return 0;
}
