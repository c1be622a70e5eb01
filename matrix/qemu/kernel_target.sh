#!/usr/bin/env bash
# matrix/qemu/kernel_target.sh — an OS-matrix target that runs the bundle in a
# Debian kernel under qemu-system (the target interface: matrix/README.md).
#
# The thin scripts matrix/targets/linux-6.1*.sh set what differs and exec this:
#   TARGET_NAME   linux-6.1-cloud
#   TARGET_TITLE  one line for `describe`
#   GUEST_ARCH    x86_64 | aarch64   (the bundle's and the guest's)
#   KERNEL_META   Debian metapackage naming the kernel, e.g.
#                 linux-image-cloud-amd64 (resolved to linux-image-6.1.0-N-…)
#
#   kernel_target.sh describe | check | prepare
#   kernel_target.sh run BUNDLE OUTDIR [report args...]
#
# prepare installs qemu (Debian package), fetches the kernel and a static
# busybox as Debian packages of the guest's architecture into the target's
# cache ($IPCT_MATRIX_CACHE/<name>, matrix/qemu/debian.sh) and probes KVM; it
# resolves KERNEL_META again each time, so it also picks up a newer kernel.
# check and run use only what prepare cached (no network).
# run packs busybox, matrix/qemu/init and the unpacked bundle into an
# initramfs, boots the kernel with it (KVM when it works here, TCG otherwise),
# streams the guest's console (progress) to stderr and OUTDIR/log.txt, and
# unpacks report.json and report.md from the console's result block.
# Exit status of run: the report's (0 conforms, 1 deviations), 2 if the guest
# did not start or the run did not complete.
#
# Environment: IPCT_MATRIX_CPUS (guest CPUs, default 2), IPCT_QEMU_MEM (MiB,
# default 2048), IPCT_QEMU_TIMEOUT (seconds for the whole guest run, default
# 2700), IPCT_QEMU_ACCEL (kvm or tcg: overrides the probe).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${TARGET_NAME:?set by matrix/targets/<name>.sh}"
: "${TARGET_TITLE:?}" "${GUEST_ARCH:?}" "${KERNEL_META:?}"
export IPCT_MATRIX_TARGET=$TARGET_NAME
# shellcheck source=matrix/lib.sh
source "$here/../lib.sh"
# shellcheck source=matrix/qemu/debian.sh
source "$here/debian.sh"
IPCT_QEMU_CACHE=$(ipct_cache_dir) || exit 2
export IPCT_QEMU_CACHE

case "$GUEST_ARCH" in
  x86_64)
    deb_arch=amd64
    qemu_pkg=qemu-system-x86
    qemu_bin=qemu-system-x86_64
    console=ttyS0
    # The boot-time check that the IO-APIC timer ticks panics ("IO-APIC +
    # timer doesn't work!") when TCG runs late on a loaded host; the
    # emulated timer works, the check only measures the host's load.
    kernel_extra=no_timer_check
    ;;
  aarch64)
    deb_arch=arm64
    qemu_pkg=qemu-system-arm
    qemu_bin=qemu-system-aarch64
    console=ttyAMA0
    kernel_extra=
    ;;
  *)
    echo "$TARGET_NAME: unknown GUEST_ARCH $GUEST_ARCH" >&2
    exit 2
    ;;
esac
host_packages=("$qemu_pkg" cpio)

log=  # OUTDIR/log.txt during run
# say MESSAGE: on stderr and, during run, in OUTDIR/log.txt.
say() {
  echo "$TARGET_NAME: $*" >&2
  [[ -z "$log" ]] || echo "$TARGET_NAME: $*" >>"$log"
}
fail() {
  say "$@"
  exit 2
}

cmd_describe() {
  echo "arch=$GUEST_ARCH kind=kernel title=$TARGET_TITLE"
}

# What prepare leaves: the name of the kernel package last fetched.
kernel_record=$IPCT_QEMU_CACHE/kernel-package

cmd_check() {
  if [[ $(uname -m) != x86_64 ]]; then
    echo "needs an x86-64 host (Debian's $qemu_pkg for amd64)"
    return 3
  fi
  local missing
  if missing=$(ipct_missing_packages "${host_packages[@]}"); then :; else
    if [[ $(id -u) -ne 0 ]]; then
      echo "needs the Debian packages $missing, and installing them needs root"
      return 3
    fi
    echo "prepare installs $missing"
    return 1
  fi
  if [[ ! -f "$kernel_record" ]]; then
    echo "prepare fetches the kernel ($KERNEL_META:$deb_arch)"
    return 1
  fi
  return 0
}

# fetch_kernel: resolves KERNEL_META and unpacks that package's /boot (for
# prepare); a kernel fetched earlier stays in use when the archive is down.
fetch_kernel() {
  local pkg
  if pkg=$(debian_depends "$deb_arch" "$KERNEL_META" '^linux-image-[0-9]'); then
    debian_unpack "$deb_arch" "$pkg" boot >/dev/null || return 1
    echo "$pkg" >"$kernel_record"
  elif [[ -f "$kernel_record" ]]; then
    echo "$TARGET_NAME: keeping the cached $(<"$kernel_record")" >&2
  else
    return 1
  fi
}

# kernel_image: the cached kernel's vmlinuz (after prepare).
kernel_image() {
  [[ -f "$kernel_record" ]] || return 1
  local image
  image=$(ls "$IPCT_QEMU_CACHE/unpacked/$(<"$kernel_record")_$deb_arch"/boot/vmlinuz-* 2>/dev/null | head -1)
  [[ -f "$image" ]] && echo "$image"
}

busybox_binary() {
  local dir
  dir=$(debian_unpack "$deb_arch" busybox-static bin/busybox) || return 1
  echo "$dir/bin/busybox"
}

# The accelerator: KVM if a guest boots with it here (probed once per host
# kernel and qemu version, result cached), else TCG.
accel() {
  if [[ -n "${IPCT_QEMU_ACCEL:-}" ]]; then
    echo "$IPCT_QEMU_ACCEL"
    return
  fi
  if [[ "$GUEST_ARCH" != x86_64 || ! -w /dev/kvm ]]; then
    echo tcg
    return
  fi
  local key record
  key="$(uname -r)-$(dpkg-query -W -f='${Version}' "$qemu_pkg" 2>/dev/null)"
  record=$IPCT_QEMU_CACHE/kvm-$key
  if [[ ! -f "$record" ]]; then
    local probe
    probe=$(mktemp -d "${TMPDIR:-/tmp}/ipct-kvm.XXXXXX") || return 1
    mkdir -p "$probe/root/bin"
    cp "$(busybox_binary)" "$probe/root/bin/busybox" &&
      printf '#!/bin/busybox sh\n/bin/busybox echo IPCT-KVM-OK\n/bin/busybox poweroff -f\n' >"$probe/root/init" &&
      chmod +x "$probe/root/init" &&
      (cd "$probe/root" && find . | cpio -o -H newc --quiet) >"$probe/initrd"
    local out
    out=$(timeout --foreground 30 "$qemu_bin" -accel kvm -machine q35 -cpu host -m 256 \
      -nodefaults -display none -serial stdio -no-reboot \
      -kernel "$(kernel_image)" -initrd "$probe/initrd" \
      -append "console=$console quiet panic=-1" </dev/null 2>&1)
    if grep -q IPCT-KVM-OK <<<"$out"; then
      echo kvm >"$record"
    else
      echo "tcg ($(grep -m1 -iE 'error|assert' <<<"$out" || echo 'no boot within 30 s'))" >"$record"
    fi
    rm -rf "$probe"
  fi
  cut -d' ' -f1 "$record"
}

cmd_prepare() {
  ipct_install_packages "${host_packages[@]}" || fail "cannot install ${host_packages[*]}"
  fetch_kernel || fail "cannot fetch the kernel ($KERNEL_META:$deb_arch)"
  busybox_binary >/dev/null || fail "cannot fetch busybox-static:$deb_arch"
  echo "$TARGET_NAME: kernel $(<"$kernel_record"), accelerator $(accel)" >&2
}

# Builds the initramfs in $1 from bundle $2 and the command in "${@:3}".
make_initramfs() {
  local work=$1 bundle=$2
  shift 2
  local root=$work/root
  mkdir -p "$root"/{bin,etc,ipct,out} || return 1
  cp "$(busybox_binary)" "$root/bin/busybox" &&
    cp "$here/init" "$root/init" && chmod 755 "$root/init" || return 1
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$root/etc/group"
  ipct_unpack "$bundle" "$root" || return 1
  local arg
  for arg in "$@"; do
    [[ "$arg" != *$'\n'* ]] || { say "an argument contains a newline: $arg"; return 1; }
    printf '%s\n' "$arg"
  done >"$root/ipct/argv"
  # Uncompressed: the guest copies it instead of inflating it under TCG.
  (cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initrd" || return 1
}

cmd_run() {
  (($# >= 2)) || fail "usage: run BUNDLE OUTDIR [report args...]"
  local bundle=$1 outdir=$2
  shift 2
  mkdir -p "$outdir" || fail "cannot create $outdir"
  outdir=$(cd "$outdir" && pwd)
  log=$outdir/log.txt
  local t0=$SECONDS
  : >"$log"

  local image accel_mode
  image=$(kernel_image) || fail "no cached kernel: run 'matrix/targets/$TARGET_NAME.sh prepare' first"
  command -v "$qemu_bin" >/dev/null || fail "$qemu_bin missing: run 'matrix/targets/$TARGET_NAME.sh prepare' first"
  accel_mode=$(accel)
  say "kernel $(sed -n 's/^Version: //p' "$(dirname "$(dirname "$image")")/.package") ($(basename "$image")), $qemu_bin accel=$accel_mode"

  local work
  work=$(mktemp -d "${TMPDIR:-/tmp}/ipct-qemu.XXXXXX") || fail "mktemp failed"
  trap 'rm -rf "$work"' EXIT
  # The bundle's report lives in ipctorture/ (matrix/README.md).
  make_initramfs "$work" "$bundle" /ipctorture/report "$@" \
    --json /out/report.json --out /out/report.md 2>>"$log" ||
    fail "could not build the initramfs (above)"
  say "initramfs $(($(stat -c %s "$work/initrd") / 1048576)) MiB, built in $((SECONDS - t0)) s"

  local cpus=${IPCT_MATRIX_CPUS:-2} mem=${IPCT_QEMU_MEM:-2048}
  local -a machine
  case "$GUEST_ARCH" in
    x86_64)
      if [[ "$accel_mode" == kvm ]]; then
        machine=(-accel kvm -machine q35 -cpu host)
      else
        machine=(-accel tcg -machine q35 -cpu max)
      fi
      ;;
    aarch64)
      # pauth-impdef: QEMU's cheap pointer-authentication algorithm (the
      # architected QARMA one dominates TCG run time).
      machine=(-accel tcg -machine virt -cpu max,pauth-impdef=on)
      ;;
  esac
  local console_log=$work/console.txt
  local t1=$SECONDS
  # --foreground: qemu stays in our process group, which the driver kills on
  # its --target-timeout.
  timeout --foreground --kill-after=10 "${IPCT_QEMU_TIMEOUT:-2700}" \
    "$qemu_bin" "${machine[@]}" -smp "$cpus" -m "$mem" \
    -nodefaults -display none -serial stdio -no-reboot \
    -kernel "$image" -initrd "$work/initrd" \
    -append "console=$console quiet loglevel=1 panic=-1 rdinit=/init $kernel_extra" \
    </dev/null 2>&1 | tr -d '\r' | tee "$console_log" |
    awk '/^IPCT-RESULT-BEGIN/ { quiet = 1 } !quiet { print; fflush() }' >&2
  local qemu_rc=${PIPESTATUS[0]}
  say "guest ran $((SECONDS - t1)) s wall (qemu exit $qemu_rc)"
  awk '/^IPCT-RESULT-BEGIN/ { quiet = 1 } !quiet { print }
       /^IPCT-RESULT-END/ { quiet = 0 }' "$console_log" >>"$log"

  local begin
  begin=$(grep -m1 '^IPCT-RESULT-BEGIN rc=' "$console_log")
  if [[ -z "$begin" ]] || ! grep -q '^IPCT-RESULT-END' "$console_log"; then
    [[ $qemu_rc -eq 124 || $qemu_rc -eq 137 ]] &&
      say "timed out after ${IPCT_QEMU_TIMEOUT:-2700} s"
    say "no result block on the console: the run did not complete"
    exit 2
  fi
  sed -n '/^IPCT-RESULT-BEGIN/,/^IPCT-RESULT-END/p' "$console_log" |
    sed '1d;$d' | base64 -d | tar -xzf - -C "$outdir" ||
    { say "the result block is corrupt"; exit 2; }
  local rc=${begin#IPCT-RESULT-BEGIN rc=}
  [[ -f "$outdir/report.json" && -f "$outdir/report.md" ]] ||
    { say "the report wrote no report.json/report.md (exit $rc)"; exit 2; }
  say "report exit $rc; total $((SECONDS - t0)) s"
  case "$rc" in
    0 | 1) exit "$rc" ;;
    *) exit 2 ;;
  esac
}

cmd=${1:-}
shift || true
case "$cmd" in
  describe) cmd_describe ;;
  check) cmd_check ;;
  prepare) cmd_prepare ;;
  run) cmd_run "$@" ;;
  *) fail "usage: $0 describe|check|prepare|run BUNDLE OUTDIR [report args...]" ;;
esac
