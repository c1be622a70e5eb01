#!/usr/bin/env bash
# matrix/targets/linux-6.1-arm64.sh — OS-matrix target.
# Debian 12's arm64 6.1 kernel (linux-image-arm64:arm64) booted with the arm64
# bundle under qemu-system-aarch64 -machine virt.
# How kernel targets work: matrix/qemu/kernel_target.sh.
TARGET_NAME=linux-6.1-arm64 \
  TARGET_TITLE="Debian 12 Linux 6.1 arm64 under qemu-system-aarch64 (virt, TCG)" \
  GUEST_ARCH=aarch64 \
  KERNEL_META=linux-image-arm64 \
  exec "$(dirname "${BASH_SOURCE[0]}")/../qemu/kernel_target.sh" "$@"
