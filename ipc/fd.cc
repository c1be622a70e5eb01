// ipc/fd.cc — descriptor ownership, flags, and the partial-I/O/EINTR loops.
#include "ipc/fd.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "ipc/sys.h"

namespace ipc {
namespace {

std::string fd_context(int fd, std::size_t n) {
  return "fd=" + std::to_string(fd) + ", " + std::to_string(n) + " bytes";
}

// Milliseconds left until `deadline` for poll(2): -1 = forever, rounded up so
// that we never spin with a 0 timeout before the deadline.
int poll_timeout_ms(Deadline deadline) {
  if (!deadline) return -1;
  auto left = *deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<long long>(ms, 1 << 30));
}

// A write with a deadline must never block past it. poll(2) saying "writable"
// is not enough on a blocking descriptor: another writer of the same pipe can
// take the freed space before our write(2), which then sleeps until a reader
// frees more — past the deadline (the PIPE_BUF-piece argument assumed nobody
// else writes). So deadline writes to a pipe or FIFO go through a second,
// non-blocking open file description of the same pipe (/proc/self/fd/N opened
// O_NONBLOCK: the caller's descriptor and its flags are untouched, and so is
// any other thread or process sharing them): a write(2) there takes what fits
// or fails EAGAIN, and poll(2) waits with the time left.
//
// A descriptor of the same pipe or FIFO as `fd`, opened for writing with
// O_NONBLOCK; invalid if `fd` is not a pipe or FIFO or the reopening fails
// (no /proc, no reader: ENXIO). Then the caller falls back to pieces of
// PIPE_BUF after poll(2), which hold the deadline unless another writer
// competes for the space.
Fd nonblocking_writer(int fd) {
  struct stat st;
  if (sys::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return Fd();
  std::string twin = "/proc/self/fd/" + std::to_string(fd);
  return Fd(sys::open(twin.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0));
}

// How much one write(2) may ask for: everything, unless a blocking write with
// a deadline (the fallback above), which goes in pieces of at most PIPE_BUF
// (one page): those never block once poll has said "writable", as long as no
// other writer takes the page first.
std::size_t write_chunk(std::size_t left, Deadline deadline, bool blocking) {
  return deadline && blocking ? std::min<std::size_t>(left, PIPE_BUF) : left;
}

Status wait_for(int fd, short events, Deadline deadline, Eintr eintr,
                const char* what) {
  for (;;) {
    struct pollfd p = {fd, events, 0};
    int timeout = poll_timeout_ms(deadline);
    int r = sys::poll(&p, 1, timeout);
    if (r > 0) return ok_status();
    if (r == 0) {
      return Error(ETIMEDOUT, "poll", "fd=" + std::to_string(fd),
                   std::string("waiting to ") + what);
    }
    if (errno == EINTR && eintr == Eintr::kRetry) continue;
    return Error::from_errno("poll", "fd=" + std::to_string(fd));
  }
}

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int Fd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset(int fd) {
  if (fd_ >= 0) (void)sys::close(fd_);
  fd_ = fd;
}

Status set_cloexec(int fd) {
  int flags = sys::fcntl(fd, F_GETFD, 0);
  if (flags < 0)
    return Error::from_errno("fcntl(F_GETFD)", "fd=" + std::to_string(fd));
  if (sys::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
    return Error::from_errno("fcntl(F_SETFD)", "fd=" + std::to_string(fd));
  }
  return ok_status();
}

Status set_nonblocking(int fd, bool on) {
  int flags = sys::fcntl(fd, F_GETFL, 0);
  if (flags < 0)
    return Error::from_errno("fcntl(F_GETFL)", "fd=" + std::to_string(fd));
  int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && sys::fcntl(fd, F_SETFL, wanted) < 0) {
    return Error::from_errno("fcntl(F_SETFL)", "fd=" + std::to_string(fd));
  }
  return ok_status();
}

Result<bool> is_nonblocking(int fd) {
  int flags = sys::fcntl(fd, F_GETFL, 0);
  if (flags < 0)
    return Error::from_errno("fcntl(F_GETFL)", "fd=" + std::to_string(fd));
  return (flags & O_NONBLOCK) != 0;
}

Status wait_readable(int fd, Deadline deadline, Eintr eintr) {
  return wait_for(fd, POLLIN, deadline, eintr, "read");
}

Status wait_writable(int fd, Deadline deadline, Eintr eintr) {
  return wait_for(fd, POLLOUT, deadline, eintr, "write");
}

Result<std::size_t> read_some(int fd, std::span<std::byte> buf, Eintr eintr,
                              Deadline deadline) {
  for (;;) {
    if (deadline) {
      if (auto s = wait_readable(fd, deadline, eintr); !s)
        return std::move(s).error();
    }
    ssize_t n = sys::read(fd, buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR && eintr == Eintr::kRetry) continue;
    return Error::from_errno("read", fd_context(fd, buf.size()));
  }
}

Result<std::size_t> write_some(int fd, std::span<const std::byte> buf,
                               Eintr eintr, Deadline deadline) {
  Fd twin = deadline ? nonblocking_writer(fd) : Fd();
  const int to = twin ? twin.get() : fd;
  for (;;) {
    // Through the non-blocking twin, write first and wait only when full.
    if (deadline && !twin) {
      if (auto s = wait_writable(fd, deadline, eintr); !s)
        return std::move(s).error();
    }
    ssize_t n =
        sys::write(to, buf.data(), write_chunk(buf.size(), deadline, !twin));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR && eintr == Eintr::kRetry) continue;
    if (twin && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (auto s = wait_writable(to, deadline, eintr); !s)
        return std::move(s).error();
      continue;
    }
    return Error::from_errno("write", fd_context(fd, buf.size()));
  }
}

Result<std::size_t> read_full(int fd, std::span<std::byte> buf,
                              Deadline deadline) {
  std::size_t done = 0;
  while (done < buf.size()) {
    if (deadline) {
      if (auto s = wait_readable(fd, deadline); !s) {
        return std::move(s).error().with_transferred(done);
      }
    }
    ssize_t n = sys::read(fd, buf.data() + done, buf.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      break;  // EOF
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto s = wait_readable(fd, deadline); !s) {
        return std::move(s).error().with_transferred(done);
      }
    } else {
      return Error::from_errno("read", fd_context(fd, buf.size()))
          .with_transferred(done);
    }
  }
  return done;
}

Result<std::size_t> write_full(int fd, std::span<const std::byte> buf,
                               Deadline deadline) {
  std::size_t done = 0;
  Fd twin = deadline && !buf.empty() ? nonblocking_writer(fd) : Fd();
  const int to = twin ? twin.get() : fd;
  // A zero-length request still makes one write(2): on a pipe it reports
  // errors such as EBADF the same way a non-empty one would.
  do {
    // Through the non-blocking twin, write first and wait only when full.
    if (deadline && !twin) {
      if (auto s = wait_writable(fd, deadline); !s) {
        return std::move(s).error().with_transferred(done);
      }
    }
    ssize_t n = sys::write(to, buf.data() + done,
                           write_chunk(buf.size() - done, deadline, !twin));
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      if (n == 0 && !buf.empty()) {
        // write(2) returning 0 for a non-empty buffer means no progress is
        // possible.
        return Error(EIO, "write", fd_context(fd, buf.size()),
                     "write returned 0")
            .with_transferred(done);
      }
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto s = wait_writable(to, deadline); !s) {
        return std::move(s).error().with_transferred(done);
      }
    } else {
      return Error::from_errno("write", fd_context(fd, buf.size()))
          .with_transferred(done);
    }
  } while (done < buf.size());
  return done;
}

}  // namespace ipc
