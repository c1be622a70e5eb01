// conformance/selftest/mq_notify_lenient.cc — deviation: glibc's mq_notify
// reports success for a sigevent it cannot honour (an unknown sigev_notify or
// an invalid signal) instead of EINVAL (mq_notify(3); MSG-097). The system
// call is untouched, so only the libc path deviates.
#include <mqueue.h>
#include <signal.h>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int mq_notify(
    mqd_t q, const struct sigevent* ev) {
  static auto* real =
      selftest::next<int(mqd_t, const struct sigevent*)>("mq_notify");
  if (ev != nullptr &&
      (ev->sigev_notify != SIGEV_NONE && ev->sigev_notify != SIGEV_SIGNAL &&
       ev->sigev_notify != SIGEV_THREAD)) {
    return 0;
  }
  if (ev != nullptr && ev->sigev_notify == SIGEV_SIGNAL &&
      (ev->sigev_signo < 0 || ev->sigev_signo >= NSIG)) {
    return 0;
  }
  return real(q, ev);
}
