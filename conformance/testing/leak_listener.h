// conformance/testing/leak_listener.h — a GoogleTest listener that fails a
// test which leaves an IPC object behind.
//
// Before and after each test it takes a snapshot of
// /proc/sysvipc/{msg,shm,sem}, the entries of /dev/shm and the FIFOs under the
// temp root ($TEST_TMPDIR), and fails the test (naming each object) if
// something new is left; it then removes what it reported, so one leak does not
// poison the machine or the next test.
//
// Which objects count depends on whether others can create objects next to us:
//  - System V: in a private IPC namespace (Bazel's sandbox, the report's
//    unshare) every new object counts. In a shared one only objects that can
//    be attributed to this process or the processes it forked (shm cpid/lpid,
//    msg lspid/lrpid, sem GETPID), created while the test ran, count — a queue
//    nobody sent to cannot be attributed there.
//  - /dev/shm is not part of the IPC namespace (and is shared even between
//    Bazel's sandboxes, whose PID namespaces reuse pids): names beginning with
//    this process's ipc::testing::UniqueNamePrefix() ("ipct-<pid>-<random>-",
//    inherited by forked children) count, unless the report mounted a private
//    tmpfs on /dev/shm (IPCT_PRIVATE_DEV_SHM), where every name counts.
//  - FIFOs: every new FIFO under the temp root.
// IPCT_LEAK_CHECK=attributable forces the shared-namespace rules; =off
// disables the check.
//
// These observe the real OS, so they call libc directly (not the ipc::sys
// seam).
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/result.h"

namespace conformance::testing {

struct SysvObject {
  enum class Kind { kMsg, kShm, kSem };
  Kind kind = Kind::kMsg;
  long id = 0;
  long key = 0;
  std::vector<long> pids;  // lspid/lrpid, cpid/lpid; filled on demand for sem

  // "System V message queue msqid=32769 key=0x00000000 (lspid=12, lrpid=0)"
  std::string describe() const;
};

// Parses one /proc/sysvipc table (columns found by the header line).
ipc::Result<std::vector<SysvObject>> parse_sysvipc(SysvObject::Kind kind,
                                                   std::string_view text);

struct Snapshot {
  std::vector<SysvObject> sysv;
  std::set<std::string> dev_shm;  // entry names
  std::set<std::string> fifos;    // absolute paths
};

struct LeakRules {
  bool enabled = true;
  bool all_sysv = false;     // private IPC namespace: every new object counts
  bool all_dev_shm = false;  // private /dev/shm: every new name counts
  std::string
      dev_shm_prefix;  // otherwise: names starting with this (or "sem." + it)
  std::string fifo_root;    // "" = no FIFO check
  std::string description;  // one line for the log
};

// The rules for this process: namespace detection + IPCT_LEAK_CHECK.
LeakRules detect_rules(const std::string& fifo_root);

// True if this process's IPC namespace is not the initial one and every
// process sharing it descends from the process that created it (Bazel's
// sandbox, `unshare -i`, the report's children). `why` gets the reason.
bool ipc_namespace_is_private(std::string* why);

Snapshot take_snapshot(const LeakRules& rules);

// Objects in `after` that are not in `before` and count under `rules`; `ours`
// are the pids whose System V objects count in a shared namespace. Sem pids are
// looked up with semctl(GETPID) for new sets when needed.
struct Leaks {
  std::vector<SysvObject> sysv;
  std::vector<std::string> dev_shm;
  std::vector<std::string> fifos;
  bool empty() const {
    return sysv.empty() && dev_shm.empty() && fifos.empty();
  }
};
Leaks find_leaks(const Snapshot& before, const Snapshot& after,
                 const LeakRules& rules, const std::set<pid_t>& ours);

// Removes leaked objects (IPC_RMID, shm_unlink, unlink). Returns what could not
// be removed, as messages.
std::vector<std::string> remove_leaks(const Leaks& leaks);

// Starts recording the pid of every process forked (fork(), through
// pthread_atfork) from now on by this process and its descendants, in shared
// memory. Idempotent.
void start_recording_forks();
// getpid() plus every recorded pid.
std::set<pid_t> our_pids();

class LeakListener : public ::testing::EmptyTestEventListener {
 public:
  explicit LeakListener(LeakRules rules);
  void OnTestStart(const ::testing::TestInfo& info) override;
  void OnTestEnd(const ::testing::TestInfo& info) override;
  const LeakRules& rules() const { return rules_; }

 private:
  LeakRules rules_;
  Snapshot before_;
};

}  // namespace conformance::testing
