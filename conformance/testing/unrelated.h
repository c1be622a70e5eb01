// conformance/testing/unrelated.h — runs conformance/testing/peer as an
// unrelated process: not a descendant of the test (no common ancestor but
// init, or the nearest child subreaper above the test), in a session of its
// own, holding no descriptor of ours but its output pipe, with an empty
// signal mask, default dispositions and a minimal environment.
//
//   auto run = RunUnrelatedPeer({"msg-recv", path, "22", "0", "64"});
//   ASSERT_THAT(run, IsOk());                 // started, verified unrelated
//   EXPECT_EQ(run->wait_status, 0) << run->output;
//
// For behaviours that promise something to "unrelated processes" (keys, FIFO
// paths, POSIX names, /proc/<pid>/fd). RunPeer (suite_util.h) stays for tests
// about what a child inherits.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "conformance/testing/background.h"
#include "ipc/result.h"

namespace conformance::testing {

struct UnrelatedRun {
  // The peer's wait status as its own parent (the detached launcher) saw it.
  int wait_status = 0;
  bool timed_out = false;
  // The peer's stdout and stderr.
  std::string output;
  // The peer and its ancestors, parent first, up to the top of its PID
  // namespace, as the launcher read them from /proc while the peer ran.
  pid_t pid = 0;
  std::vector<pid_t> ancestry;
  pid_t session = 0;
};

// Starts peer `args` detached from this process tree, waits for it at most
// `timeout` (then kills its process group) and returns how it ended. An error
// means the peer could not be started as promised (exec failed, it turned out
// to descend from us, or its launcher vanished without reporting): a setup
// problem, never a verdict on the behaviour under test. On return no process
// of the run is left (waited for through a pidfd, bounded by kPatience).
ipc::Result<UnrelatedRun> RunUnrelatedPeer(
    const std::vector<std::string>& args,
    std::chrono::milliseconds timeout = kPatience);

}  // namespace conformance::testing
