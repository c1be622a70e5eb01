// conformance/testing/sysv.h — System V IPC objects in the conformance
// suites: removing what other processes created under a key, and waiting out
// the one-second resolution of the *_ctime/*_stime time stamps.
//
//   KeyCleanup cleanup(key);      // a child creates under `key`; removed at
//                                 // the end of the scope, whichever kinds
//   time_t created = Stat(id).shm_ctime;
//   WaitUntilTimeIsAfter(created);  // time(nullptr) > created from here on
//   ... IPC_SET ...;  EXPECT_GT(Stat(id).shm_ctime, created);
#pragma once

#include <sys/types.h>

#include <ctime>

namespace conformance::testing {

// On destruction removes whatever message queue, shared memory segment and
// semaphore set `key` names: the cleanup for objects that another process
// (a forked child, the peer) created and that the test must not leave behind.
class KeyCleanup {
 public:
  explicit KeyCleanup(key_t key) : key_(key) {}
  ~KeyCleanup();
  KeyCleanup(const KeyCleanup&) = delete;
  KeyCleanup& operator=(const KeyCleanup&) = delete;

 private:
  key_t key_;
};

// Returns once time(nullptr) is later than `t` (at most about a second after
// t ends), so that a time stamp the kernel takes from now on differs from one
// taken at `t`. The kernel stamps System V times with the coarse,
// tick-updated seconds that time() reads, which may lag CLOCK_REALTIME by a
// tick: this sleeps until CLOCK_REALTIME reaches t + 1, then polls time().
void WaitUntilTimeIsAfter(time_t t);

}  // namespace conformance::testing
