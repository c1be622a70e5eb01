#!/usr/bin/env bash
# matrix/targets/host.sh — the matrix target "host": the bundle, unpacked in a
# temporary directory, run on this machine's kernel (the reference column).
# Interface: matrix/README.md.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

case "${1:-}" in
  describe)
    echo "arch=x86_64 kind=host title=this machine's kernel ($(uname -r))"
    ;;
  check)
    if [[ $(uname -m) != x86_64 ]]; then
      echo "the bundle for this host's architecture ($(uname -m)) is not built"
      exit 3
    fi
    ;;
  prepare)
    ;;
  run)
    bundle=$2 out=$3
    shift 3
    work=$(mktemp -d "${TMPDIR:-/tmp}/ipct-matrix-host.XXXXXX") || exit 2
    trap 'rm -rf "$work"' EXIT
    if ! ipct_unpack "$bundle" "$work" 2>>"$out/log.txt"; then
      exit 2
    fi
    ipct_run_report "$out/log.txt" -- "$work/ipctorture/report" \
      --json "$out/report.json" --out "$out/report.md" "$@"
    ;;
  *)
    echo "usage: $0 describe|check|prepare|run BUNDLE OUTDIR [report args...]" >&2
    exit 2
    ;;
esac
