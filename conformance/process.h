// conformance/process.h — finding Bazel runfiles and running a program to
// completion, for the report and the tests that run other binaries.
//
//   std::string suite = runfile("conformance/pipe_test", argv[0]);
//   RunOptions opt;  opt.isolation = Isolation::kPrivateIpc;
//   auto r = run_program({suite, "--gtest_list_tests"}, opt);   // r->output, r->wait_status
//
// These are tools that observe the real OS: they call libc directly, never the
// ipc::sys seam (fault injection into the layer must not reach them).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "ipc/result.h"

namespace conformance {

// The runfiles tree of this program ("<...>.runfiles"), looked up in this
// order: $RUNFILES_DIR, $TEST_SRCDIR, /proc/self/exe + ".runfiles",
// argv0 + ".runfiles". Empty if none exists.
std::string runfiles_dir(const char* argv0 = nullptr);

// Absolute path of a file of this workspace in the runfiles tree, e.g.
// runfile("conformance/catalog.txt"); ENOENT if it is not there.
ipc::Result<std::string> runfile(const std::string& workspace_relative, const char* argv0 = nullptr);

// How much of the OS the child gets for itself.
enum class Isolation {
  kNone,        // shares everything with the caller
  kPrivateIpc,  // unshare(CLONE_NEWIPC): own System V objects and IPC sysctls
  // kPrivateIpc plus a private mount namespace with a fresh tmpfs on /dev/shm;
  // the child gets IPCT_PRIVATE_DEV_SHM=<its mount namespace inode>.
  kPrivateIpcAndDevShm,
};

struct RunOptions {
  Isolation isolation = Isolation::kNone;
  // Extra "NAME=value" entries; they replace variables of the same name.
  std::vector<std::string> env;
  // 0 = wait forever. On timeout the child is killed (SIGKILL).
  std::chrono::milliseconds timeout{0};
  // >= 0: the child's stdout and stderr go to this descriptor (nothing is
  // captured); < 0: both are captured into RunResult::output.
  int output_fd = -1;
};

struct RunResult {
  int wait_status = 0;
  bool timed_out = false;
  std::string output;
  double seconds = 0;
};

// fork + (isolation) + execv; waits for the child. Errors are about starting
// it (fork, memfd) — a child that cannot set up its isolation or exec exits
// 126/127 with the reason in its output. The child's environment is ours minus
// the variables by which Bazel's test runner steers GoogleTest (XML output,
// sharding, filter, premature-exit file), plus `options.env`. It dies with us
// (PR_SET_PDEATHSIG).
ipc::Result<RunResult> run_program(const std::vector<std::string>& argv, const RunOptions& options);

// Probes whether this process may create the isolation (in a throw-away
// child). OK, or the error of the first step that failed.
ipc::Status isolation_available(Isolation isolation);

// The environment a child gets from run_program: environ minus the test-runner
// variables, with `extra` ("NAME=value") replacing or adding entries.
std::vector<std::string> child_environment(const std::vector<std::string>& extra);

// Inode number of /proc/self/ns/<name> ("ipc", "mnt"); 0 if unreadable.
ino_t namespace_inode(const char* name, pid_t pid = 0);

}  // namespace conformance
