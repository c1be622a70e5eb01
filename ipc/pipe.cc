// ipc/pipe.cc — anonymous pipes: creation, capacity, fill level, atomic writes.
#include "ipc/pipe.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <climits>
#include <string>

#include "ipc/sys.h"

namespace ipc {
namespace {

std::string fd_str(int fd) { return "fd=" + std::to_string(fd); }

std::string fd_bytes(int fd, std::size_t n) {
  return fd_str(fd) + ", " + std::to_string(n) + " bytes";
}

}  // namespace

Result<Pipe> make_pipe(PipeOptions options) {
  int flags = O_CLOEXEC | (options.nonblocking ? O_NONBLOCK : 0);
  int fds[2];
  if (sys::pipe2(fds, flags) < 0) {
    return Error::from_errno(
        "pipe2", options.nonblocking ? "O_CLOEXEC|O_NONBLOCK" : "O_CLOEXEC");
  }
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

Result<std::size_t> pipe_capacity(int fd) {
  int size = sys::fcntl(fd, F_GETPIPE_SZ, 0);
  if (size < 0) return Error::from_errno("fcntl(F_GETPIPE_SZ)", fd_str(fd));
  return static_cast<std::size_t>(size);
}

Result<std::size_t> set_pipe_capacity(int fd, std::size_t bytes) {
  const char* op = "fcntl(F_SETPIPE_SZ)";
  // The kernel takes an unsigned int and the result comes back as an int:
  // anything larger would be silently truncated.
  if (bytes > static_cast<std::size_t>(INT_MAX)) {
    return Error(EINVAL, op, fd_bytes(fd, bytes), "size larger than INT_MAX");
  }
  int size = sys::fcntl(fd, F_SETPIPE_SZ, static_cast<long>(bytes));
  if (size >= 0) return static_cast<std::size_t>(size);
  Error e = Error::from_errno(op, fd_bytes(fd, bytes));
  switch (e.code()) {
    case EBUSY:
      return std::move(e).with_detail(
          "more data is buffered than the new size holds");
    case EPERM:
      return std::move(e).with_detail(
          "above /proc/sys/fs/pipe-max-size or the user's pipe limit; needs "
          "CAP_SYS_RESOURCE");
    case EINVAL:
      return std::move(e).with_detail("size out of range");
    case EBADF:
      return std::move(e).with_detail("not an open pipe");
    default:
      return e;
  }
}

Result<std::size_t> bytes_available(int fd) {
  int n = 0;
  if (sys::ioctl(fd, FIONREAD, &n) < 0)
    return Error::from_errno("ioctl(FIONREAD)", fd_str(fd));
  return static_cast<std::size_t>(n);
}

std::size_t pipe_buf() { return PIPE_BUF; }

Status write_atomic(int fd, std::span<const std::byte> record, Eintr eintr,
                    Deadline deadline) {
  if (record.size() > PIPE_BUF) {
    return Error(
        EMSGSIZE, "write", fd_bytes(fd, record.size()),
        "record larger than PIPE_BUF (" + std::to_string(PIPE_BUF) + ")");
  }
  for (;;) {
    if (deadline) {
      if (auto s = wait_writable(fd, deadline, eintr); !s) return s;
    }
    ssize_t n = sys::write(fd, record.data(), record.size());
    if (n >= 0 && static_cast<std::size_t>(n) == record.size())
      return ok_status();
    if (n >= 0) {
      return Error(EIO, "write", fd_bytes(fd, record.size()),
                   "short atomic write")
          .with_transferred(static_cast<std::size_t>(n));
    }
    if (errno == EINTR && eintr == Eintr::kRetry) continue;
    // With a deadline, a full non-blocking pipe is waited on (poll above).
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && deadline) continue;
    Error e = Error::from_errno("write", fd_bytes(fd, record.size()));
    if (e.code() == EAGAIN || e.code() == EWOULDBLOCK)
      return std::move(e).with_detail("pipe full");
    return e;
  }
}

}  // namespace ipc
