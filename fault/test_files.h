// fault/test_files.h — files for the tests that drive the ipcfault CLI: the
// built programs of //fault (in the runfiles under Bazel, else next to the
// test binary), whole-file reads and writes, and test data.
#pragma once

#include <cstddef>
#include <string>

namespace fault::testing {

// The path of `name`, a file built in //fault.
std::string Built(const std::string& name);

// The whole content of `path` ("" if it cannot be read).
std::string ReadFile(const std::string& path);

// Replaces the content of `path` with `data`.
void WriteFile(const std::string& path, const std::string& data);

// `n` bytes whose value follows the offset (i % 251, a prime, so the pattern
// does not repeat at any power-of-two size): a lost, repeated or reordered
// piece of a copy shows.
std::string Pattern(std::size_t n);

}  // namespace fault::testing
