// ipc/testing/kernel_eintr.h — seeing that the kernel really returned EINTR
// to a call inside the layer, before a test checks that the layer retried it.
// A seam interceptor (ipc/sys.h) passes the real call's result through
// NoteKernelEintr, which counts each EINTR on the live KernelEintrs; the test
// waits for that count.
//
//   int semop_noting_eintr(int id, struct sembuf* ops, size_t n) {
//     return NoteKernelEintr(sys::libc().semop(id, ops, n));
//   }
//   KernelEintrs eintrs;  ASSERT_TRUE(eintrs.ok());
//   sys::table().semop.store(&semop_noting_eintr);
//   ... interrupt the thread blocked in semop ...
//   eintrs.WaitForOne(30s);  // fails the test unless exactly one came
#pragma once

#include <cerrno>
#include <chrono>

#include "ipc/fd.h"

namespace ipc::testing {

// An eventfd that counts the EINTRs noted while it lives (one at a time).
class KernelEintrs {
 public:
  KernelEintrs();
  ~KernelEintrs();
  KernelEintrs(const KernelEintrs&) = delete;
  KernelEintrs& operator=(const KernelEintrs&) = delete;

  // Whether the eventfd could be made.
  bool ok() const { return fd_.valid(); }
  // Waits up to `timeout` until an EINTR was noted ("the kernel never
  // returned EINTR" otherwise), then expects the count to be exactly one.
  void WaitForOne(std::chrono::milliseconds timeout);

  // Counts one on the live KernelEintrs (none: nothing happens); aborts if
  // the count cannot be written. Async-signal-safe; keeps errno.
  static void Note();

 private:
  Fd fd_;
};

// For seam interceptors: `result` unchanged, after noting an EINTR (result
// < 0 and errno == EINTR) on the live KernelEintrs.
template <typename R>
R NoteKernelEintr(R result) {
  if (result < 0 && errno == EINTR) KernelEintrs::Note();
  return result;
}

}  // namespace ipc::testing
