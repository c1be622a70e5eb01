// conformance/selftest/sigqueueinfo_forge_ok.cc — deviation: a siginfo that
// claims to come from kill(), tgkill() or the kernel (si_code >= 0 or
// SI_TKILL) is accepted for another process (rt_sigqueueinfo(2): EPERM). The
// shim turns such calls, made through syscall(3), into SI_QUEUE sends that
// succeed (SIG-042).
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdarg>

#include "conformance/selftest/next.h"

namespace {

bool forged_for_another(pid_t target, siginfo_t* info) {
  return info != nullptr && target != ::getpid() &&
         (info->si_code >= 0 || info->si_code == SI_TKILL);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) long syscall(long nr, ...) {
  static auto* real = selftest::next<long(long, ...)>("syscall");
  va_list ap;
  va_start(ap, nr);
  long a[6];
  for (long& x : a) x = va_arg(ap, long);
  va_end(ap);
  if (nr == SYS_rt_sigqueueinfo &&
      forged_for_another(static_cast<pid_t>(a[0]),
                         reinterpret_cast<siginfo_t*>(a[2]))) {
    reinterpret_cast<siginfo_t*>(a[2])->si_code = SI_QUEUE;
  }
  if (nr == SYS_rt_tgsigqueueinfo &&
      forged_for_another(static_cast<pid_t>(a[0]),
                         reinterpret_cast<siginfo_t*>(a[3]))) {
    reinterpret_cast<siginfo_t*>(a[3])->si_code = SI_QUEUE;
  }
  return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
