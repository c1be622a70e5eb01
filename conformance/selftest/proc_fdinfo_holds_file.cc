// conformance/selftest/proc_fdinfo_holds_file.cc — deviation: opening
// /proc/self/fdinfo/N takes a reference to descriptor N's file (a duplicate
// that is never closed), so a pipe's write end looked at this way never
// closes and its reader never sees end of file (proc(5); PIPE-048).
#include <fcntl.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdlib>
#include <cstring>

#include "conformance/selftest/next.h"

extern "C" __attribute__((visibility("default"))) int open(const char* path,
                                                           int flags, ...) {
  static auto* real = selftest::next<int(const char*, int, ...)>("open");
  va_list ap;
  va_start(ap, flags);
  mode_t mode = static_cast<mode_t>(va_arg(ap, int));
  va_end(ap);
  static const char kInfo[] = "/proc/self/fdinfo/";
  if (std::strncmp(path, kInfo, sizeof kInfo - 1) == 0) {
    int fd = std::atoi(path + sizeof kInfo - 1);
    (void)::fcntl(fd, F_DUPFD_CLOEXEC, 100);  // kept for good
  }
  return real(path, flags, mode);
}
