// fault/signal_injector.cc — helper threads that wait for the moment, then
// tgkill.
#include "fault/signal_injector.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <system_error>

#include "fault/blocked.h"
#include "fault/plan.h"

namespace fault {

struct SignalInjector::State {
  pid_t tid = 0;
  int sig = 0;
  std::string what;  // "when_blocked(tid=12, SIGUSR1)", for errors

  std::mutex mu;  // also held from the last look at `cancelled` to tgkill
  std::condition_variable cv;
  bool cancelled = false;                     // guarded by mu
  std::atomic<bool> cancel_requested{false};  // the same, for polling
  std::atomic<bool> delivered{false};
  ipc::Status result;  // written by the helper before it exits

  ipc::Status send() {
    if (::syscall(SYS_tgkill, ::getpid(), tid, sig) != 0) {
      return ipc::Error::from_errno("tgkill", what);
    }
    delivered.store(true);
    return ipc::ok_status();
  }

  ipc::Status cancelled_status() const {
    return ipc::Error(ECANCELED, "SignalInjector", what,
                      "cancelled before the signal was sent");
  }
};

namespace {

// Validates the arguments shared by both factories.
ipc::Status check_target(pid_t tid, int sig, const std::string& what) {
  if (sig <= 0 || sig >= NSIG)
    return ipc::Error(EINVAL, "SignalInjector", what, "bad signal number");
  if (auto st = read_task_state(0, tid); !st) {
    return ipc::Error(ESRCH, "SignalInjector", what,
                      "no such thread in this process");
  }
  return ipc::ok_status();
}

// Starts `body` on a helper thread without letting std::system_error escape.
// The helper starts with every signal blocked but glibc's internal ones
// (between SIGSYS and SIGRTMIN: setuid() in the program must still reach
// it), so that it never runs the program's handlers. Raw rt_sigprocmask:
// in the preload library pthread_sigmask is an interposed call.
template <typename F>
ipc::Result<std::thread> start(F body, const std::string& what) {
  sigset_t all, old;
  ::sigfillset(&all);
  for (int s = SIGSYS + 1; s < SIGRTMIN; ++s) ::sigdelset(&all, s);
  constexpr long kKernelSigsetBytes = _NSIG / 8;
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, kKernelSigsetBytes);
  ipc::Result<std::thread> thread = ipc::Error(EAGAIN, "std::thread", what);
  try {
    thread = std::thread(std::move(body));
  } catch (const std::system_error& e) {
    thread = ipc::Error(e.code().value(), "std::thread", what,
                        "cannot start the helper thread");
  }
  ::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, kKernelSigsetBytes);
  return thread;
}

}  // namespace

SignalInjector::SignalInjector(std::unique_ptr<State> state, std::thread thread)
    : state_(std::move(state)), thread_(std::move(thread)) {}

ipc::Result<SignalInjector> SignalInjector::when_blocked(
    pid_t tid, std::optional<long> syscall_nr, int sig,
    ipc::Deadline deadline) {
  auto state = std::make_unique<State>();
  state->tid = tid;
  state->sig = sig;
  state->what =
      "when_blocked(tid=" + std::to_string(tid) + ", " + signal_name(sig) + ")";
  if (auto s = check_target(tid, sig, state->what); !s)
    return std::move(s).error();
  State* st = state.get();
  auto thread = start(
      [st, syscall_nr, deadline] {
        // cancel() is noticed at the next poll of /proc.
        ipc::Status s = wait_until_blocked(0, st->tid, syscall_nr, deadline,
                                           &st->cancel_requested);
        // Under the lock: once cancel() has returned, nothing is sent.
        std::lock_guard<std::mutex> lock(st->mu);
        if (st->cancelled) {
          st->result = st->cancelled_status();
        } else {
          st->result = s.ok() ? st->send() : std::move(s);
        }
      },
      state->what);
  if (!thread) return std::move(thread).error();
  return SignalInjector(std::move(state), std::move(thread).value());
}

ipc::Result<SignalInjector> SignalInjector::after(
    pid_t tid, int sig, std::chrono::nanoseconds delay) {
  auto state = std::make_unique<State>();
  state->tid = tid;
  state->sig = sig;
  state->what = "after(tid=" + std::to_string(tid) + ", " + signal_name(sig) +
                ", " + std::to_string(delay.count()) + "ns)";
  if (auto s = check_target(tid, sig, state->what); !s)
    return std::move(s).error();
  State* st = state.get();
  auto when = ipc::Clock::now() + delay;
  auto thread = start(
      [st, when] {
        {
          std::unique_lock<std::mutex> lock(st->mu);
          st->cv.wait_until(lock, when, [st] { return st->cancelled; });
          if (st->cancelled) {
            st->result = st->cancelled_status();
            return;
          }
        }
        st->result = st->send();
      },
      state->what);
  if (!thread) return std::move(thread).error();
  return SignalInjector(std::move(state), std::move(thread).value());
}

SignalInjector::SignalInjector(SignalInjector&& other) noexcept = default;

SignalInjector& SignalInjector::operator=(SignalInjector&& other) noexcept {
  if (this != &other) {
    reset();
    state_ = std::move(other.state_);
    thread_ = std::move(other.thread_);
  }
  return *this;
}

SignalInjector::~SignalInjector() { reset(); }

void SignalInjector::reset() {
  cancel();
  (void)join();
}

void SignalInjector::cancel() {
  if (!state_) return;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->cancelled = true;
    state_->cancel_requested.store(true);
  }
  state_->cv.notify_all();
}

ipc::Status SignalInjector::join() {
  if (!state_)
    return ipc::Error(EINVAL, "SignalInjector::join", "",
                      "moved-from injector");
  if (thread_.joinable()) thread_.join();
  return state_->result;
}

bool SignalInjector::delivered() const {
  return state_ && state_->delivered.load();
}

}  // namespace fault
