// fault/explore.h — `ipcfault explore`: systematic single-fault exploration
// of any program.
//
//   ipcfault explore [--calls LIST] [--effects LIST] [--stdin FILE]
//                    [--timeout S] [--jobs N] [--budget N] [--json FILE]
//                    [--mechanism=auto|preload|seccomp] -- PROG ARGS
//
// 1. The reference: PROG runs twice without a fault (under a plan that only
//    counts), from the same stdin: exit status, stdout, stderr, what it left
//    behind, and how many calls of each kind each process image made.
// 2. The space: for each call the reference made (or those of --calls), each
//    effect that call can meet (fault/explore_space.h; --effects keeps some),
//    each ordinal the reference reached; ordered and cut to --budget runs.
// 3. Each run: `ipcfault --plan CALL:EFFECT@N -- PROG ARGS` from the same
//    stdin, inside `ipcfault --isolated-run` (private PID, IPC and mount
//    namespaces: fresh /dev/shm, /tmp and the working directory overlaid, the
//    whole tree killed at the end or at the timeout), --jobs at a time.
// 4. Each run is classified against the reference:
//      hang     still running at the timeout (killed)
//      crash    killed by a signal, or a sanitizer report on stderr
//      corrupt  the reference's exit status (or success) but other output
//      leak     more System V objects, /dev/shm entries or FIFOs left behind
//               than the reference left
//      silent   a different exit status and nothing on stderr
//      handled  a different exit status with a message on stderr
//      clean    the reference's exit status and output
//    (the first that applies, in this order). If the two reference runs
//    printed different output, output is not compared (a warning says so).
// 5. A table by class, with the replay command of every run that is not
//    clean; --json FILE writes
//    {"reference": {...}, "runs": [{"plan", "outcome", "exit", "signal",
//     "reached", "replay"}], "summary": {...}}.
//    Progress goes to stderr. Exit status: 0 when every run was classified
//    (whatever the classes), 2 for bad options or a reference that did not
//    complete.
#pragma once

namespace fault {

// argv[0] is "explore"; `self` is the ipcfault executable to run, `shown`
// how the replay commands name it (as the user typed it).
int explore_main(int argc, char** argv, const char* self, const char* shown);

}  // namespace fault
