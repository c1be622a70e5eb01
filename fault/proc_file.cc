// fault/proc_file.cc — see proc_file.h.
#include "fault/proc_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fault {

std::string read_proc_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::uint64_t auxv_value(pid_t pid, std::uint64_t key) {
  std::string raw = read_proc_file("/proc/" + std::to_string(pid) + "/auxv");
  for (std::size_t i = 0; i + 16 <= raw.size(); i += 16) {
    std::uint64_t k, v;
    std::memcpy(&k, raw.data() + i, 8);
    std::memcpy(&v, raw.data() + i + 8, 8);
    if (k == key) return v;
  }
  return 0;
}

}  // namespace fault
