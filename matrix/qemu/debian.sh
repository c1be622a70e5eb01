# matrix/qemu/debian.sh — fetch Debian packages of any architecture without
# installing them, for the guests of the OS matrix (sourced, not run).
#
# Kernels and guest tools come from the Debian archive the host already uses:
# a private apt state per architecture (its own sources list, lists and
# archive cache under the matrix cache) downloads and unpacks .deb files with
# `apt-get download` and `dpkg-deb -x`. The host's dpkg (its architecture list,
# its installed packages) is never changed, and nothing but Debian packages is
# downloaded.
#
#   debian_unpack ARCH PACKAGE [PATH...]
#                                 -> prints the directory PACKAGE is unpacked
#                                    in (only PATHs kept, if given)
#   debian_depends ARCH META RE   -> prints META's dependency matching RE
#
# Everything is cached under $IPCT_QEMU_CACHE (set by the caller); a package
# already unpacked is reused without network access.

# Prints a message on stderr and returns 1.
debian_fail() {
  echo "debian.sh: $*" >&2
  return 1
}

# Private apt options for ARCH (amd64, arm64, i386).
debian_apt_opts() {
  local dir=$IPCT_QEMU_CACHE/apt-$1
  printf '%s\n' \
    -o "Dir::Etc::SourceList=$dir/sources.list" \
    -o "Dir::Etc::SourceParts=$dir/sources.list.d" \
    -o "Dir::State::Lists=$dir/lists" \
    -o "Dir::State::Status=$dir/status" \
    -o "Dir::Cache=$dir/cache" \
    -o "APT::Architecture=$1" \
    -o "APT::Architectures::=$1" \
    -o "APT::Sandbox::User=root" \
    -o "Debug::NoLocking=1"
}

# Sets up ARCH's private apt state from the host's Debian sources and refreshes
# its package lists when they are missing or older than a day.
debian_apt_update() {
  local arch=$1 dir=$IPCT_QEMU_CACHE/apt-$1
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" \
    "$dir/sources.list.d" || return 1
  : >>"$dir/status"
  if [[ ! -s "$dir/sources.list" ]]; then
    # The host's Debian repositories (origin Debian), for ARCH.
    apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(ORIGIN)' \
      'Identifier: Packages' 2>/dev/null |
      awk -v a="$arch" '$4 == "Debian" { print "deb [arch=" a "] " $1 " " $2 " " $3 }' |
      sort -u >"$dir/sources.list.new"
    [[ -s "$dir/sources.list.new" ]] ||
      debian_fail "no Debian repository in the host's apt sources (apt-get indextargets)" ||
      return 1
    mv "$dir/sources.list.new" "$dir/sources.list"
  fi
  if [[ -z $(find "$dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null) ]]; then
    local -a opts
    mapfile -t opts < <(debian_apt_opts "$arch")
    apt-get "${opts[@]}" -qq update >"$dir/update.log" 2>&1 ||
      debian_fail "apt-get update for $arch failed: $(tail -3 "$dir/update.log")" ||
      return 1
    # apt-get update exits 0 when the archive cannot be reached ("W: Failed
    # to fetch …"): without any package list that is a failure, in apt's
    # words; with some (one repository unreachable) a warning.
    if grep -qE '^(E|W): (Failed to fetch|Some index files failed)' "$dir/update.log"; then
      if [[ -z $(find "$dir/lists" -maxdepth 1 -name '*_Packages*' 2>/dev/null) ]]; then
        debian_fail "apt-get update for $arch failed: $(tail -3 "$dir/update.log")"
        return 1
      fi
      echo "debian.sh: apt-get update for $arch: $(grep -m1 'Failed to fetch' "$dir/update.log")" >&2
    fi
  fi
}

# debian_depends ARCH META REGEX: the first dependency of package META whose
# name matches REGEX (e.g. linux-image-amd64 -> linux-image-6.1.0-57-amd64).
debian_depends() {
  local arch=$1 meta=$2 re=$3
  debian_apt_update "$arch" || return 1
  local -a opts
  mapfile -t opts < <(debian_apt_opts "$arch")
  local dep
  dep=$(apt-cache "${opts[@]}" depends "$meta" 2>/dev/null |
    awk -v re="$re" '$1 == "Depends:" && $2 ~ re { print $2; exit }')
  [[ -n "$dep" ]] || debian_fail "$meta ($arch): no dependency matching $re" ||
    return 1
  echo "$dep"
}

# debian_unpack ARCH PACKAGE [PATH...]: downloads PACKAGE (the candidate
# version) for ARCH and unpacks it once, keeping only the PATHs (relative to
# the package root; a kernel's modules are most of its size) if any are given;
# prints the directory. A package unpacked earlier under the same name is
# reused as it is (offline).
debian_unpack() {
  local arch=$1 pkg=$2
  shift 2
  local dest=$IPCT_QEMU_CACHE/unpacked/${pkg}_$arch
  if [[ -f "$dest/.complete" ]]; then
    echo "$dest"
    return 0
  fi
  debian_apt_update "$arch" || return 1
  local -a opts
  mapfile -t opts < <(debian_apt_opts "$arch")
  local debs=$IPCT_QEMU_CACHE/debs
  mkdir -p "$debs" || return 1
  local log=$debs/$pkg.log
  (cd "$debs" && apt-get "${opts[@]}" -qq download "$pkg:$arch") >"$log" 2>&1 ||
    debian_fail "apt-get download $pkg:$arch failed: $(tail -3 "$log")" || return 1
  local deb
  deb=$(ls -t "$debs/${pkg}_"*"_$arch.deb" 2>/dev/null | head -1)
  [[ -n "$deb" ]] || debian_fail "apt-get download left no ${pkg}_*_$arch.deb" ||
    return 1
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp" && dpkg-deb -x "$deb" "$dest.tmp" ||
    debian_fail "dpkg-deb -x $deb failed" || return 1
  if (($#)); then
    local keep=$dest.tmp.keep path
    rm -rf "$keep" && mkdir -p "$keep" || return 1
    for path in "$@"; do
      [[ -e "$dest.tmp/$path" ]] ||
        debian_fail "$pkg has no $path" || return 1
      mkdir -p "$keep/$(dirname "$path")" &&
        mv "$dest.tmp/$path" "$keep/$path" || return 1
    done
    rm -rf "$dest.tmp" && mv "$keep" "$dest.tmp" || return 1
  fi
  dpkg-deb -f "$deb" Package Version Architecture >"$dest.tmp/.package"
  touch "$dest.tmp/.complete"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  rm -f "$deb"
  echo "$dest"
}
