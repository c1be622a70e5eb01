#!/usr/bin/env bash
# matrix/targets/linux-6.1.sh — OS-matrix target.
# Debian 12's generic 6.1 kernel (linux-image-amd64) booted under qemu-
# system-x86_64.
# How kernel targets work: matrix/qemu/kernel_target.sh.
TARGET_NAME=linux-6.1 \
  TARGET_TITLE="Debian 12 Linux 6.1 (generic -amd64) under qemu-system-x86_64" \
  GUEST_ARCH=x86_64 \
  KERNEL_META=linux-image-amd64 \
  exec "$(dirname "${BASH_SOURCE[0]}")/../qemu/kernel_target.sh" "$@"
