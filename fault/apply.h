// fault/apply.h — turns an Engine Decision into its effect on one call.
//
// Shared by the two interposition mechanisms that make the real call
// themselves: the in-process seam interceptors (inprocess.cc) and the
// LD_PRELOAD library (preload.cc). Header-only and dependency-free beyond the
// engine, so the preload library can compile it uninstrumented.
//
//   int error = fault::apply_before_call(decision, &n);   // may shorten n, sleep, signal
//   if (error != 0) return fault::failure_value<ssize_t>(Call::read, error);
//   return real_read(fd, buf, n);
//
// The effects use libc directly (clock_nanosleep, tgkill), never the seam: the
// injection machinery must not inject into itself.
#pragma once

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>

#include "fault/engine.h"

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

// Sleeps ns nanoseconds against an absolute deadline: a signal handler in
// between does not lengthen the delay.
inline void sleep_ns(std::int64_t ns) {
  struct timespec until;
  ::clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += static_cast<time_t>(ns / 1000000000);
  until.tv_nsec += static_cast<long>(ns % 1000000000);
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec += 1;
    until.tv_nsec -= 1000000000;
  }
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
  }
}

// Applies every effect of `d` that happens before the call (shorten *size,
// sleep, tgkill the calling thread). Returns the errno to fail with without
// making the call, or 0 to make it.
inline int apply_before_call(const Decision& d, std::size_t* size) {
  if (!d.fired()) return 0;
  switch (d.kind) {
    case EffectKind::kErrno:
      return d.error;
    case EffectKind::kShort:
      if (size != nullptr) *size = d.size;
      break;
    case EffectKind::kDelay:
      sleep_ns(d.delay_ns);
      break;
    case EffectKind::kSignal: {
      int saved = errno;
      ::syscall(SYS_tgkill, ::getpid(), cached_tid(), d.signo);
      errno = saved;
      break;
    }
    case EffectKind::kPass:
      break;
  }
  return 0;
}

// The failure value of a call: -1 with errno, (void*)-1 (MAP_FAILED) for the
// pointer-returning ones, the error number itself for pthread_sigmask.
template <typename R>
R failure_value(Call call, int error) {
  if constexpr (std::is_pointer_v<R>) {
    errno = error;
    return reinterpret_cast<R>(-1);
  } else {
    if (call == Call::pthread_sigmask) return static_cast<R>(error);
    errno = error;
    return static_cast<R>(-1);
  }
}

}  // namespace fault
