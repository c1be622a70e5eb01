// fault/preload.cc — libipcfault.so: LD_PRELOAD fault injection for any
// dynamically linked program (normally started through the ipcfault CLI).
// This file sets the library up in each process; the interposed libc
// functions are in preload_symbols.cc.
//
// Environment (read once, when the library is loaded):
//   IPCFAULT_PLAN  the plan (fault/plan.h grammar). A bad plan prints
//                  "ipcfault: bad IPCFAULT_PLAN: ..." and exits 2 at load.
//   IPCFAULT_SEED  overrides the plan's seed (decimal, the rules of
//                  cli/number.h, as ipcfault --seed; a bad one exits 2).
//   IPCFAULT_LOG   file to which each process appends, at exit(3), a line
//                  "ipcfault: pid=N" and the engine's log (plan, seed, and one
//                  line per injected fault with its ordinal).
//   IPCFAULT_FORK  "reset": a fork child starts with fresh counters and an empty
//                  log. Default: the child continues the parent's counts (it
//                  inherits a copy of the engine, so the child's log also lists
//                  the faults the parent injected before the fork).
// exec keeps the environment, so the new program loads the library and the
// plan again, with fresh counters. A vfork child's calls before its exec are
// neither counted nor injected (fault/preload_vfork.cc).
//
// Limits: static binaries and direct syscall(2) are not seen; calls glibc makes
// internally (inside fopen, stdio buffers, ...) do not go through the PLT and
// are not seen either. A process that leaves with _exit writes no log.
// This file is compiled without sanitizers (see fault/BUILD).
#include "fault/preload.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli/number.h"
#include "cli/output_file.h"
#include "fault/engine.h"
#include "fault/plan.h"

namespace fault::preload {

std::atomic<Engine*> g_engine{nullptr};

namespace {

// Writes all of s to fd with the write system call itself (never injected).
void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    long n = ::syscall(SYS_write, fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void write_log() {
  Engine* engine = g_engine.load(std::memory_order_acquire);
  const char* path = std::getenv("IPCFAULT_LOG");
  if (engine == nullptr || path == nullptr || *path == '\0') return;
  // A vfork child that calls exit(): the engine is its parent's.
  if (ipcfault_uncounted != 0) return;
  // Never through a link planted in a sticky directory (cli/output_file.h);
  // the calls that open it are the library's own, not the program's.
  ++ipcfault_uncounted;
  auto fd = cli::open_log_for_append(path);
  --ipcfault_uncounted;
  if (!fd) {
    write_all(2, "ipcfault: cannot write the fault log: " +
                     fd.error().message() + "\n");
    return;
  }
  write_all(*fd, "ipcfault: pid=" + std::to_string(::getpid()) + "\n" +
                     engine->format_log());
  ::syscall(SYS_close, *fd);
}

// pthread_atfork child handler for IPCFAULT_FORK=reset: the inherited engine
// is reused with its counts and log cleared (no allocation in the child, and
// nothing to leak: replacing it left the old one unreachable, which
// LeakSanitizer reported in sanitized programs). The parent's other threads do
// not exist in the child.
void reset_in_child() {
  if (Engine* engine = g_engine.load(std::memory_order_acquire))
    engine->reset_counts();
}

__attribute__((constructor)) void load_plan() {
  // First, and whether or not there is a plan: a shim must never look a
  // function up on a call (it may be in a signal handler).
  resolve_real_functions();
  const char* text = std::getenv("IPCFAULT_PLAN");
  if (text == nullptr) return;
  auto plan = parse_plan(text);
  if (!plan) {
    std::fprintf(stderr, "ipcfault: bad IPCFAULT_PLAN: %s\n",
                 plan.error().message().c_str());
    std::exit(2);
  }
  // The same rules as ipcfault --seed (set and empty is an error too).
  if (const char* text = std::getenv("IPCFAULT_SEED"); text != nullptr) {
    auto seed = cli::parse_number<std::uint64_t>("IPCFAULT_SEED", text);
    if (!seed) {
      std::fprintf(stderr, "ipcfault: bad IPCFAULT_SEED: %s\n",
                   seed.error().message().c_str());
      std::exit(2);
    }
    plan->seed = *seed;
  }
  // Lives as long as the process, and stays reachable from g_engine on
  // purpose: a LeakSanitizer in the program sees it as in use, not leaked.
  // (Freeing it at exit would race with threads still making calls.)
  g_engine.store(new Engine(std::move(plan).value()),
                 std::memory_order_release);
  const char* fork_mode = std::getenv("IPCFAULT_FORK");
  if (fork_mode != nullptr && std::strcmp(fork_mode, "reset") == 0) {
    ::pthread_atfork(nullptr, nullptr, &reset_in_child);
  }
  std::atexit(&write_log);
}

}  // namespace
}  // namespace fault::preload
