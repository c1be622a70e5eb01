// fault/isolated_run.h — runs one command in namespaces of its own and
// reports what it left behind: the wrapper around each run of
// `ipcfault explore`.
//
//   ipcfault --isolated-run [--keep DIR]... -- COMMAND [ARGS...]   (internal)
//
// The wrapper enters new PID, IPC and mount namespaces (as root, or wherever
// the kernel permits unshare(2)) and starts an init process in them that
// mounts, privately: a fresh tmpfs on /dev/shm, /proc for the new PID
// namespace, and an overlay over /tmp and over the working directory whose
// upper layer is a tmpfs of its own (what the run writes there is discarded,
// and parallel runs do not see each other's files). Each --keep DIR is bound
// back over the overlay, so the caller's own files there stay real. Init runs
// the command, reaps every process that ends, and when the command has ended
// waits up to a second for the others, then kills what is left (leaving the
// namespace kills everything in it; so does killing the wrapper's process
// group from outside, which the init's parent-death signal follows).
//
// The report goes to descriptor 3 (which the command does not inherit), one
// item per line:
//   isolation namespaces                 or   isolation none: <why>
//   status N                             the command's wait status
//   left sysv-msg|sysv-shm|sysv-sem KEY  a System V object still there
//   left dev-shm NAME                    an entry of the private /dev/shm
//   left fifo PATH                       a FIFO created in /tmp or the cwd
//   lingering N                          processes that had to be killed
//   check-off WHAT: <why>                a leak check that could not be made
// Without namespaces the command simply runs (no leak check, no lingering
// count); the caller must compare the system before and after itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fault {

// The wrapper's main: argv[0] is "--isolated-run". Returns the exit code of
// the wrapper (0 when the report was written, whatever the command did).
int isolated_run_main(int argc, char** argv);

struct IsolatedReport {
  bool complete = false;  // a status line was read
  bool isolated = false;
  std::string not_isolated_why;
  int status = 0;
  std::vector<std::string> left;  // "sysv-msg 0x1234", "fifo /tmp/x", ...
  std::vector<std::string> checks_off;
  int lingering = 0;
};

IsolatedReport parse_isolated_report(std::string_view text);

}  // namespace fault
