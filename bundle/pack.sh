#!/bin/bash
# bundle/pack.sh OUT.tar.gz NAME FILE [NAME FILE]... — packs the portable
# bundle: each FILE as ipctorture/NAME, plus ipctorture/BUNDLE (what it is,
# its architecture read from the report's ELF header) and a README. Refuses a
# program that is not statically linked. Reproducible: sorted names, owner 0,
# mtime 0, gzip without a time stamp. Called by bundle.bzl.
set -euo pipefail
out=$1
shift
stage=$(mktemp -d "${TMPDIR:-/tmp}/ipct-bundle.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/ipctorture
mkdir -p "$root"

# e_ident[EI_CLASS] (byte 4) and e_machine (bytes 18-19, little endian).
elf_arch() {
  local bytes
  bytes=$(od -An -tx1 -j4 -N1 "$1" | tr -d ' \n')-$(od -An -tx1 -j18 -N2 "$1" | tr -d ' \n')
  case "$bytes" in
    02-3e00) echo x86_64 ;;
    02-b700) echo aarch64 ;;
    01-0300) echo i386 ;;
    *) echo "unknown($bytes)" ;;
  esac
}

# Static: no PT_INTERP program header (ld.so would be needed on the target).
is_static() {
  ! LC_ALL=C readelf -lW "$1" | grep -q 'program interpreter'
}

while (($#)); do
  name=$1 file=$2
  shift 2
  mkdir -p "$(dirname "$root/$name")"
  if [[ -x "$file" && $(od -An -c -j1 -N3 "$file" | tr -d ' ') == ELF ]]; then
    cp -L "$file" "$root/$name"
    chmod 0755 "$root/$name"
    if ! is_static "$file"; then
      echo "pack.sh: $name is not statically linked" >&2
      exit 1
    fi
  else
    cp -L "$file" "$root/$name"
    chmod 0644 "$root/$name"
  fi
done
arch=$(elf_arch "$root/report")
cat >"$root/BUNDLE" <<EOT
ipctorture portable bundle
arch=$arch
linkage=static
EOT
cat >"$root/README" <<'EOT'
ipctorture — portable conformance bundle

  ipctorture/report --json r.json          # the conformance report of this OS
  ipctorture/report --help                 # options

Everything here is statically linked: the report needs nothing from the OS
but a Linux kernel with procfs (and, for some tests, /dev/ptmx, tmpfs on
/dev/shm and /tmp, root). Details: docs/os-matrix.md in the ipctorture sources.
EOT
chmod 0644 "$root/BUNDLE" "$root/README"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
  -C "$stage" -cf - ipctorture | gzip -n -6 >"$out"
