// bench/ratio_table.cc — collects benchmark results and prints ratio tables.
#include "bench/ratio_table.h"

#include <cstdio>
#include <map>

namespace bench {
namespace {

struct Measured {
  double ns_per_iter = 0;
  double cpu_ns_per_iter = 0;
  double bytes_per_s = 0;
};

// Console output as usual, plus a copy of each run (the median when repeated).
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      bool aggregate = r.run_type == Run::RT_Aggregate;
      if (aggregate && r.aggregate_name != "median") continue;
      std::string name = r.run_name.str();
      if (!aggregate && results_.count(name) && medians_.count(name)) continue;
      Measured m;
      m.ns_per_iter = r.GetAdjustedRealTime() * multiplier(r.time_unit);
      m.cpu_ns_per_iter = r.GetAdjustedCPUTime() * multiplier(r.time_unit);
      auto it = r.counters.find("bytes_per_second");
      if (it != r.counters.end()) m.bytes_per_s = it->second.value;
      results_[name] = m;
      if (aggregate) medians_[name] = true;
    }
  }
  const std::map<std::string, Measured>& results() const { return results_; }

 private:
  static double multiplier(benchmark::TimeUnit unit) {
    switch (unit) {
      case benchmark::kNanosecond:
        return 1;
      case benchmark::kMicrosecond:
        return 1e3;
      case benchmark::kMillisecond:
        return 1e6;
      case benchmark::kSecond:
        return 1e9;
    }
    return 1;
  }
  std::map<std::string, Measured> results_;
  std::map<std::string, bool> medians_;
};

}  // namespace

int run_and_print(int argc, char** argv, const std::vector<Pair>& pairs) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const auto& res = reporter.results();
  std::printf(
      "\n| comparison | baseline | ours | ratio | goal | met "
      "|\n|---|---|---|---|---|---|\n");
  int missed = 0;
  for (const Pair& p : pairs) {
    auto b = res.find(p.baseline), o = res.find(p.ours);
    if (b == res.end() || o == res.end()) continue;  // filtered out
    const Measured &mb = b->second, &mo = o->second;
    double ratio;
    std::string base_s, ours_s, goal = "—", ratio_s;
    char buf[64];
    if (p.metric == Metric::kThroughput) {
      ratio = mb.bytes_per_s > 0 ? mo.bytes_per_s / mb.bytes_per_s : 0;
      std::snprintf(buf, sizeof buf, "%.1f MB/s", mb.bytes_per_s / 1e6);
      base_s = buf;
      std::snprintf(buf, sizeof buf, "%.1f MB/s", mo.bytes_per_s / 1e6);
      ours_s = buf;
    } else if (!p.reference.empty()) {
      auto r = res.find(p.reference);
      if (r == res.end()) continue;
      double ref = r->second.ns_per_iter;
      double base_extra = mb.ns_per_iter - ref,
             ours_extra = mo.ns_per_iter - ref;
      // Ours within the noise of the reference: at least as good as any ratio.
      ratio = ours_extra > 0 ? base_extra / ours_extra : 1e9;
      if (ours_extra <= 0) ratio_s = "∞ (ours within noise)";
      std::snprintf(buf, sizeof buf, "+%.1f ns over %.1f ns", base_extra, ref);
      base_s = buf;
      std::snprintf(buf, sizeof buf, "%+.1f ns over %.1f ns", ours_extra, ref);
      ours_s = buf;
    } else if (p.metric == Metric::kCpuTime) {
      ratio =
          mo.cpu_ns_per_iter > 0 ? mb.cpu_ns_per_iter / mo.cpu_ns_per_iter : 0;
      std::snprintf(buf, sizeof buf, "%.1f ns CPU", mb.cpu_ns_per_iter);
      base_s = buf;
      std::snprintf(buf, sizeof buf, "%.1f ns CPU", mo.cpu_ns_per_iter);
      ours_s = buf;
    } else {
      ratio = mo.ns_per_iter > 0 ? mb.ns_per_iter / mo.ns_per_iter : 0;
      std::snprintf(buf, sizeof buf, "%.1f ns", mb.ns_per_iter);
      base_s = buf;
      std::snprintf(buf, sizeof buf, "%.1f ns", mo.ns_per_iter);
      ours_s = buf;
    }
    bool met = true;
    if (p.min_ratio > 0) {
      std::snprintf(buf, sizeof buf, "≥ %.2f", p.min_ratio);
      goal = buf;
      met = ratio >= p.min_ratio;
    }
    if (p.max_extra_ns >= 0) {
      double extra = mo.ns_per_iter - mb.ns_per_iter;
      std::snprintf(buf, sizeof buf, "≤ +%.1f ns (+%.2f ns)", p.max_extra_ns,
                    extra);
      goal = buf;
      met = extra <= p.max_extra_ns;
    }
    if (!met) ++missed;
    if (ratio_s.empty()) {
      std::snprintf(buf, sizeof buf, "%.3f", ratio);
      ratio_s = buf;
    }
    std::printf(
        "| %s | %s | %s | %s | %s | %s |\n", p.label.c_str(), base_s.c_str(),
        ours_s.c_str(), ratio_s.c_str(), goal.c_str(),
        (p.min_ratio > 0 || p.max_extra_ns >= 0) ? (met ? "yes" : "NO") : "—");
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace bench
