// cli/input_file.h — reading a whole input file named on the command line,
// with a size limit.
//
//   auto text = cli::read_input_file(path, 8 << 20);
//   if (!text) { fprintf(stderr, "compare: %s\n", ...message()...); }
//
// Whatever the name points to, the answer is the text or a clear error, never
// an abort or an unbounded allocation: a directory is EISDIR (not "unexpected
// end" of an empty read), and anything longer than `max_bytes` — /dev/zero, a
// FIFO that never ends, a huge file — is EFBIG after reading at most
// max_bytes + 1 bytes.
#pragma once

#include <cstddef>
#include <string>

#include "ipc/result.h"

namespace cli {

ipc::Result<std::string> read_input_file(const std::string& path,
                                         std::size_t max_bytes);

}  // namespace cli
