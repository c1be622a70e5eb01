// conformance/catalog.h — the behaviour catalogue (conformance/catalog.txt) as
// data: one block per behaviour, blocks separated by blank lines, '#' comments.
//
//   id: PIPE-004
//   title: A pipe is a byte stream: several writes may be returned by one read
//   expected: one read(N) returns the bytes of two writes concatenated
//   spec: pipe(7); POSIX XSH read()
//   scope: P
//   tests: pipe_test:PipeOs.WritesCoalesceIntoOneRead,
//     pipe_test:PipeLayer.FrameBoundariesSurviveCoalescing
//
// A line starting with whitespace continues the previous field. Every field is
// required exactly once; scope is one or more of P, XSI, P(opt), L, A joined by
// '/'; a test is <cc_test target in //conformance>:<Suite>.<Name>. One field
// is optional: `arch: x86_64, i386` says the behaviour is defined only on
// those architectures (x86_64, i386, aarch64, riscv64); it needs scope A.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ipc/result.h"

namespace conformance {

struct TestRef {
  std::string binary;  // "pipe_test"
  std::string suite;   // "PipeOs"
  std::string name;    // "WritesCoalesceIntoOneRead"

  std::string gtest_name() const {
    return suite + "." + name;
  }  // "PipeOs.Writes..."
  std::string str() const { return binary + ":" + gtest_name(); }
  bool operator==(const TestRef&) const = default;
};

struct Behaviour {
  std::string id;
  std::string title;
  std::string expected;
  std::string spec;
  std::string scope;
  std::vector<TestRef> tests;
  int line = 0;                        // where the block starts
  std::vector<std::string> arch = {};  // empty: every architecture

  // Whether the behaviour is defined on architecture `machine` ("aarch64").
  bool applies_to(std::string_view machine) const;
};

// The architecture this program was built for, in the `arch` field's names.
const char* build_arch();

struct Catalog {
  std::vector<Behaviour> behaviours;  // in file order

  const Behaviour* find(std::string_view id) const;
  // Distinct binaries named by any test, in first-seen order.
  std::vector<std::string> binaries() const;
};

// Parses catalogue text. On failure the Error (EINVAL, op "parse", context
// `source`) lists every problem as "<source>:<line>: <what>", one per line.
ipc::Result<Catalog> parse_catalog(std::string_view text,
                                   const std::string& source);

// Reads and parses a catalogue file.
ipc::Result<Catalog> load_catalog(const std::string& path);

// "PIPE-0*" style patterns (fnmatch): does `id` match?
bool id_matches(std::string_view pattern, std::string_view id);

}  // namespace conformance
