// conformance/testing/suite_util.h — small helpers several conformance suites
// share: running the separately exec'd peer program, reading a descriptor to
// end of file, filling a pipe, counting its unread bytes, and a bounded
// readiness check that turns a would-be hang on a deviating OS into a test
// failure.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/background.h"
#include "ipc/result.h"

namespace conformance::testing {

// Runs conformance/testing/peer with `args` (it inherits our descriptors),
// killing it after `timeout`; output captured in RunResult::output.
ipc::Result<RunResult> RunPeer(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout = kPatience);

// Reads `fd` until end of file or an error (EINTR retried).
std::string ReadToEof(int fd);

// Writes to the pipe/FIFO write end `w` (made non-blocking meanwhile) until
// it takes nothing more, in ever smaller pieces down to one byte; returns the
// bytes written. Its O_NONBLOCK flag is restored.
std::size_t FillPipe(int w);

// FIONREAD: bytes waiting in a pipe or FIFO; -1 on error.
int Unread(int fd);

// Whether poll reports `events` on `fd` within `patience`.
bool ReadyWithin(int fd, short events, std::chrono::milliseconds patience = kPatience);

}  // namespace conformance::testing
