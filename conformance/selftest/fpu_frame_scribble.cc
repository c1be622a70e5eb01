// conformance/selftest/fpu_frame_scribble.cc — deviation: the interrupted
// code's SSE state is not restored at sigreturn. The shim's sigaction runs
// every handler through a wrapper that, after the handler, overwrites xmm0,
// xmm15 and MXCSR in the signal frame, which is what sigreturn loads (HW-028).
#include <signal.h>
#include <ucontext.h>

#include <cstdint>
#include <initializer_list>

#include "conformance/selftest/next.h"

namespace {

struct sigaction g_user[NSIG];

void wrapper(int sig, siginfo_t* info, void* uc) {
  const struct sigaction& u = g_user[sig];
  if (u.sa_flags & SA_SIGINFO) {
    u.sa_sigaction(sig, info, uc);
  } else {
    u.sa_handler(sig);
  }
#if defined(__x86_64__)
  auto* fp = static_cast<ucontext_t*>(uc)->uc_mcontext.fpregs;
  if (fp != nullptr) {
    for (int i : {0, 15}) {
      fp->_xmm[i].element[0] = 0x5c5c5c5c;
      fp->_xmm[i].element[1] = 0x5c5c5c5c;
    }
    fp->mxcsr = 0x1f80;
  }
#endif
}

// What the caller installed is what a query reports, so that only the
// floating-point state deviates (not sigaction's old action).
void unwrap(struct sigaction* old, const struct sigaction& user) {
  if (old == nullptr || (old->sa_flags & SA_SIGINFO) == 0 ||
      old->sa_sigaction != wrapper) {
    return;
  }
  old->sa_sigaction = user.sa_sigaction;  // the union: either handler type
  old->sa_flags = (old->sa_flags & ~SA_SIGINFO) | (user.sa_flags & SA_SIGINFO);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int sigaction(
    int sig, const struct sigaction* act, struct sigaction* old) {
  static auto* real =
      selftest::next<int(int, const struct sigaction*, struct sigaction*)>(
          "sigaction");
  if (sig <= 0 || sig >= NSIG) return real(sig, act, old);
  struct sigaction previous_user = g_user[sig];
  if (act == nullptr || act->sa_handler == SIG_DFL ||
      act->sa_handler == SIG_IGN) {
    int r = real(sig, act, old);
    if (r == 0) unwrap(old, previous_user);
    return r;
  }
  struct sigaction wrapped = *act;
  wrapped.sa_sigaction = wrapper;
  wrapped.sa_flags |= SA_SIGINFO;
  g_user[sig] = *act;
  int r = real(sig, &wrapped, old);
  if (r != 0) {
    g_user[sig] = previous_user;
  } else {
    unwrap(old, previous_user);
  }
  return r;
}
