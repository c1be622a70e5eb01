#!/usr/bin/env bash
# matrix/repro/run.sh [NAME...] — minimal reproductions of the differences
# docs/os-matrix.md explains: each NAME.c here is compiled statically and run
# on this kernel and under gVisor (runsc do, ptrace platform, the program
# alone in the sandbox's root), and both outputs are printed one after the
# other. Needs gcc and runsc (Debian package), as root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
names=("$@")
if ((${#names[@]} == 0)); then
  for f in "$here"/*.c; do names+=("$(basename "$f" .c)"); done
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/ipct-repro.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
mkdir -p "$root/tmp"
chmod 1777 "$root/tmp"
gvisor_version=$(runsc --version 2>/dev/null | head -1)
for n in "${names[@]}"; do
  gcc -static -O1 -Wall -o "$root/$n" "$here/$n.c"
  host_out=$(cd "$root" && "./$n" 2>&1) || true
  gvisor_out=$(runsc --network=none --platform=ptrace do -root "$root" \
    -force-overlay=false -cwd / "/$n" 2>&1) || true
  printf '=== %s\n--- this kernel (%s)\n%s\n--- gVisor (%s)\n%s\n' \
    "$n" "$(uname -r)" "$host_out" "$gvisor_version" "$gvisor_out"
done
