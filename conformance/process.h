// conformance/process.h — finding the project's data files (a Bazel runfiles
// tree or an unpacked portable bundle) and running a program to completion,
// for the report and the tests that run other binaries.
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

// The directory that holds the workspace's files ("conformance/catalog.txt"
// is data_root() + "/conformance/catalog.txt"), looked up in this order:
//  1. an unpacked bundle (docs/os-matrix.md): the nearest directory, from the
//     directory of /proc/self/exe up to three levels above it, that holds a
//     file named BUNDLE ($IPCT_BUNDLE_DIR first, if set);
//  2. "<runfiles>/ipctorture" of a Bazel runfiles tree: $RUNFILES_DIR,
//     $TEST_SRCDIR, /proc/self/exe + ".runfiles", argv0 + ".runfiles".
// Empty if none exists.
std::string data_root(const char* argv0 = nullptr);
// True if data_root() is a bundle.
bool running_from_bundle(const char* argv0 = nullptr);

// The runfiles tree of this program ("<...>.runfiles"), as in step 2 above.
// Empty if none exists.
std::string runfiles_dir(const char* argv0 = nullptr);

// Absolute path of a file of this workspace under data_root(), e.g.
// runfile("conformance/catalog.txt"); ENOENT if it is not there.
ipc::Result<std::string> runfile(const std::string& workspace_relative,
                                 const char* argv0 = nullptr);

// How much of the OS the child gets for itself.
enum class Isolation {
  kNone,        // shares everything with the caller
  kPrivateIpc,  // unshare(CLONE_NEWIPC): own System V objects and IPC sysctls
  // kPrivateIpc plus a private mount namespace with a fresh tmpfs on /dev/shm;
  // the child gets IPCT_PRIVATE_DEV_SHM=<its mount namespace inode>.
  kPrivateIpcAndDevShm,
};

// How the child's descendants are kept from outliving it. In every mode the
// cleanup ends only processes that belong to the child: it never touches
// another child of the caller (one it had before, e.g. inherited across exec).
enum class Containment {
  kNone,  // a descendant that escapes (double fork, setsid) lives on
  // The child runs as pid 2 (in a new session) of a new PID namespace whose
  // pid 1 is a small
  // init (with its own /proc mount; needs kPrivateIpcAndDevShm): when the
  // child ends, init kills everything left in the namespace; on a timeout or
  // when the caller dies, killing init makes the kernel kill them all.
  kPidNamespace,
  // kProcessGroup, and the caller becomes a child subreaper
  // (PR_SET_CHILD_SUBREAPER), so that descendants that left the group are
  // reparented to it: those started after the child (not children the caller
  // had before) are ended and reaped too. Only for callers that run one
  // child at a time (the report).
  kSubreaper,
  // The child gets its own process group and a token in its environment
  // (IPCT_RUN_TOKEN, inherited by its descendants). When the child ends (or
  // times out), the group and every process whose initial environment holds
  // the token are killed (found in /proc), and the caller waits until they
  // are dead. A descendant that left the group and exec'd with an environment
  // of its own escapes. For systems without PR_SET_CHILD_SUBREAPER (qemu's
  // user-mode emulator).
  kProcessGroup,
};
const char* containment_name(Containment c);

struct RunOptions {
  Isolation isolation = Isolation::kNone;
  Containment containment = Containment::kNone;
  // Extra "NAME=value" entries; they replace variables of the same name.
  std::vector<std::string> env;
  // True: the child's environment is only the variables kept by
  // sanitised_environment() plus `env`; false: child_environment(env).
  bool sanitise_environment = false;
  // 0 = wait forever. On timeout the child is killed (SIGKILL).
  std::chrono::milliseconds timeout{0};
  // >= 0: the child's stdout and stderr go to this descriptor (nothing is
  // captured); < 0: both are captured into RunResult::output.
  int output_fd = -1;
};

struct RunResult {
  int wait_status = 0;  // the program's own status (not that of its init)
  bool timed_out = false;
  std::string output;
  double seconds = 0;
  int leftovers_killed = 0;  // descendants still alive after it ended
};

// fork + (isolation, containment) + execv; waits for the child. Errors are
// about starting it (fork, memfd) — a child that cannot set up its isolation
// or exec exits 126/127 with the reason in its output. Unless
// `sanitise_environment`, the child's environment is ours minus the
// variables by which Bazel's test runner steers GoogleTest (XML output,
// sharding, filter, premature-exit file), plus `options.env`. It dies with us
// (PR_SET_PDEATHSIG). While it runs, kill_running_child() (async-signal-safe)
// kills it, e.g. from the caller's SIGINT handler.
ipc::Result<RunResult> run_program(const std::vector<std::string>& argv,
                                   const RunOptions& options);
void kill_running_child();

// Probes whether this process may create the isolation and containment (in a
// throw-away child). OK, or the error of the first step that failed.
ipc::Status isolation_available(Isolation isolation,
                                Containment containment = Containment::kNone);

// The environment a child gets from run_program: environ minus the test-runner
// variables, with `extra` ("NAME=value") replacing or adding entries.
std::vector<std::string> child_environment(
    const std::vector<std::string>& extra);

// The environment of a child that must not be steered by ours: of environ,
// only PATH, LD_PRELOAD and LD_LIBRARY_PATH, the sanitizer runtimes' options
// and IPCT_SANITIZER*, plus `extra`. The names of dropped variables that
// could have changed a suite's behaviour (GTEST_*, IPCT_*, LD_*, GLIBC_*,
// MALLOC_*, TEST_*, TESTBRIDGE_*, RUNFILES_*) go to `*dropped` if given.
std::vector<std::string> sanitised_environment(
    const std::vector<std::string>& extra,
    std::vector<std::string>* dropped = nullptr);

// Inode number of /proc/self/ns/<name> ("ipc", "mnt"); 0 if unreadable.
ino_t namespace_inode(const char* name, pid_t pid = 0);

}  // namespace conformance
