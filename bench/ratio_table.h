// bench/ratio_table.h — every benchmark binary's main: runs the benchmarks,
// then prints a Markdown table of ratios "ours vs baseline measured in the same
// run", one row per declared pair, with the goal and whether it was met.
//
//   IPCT_BENCH_MAIN({{"write_full 4 KiB", "BM_RawPipe/4096",
//   "BM_WriteFullPipe/4096",
//                     Better::kHigherThroughput, 0.95}})
// Pairs name benchmark runs as Google Benchmark prints them. With
// --benchmark_repetitions=N the medians are compared.
#pragma once

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

namespace bench {

enum class Metric {
  kThroughput,  // bytes/s: ratio = ours / baseline (goal: >= min_ratio)
  kTime,        // ns per iteration: ratio = baseline / ours (>= min_ratio), or
                // with max_extra_ns, ours - baseline <= max_extra_ns
  kCpuTime,     // as kTime, with CPU time instead of wall time: for
                // one-thread benchmarks that do different work per iteration,
                // on a machine that other jobs share (wall time counts
                // their turns on the CPU too)
};

struct Pair {
  std::string label;
  std::string baseline;
  std::string ours;
  Metric metric = Metric::kThroughput;
  double min_ratio = 0;      // 0: no ratio goal
  double max_extra_ns = -1;  // < 0: no absolute goal
  // kTime only: if set, compare overheads over this run instead of times:
  // ratio = (baseline - reference) / (ours - reference), e.g. strace's extra
  // time per call over the plain loop divided by ours.
  std::string reference = {};
};

int run_and_print(int argc, char** argv, const std::vector<Pair>& pairs);

}  // namespace bench

#define IPCT_BENCH_MAIN(...)                                \
  int main(int argc, char** argv) {                         \
    return ::bench::run_and_print(argc, argv, __VA_ARGS__); \
  }
