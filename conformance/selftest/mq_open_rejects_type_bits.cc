// conformance/selftest/mq_open_rejects_type_bits.cc — deviation: mq_open
// refuses a mode with file-type bits (S_IFIFO, S_IFDIR, ...) with EINVAL,
// where Linux ignores them (MSG-096).
#include <fcntl.h>
#include <mqueue.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdarg>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) mqd_t mq_open(
    const char* name, int flags, ...) {
  static auto* real = selftest::next<mqd_t(const char*, int, ...)>("mq_open");
  if ((flags & O_CREAT) == 0) return real(name, flags);
  va_list ap;
  va_start(ap, flags);
  mode_t mode = static_cast<mode_t>(va_arg(ap, int));
  mq_attr* attr = va_arg(ap, mq_attr*);
  va_end(ap);
  if ((mode & S_IFMT) != 0) {
    errno = EINVAL;
    return static_cast<mqd_t>(-1);
  }
  return real(name, flags, mode, attr);
}
