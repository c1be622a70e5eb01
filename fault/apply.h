// fault/apply.h — turns an Engine Decision into its effect on one call.
//
// Shared by the two interposition mechanisms that make the real call
// themselves: the in-process seam interceptors (inprocess.cc) and the
// LD_PRELOAD library (preload.cc). Header-only and dependency-free beyond the
// engine and fault/signal_injector.h, so the preload library can compile it
// uninstrumented.
//
//   int error = fault::apply_before_call(decision, &n);   // may shorten n, sleep, signal
//   if (error != 0) return fault::failure_value<ssize_t>(Call::read, error);
//   if (int sig = fault::interrupt_signal(decision))       // interrupt=
//     return fault::call_interrupted(Call::read, sig,
//                                    [&] { return real_read(fd, buf, n); });
//   return real_read(fd, buf, n);
//
// The effects (fault/effect.cc) use libc directly (clock_nanosleep, tgkill),
// never the seam: the injection machinery must not inject into itself.
#pragma once

#include <semaphore.h>

#include <cerrno>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <variant>

#include "fault/blocked.h"
#include "fault/engine.h"
#include "fault/libc_syscalls.h"
#include "fault/signal_injector.h"

namespace fault {

// The descriptor argument of call C, from std::tie of its arguments; -1 if none
// (poll: the descriptor when exactly one is polled).
template <Call C, typename Args>
int fd_of(const Args& a) {
  if constexpr (C == Call::mmap) {
    return std::get<4>(a);
  } else if constexpr (C == Call::poll) {
    return std::get<1>(a) == 1 ? std::get<0>(a)[0].fd : -1;
  } else if constexpr (call_takes_fd(C)) {
    return std::get<0>(a);
  } else {
    return -1;
  }
}

// The byte-count argument that short= may reduce, or nullptr.
template <Call C, typename Args>
std::size_t* size_of(Args& a) {
  if constexpr (call_can_short(C)) {
    return &std::get<2>(a);
  } else {
    return nullptr;
  }
}

// Applies the effect of `d` that happens before the call (fault/effect.h:
// shorten *size, sleep, tgkill the calling thread). Returns the errno to fail
// with without making the call, or 0 to make it.
inline int apply_before_call(const Decision& d, std::size_t* size) {
  return d.fired() ? apply_effect(d.effect, size) : 0;
}

// The signal of an interrupt= decision, 0 for every other decision.
inline int interrupt_signal(const Decision& d) {
  if (!d.fired()) return 0;
  const auto* e = std::get_if<InterruptEffect>(&d.effect);
  return e != nullptr ? e->signo : 0;
}

// Makes call `call` by running `make_call` while a SignalInjector sends
// `sig` to this thread once it sleeps inside the call's system call
// (interrupt=); the injector is cancelled as soon as the call returns, so
// no signal arrives after it. errno is the call's.
template <typename F>
auto call_interrupted(Call call, int sig, F make_call) {
  auto injector = SignalInjector::when_blocked(
      current_tid(), libc_sleeps_in(call), sig, ipc::kNoDeadline);
  auto result = make_call();
  int saved = errno;
  if (injector) {
    injector->cancel();
    (void)injector->join();
  }
  errno = saved;
  return result;
}

// The failure value of a call: -1 with errno, (void*)-1 (MAP_FAILED, shmat)
// for the pointer-returning ones except sem_open's SEM_FAILED, the error
// number itself for pthread_sigmask.
template <typename R>
R failure_value(Call call, int error) {
  if constexpr (std::is_same_v<R, sem_t*>) {
    errno = error;
    return SEM_FAILED;
  } else if constexpr (std::is_pointer_v<R>) {
    errno = error;
    return reinterpret_cast<R>(-1);
  } else {
    if (call == Call::pthread_sigmask) return static_cast<R>(error);
    errno = error;
    return static_cast<R>(-1);
  }
}

}  // namespace fault
