// ipc/fifo.cc — named pipes: create, open one end safely, remove.
#include "ipc/fifo.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "ipc/sys.h"

namespace ipc {
namespace {

// "regular file", "directory", ... for refusal messages.
const char* file_type_name(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFIFO: return "FIFO";
    case S_IFREG: return "regular file";
    case S_IFDIR: return "directory";
    case S_IFLNK: return "symbolic link";
    case S_IFCHR: return "character device";
    case S_IFBLK: return "block device";
    case S_IFSOCK: return "socket";
    default: return "file of unknown type";
  }
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
  return buf;
}

std::string open_context(const std::string& path, FifoEnd end, bool nonblocking) {
  std::string c = path + (end == FifoEnd::kRead ? ", read end" : ", write end");
  if (nonblocking) c += ", nonblocking";
  return c;
}

}  // namespace

Status make_fifo(const std::string& path, mode_t mode) {
  std::string context = path + ", mode " + octal(mode);
  if ((mode & ~static_cast<mode_t>(07777)) != 0) {
    return Error(EINVAL, "mkfifo", context, "mode has bits outside 07777");
  }
  if (sys::mkfifo(path.c_str(), mode) < 0) {
    Error e = Error::from_errno("mkfifo", context);
    if (e.code() == EEXIST) return std::move(e).with_detail("path already exists");
    return e;
  }
  return ok_status();
}

Result<Fd> open_fifo(const std::string& path, FifoEnd end, FifoOpenOptions options) {
  std::string context = open_context(path, end, options.nonblocking);
  int flags = (end == FifoEnd::kRead ? O_RDONLY : O_WRONLY) | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
  if (options.nonblocking) flags |= O_NONBLOCK;

  int raw;
  for (;;) {
    raw = sys::open(path.c_str(), flags, 0);
    if (raw >= 0) break;
    if (errno == EINTR && options.eintr == Eintr::kRetry) continue;
    Error e = Error::from_errno("open", context);
    switch (e.code()) {
      case ENXIO:
        if (end == FifoEnd::kWrite && options.nonblocking) return std::move(e).with_detail("no reader");
        return e;
      case ELOOP:
        return std::move(e).with_detail("symbolic link at path, not followed");
      case EINTR:
        return std::move(e).with_detail("interrupted while waiting for the other end");
      default:
        return e;
    }
  }
  Fd fd(raw);

  struct stat st;
  if (sys::fstat(fd.get(), &st) < 0) return Error::from_errno("fstat", context);
  if (!S_ISFIFO(st.st_mode)) {
    return Error(EINVAL, "open_fifo", context, std::string("not a FIFO: ") + file_type_name(st.st_mode));
  }
  // geteuid(2) cannot fail and is not in the seam (IPC_SYS_CALLS).
  if (st.st_uid != ::geteuid()) {
    return Error(EPERM, "open_fifo", context, "owned by uid " + std::to_string(st.st_uid));
  }
  return fd;
}

Status remove_fifo(const std::string& path) {
  // O_PATH opens the node itself without any FIFO rendezvous; with O_NOFOLLOW
  // a symlink is opened as the link, so its type is seen, not its target's.
  int raw = sys::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
  if (raw < 0) return Error::from_errno("open", path + ", O_PATH");
  Fd fd(raw);
  struct stat st;
  if (sys::fstat(fd.get(), &st) < 0) return Error::from_errno("fstat", path);
  if (!S_ISFIFO(st.st_mode)) {
    return Error(EINVAL, "remove_fifo", path,
                 std::string("not a FIFO: ") + file_type_name(st.st_mode) + "; not removed");
  }
  if (sys::unlink(path.c_str()) < 0) return Error::from_errno("unlink", path);
  return ok_status();
}

}  // namespace ipc
