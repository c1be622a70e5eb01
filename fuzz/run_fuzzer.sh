#!/usr/bin/env bash
# fuzz/run_fuzzer.sh — launcher behind `bazel run //fuzz:NAME_run -- [libFuzzer flags]`.
# Copies the checked-in seed corpus to a writable directory ($FUZZ_OUT, default
# /tmp/ipct-fuzz/NAME), writes crash artifacts next to it, and runs the fuzzer.
# Built without --config=fuzz, the binary only replays; say so instead.
set -euo pipefail
bin=$1; seeds=$2; shift 2
name=$(basename "$bin")
out=${FUZZ_OUT:-/tmp/ipct-fuzz/$name}
mkdir -p "$out/corpus" "$out/artifacts"
if [[ -d "$seeds" ]]; then cp -rn "$seeds"/. "$out/corpus/" 2>/dev/null || true; fi
if ! grep -qa LLVMFuzzerRunDriver "$bin"; then
  echo "run_fuzzer: $name was not built with libFuzzer; use: ./bazelw run --config=fuzz //fuzz:${name}_run" >&2
  exit 2
fi
echo "run_fuzzer: corpus $out/corpus, artifacts $out/artifacts" >&2
exec "$bin" -artifact_prefix="$out/artifacts/" "$@" "$out/corpus"
