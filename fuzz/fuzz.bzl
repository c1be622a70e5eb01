"""ipc_fuzz_target: one libFuzzer target, its regression test and its launcher.

Modelled on rules_fuzzing's cc_fuzz_test (which cannot be fetched here). For a
target NAME it declares:

  NAME_lib         the fuzz target function LLVMFuzzerTestOneInput (alwayslink)
  NAME             the fuzzer binary: linked with libFuzzer (-fsanitize=fuzzer)
                   under --config=fuzz; with the corpus-replay main otherwise,
                   so that `bazel build //...` works with any toolchain
  NAME_regression  cc_test replaying the seed corpus and every past crash input
                   (corpus/NAME/, crashes/NAME/) with the active toolchain, so
                   `bazel test //...` and every sanitizer config run them
  NAME_run         `bazel run //fuzz:NAME_run -- -max_total_time=60`: the fuzzer
                   with its dictionary, max_len, timeout and a writable corpus
                   copy under $FUZZ_OUT (default /tmp/ipct-fuzz/NAME)

Bazel 4 Starlark has no nested functions; everything is top level.
"""

def ipc_fuzz_target(name, srcs, deps = [], max_len = 4096, timeout_s = 10, dict = None, extra_args = [], size = "small"):
    lib = name + "_lib"
    native.cc_library(
        name = lib,
        srcs = srcs,
        deps = deps,
        alwayslink = True,
        testonly = True,
    )

    native.cc_binary(
        name = name,
        deps = [":" + lib] + select({
            "//fuzz:fuzzing": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        testonly = True,
    )

    corpus = native.glob(["corpus/" + name + "/**"], allow_empty = True)
    crashes = native.glob(["crashes/" + name + "/**"], allow_empty = True)
    native.cc_test(
        name = name + "_regression",
        size = size,
        deps = [":" + lib, "//fuzz:replay_main"],
        data = corpus + crashes,
        args = [
            "fuzz/corpus/" + name,
            "fuzz/crashes/" + name,
        ],
        tags = ["fuzz-regression"],
    )

    data = [":" + name] + corpus
    args = [
        "$(rootpath :" + name + ")",
        "fuzz/corpus/" + name,
        "-max_len=%d" % max_len,
        "-timeout=%d" % timeout_s,
    ] + extra_args
    if dict:
        data.append(dict)
        args.append("-dict=$(rootpath " + dict + ")")
    native.sh_binary(
        name = name + "_run",
        srcs = ["//fuzz:run_fuzzer.sh"],
        data = data,
        args = args,
        testonly = True,
        tags = ["manual"],
    )
