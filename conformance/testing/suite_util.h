// conformance/testing/suite_util.h — small helpers several conformance suites
// share: running the separately exec'd peer program, reading a descriptor to
// end of file, filling a pipe, counting its unread bytes, a bounded readiness
// check that turns a would-be hang on a deviating OS into a test failure,
// /proc values, a scoped signal block, and the exit code by which a forked
// test child says it could not set itself up (so the test skips).
#pragma once

#include <signal.h>

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

// Exit code of a forked test child that could not set itself up (drop
// privileges, unshare a namespace, mount, write a sysctl): the test skips
// instead of failing. CouldNotSetUp(status) tests a wait status for it.
inline constexpr int kCannotSetUp = 10;
bool CouldNotSetUp(int wait_status);

// The first number in the /proc (or other) file at `path`; -1 if it cannot
// be read.
long ReadProcLong(const std::string& path);
// Writes `value` to the /proc file at `path`; false on any failure.
bool WriteProc(const std::string& path, const std::string& value);
// Whether `id` is mapped in this user namespace: some line "inside outside
// count" of `map_file` (/proc/self/uid_map or gid_map) covers it.
bool IdMapped(const char* map_file, unsigned long id);

// Blocks `sig` in the calling thread for the scope.
class ScopedBlock {
 public:
  explicit ScopedBlock(int sig);
  ~ScopedBlock();
  ScopedBlock(const ScopedBlock&) = delete;
  ScopedBlock& operator=(const ScopedBlock&) = delete;

 private:
  sigset_t old_;
};

}  // namespace conformance::testing
