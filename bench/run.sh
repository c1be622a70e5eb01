#!/usr/bin/env bash
# bench/run.sh — runs every benchmark of bench/ (optimised build, -c opt) and
# prints their ratio tables as one Markdown document on stdout: ours vs the
# baseline measured in the same run, with each goal and whether it was met.
# Progress and Google Benchmark's own output go to stderr.
#
#   bench/run.sh [--repetitions N] [BENCH...]     (default: all, 5 repetitions)
#
# Medians over the repetitions are compared. Exit status 1 if a benchmark
# failed to run; goals that are missed are reported in the table, not as an
# error (a loaded machine misses them; see docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."

reps=5
benches=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repetitions) reps="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) benches+=("$1"); shift ;;
  esac
done
if [[ ${#benches[@]} -eq 0 ]]; then
  benches=(pipe_bench msg_bench shm_bench seam_bench fault_overhead_bench)
fi

targets=()
for b in "${benches[@]}"; do targets+=("//bench:$b"); done
echo "bench/run.sh: building ${targets[*]} (-c opt)" >&2
./bazelw build -c opt "${targets[@]}" >&2
bin="$(./bazelw info -c opt bazel-bin 2>/dev/null)"

echo "# ipctorture benchmarks"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- build: bazel -c opt (gcc $(gcc -dumpversion)); medians of $reps repetitions"
status=0
for b in "${benches[@]}"; do
  echo "bench/run.sh: running $b" >&2
  # Repetitions of different benchmarks are interleaved at random, so that a
  # drift of the machine falls on baseline and ours alike. Not for
  # fault_overhead_bench: it interleaves its runs itself (plain, ipcfault,
  # plain, ...) and needs its registration order.
  interleave=true
  [[ "$b" == fault_overhead_bench ]] && interleave=false
  echo
  echo "## $b"
  echo
  # The ratio table is the only Markdown the binary prints on stdout after
  # Google Benchmark's console report; keep the table lines, report the rest.
  if ! out="$(cd "$bin/bench/$b.runfiles/ipctorture" && RUNFILES_DIR="$bin/bench/$b.runfiles" \
        "$bin/bench/$b" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
        --benchmark_enable_random_interleaving="$interleave" 2>&2)"; then
    echo "bench/run.sh: $b failed" >&2
    echo "(failed to run; see stderr)"
    status=1
    continue
  fi
  printf '%s\n' "$out" | grep '^|' || { echo "(no ratio table)"; status=1; }
  printf '%s\n' "$out" | grep -v '^|' >&2 || true
done
exit $status
