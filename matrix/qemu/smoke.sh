#!/usr/bin/env bash
# matrix/qemu/smoke.sh — CI's smoke test of the OS matrix's kernel path: boots
# Debian's 6.1 cloud kernel under qemu-system-x86_64 with the x86-64 bundle
# and runs nine pipe behaviours (PIPE-001 … PIPE-009) in it, so that the initramfs,
# the guest's /init, the console transport and the report inside a foreign
# kernel keep working. The full matrix is not run in CI (docs/os-matrix.md).
#
#   matrix/qemu/smoke.sh [BUNDLE]     (default: builds //:bundle)
#
# A fresh machine gets what it lacks first, the way ./bazelw installs its
# packages: when the target's `check` says so, it runs
# `matrix/targets/linux-6.1-cloud.sh prepare` (qemu and cpio as Debian
# packages; the kernel and busybox-static as Debian packages of the guest,
# cached under ~/.cache/ipctorture-matrix). It prints "smoke: not run: ..."
# and exits 3 (neither pass nor fail) only when apt cannot reach the Debian
# archive (prepare failed with apt's "Failed to fetch" / "Could not connect"
# / "Temporary failure resolving" …) or when this machine can never run the
# target (`check` exit 3: not x86-64, or the packages missing and not root).
# Any other failure of prepare fails the smoke test.
# Otherwise it passes when the report came back with every one of them
# judged (conforms, deviates or partly verified; none skipped or an error),
# and prints one line "smoke: ..." with the counts and the time taken
# (prepare's included). The guest gets IPCT_QEMU_TIMEOUT (default here
# 150 s) before it counts as hung.
set -uo pipefail
cd "$(dirname "$0")/../.."

t0=$SECONDS
bundle=${1:-}
if [[ -z "$bundle" ]]; then
  ./bazelw build --config=ci //:bundle >&2 || { echo "smoke: //:bundle did not build"; exit 1; }
  bundle=$(./bazelw info --config=ci bazel-bin 2>/dev/null)/bundle/bundle.tar.gz
fi
[[ -f "$bundle" ]] || { echo "smoke: no bundle at $bundle"; exit 1; }

target=matrix/targets/linux-6.1-cloud.sh
export IPCT_MATRIX_TARGET=linux-6.1-cloud
why=$("$target" check)
case $? in
  0) prepared="cached" ;;
  3)
    echo "smoke: not run: $why"
    exit 3
    ;;
  *)
    # What apt says when it cannot reach the archive (its own words).
    unreachable='Failed to fetch|Could not connect|Unable to connect|Temporary failure resolving|Could not resolve|Network is unreachable|No route to host|Connection timed out|Connection failed'
    echo "smoke: $why: running $target prepare" >&2
    t_prep=$SECONDS
    prep_log=$(mktemp "${TMPDIR:-/tmp}/ipct-smoke-prepare.XXXXXX") || exit 1
    "$target" prepare 2>"$prep_log"
    prep_rc=$?
    cat "$prep_log" >&2
    if [[ $prep_rc -ne 0 ]]; then
      if apt_said=$(grep -m1 -E "$unreachable" "$prep_log"); then
        rm -f "$prep_log"
        echo "smoke: not run: apt cannot reach the Debian archive to fetch the kernel: $apt_said"
        exit 3
      fi
      echo "smoke: prepare failed (exit $prep_rc): $(tail -1 "$prep_log")"
      rm -f "$prep_log"
      exit 1
    fi
    rm -f "$prep_log"
    prepared="prepared in $((SECONDS - t_prep)) s"
    ;;
esac

out=$(mktemp -d "${TMPDIR:-/tmp}/ipct-smoke.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
t1=$SECONDS
(cd "$out" && IPCT_QEMU_TIMEOUT=${IPCT_QEMU_TIMEOUT:-150} \
  "$OLDPWD/$target" run "$bundle" "$out" --only 'PIPE-00*') >&2
rc=$?
if [[ ! -f "$out/report.json" ]]; then
  echo "smoke: no report.json (run exit $rc); last lines of log.txt:"
  tail -5 "$out/log.txt" 2>/dev/null
  exit 1
fi
# Verdict counts from report.json.
python3 - "$out/report.json" "$rc" "$((SECONDS - t1))" "$((SECONDS - t0))" "$prepared" <<'EOF'
import collections, json, sys
report = json.load(open(sys.argv[1]))
verdicts = collections.Counter(b["verdict"] for b in report["behaviours"])
judged = sum(verdicts[v] for v in ("conforms", "deviates", "partial"))
total = sum(verdicts.values())
print(f"smoke: {report['host']['kernel']}: {total} behaviours, {judged} judged "
      f"({dict(verdicts)}), report exit {sys.argv[2]}, guest {sys.argv[3]} s, "
      f"kernel {sys.argv[5]}, whole smoke {sys.argv[4]} s")
sys.exit(0 if total > 0 and judged == total else 1)
EOF
