#!/usr/bin/env bash
# matrix/targets/compat-i386.sh — OS-matrix target: the i386 bundle
# (--config=i386) run natively on this x86-64 kernel, so every system call goes
# through the kernel's 32-bit compat layer (int 0x80 / sysenter entry, compat
# structure layouts; System V IPC through the ipc(2) multiplexer, as Debian's
# i386 glibc calls it). A different code path of the same kernel as "host".
# Interface: matrix/README.md.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

case "${1:-}" in
  describe)
    echo "arch=i386 kind=compat title=32-bit programs on this kernel's compat layer ($(uname -r))"
    ;;
  check)
    if [[ $(uname -m) != x86_64 ]]; then
      echo "needs an x86-64 kernel (this is $(uname -m))"
      exit 3
    fi
    # Present when the kernel has CONFIG_IA32_EMULATION.
    if [[ ! -e /proc/sys/abi/vsyscall32 ]]; then
      echo "this kernel runs no 32-bit programs (no CONFIG_IA32_EMULATION)"
      exit 3
    fi
    ;;
  prepare) ;;
  run)
    bundle=$2 out=$3
    shift 3
    work=$(mktemp -d "${TMPDIR:-/tmp}/ipct-matrix-i386.XXXXXX") || exit 2
    trap 'rm -rf "$work"' EXIT
    ipct_unpack "$bundle" "$work" 2>>"$out/log.txt" || exit 2
    ipct_run_report "$out/log.txt" -- "$work/ipctorture/report" \
      --json "$out/report.json" --out "$out/report.md" "$@"
    ;;
  *)
    echo "usage: $0 describe|check|prepare|run BUNDLE OUTDIR [report args...]" >&2
    exit 2
    ;;
esac
