#!/usr/bin/env bash
# matrix/targets/qemu-user-arm64.sh — OS-matrix target: the arm64 bundle under
# qemu's user-mode emulator (qemu-aarch64-static, Debian's qemu-user-static) on
# this machine's kernel. What is judged is qemu's own translation of signals,
# signal frames, /proc and System V IPC between the AArch64 ABI and the host.
#
# The report, its suites and their peer program exec each other, so the kernel
# must start AArch64 programs by itself: prepare registers qemu-user-static's
# binfmt_misc handler (/usr/lib/binfmt.d/qemu-aarch64.conf, flags OPF: the
# interpreter is opened once, so it also works in the suites' mount
# namespaces), as that package does at boot on a systemd machine.
# Interface: matrix/README.md.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"

binfmt=/proc/sys/fs/binfmt_misc
conf=/usr/lib/binfmt.d/qemu-aarch64.conf

registered() {
  [[ -f $binfmt/qemu-aarch64 ]] && grep -q '^enabled' "$binfmt/qemu-aarch64"
}

case "${1:-}" in
  describe)
    echo "arch=aarch64 kind=emulator title=qemu-aarch64-static $(qemu-aarch64-static --version 2>/dev/null | sed -n '1s/.*version \([^ ]*\).*/\1/p') (user mode) on this kernel ($(uname -r))"
    ;;
  check)
    if [[ $(uname -m) != x86_64 ]]; then
      echo "needs an x86-64 host (Debian's qemu-user-static for amd64)"
      exit 3
    fi
    if missing=$(ipct_missing_packages qemu-user-static); then :; else
      [[ $(id -u) -eq 0 ]] || { echo "needs $missing (root to install it)"; exit 3; }
      echo "prepare installs $missing"
      exit 1
    fi
    if ! registered; then
      [[ $(id -u) -eq 0 ]] ||
        { echo "the qemu-aarch64 binfmt_misc handler is not registered (root to register it)"; exit 3; }
      echo "prepare registers the qemu-aarch64 binfmt_misc handler"
      exit 1
    fi
    ;;
  prepare)
    ipct_install_packages qemu-user-static || exit $?
    if ! registered; then
      if [[ ! -f $binfmt/register ]]; then
        mount -t binfmt_misc binfmt_misc "$binfmt" ||
          { echo "cannot mount binfmt_misc on $binfmt" >&2; exit 1; }
      fi
      if [[ -f $binfmt/qemu-aarch64 ]]; then
        echo 1 >"$binfmt/qemu-aarch64"  # registered but disabled
      else
        grep -v '^#' "$conf" >"$binfmt/register" ||
          { echo "cannot register $conf with binfmt_misc" >&2; exit 1; }
      fi
      registered || { echo "qemu-aarch64 binfmt_misc handler not enabled" >&2; exit 1; }
    fi
    ;;
  run)
    bundle=$2 out=$3
    shift 3
    work=$(mktemp -d "${TMPDIR:-/tmp}/ipct-matrix-qemu-user.XXXXXX") || exit 2
    trap 'rm -rf "$work"' EXIT
    ipct_unpack "$bundle" "$work" 2>>"$out/log.txt" || exit 2
    echo "qemu-user-arm64: $(qemu-aarch64-static --version | head -1); binfmt: $(tr '\n' ' ' <"$binfmt/qemu-aarch64")" >>"$out/log.txt"
    ipct_run_report "$out/log.txt" -- "$work/ipctorture/report" \
      --json "$out/report.json" --out "$out/report.md" "$@"
    ;;
  *)
    echo "usage: $0 describe|check|prepare|run BUNDLE OUTDIR [report args...]" >&2
    exit 2
    ;;
esac
