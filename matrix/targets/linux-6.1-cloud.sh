#!/usr/bin/env bash
# matrix/targets/linux-6.1-cloud.sh — OS-matrix target.
# Debian 12's 6.1 cloud kernel (linux-image-cloud-amd64, trimmed for VMs)
# under qemu-system-x86_64.
# How kernel targets work: matrix/qemu/kernel_target.sh.
TARGET_NAME=linux-6.1-cloud \
  TARGET_TITLE="Debian 12 Linux 6.1 (-cloud-amd64) under qemu-system-x86_64" \
  GUEST_ARCH=x86_64 \
  KERNEL_META=linux-image-cloud-amd64 \
  exec "$(dirname "${BASH_SOURCE[0]}")/../qemu/kernel_target.sh" "$@"
