// fault/subprocess.h — runs one command to completion and captures what it
// printed: the runner of `ipcfault explore` (and of the tests that drive the
// ipcfault CLI).
//
//   fault::Command c;
//   c.argv = {"/bin/cat", "file"};
//   c.timeout = std::chrono::seconds(5);
//   auto done = fault::run_command(c);
//   if (done && !done->timed_out && WIFEXITED(done->status)) ... done->out ...
//
// The command starts with posix_spawn (safe from a multi-threaded process),
// every signal at its default disposition and unblocked, stdin from a file
// (or /dev/null), stdout and stderr into pipes, optionally a third pipe as
// descriptor 3 (a side channel for a wrapper's report), in a process group of
// its own. Past the timeout the whole group is killed (SIGKILL) and the run
// counts as timed out.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ipc/result.h"

namespace fault {

struct Command {
  std::vector<std::string> argv;  // argv[0] is run as given (no PATH search)
  std::vector<std::pair<std::string, std::string>> set_env;
  std::vector<std::string> unset_env;
  std::string stdin_path;  // "" for /dev/null
  std::string cwd;         // "" for the current directory
  std::optional<std::chrono::milliseconds> timeout;
  bool side_channel = false;  // descriptor 3: a pipe read into `side`
  // Each of stdout and stderr is kept up to this size; beyond it only its
  // length and digest grow.
  std::size_t keep_bytes = std::size_t{64} << 20;
  // If set, receives the command's pid (= its process group) once it runs,
  // and 0 when it has been reaped: a caller's signal handler may kill the
  // group meanwhile.
  std::atomic<pid_t>* running = nullptr;
};

// What a stream carried: its first `keep_bytes`, total length and digest
// (FNV-1a 64 over every byte), so that long outputs compare exactly.
struct Captured {
  std::string data;
  std::uint64_t length = 0;
  std::uint64_t digest = 0xcbf29ce484222325ULL;
  bool operator==(const Captured& o) const {
    return length == o.length && digest == o.digest;
  }
};

struct Completed {
  int status = 0;  // wait status of the command
  bool timed_out = false;
  Captured out, err, side;
  std::chrono::nanoseconds elapsed{0};
};

// Runs `command`; an Error only if it could not be started (the errno of
// posix_spawn, pipe2, ...). A command that exits 127 because execve failed
// is a Completed like any other.
ipc::Result<Completed> run_command(const Command& command);

// "exit 3", "signal 9 (Killed)", ... for messages.
std::string describe_status(int status);

}  // namespace fault
