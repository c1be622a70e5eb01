#!/usr/bin/env bash
# matrix/qemu/smoke.sh — CI's smoke test of the OS matrix's kernel path: boots
# Debian's 6.1 cloud kernel under qemu-system-x86_64 with the x86-64 bundle
# and runs nine pipe behaviours (PIPE-001 … PIPE-009) in it, so that the initramfs,
# the guest's /init, the console transport and the report inside a foreign
# kernel keep working. The full matrix is not run in CI (docs/os-matrix.md).
#
#   matrix/qemu/smoke.sh [BUNDLE]     (default: builds //:bundle)
#
# Downloads nothing: when the kernel is not cached (or qemu not installed) it
# prints "smoke: not run: ..." and exits 3 (run
# `matrix/targets/linux-6.1-cloud.sh prepare` once to make it run).
# Otherwise it passes when the report came back with every one of them
# judged (conforms, deviates or partly verified; none skipped or an error),
# and prints one line "smoke: ..." with the counts and the time taken. The
# guest gets IPCT_QEMU_TIMEOUT (default here 150 s) before it counts as hung.
set -uo pipefail
cd "$(dirname "$0")/../.."

t0=$SECONDS
bundle=${1:-}
if [[ -z "$bundle" ]]; then
  ./bazelw build --config=ci //:bundle >&2 || { echo "smoke: //:bundle did not build"; exit 1; }
  bundle=$(./bazelw info bazel-bin 2>/dev/null)/bundle.tar.gz
fi
[[ -f "$bundle" ]] || { echo "smoke: no bundle at $bundle"; exit 1; }

target=matrix/targets/linux-6.1-cloud.sh
if ! why=$(IPCT_MATRIX_TARGET=linux-6.1-cloud "$target" check); then
  echo "smoke: not run: $why"
  exit 3
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/ipct-smoke.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
t1=$SECONDS
(cd "$out" && IPCT_MATRIX_TARGET=linux-6.1-cloud \
  IPCT_QEMU_TIMEOUT=${IPCT_QEMU_TIMEOUT:-150} \
  "$OLDPWD/$target" run "$bundle" "$out" --only 'PIPE-00*') >&2
rc=$?
if [[ ! -f "$out/report.json" ]]; then
  echo "smoke: no report.json (run exit $rc); last lines of log.txt:"
  tail -5 "$out/log.txt" 2>/dev/null
  exit 1
fi
# Verdict counts from report.json.
python3 - "$out/report.json" "$rc" "$((SECONDS - t1))" "$((SECONDS - t0))" <<'EOF'
import collections, json, sys
report = json.load(open(sys.argv[1]))
verdicts = collections.Counter(b["verdict"] for b in report["behaviours"])
judged = sum(verdicts[v] for v in ("conforms", "deviates", "partial"))
total = sum(verdicts.values())
print(f"smoke: {report['host']['kernel']}: {total} behaviours, {judged} judged "
      f"({dict(verdicts)}), report exit {sys.argv[2]}, guest {sys.argv[3]} s, "
      f"whole smoke {sys.argv[4]} s")
sys.exit(0 if total > 0 and judged == total else 1)
EOF
