// fault/preload.h — what the two halves of libipcfault.so share: the
// process's engine (set up by preload.cc) and the path every interposed libc
// function takes (preload_symbols.cc). Internal to the library, which is
// compiled without sanitizers (see fault/BUILD).
#pragma once

#include <poll.h>
#include <semaphore.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>

#include "fault/apply.h"
#include "fault/engine.h"

// Non-zero while the calling thread's calls are neither counted nor injected:
// on the thread of a vfork child that has not exec'd yet (it shares its
// parent's memory and thread-local storage; set and cleared by the library's
// vfork, fault/preload_vfork.cc), and while the library makes calls of its own
// (opening its log).
extern "C" __thread unsigned ipcfault_uncounted
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

namespace fault::preload {

// The process's engine: null until the library's constructor has read the
// plan (and in a process without IPCFAULT_PLAN).
extern std::atomic<Engine*> g_engine;

// Looks up the real function behind every interposed symbol with
// dlsym(RTLD_NEXT); called once, from the library's constructor.
void resolve_real_functions();

// The real function in `slot`. Resolved by resolve_real_functions(); looked
// up here only for a call made before the library's constructor ran (another
// library's constructor). A symbol libc does not have stops the process with
// a message naming it.
void* resolve_late_or_die(const char* name);
template <typename Fn>
[[gnu::noinline]] Fn resolve_late(std::atomic<Fn>& slot, const char* name) {
  Fn fn = reinterpret_cast<Fn>(resolve_late_or_die(name));
  slot.store(fn, std::memory_order_relaxed);
  return fn;
}
template <typename Fn>
Fn real(std::atomic<Fn>& slot, const char* name) {
  Fn fn = slot.load(std::memory_order_relaxed);
  if (__builtin_expect(fn == nullptr, 0)) fn = resolve_late(slot, name);
  return fn;
}

// Engine::triage() for one call: Engine::kNoFault when no fault can fire
// (always before the constructor ran, and in a vfork child, which must not
// touch its parent's counters).
inline std::uint64_t triage(Call call) {
  Engine* engine = g_engine.load(std::memory_order_acquire);
  if (engine == nullptr || !engine->armed(call)) return Engine::kNoFault;
  if (__builtin_expect(ipcfault_uncounted != 0, 0)) return Engine::kNoFault;
  return engine->triage(call);
}

// Where an interposed function's arguments hold what the engine looks at.
struct Shape {
  int fd = -1;      // index of the descriptor; -1 none; kPollFds: a pollfd
                    // array at 0 and its length at 1 (fd when it is 1)
  int count = -1;   // index of the byte count short= may cut; -1 none
  int buflen = -1;  // fortified: index of the buffer's size; -1 none
  bool error_number = false;  // fails by returning the error number
};
inline constexpr int kPollFds = -2;

constexpr Shape shape(int fd, int count, int buflen = -1) {
  return Shape{fd, count, buflen, false};
}

// The shape of the plan call's own libc function (ipc/sys.h argument order).
constexpr Shape shape_of(Call c) {
  Shape s;
  if (c == Call::mmap) {
    s.fd = 4;
  } else if (c == Call::poll) {
    s.fd = kPollFds;
  } else if (call_takes_fd(c)) {
    s.fd = 0;
  }
  if (call_can_short(c)) s.count = 2;
  s.error_number = c == Call::pthread_sigmask;
  return s;
}

// The failure of a function returning R: -1 (MAP_FAILED for a pointer;
// SEM_FAILED, which glibc defines as a null pointer, for sem_open) with errno,
// or the error number itself.
template <typename R, Shape S>
R failure(int error) {
  if constexpr (S.error_number) {
    return static_cast<R>(error);
  } else if constexpr (std::is_same_v<R, sem_t*>) {
    errno = error;
    return SEM_FAILED;
  } else if constexpr (std::is_pointer_v<R>) {
    errno = error;
    return reinterpret_cast<R>(-1);
  } else {
    errno = error;
    return static_cast<R>(-1);
  }
}

// The rest of a call that triage() did not rule out: finish the decision,
// apply it, and fail the call or make it. Out of line and with the arguments
// by value, so that no local of an interposed function has its address
// escape (that would cost it the tail jump to the real function; see
// IPCFAULT_BODY in preload_symbols.cc).
template <Call C, typename R, Shape S, typename Fn, typename... A>
[[gnu::noinline]] R slow_path(std::uint64_t token, Fn real_fn, A... a) {
  auto args = std::tie(a...);
  int fd = -1;
  if constexpr (S.fd == kPollFds) {
    if (std::get<1>(args) == 1) fd = std::get<0>(args)[0].fd;
  } else if constexpr (S.fd >= 0) {
    fd = std::get<S.fd>(args);
  }
  std::size_t* count = nullptr;
  if constexpr (S.count >= 0) {
    count = &std::get<S.count>(args);
    // A fortified call asking for more than its buffer holds: libc stops
    // the program ("buffer overflow detected"); a shortened count must not
    // hide that.
    if constexpr (S.buflen >= 0) {
      if (*count > std::get<S.buflen>(args)) return real_fn(a...);
    }
  }
  Decision d = g_engine.load(std::memory_order_acquire)
                   ->decide_rest(C, fd, count != nullptr ? *count : 0, token);
  int error = apply_before_call(d, count);
  if (error != 0) return failure<R, S>(error);
  if (int sig = interrupt_signal(d); sig != 0)
    return call_interrupted(C, sig, [&] { return real_fn(a...); });
  return real_fn(a...);
}

}  // namespace fault::preload
