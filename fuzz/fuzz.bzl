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

Like rules_fuzzing, the inputs follow from the name: the seed corpus is
corpus/NAME/, past crashes are crashes/NAME/, and the dictionary is NAME.dict
when that file exists (`dictionary` names another one). fuzz/oss-fuzz/targets.py
reads fuzz/BUILD without Bazel and mirrors these defaults: keep them in step.

Bazel 4 Starlark has no nested functions; everything is top level.
"""

def ipc_fuzz_target(
        name,
        srcs,
        deps = [],
        dictionary = None,
        max_len = 4096,
        timeout_s = 10,
        extra_args = [],
        size = "small"):
    """Declares NAME_lib, NAME, NAME_regression and NAME_run (above).

    Args:
      name: the target's name; also names its corpus, crashes and dictionary.
      srcs: the file(s) defining LLVMFuzzerTestOneInput.
      deps: what the target function uses.
      dictionary: a libFuzzer dictionary; default NAME.dict if it exists.
      max_len: libFuzzer's -max_len for NAME_run (and OSS-Fuzz's .options).
      timeout_s: libFuzzer's -timeout in seconds, the same way.
      extra_args: further libFuzzer flags, the same way.
      size: the size of NAME_regression.
    """
    if dictionary == None:
        found = native.glob([name + ".dict"], allow_empty = True)
        dictionary = found[0] if found else None
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
    if dictionary:
        data.append(dictionary)
        args.append("-dict=$(rootpath " + dictionary + ")")
    native.sh_binary(
        name = name + "_run",
        srcs = ["//fuzz:run_fuzzer.sh"],
        data = data,
        args = args,
        testonly = True,
        tags = ["manual"],
    )
