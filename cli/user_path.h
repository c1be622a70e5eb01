// cli/user_path.h — file names given on the command line of a program that
// may have been started by `bazel run`.
//
// `bazel run` starts the program in its runfiles tree and puts the user's
// directory in BUILD_WORKING_DIRECTORY: a relative name the user typed means
// a file there. Unset or empty, the variable is ignored (an empty one must not
// turn "r.json" into "/r.json").
#pragma once

#include <string>

namespace cli {

// `path` relative to BUILD_WORKING_DIRECTORY when it is relative and the
// variable is set and not empty; `path` unchanged otherwise.
std::string user_path(const std::string& path);

}  // namespace cli
