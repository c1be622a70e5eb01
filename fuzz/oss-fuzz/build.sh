#!/bin/bash -eu
# fuzz/oss-fuzz/build.sh — builds every fuzz target for OSS-Fuzz / ClusterFuzzLite.
#
# Contract (OSS-Fuzz new_project_guide): compile with $CC/$CXX/$CFLAGS/$CXXFLAGS,
# link with $LIB_FUZZING_ENGINE, and put into $OUT for each target NAME:
#   NAME                      the fuzzer
#   NAME_seed_corpus.zip      fuzz/corpus/NAME/ plus fuzz/crashes/NAME/ (fixed crashes
#                             are good seeds: they reach the deepest paths)
#   NAME.dict                 the dictionary named in fuzz/BUILD, if any
#   NAME.options              [libfuzzer] max_len, timeout, dict and extra flags
#
# Why the compiler directly and not Bazel: the OSS-Fuzz base-builder image has
# no Bazel 4 (the project builds with Debian's offline bazel-bootstrap 4.2.3,
# WORKSPACE mode), and OSS-Fuzz's bazel_build_fuzz_tests expects rules_fuzzing,
# which cannot be fetched here. The targets are a handful of plain C++20 files,
# so compiling them is quick. To keep fuzz/BUILD the single source of truth,
# targets.py evaluates the BUILD files and lists each target's sources (all
# transitive deps), link options and libFuzzer flags; nothing is duplicated here.
#
# Local check (what docs/fuzzing.md shows):
#   OUT=/tmp/ossfuzz-out SRC=$PWD CC=clang CXX=clang++ \
#   CFLAGS=-fsanitize=address,fuzzer-no-link CXXFLAGS=-fsanitize=address,fuzzer-no-link \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer fuzz/oss-fuzz/build.sh
# Optional: FUZZ_TARGETS="a b" builds only those; objects go to
# ${WORK:-/tmp}/ipctorture-obj; JOBS parallel compiles (default nproc). All
# sources are C++ ($CXX/$CXXFLAGS); $CC/$CFLAGS are accepted but not needed.

: "${OUT:?}" "${SRC:?}" "${CXX:?}" "${LIB_FUZZING_ENGINE:?}"
CXXFLAGS=${CXXFLAGS:-}

# $SRC is the checkout itself (local) or OSS-Fuzz's /src holding it (Dockerfile).
if [[ -f "$SRC/fuzz/BUILD" ]]; then root=$SRC; else root=$SRC/ipctorture; fi
[[ -f "$root/fuzz/BUILD" ]] || { echo "build.sh: no fuzz/BUILD under $SRC" >&2; exit 1; }
root=$(cd "$root" && pwd)
targets_py=(python3 "$root/fuzz/oss-fuzz/targets.py" --root "$root")
work=${WORK:-/tmp}/ipctorture-obj
jobs=${JOBS:-$(nproc)}
rm -rf "$work"  # fresh objects every run: no stale header dependencies
mkdir -p "$OUT" "$work"

# -I root: includes are "ipc/fd.h"-style. FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
# is set by OSS-Fuzz's CFLAGS already; add it so a local build matches --config=fuzz.
cxxflags=(-std=c++20 -I"$root" -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $CXXFLAGS)

# Compiles sources (paths relative to root) that have no up-to-date object yet,
# up to $jobs at a time; objects are shared by all targets.
compile() {
  local pids=() rel obj
  for rel in "$@"; do
    obj=$work/${rel//\//__}.o
    [[ -f $obj ]] && continue
    { "$CXX" "${cxxflags[@]}" -c "$root/$rel" -o "$obj.tmp" && mv "$obj.tmp" "$obj"; } &
    pids+=($!)
    if ((${#pids[@]} >= jobs)); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p"; done
}

names=${FUZZ_TARGETS:-$("${targets_py[@]}" list)}
# External Bazel repositories (e.g. @googletest via //ipc/testing) are not
# available to a plain compiler build. A fuzz target must not need one: it is
# an error here, before anything is built, not a target silently left out.
for name in $names; do
  externals=$("${targets_py[@]}" externals "$name")
  if [[ -n $externals ]]; then
    echo "build.sh: $name needs external deps, which this build cannot link: $(echo $externals)" >&2
    exit 1
  fi
done
built=()
for name in $names; do
  mapfile -t srcs < <("${targets_py[@]}" srcs "$name")
  mapfile -t linkopts < <("${targets_py[@]}" linkopts "$name")
  compile "${srcs[@]}"
  objs=()
  for s in "${srcs[@]}"; do objs+=("$work/${s//\//__}.o"); done
  # Link with $CXX (never $CC) and the engine; -pthread for the helper threads.
  "$CXX" $CXXFLAGS "${objs[@]}" $LIB_FUZZING_ENGINE -pthread "${linkopts[@]}" -o "$OUT/$name"

  # Seed corpus: flat zip (OSS-Fuzz unpacks it into one directory).
  rm -f "$OUT/${name}_seed_corpus.zip"
  seeds=()
  for d in "$root/fuzz/corpus/$name" "$root/fuzz/crashes/$name"; do
    [[ -d $d ]] && while IFS= read -r -d '' f; do seeds+=("$f"); done < <(find "$d" -type f -print0)
  done
  if ((${#seeds[@]})); then zip -q -j "$OUT/${name}_seed_corpus.zip" "${seeds[@]}"; fi

  dict=$("${targets_py[@]}" dict "$name")
  if [[ -n $dict ]]; then cp "$root/$dict" "$OUT/$name.dict"; fi
  "${targets_py[@]}" options "$name" > "$OUT/$name.options"
  built+=("$name")
done

echo "build.sh: built ${#built[@]} target(s) into $OUT: ${built[*]}" >&2
((${#built[@]}))
