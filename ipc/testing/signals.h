// ipc/testing/signals.h — signal dispositions and masks for the scope of a
// test. Test code sets these up with raw libc calls, not with the layer's
// ipc::ScopedSigaction, because the layer is itself under test.
//
//   ScopedSigaction on_usr1(SIGUSR1, Handler);          // no SA_RESTART
//   ScopedSigaction restart(SIGUSR1, Handler, SA_RESTART);
//   ScopedSigaction ignore(SIGPIPE, SIG_IGN);           // writes get EPIPE
//   ScopedSigaction keep(SIGCHLD);                      // only restores later
//   CountingHandler h(SIGUSR1);  ...  h.count()         // deliveries so far
//   ScopedBlock block(SIGUSR1);                         // blocked in this thread
#pragma once

#include <signal.h>

namespace ipc::testing {

// Installs an action for `sig` (EXPECTs success) and puts the previous action
// back on destruction.
class ScopedSigaction {
 public:
  // `action` as given.
  ScopedSigaction(int sig, const struct sigaction& action);
  // sa_handler = `handler` (a function, SIG_IGN or SIG_DFL), sa_flags =
  // `flags`, nothing else blocked while it runs.
  ScopedSigaction(int sig, void (*handler)(int), int flags = 0);
  // A three-argument handler: SA_SIGINFO is added to `flags`.
  ScopedSigaction(int sig, void (*handler)(int, siginfo_t*, void*),
                  int flags = 0);
  // Changes nothing now; restores the current action at the end of the scope
  // (around code under test that changes it).
  explicit ScopedSigaction(int sig);
  ~ScopedSigaction();
  ScopedSigaction(const ScopedSigaction&) = delete;
  ScopedSigaction& operator=(const ScopedSigaction&) = delete;

  // Whether the action was installed (else the test has already failed).
  bool ok() const { return ok_; }
  const struct sigaction& previous() const { return previous_; }

 private:
  int sig_;
  bool ok_ = false;
  struct sigaction previous_ = {};
};

// SIG_IGN for `sig` for the lifetime of the object.
class IgnoreSignal : public ScopedSigaction {
 public:
  explicit IgnoreSignal(int sig) : ScopedSigaction(sig, SIG_IGN) {}
};

// A handler for `sig` that counts deliveries, with sa_flags = `flags` (by
// default no SA_RESTART, so a blocked call fails with EINTR), restored on
// destruction. count() is the number of deliveries of `sig` since
// construction (the counter is per signal, reset here).
class CountingHandler {
 public:
  explicit CountingHandler(int sig = SIGUSR1, int flags = 0);
  int count() const;

 private:
  int sig_;
  ScopedSigaction action_;
};

// Blocks `sig` in the calling thread for the scope.
class ScopedBlock {
 public:
  explicit ScopedBlock(int sig);
  ~ScopedBlock();
  ScopedBlock(const ScopedBlock&) = delete;
  ScopedBlock& operator=(const ScopedBlock&) = delete;

 private:
  sigset_t old_;
};

// Whether `sig` is pending for this thread or the process.
bool SignalPending(int sig);

// Takes a pending (blocked) `sig` off this thread without delivering it;
// false if none was pending.
bool ConsumePending(int sig);

}  // namespace ipc::testing
