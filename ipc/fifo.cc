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
    case S_IFIFO:
      return "FIFO";
    case S_IFREG:
      return "regular file";
    case S_IFDIR:
      return "directory";
    case S_IFLNK:
      return "symbolic link";
    case S_IFCHR:
      return "character device";
    case S_IFBLK:
      return "block device";
    case S_IFSOCK:
      return "socket";
    default:
      return "file of unknown type";
  }
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
  return buf;
}

std::string open_context(const std::string& path, FifoEnd end,
                         bool nonblocking) {
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
    if (e.code() == EEXIST)
      return std::move(e).with_detail("path already exists");
    return e;
  }
  return ok_status();
}

Result<Fd> open_fifo(const std::string& path, FifoEnd end,
                     FifoOpenOptions options) {
  std::string context = open_context(path, end, options.nonblocking);
  int flags = (end == FifoEnd::kRead ? O_RDONLY : O_WRONLY) | O_CLOEXEC |
              O_NOFOLLOW | O_NOCTTY;
  if (options.nonblocking) flags |= O_NONBLOCK;

  int raw;
  for (;;) {
    raw = sys::open(path.c_str(), flags, 0);
    if (raw >= 0) break;
    if (errno == EINTR && options.eintr == Eintr::kRetry) continue;
    Error e = Error::from_errno("open", context);
    switch (e.code()) {
      case ENXIO:
        if (end == FifoEnd::kWrite && options.nonblocking)
          return std::move(e).with_detail("no reader");
        return e;
      case ELOOP:
        return std::move(e).with_detail("symbolic link at path, not followed");
      case EINTR:
        return std::move(e).with_detail(
            "interrupted while waiting for the other end");
      default:
        return e;
    }
  }
  Fd fd(raw);

  struct stat st;
  if (sys::fstat(fd.get(), &st) < 0) return Error::from_errno("fstat", context);
  if (!S_ISFIFO(st.st_mode)) {
    return Error(EINVAL, "open_fifo", context,
                 std::string("not a FIFO: ") + file_type_name(st.st_mode));
  }
  // geteuid(2) cannot fail and is not in the seam (IPC_SYS_CALLS).
  if (st.st_uid != ::geteuid()) {
    return Error(EPERM, "open_fifo", context,
                 "owned by uid " + std::to_string(st.st_uid));
  }
  return fd;
}

Status remove_fifo(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    return Error(EINVAL, "remove_fifo", path,
                 "not a FIFO: names a directory; not removed");
  }
  // O_PATH opens the node itself without any FIFO rendezvous; with O_NOFOLLOW
  // a symlink is opened as the link, so its type is seen, not its target's.
  int raw = sys::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
  if (raw < 0) return Error::from_errno("open", path + ", O_PATH");
  Fd node(raw);
  struct stat st;
  if (sys::fstat(node.get(), &st) < 0) return Error::from_errno("fstat", path);
  if (!S_ISFIFO(st.st_mode)) {
    return Error(EINVAL, "remove_fifo", path,
                 std::string("not a FIFO: ") + file_type_name(st.st_mode) +
                     "; not removed");
  }
  // The directory, pinned, and the name reached through it: the removal
  // happens in the directory the FIFO was found in even if a component of
  // the path is replaced meanwhile. "/proc/self/fd/D/NAME" is how the seam,
  // which has no *at calls, says unlinkat(D, NAME); without /proc the path
  // itself is used.
  int raw_dir = sys::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (raw_dir < 0) return Error::from_errno("open", dir + ", O_PATH");
  Fd dir_fd(raw_dir);
  std::string pinned_dir = "/proc/self/fd/" + std::to_string(dir_fd.get());
  Fd probe(sys::open(pinned_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
  std::string at = probe ? pinned_dir + "/" + name : path;
  probe.reset();
  // The name must still be that FIFO (same st_dev and st_ino).
  raw = sys::open(at.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
  if (raw < 0) {
    return Error::from_errno("open", path + ", O_PATH")
        .with_detail("the name changed while being checked; nothing removed");
  }
  Fd again(raw);
  struct stat now;
  if (sys::fstat(again.get(), &now) < 0)
    return Error::from_errno("fstat", path);
  again.reset();
  if (now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
    return Error(EAGAIN, "remove_fifo", path,
                 "the name changed while being checked; nothing removed");
  }
  // No call removes a name only if it still names a given inode: between the
  // check above and the unlink, a user who may write to the directory can
  // still put another entry at the name. Seen afterwards: the FIFO kept its
  // links.
  if (sys::unlink(at.c_str()) < 0) return Error::from_errno("unlink", path);
  struct stat after;
  if (sys::fstat(node.get(), &after) == 0 && after.st_nlink >= st.st_nlink) {
    return Error(ESTALE, "remove_fifo", path,
                 "the name was replaced just before the unlink (someone else "
                 "can write to " +
                     dir +
                     "): the entry removed was not the FIFO, which still "
                     "exists elsewhere");
  }
  return ok_status();
}

}  // namespace ipc
