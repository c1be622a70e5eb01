// conformance/selftest/next.h — the one helper every deviation shim uses: the
// libc definition a shim's own definition hides (dlsym(RTLD_NEXT)).
#pragma once

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace selftest {

// The next definition of `name` after this library, typed as F; aborts with a
// message if there is none (a shim that cannot reach libc must not guess).
template <class F>
F* next(const char* name) {
  void* sym = ::dlsym(RTLD_NEXT, name);
  if (sym == nullptr) {
    std::fprintf(stderr, "deviation shim: dlsym(RTLD_NEXT, %s) failed\n", name);
    std::abort();
  }
  return reinterpret_cast<F*>(sym);
}

}  // namespace selftest
