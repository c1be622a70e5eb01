#!/usr/bin/env bash
# fuzz/campaign.sh — a local fuzzing campaign: build the fuzzers (--config=fuzz),
# fuzz each for a time budget on every core, fold new coverage into the
# checked-in corpus, minimise and keep every crash, and print a Markdown report.
#
#   fuzz/campaign.sh [-t SECONDS] [-j JOBS] [-o DIR] [--no-merge] [--no-build] [NAME...]
#
#   -t SECONDS   budget per target (default 300)
#   -j JOBS      libFuzzer -fork=JOBS (default nproc); -j 1 runs in-process
#   -o DIR       work directory (default /tmp/ipct-campaign): DIR/NAME/{corpus,
#                artifacts,fuzz.log,merge.log}, DIR/report.md
#   --no-merge   leave fuzz/corpus/NAME/ alone
#   --no-build   use the binaries already in bazel-bin
#   NAME...      targets (default: every ipc_fuzz_target in fuzz/BUILD)
# Environment: BAZEL (default ./bazelw), BAZEL_STARTUP (e.g. --output_base=...).
#
# Per target: the fuzzer runs with the flags fuzz/BUILD gives it (max_len,
# timeout, dict, extras; read through fuzz/oss-fuzz/targets.py) plus
# -fork=JOBS -ignore_crashes=1 (so one crash does not end the campaign). New
# units go to DIR/NAME/corpus; then `-merge=1 fuzz/corpus/NAME DIR/NAME/corpus`
# adds only the units that bring new coverage, so the checked-in corpus stays
# small. Every crash/leak/oom/timeout artifact is run once and described (WHAT:
# the target's own message or the sanitizer's report); one artifact per kind of
# failure (the first 40 characters of WHAT without numbers), at most 3 kinds per
# target and run, is minimised (-minimize_crash=1, at most 20 s) and copied to
# fuzz/crashes/NAME/ as KIND-WHAT-SHA8, where the NAME_regression test replays
# it from then on. Timeouts are kept unminimised (each try costs a
# whole timeout).
# Fuzzers run in a private IPC namespace when `unshare --ipc` works, so a crash
# cannot leave a System V queue behind on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=300 jobs=$(nproc) out=/tmp/ipct-campaign merge=1 build=1 names=()
while (($#)); do
  case $1 in
    -t) budget=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    --no-merge) merge=0; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "campaign: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
targets_py=(python3 fuzz/oss-fuzz/targets.py)
((${#names[@]})) || mapfile -t names < <("${targets_py[@]}" list)
bazel=${BAZEL:-./bazelw}
read -r -a startup <<< "${BAZEL_STARTUP:-}"

labels=()
for n in "${names[@]}"; do labels+=("//fuzz:$n"); done
if ((build)); then
  "$bazel" "${startup[@]}" build --config=fuzz "${labels[@]}" >&2
fi
bin=$("$bazel" "${startup[@]}" info --config=fuzz bazel-bin 2>/dev/null)/fuzz

ns=()
if unshare --ipc true 2>/dev/null; then ns=(unshare --ipc); fi
if ((jobs > 1)); then parallel=(-fork="$jobs" -ignore_crashes=1); else parallel=(); fi

count() { find "$1" -type f 2>/dev/null | wc -l; }
bytes() { du -sb "$1" 2>/dev/null | cut -f1; }

# A short, file-name-safe description of what an input does to the target.
describe() {
  local log=$1 line
  line=$(grep -m1 -E '^[a-z_]+_fuzz: ' "$log" | sed -E 's/^[a-z_]+_fuzz: //') ||
    line=$(grep -m1 -oE 'ERROR: AddressSanitizer: [a-z-]+( on address)?' "$log" | sed 's/ERROR: //; s/ on address//') ||
    line=$(grep -m1 -oE 'runtime error: .*' "$log") ||
    line=$(grep -m1 -oE 'ERROR: (LeakSanitizer|libFuzzer): [a-z -]+' "$log" | sed 's/ERROR: //') ||
    line=unknown
  echo "$line" | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9]+/-/g; s/^-//; s/-$//' | cut -c1-80 | sed 's/-$//'
}

mkdir -p "$out"
report=$out/report.md
rows=() crash_lines=()
for name in "${names[@]}"; do
  mapfile -t flags < <("${targets_py[@]}" flags "$name")
  seeds=fuzz/corpus/$name
  crashes=fuzz/crashes/$name
  w=$out/$name
  rm -rf "$w" && mkdir -p "$w/corpus" "$w/artifacts" "$seeds"
  # Temporary files of the fuzzers (FIFO directories of processes that fork
  # mode kills at the end, libFuzzer's own) stay in the work directory.
  mkdir -p "$w/tmp"
  export TMPDIR=$w/tmp
  before="$(count "$seeds") ($(bytes "$seeds") B)"

  echo "campaign: $name for ${budget}s, ${parallel[*]:-in-process}" >&2
  "${ns[@]}" "$bin/$name" "${flags[@]}" "${parallel[@]}" -max_total_time="$budget" \
    -print_final_stats=1 -artifact_prefix="$w/artifacts/" "$w/corpus" "$seeds" \
    > "$w/fuzz.log" 2>&1 || true

  # Final numbers: fork mode prints "#N: cov: C ft: F corp: ... time: Ts",
  # in-process "#N DONE cov: C ft: F ... exec/s: E".
  execs=0 cov=? ft=? rate=?
  if last=$(grep -E '^#[0-9]+: cov: ' "$w/fuzz.log" | tail -1) && [[ -n $last ]]; then
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<< "$last")
    cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<< "$last")
    ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<< "$last")
    secs=$(sed -E 's/.* time: ([0-9]+)s.*/\1/' <<< "$last")
    ((secs > 0)) && rate=$((execs / secs))
  elif last=$(grep -E '^#[0-9]+[[:space:]]+DONE ' "$w/fuzz.log" | tail -1) && [[ -n $last ]]; then
    cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<< "$last")
    ft=$(sed -E 's/.* ft: ([0-9]+).*/\1/' <<< "$last")
    rate=$(sed -E 's/.* exec\/s: ([0-9]+).*/\1/' <<< "$last")
  fi

  if ((merge)); then
    "${ns[@]}" "$bin/$name" "${flags[@]}" -merge=1 "$seeds" "$w/corpus" > "$w/merge.log" 2>&1 ||
      echo "campaign: merge failed for $name, see $w/merge.log" >&2
  fi
  after="$(count "$seeds") ($(bytes "$seeds") B)"

  # Crashes: describe each artifact (one run), keep one per kind of failure
  # (the description with numbers removed: "SIGRTMIN+2" and "+4" are one bug),
  # minimise that one and copy it unless an equal input is already kept.
  n_crash=0 kept=0
  declare -A seen=()
  for k in "$crashes"/*; do  # kinds kept by earlier campaigns
    [[ -f $k ]] || continue
    b=$(basename "$k" | sed -E 's/-[0-9a-f]{8}$//')
    seen[${b%%-*}-$(sed -E 's/[0-9]+//g' <<< "${b#*-}" | cut -c1-40)]=1
  done
  for a in $(ls -Sr "$w"/artifacts/ 2>/dev/null); do  # smallest first
    a=$w/artifacts/$a
    kind=$(basename "$a" | cut -d- -f1)
    case $kind in crash|leak|oom|timeout) ;; *) continue ;; esac
    n_crash=$((n_crash + 1))
    if [[ $kind == timeout ]]; then
      what=libfuzzer-timeout
    else
      "${ns[@]}" "$bin/$name" "${flags[@]}" -runs=1 "$a" > "$w/desc.log" 2>&1 || true
      what=$(describe "$w/desc.log")
    fi
    key=$kind-$(sed -E 's/[0-9]+//g' <<< "$what" | cut -c1-40)
    [[ -n ${seen[$key]:-} ]] && continue
    seen[$key]=1
    if ((++kept > 3)); then
      crash_lines+=("- \`$name\`: more kinds of failure than the 3 kept per run, e.g. $(basename "$a"): $what")
      continue
    fi
    input=$a
    if [[ $kind != timeout ]]; then
      min=$w/min-$(basename "$a")
      "${ns[@]}" "$bin/$name" "${flags[@]}" -minimize_crash=1 -runs=5000 -max_total_time=20 \
        -exact_artifact_path="$min" "$a" > "$min.log" 2>&1 || true
      [[ -s $min ]] && input=$min
    fi
    dup=
    for k in "$crashes"/*; do [[ -f $k ]] && cmp -s "$k" "$input" && dup=$k && break; done
    if [[ -n $dup ]]; then
      crash_lines+=("- \`$name\`: $(basename "$a") is already kept as \`$dup\`")
      continue
    fi
    mkdir -p "$crashes"
    dest=$crashes/$kind-$what-$(sha1sum "$input" | cut -c1-8)
    cp "$input" "$dest"
    crash_lines+=("- \`$name\`: \`$dest\` ($(stat -c %s "$a") → $(stat -c %s "$input") bytes)")
  done
  unset seen
  rows+=("| \`$name\` | $rate | $cov | $ft | $before | $after | $n_crash |")
done

{
  echo "## Fuzzing campaign $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "${budget} s per target, ${parallel[*]:-in-process}, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo
  echo "| target | exec/s | cov | ft | corpus before | corpus after | crashes |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  if ((${#crash_lines[@]})); then
    echo "### Crashes"
    echo
    printf '%s\n' "${crash_lines[@]}"
  else
    echo "No crashes."
  fi
} | tee "$report"
