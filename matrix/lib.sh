# matrix/lib.sh — what every matrix target script shares (source it):
# the cache directory, Debian packages the way ./bazelw installs them,
# unpacking the bundle, and running the report with its stderr logged.
# The target interface itself: matrix/README.md.

# The cache of this target: $IPCT_MATRIX_CACHE/<target> (created).
ipct_cache_dir() {
  local root=${IPCT_MATRIX_CACHE:-$HOME/.cache/ipctorture-matrix}
  local name=${IPCT_MATRIX_TARGET:-$(basename "$0" .sh)}
  mkdir -p "$root/$name" && echo "$root/$name"
}

# ipct_missing_packages PKG... : prints the ones not installed; 1 if any.
ipct_missing_packages() {
  local missing=() pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "${missing[*]}"
  return 1
}

# ipct_install_packages PKG... : apt-get install of the missing ones, as root
# only (otherwise prints the command and returns 3). Quiet unless it fails.
ipct_install_packages() {
  local missing
  missing=$(ipct_missing_packages "$@") && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: $missing; install them as root with:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends $missing" >&2
    return 3
  fi
  echo "installing $missing (apt-get)" >&2
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/ipct-apt.XXXXXX")
  # shellcheck disable=SC2086
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends $missing >"$log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends $missing >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      return 1
    fi
  fi
  rm -f "$log"
}

# ipct_unpack BUNDLE DIR : unpacks the bundle archive; DIR/ipctorture/report.
ipct_unpack() {
  local bundle=$1 dir=$2
  if [[ ! -f "$bundle" ]]; then
    echo "no bundle archive at $bundle" >&2
    return 1
  fi
  mkdir -p "$dir" && tar -xzf "$bundle" -C "$dir" || {
    echo "cannot unpack $bundle into $dir" >&2
    return 1
  }
  if [[ ! -x "$dir/ipctorture/report" ]]; then
    echo "$bundle holds no ipctorture/report" >&2
    return 1
  fi
}

# ipct_run_report LOG -- CMD... : runs CMD with its stderr appended to LOG and
# copied to our stderr; returns CMD's exit status. tee is CMD's sibling in a
# pipeline, not its child (as it could be with 2> >(tee) when bash execs a
# last command): the report has no child it did not start.
ipct_run_report() {
  local log=$1
  shift
  [[ "$1" == "--" ]] && shift
  { "$@" 2>&1 1>&3 3>&- | tee -a "$log" >&2; } 3>&1
  return "${PIPESTATUS[0]}"
}
