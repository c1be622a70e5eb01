// fault/test_files.h — files for the tests that drive the ipcfault CLI: the
// built programs of //fault (in the runfiles under Bazel, else next to the
// test binary) and whole-file reads and writes.
#pragma once

#include <string>

namespace fault::testing {

// The path of `name`, a file built in //fault.
std::string Built(const std::string& name);

// The whole content of `path` ("" if it cannot be read).
std::string ReadFile(const std::string& path);

// Replaces the content of `path` with `data`.
void WriteFile(const std::string& path, const std::string& data);

}  // namespace fault::testing
