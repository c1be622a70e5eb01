// ipc/testing/eintr.h — retry a call that a signal interrupted (as gVisor's
// RetryEINTR and Chromium's HANDLE_EINTR), for test code that is not about
// EINTR itself:
//
//   ssize_t n = RetryEINTR(::read)(fd, buf, sizeof buf);
//   int r = RetryEINTR(::waitpid)(pid, &status, 0);
//
// Async-signal-safe (no allocation): usable in forked children.
#pragma once

#include <cerrno>

#include "ipc/testing/failure_value.h"

namespace ipc::testing {

// A callable that calls `f` with its arguments until it does not fail with
// EINTR (-1, or (void*)-1 for calls returning a pointer).
template <typename F>
auto RetryEINTR(F f) {
  return [f](auto&&... args) {
    for (;;) {
      auto r = f(args...);
      if (!IsFailureValue(r) || errno != EINTR) return r;
    }
  };
}

}  // namespace ipc::testing
