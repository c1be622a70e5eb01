#!/usr/bin/env python3
"""fuzz/oss-fuzz/targets.py — the fuzz targets exactly as fuzz/BUILD declares them, without Bazel.

BUILD files are Starlark, which for the rules used here is Python syntax: this
script executes them with stand-ins for the rules (every rule records its
attributes, select() takes the default branch, glob() globs) and follows the
deps labels to collect each target's sources. fuzz/oss-fuzz/build.sh compiles
with that list, and fuzz/campaign.sh takes the libFuzzer flags from it, so
fuzz/BUILD stays the one place where a target, its max_len, timeout, dict and
extra flags are written down.

  targets.py [--root DIR] list              names of the ipc_fuzz_target rules
  targets.py [--root DIR] flags NAME        libFuzzer flags, one per line
                                            (-max_len=, -timeout=, extras, -dict=PATH)
  targets.py [--root DIR] options NAME      the same as an OSS-Fuzz .options file
  targets.py [--root DIR] srcs NAME         .cc/.c files to compile (relative to root)
  targets.py [--root DIR] linkopts NAME     link options of the target and its deps
  targets.py [--root DIR] externals NAME    labels of external repositories it needs
                                            (@googletest//:gtest, ...), not followed
  targets.py [--root DIR] dict NAME         the dictionary (relative to root), if any
"""
import builtins
import glob as globmod
import os
import re
import sys

NOOP_RULES = {"load", "package", "exports_files", "licenses"}


def load_package(root, pkg, cache):
    if pkg in cache:
        return cache[pkg]
    rules = {}

    def recorder(kind):
        def rule(name=None, **attrs):
            rules[name] = dict(kind=kind, name=name, **attrs)
        return rule

    # fuzz/fuzz.bzl's macro with its defaults: the dictionary is NAME.dict
    # when that file exists.
    def ipc_fuzz_target(name, srcs, deps=(), dictionary=None, max_len=4096, timeout_s=10,
                        extra_args=(), size="small"):
        if dictionary is None:
            found = glob([name + ".dict"])
            dictionary = found[0] if found else None
        rules[name] = {"kind": "ipc_fuzz_target", "name": name, "srcs": list(srcs), "deps": list(deps),
                       "max_len": max_len, "timeout_s": timeout_s, "dict": dictionary,
                       "extra_args": list(extra_args)}

    def glob(include, exclude=(), allow_empty=True):
        base = os.path.join(root, pkg)
        found = set()
        for pattern in include:
            found.update(os.path.relpath(p, base)
                         for p in globmod.glob(os.path.join(base, pattern), recursive=True)
                         if os.path.isfile(p))
        for pattern in exclude:
            found.difference_update(os.path.relpath(p, base)
                                    for p in globmod.glob(os.path.join(base, pattern), recursive=True))
        return sorted(found)

    path = os.path.join(root, pkg, "BUILD")
    with open(path) as f:
        text = f.read()
    # Every called name that is not ours or a Python builtin is a rule to record
    # (cc_library, cc_test, sh_binary, genrule, ...). A plain dict, not a
    # __missing__ hook: comprehensions look names up in the globals directly.
    scope = {"__builtins__": __builtins__}
    for called in set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", text)):
        if not hasattr(builtins, called):
            scope[called] = (lambda *a, **k: None) if called in NOOP_RULES else recorder(called)
    scope.update(ipc_fuzz_target=ipc_fuzz_target, glob=glob,
                 select=lambda branches, **k: branches.get("//conditions:default", []))
    exec(compile(text, path, "exec"), scope)
    cache[pkg] = rules
    return rules


def split_label(label, pkg):
    """'//ipc:core' -> ('ipc', 'core'); ':x' -> (pkg, 'x'); '//ipc' -> ('ipc', 'ipc')."""
    if label.startswith("@"):
        return None
    if label.startswith(":"):
        return pkg, label[1:]
    if label.startswith("//"):
        body = label[2:]
        if ":" in body:
            p, n = body.split(":", 1)
        else:
            p, n = body, body.rsplit("/", 1)[-1]
        return p, n
    return pkg, label


class Targets:
    def __init__(self, root):
        self.root = root
        self.cache = {}

    def rule(self, pkg, name):
        rules = load_package(self.root, pkg, self.cache)
        if name not in rules:
            sys.exit(f"targets.py: no rule //{pkg}:{name}")
        return rules[name]

    def fuzz_targets(self):
        return [r for r in load_package(self.root, "fuzz", self.cache).values()
                if r["kind"] == "ipc_fuzz_target"]

    def target(self, name):
        r = self.rule("fuzz", name)
        if r["kind"] != "ipc_fuzz_target":
            sys.exit(f"targets.py: //fuzz:{name} is not an ipc_fuzz_target")
        return r

    def closure(self, name):
        """(sources, linkopts, external deps) of //fuzz:name and everything it depends on."""
        srcs, linkopts, externals, seen = [], [], [], set()

        def visit(pkg, rule):
            key = (pkg, rule["name"])
            if key in seen:
                return
            seen.add(key)
            for s in rule.get("srcs", []):
                p = split_label(s, pkg)
                path = os.path.join(p[0], p[1])
                if path.endswith((".cc", ".c", ".cpp")) and path not in srcs:
                    srcs.append(path)
            for o in rule.get("linkopts", []):
                if o not in linkopts:
                    linkopts.append(o)
            for d in rule.get("deps", []):
                p = split_label(d, pkg)
                if p is None:
                    if d not in externals:
                        externals.append(d)
                    continue
                visit(p[0], self.rule(*p))

        visit("fuzz", self.target(name))
        return srcs, linkopts, externals

    def flags(self, name):
        t = self.target(name)
        out = [f"-max_len={t['max_len']}", f"-timeout={t['timeout_s']}"] + t["extra_args"]
        if t["dict"]:
            out.append("-dict=" + os.path.join("fuzz", t["dict"]))
        return out


def main(argv):
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    if len(argv) >= 2 and argv[0] == "--root":
        root, argv = os.path.abspath(argv[1]), argv[2:]
    if not argv:
        sys.exit(__doc__)
    t = Targets(root)
    cmd, args = argv[0], argv[1:]
    if cmd == "list":
        print("\n".join(r["name"] for r in t.fuzz_targets()))
    elif cmd == "flags" and len(args) == 1:
        print("\n".join(t.flags(args[0])))
    elif cmd == "options" and len(args) == 1:
        print("[libfuzzer]")
        for f in t.flags(args[0]):
            key, _, value = f[1:].partition("=")
            if key == "dict":
                value = args[0] + ".dict"  # copied next to the binary under this name
            print(f"{key} = {value}")
    elif cmd == "srcs" and len(args) == 1:
        print("\n".join(t.closure(args[0])[0]))
    elif cmd == "linkopts" and len(args) == 1:
        print("\n".join(t.closure(args[0])[1]))
    elif cmd == "externals" and len(args) == 1:
        print("\n".join(t.closure(args[0])[2]))
    elif cmd == "dict" and len(args) == 1:
        d = t.target(args[0])["dict"]
        if d:
            print(os.path.join("fuzz", d))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
