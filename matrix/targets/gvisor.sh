#!/usr/bin/env bash
# matrix/targets/gvisor.sh — the matrix target "gvisor": the bundle under
# gVisor (Debian's runsc, installed on demand), run with `runsc do` on the
# ptrace platform, with the unpacked bundle as the sandbox's whole root
# filesystem. Why ptrace and what gVisor gets wrong: docs/os-matrix.md.
# Interface: matrix/README.md.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

readonly PACKAGES=(runsc)

case "${1:-}" in
  describe)
    echo "arch=x86_64 kind=sandbox title=gVisor (runsc, ptrace platform)"
    ;;
  check)
    if [[ $(uname -m) != x86_64 ]]; then
      echo "gVisor's Debian package and the bundle here are x86-64 only"
      exit 3
    fi
    if [[ $(id -u) -ne 0 ]]; then
      echo "runsc do needs root here (it creates namespaces and a gofer)"
      exit 3
    fi
    if missing=$(ipct_missing_packages "${PACKAGES[@]}"); then :; else
      echo "Debian package(s) not installed: $missing"
      exit 1
    fi
    ;;
  prepare)
    ipct_install_packages "${PACKAGES[@]}"
    ;;
  run)
    bundle=$2 out=$3
    shift 3
    # The sandbox's root is this directory: the bundle and an output
    # directory, nothing else from the host (runsc adds /proc, /dev, /sys).
    work=$(mktemp -d "${TMPDIR:-/tmp}/ipct-matrix-gvisor.XXXXXX") || exit 2
    # The root of the sandbox: searchable by the tests that drop to nobody.
    chmod 0755 "$work"
    trap 'rm -rf "$work"' EXIT
    if ! ipct_unpack "$bundle" "$work" 2>>"$out/log.txt"; then
      exit 2
    fi
    mkdir -p "$work/out" "$work/tmp"
    chmod 1777 "$work/tmp"
    runsc --version 2>&1 | head -1 >>"$out/log.txt"
    # --force-overlay=false: the sandbox writes /out straight into $work/out
    # (the directory holds nothing of the host's).
    ipct_run_report "$out/log.txt" -- \
      runsc --network=none --platform=ptrace do -root "$work" \
      -force-overlay=false -cwd / \
      /ipctorture/report --json /out/report.json --out /out/report.md "$@"
    rc=$?
    for f in report.json report.md; do
      [[ -f "$work/out/$f" ]] && cp "$work/out/$f" "$out/$f"
    done
    if [[ ! -f "$out/report.json" ]]; then
      echo "gvisor: the report wrote no JSON (runsc exit status $rc)" >>"$out/log.txt"
      exit 2
    fi
    exit $rc
    ;;
  *)
    echo "usage: $0 describe|check|prepare|run BUNDLE OUTDIR [report args...]" >&2
    exit 2
    ;;
esac
