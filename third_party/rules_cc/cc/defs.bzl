"""Offline stand-in for @rules_cc//cc:defs.bzl: forwards to Bazel's native C++ rules.

Bazel 4.2.3's @bazel_tools loads this file; the real rules_cc would be downloaded.
Bazel 4 Starlark forbids nested functions, so every forwarder is top level.
"""

def cc_library(**attrs):
    native.cc_library(**attrs)

def cc_binary(**attrs):
    native.cc_binary(**attrs)

def cc_test(**attrs):
    native.cc_test(**attrs)

def cc_import(**attrs):
    native.cc_import(**attrs)

def cc_toolchain(**attrs):
    native.cc_toolchain(**attrs)

def cc_toolchain_suite(**attrs):
    native.cc_toolchain_suite(**attrs)

def cc_proto_library(**attrs):
    native.cc_proto_library(**attrs)

def objc_library(**attrs):
    native.objc_library(**attrs)
