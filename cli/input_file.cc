// cli/input_file.cc — see input_file.h.
#include "cli/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace cli {

ipc::Result<std::string> read_input_file(const std::string& path,
                                         std::size_t max_bytes) {
  constexpr const char kOp[] = "read input";
  int fd = ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return ipc::Error::from_errno(kOp, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ipc::Error e = ipc::Error::from_errno(kOp, path);
    ::close(fd);
    return e;
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return ipc::Error(EISDIR, kOp, path, "a directory, not a file");
  }
  std::string text;
  // The size a regular file claims is only a first guess (it may change).
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    text.reserve(
        std::min<std::size_t>(static_cast<std::size_t>(st.st_size), max_bytes) +
        1);
  }
  char buf[64 * 1024];
  for (;;) {
    std::size_t room = max_bytes + 1 - text.size();
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, room));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ipc::Error e = ipc::Error::from_errno(kOp, path);
      ::close(fd);
      return std::move(e).with_transferred(text.size());
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) {
      ::close(fd);
      return ipc::Error(
          EFBIG, kOp, path,
          "longer than the limit of " + std::to_string(max_bytes) + " bytes");
    }
  }
  ::close(fd);
  return text;
}

}  // namespace cli
