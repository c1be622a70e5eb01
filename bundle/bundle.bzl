"""bundle/bundle.bzl — the portable bundle: one tar.gz holding the report and
everything in its runfiles (every conformance suite, the peer program, the
catalogue), all linked statically (docs/os-matrix.md).

The report is built in a second configuration made by a transition (Bazel's
dynamic_mode off, -static), so the ordinary build keeps linking libc
dynamically for LD_PRELOAD shims. Under --config=aarch64 or --config=i386 the
same rule packs that architecture's bundle.
"""

def _static_impl(settings, attr):
    return {
        "//command_line_option:dynamic_mode": "off",
        "//command_line_option:linkopt": settings["//command_line_option:linkopt"] + ["-static"],
    }

_static = transition(
    implementation = _static_impl,
    inputs = ["//command_line_option:linkopt"],
    outputs = [
        "//command_line_option:dynamic_mode",
        "//command_line_option:linkopt",
    ],
)

def _bundle_impl(ctx):
    report = ctx.attr.report[0]
    exe = report[DefaultInfo].files_to_run.executable
    entries = [("report", exe)]
    for f in report[DefaultInfo].default_runfiles.files.to_list():
        # The workspace's own files, at their workspace paths; the report
        # itself is at the top.
        if f.short_path.startswith("../") or f == exe:
            continue
        entries.append((f.short_path, f))
    args = ctx.actions.args()
    args.add(ctx.outputs.out.path)
    for name, f in entries:
        args.add(name)
        args.add(f.path)
    ctx.actions.run(
        executable = ctx.executable._pack,
        arguments = [args],
        inputs = [f for _, f in entries],
        outputs = [ctx.outputs.out],
        mnemonic = "IpctBundle",
        progress_message = "Packing the portable bundle %s" % ctx.outputs.out.short_path,
        use_default_shell_env = True,
    )
    return [DefaultInfo(
        files = depset([ctx.outputs.out]),
        runfiles = ctx.runfiles(files = [ctx.outputs.out]),
    )]

ipct_bundle = rule(
    implementation = _bundle_impl,
    attrs = {
        "report": attr.label(cfg = _static, mandatory = True),
        "out": attr.output(mandatory = True),
        "_pack": attr.label(
            default = "//bundle:pack.sh",
            allow_single_file = True,
            executable = True,
            cfg = "exec",
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
