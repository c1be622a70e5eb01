"""conformance_suite: one conformance suite, declared in one line.

conformance_suite("pipe") declares the cc_test pipe_test (srcs pipe_test.cc,
main //conformance/testing:main, the peer program as data) and returns the
suite's description: its test name and its catalogue file catalog/pipe.txt.
conformance/BUILD keeps the returned values in one list, SUITES, and derives
from it everything that must name every suite: suites.txt (read by the report
and catalog_test), the runfiles of //conformance:report and :catalog_test, and
the catalogue files joined into catalog.txt, in the list's order.

A new suite is therefore its test file, its catalogue file and one line in
SUITES (docs/conformance.md, "Adding a behaviour or a suite").
"""

# Every suite judges the kernel it runs on and needs privileges a remote worker
# does not grant (namespaces, setresuid, capset, a controlling pty): it runs on
# this machine even under --config=remote (docs/scale-out.md).
SUITE_TAGS = ["no-remote-exec"]

# What every suite may use: the whole layer, the fault tools that put signals
# into blocked calls, and the shared test helpers.
SUITE_DEPS = [
    "//conformance:process",
    "//conformance/testing:main",
    "//conformance/testing:toolbox",
    "//conformance/testing:unrelated",
    "//fault:blocked",
    "//fault:signal_injector",
    "//ipc",
    "@googletest//:gtest",
]

def conformance_suite(facility, size = "medium"):
    """Declares the suite FACILITY_test and returns its description.

    Args:
      facility: the facility's name: the test is FACILITY_test (from
        FACILITY_test.cc), its behaviours are in catalog/FACILITY.txt.
      size: the cc_test's size.

    Returns:
      struct(name = "FACILITY_test", catalog = "catalog/FACILITY.txt").
    """
    name = facility + "_test"
    native.cc_test(
        name = name,
        size = size,
        srcs = [name + ".cc"],
        data = ["//conformance/testing:peer"],
        deps = SUITE_DEPS,
        tags = SUITE_TAGS,
    )
    return struct(name = name, catalog = "catalog/" + facility + ".txt")
