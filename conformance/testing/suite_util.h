// conformance/testing/suite_util.h — small helpers several conformance suites
// share: running the separately exec'd peer program, a bounded readiness
// check that turns a would-be hang on a deviating OS into a test failure,
// /proc values and id maps, and forked children that first become nobody or
// move into a private IPC namespace (and skip the test when they cannot).
#pragma once

#include <sched.h>
#include <signal.h>
#include <time.h>

#include <chrono>
#include <string>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/background.h"
#include "ipc/result.h"
#include "ipc/testing/child.h"
#include "ipc/testing/signals.h"

namespace conformance::testing {

// Runs conformance/testing/peer with `args` (it inherits our descriptors),
// killing it after `timeout`; output captured in RunResult::output.
ipc::Result<RunResult> RunPeer(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout = kPatience);

// Whether poll reports `events` on `fd` within `patience`.
bool ReadyWithin(int fd, short events,
                 std::chrono::milliseconds patience = kPatience);

// CLOCK_REALTIME now + `d`: an absolute deadline for mq_timedreceive,
// sem_timedwait, pthread_cond_timedwait and the like.
struct timespec RealtimeIn(std::chrono::nanoseconds d);

// Transitional names for suites not yet converted to the child checks.
using ::ipc::testing::kCannotSetUp;
using ::ipc::testing::ScopedBlock;
bool CouldNotSetUp(int wait_status);

// The first number in the /proc (or other) file at `path`; -1 if it cannot
// be read.
long ReadProcLong(const std::string& path);
// Writes `value` to the /proc file at `path`; false on any failure.
bool WriteProc(const std::string& path, const std::string& value);
// Whether `id` is mapped in this user namespace: some line "inside outside
// count" of `map_file` (/proc/self/uid_map or gid_map) covers it.
bool IdMapped(const char* map_file, unsigned long id);

// Runs `body` in a forked child as user and group nobody (65534), where root's
// bypass of permission checks is gone; the child skips the test if the kernel
// refuses (a user namespace that maps only uid 0).
template <typename F>
ipc::testing::ChildResult RunAsNobody(F&& body) {
  return ipc::testing::RunInChild([&] {
    CHILD_SKIP_UNLESS(ipc::testing::DropPrivileges(),
                      "cannot become uid/gid 65534");
    return ipc::testing::internal::AsExitStatus(body)();
  });
}

// Runs `body` in a forked child that first moves into a new IPC namespace (its
// own queues, segments and kernel.msg*/shm* sysctls; all of it dies with the
// child); the child skips the test if unshare(CLONE_NEWIPC) is refused.
template <typename F>
ipc::testing::ChildResult RunInPrivateIpcNamespace(F&& body) {
  return ipc::testing::RunInChild([&] {
    CHILD_SKIP_UNLESS(::unshare(CLONE_NEWIPC) == 0,
                      "no private IPC namespace (unshare(CLONE_NEWIPC))");
    return ipc::testing::internal::AsExitStatus(body)();
  });
}

}  // namespace conformance::testing
