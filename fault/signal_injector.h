// fault/signal_injector.h — deliver a real signal to a thread at a chosen
// moment.
//
// The kernel itself then interrupts (EINTR) or restarts (SA_RESTART) the call
// the thread is in; nothing is simulated. Three moments:
//   (a) at entry of the N-th call: the plan language, "read:signal=SIGUSR1@N";
//   (b) after a delay:            SignalInjector::after(tid, sig, 5ms);
//   (c) once the thread is observed blocked in the kernel in a given call:
//       SignalInjector::when_blocked(tid, SYS_read, SIGUSR1, deadline_in(5s)).
// Each injector runs one helper thread that waits (polling /proc through
// fault/blocked.h for (c), a cancellable timed wait for (b)) and then sends the
// signal with tgkill(getpid(), tid, sig).
//
//   pid_t tid = ...;  // the thread about to block, from fault::current_tid()
//   auto inj = fault::SignalInjector::when_blocked(tid, SYS_read, SIGUSR1,
//                                                  ipc::deadline_in(std::chrono::seconds(5)));
//   ... the thread's read returns -1/EINTR (handler installed without
//   SA_RESTART) ... ASSERT_OK(inj->join());
//
// If the call completed without blocking, cancel() stops the helper: no
// signal is sent once it has returned; join() then reports ECANCELED. The
// destructor cancels and joins. The helper thread blocks every signal (but
// glibc's internal ones) and reads /proc with raw system calls, so it can
// serve inside any program: it is also the interrupt= effect of the
// in-process seam and of the preload library (fault/apply.h).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include "ipc/fd.h"
#include "ipc/result.h"

namespace fault {

class SignalInjector {
 public:
  // Sends `sig` to thread `tid` of this process once it sleeps interruptibly in
  // system call `syscall_nr` (any call if nullopt). join(): ETIMEDOUT if the
  // deadline passed first, ESRCH if the thread went away, ECANCELED if
  // cancelled.
  static ipc::Result<SignalInjector> when_blocked(
      pid_t tid, std::optional<long> syscall_nr, int sig,
      ipc::Deadline deadline);
  // Sends `sig` to thread `tid` of this process `delay` from now.
  static ipc::Result<SignalInjector> after(pid_t tid, int sig,
                                           std::chrono::nanoseconds delay);

  SignalInjector(SignalInjector&& other) noexcept;
  SignalInjector& operator=(SignalInjector&& other) noexcept;
  ~SignalInjector();

  // Gives up if the signal has not been sent yet (no effect afterwards).
  void cancel();
  // Waits for the helper thread. OK once the signal was sent; the error
  // otherwise. Can be called again (returns the same status).
  ipc::Status join();
  // Whether the signal has been sent.
  bool delivered() const;

 private:
  struct State;
  SignalInjector(std::unique_ptr<State> state, std::thread thread);
  void reset();

  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace fault
