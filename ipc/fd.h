// ipc/fd.h — owning file descriptors and the one place where partial I/O and
// EINTR are handled.
//
//   read_some / write_some  one read(2)/write(2); EINTR retried only if asked.
//   read_full / write_full  loop over short counts and EINTR until the whole
//                           buffer moved, EOF (read), or an error; on error the
//                           Error records how many bytes had moved.
// A Deadline bounds the time spent blocked. Reads poll(2) before each read(2).
// Writes to a pipe or FIFO go through a non-blocking twin of the descriptor
// (/proc/self/fd/N reopened O_NONBLOCK; the caller's descriptor and flags are
// untouched) and poll(2) with the time left when the pipe is full, so the
// deadline holds even when other writers compete for the space. Where that
// twin cannot be had (no /proc; not a pipe), writes poll(2) first and go in
// pieces of at most PIPE_BUF, which hold the deadline unless another writer
// takes the space between the poll and the write. A read with a deadline has
// the same window against a competing reader. A non-blocking descriptor is
// waited on with poll(2) instead of failing EAGAIN in the *_full functions.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "ipc/result.h"

namespace ipc {

// What a blocking call does when a signal handler interrupts it.
enum class Eintr {
  kSurface,  // return the EINTR error to the caller
  kRetry,    // call again (the caller's signal handler has already run)
};

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;
inline constexpr Deadline kNoDeadline = std::nullopt;
inline Deadline deadline_in(Clock::duration d) { return Clock::now() + d; }

// Move-only owner of a file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership without closing.
  int release();
  // Closes the current descriptor (if any) and takes `fd`. Close errors are
  // ignored: on Linux the descriptor is gone whatever close(2) returns, and
  // retrying after EINTR could close a descriptor another thread just opened.
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Marks `fd` close-on-exec (for descriptors created by APIs without a flag).
Status set_cloexec(int fd);
// Sets or clears O_NONBLOCK.
Status set_nonblocking(int fd, bool on);
Result<bool> is_nonblocking(int fd);

// One read(2). Returns the count (0 = EOF or empty request).
Result<std::size_t> read_some(int fd, std::span<std::byte> buf,
                              Eintr eintr = Eintr::kSurface,
                              Deadline deadline = kNoDeadline);
// One write(2). Returns the count, which may be short.
Result<std::size_t> write_some(int fd, std::span<const std::byte> buf,
                               Eintr eintr = Eintr::kSurface,
                               Deadline deadline = kNoDeadline);

// Reads until `buf` is full or EOF; returns the count (short only at EOF).
Result<std::size_t> read_full(int fd, std::span<std::byte> buf,
                              Deadline deadline = kNoDeadline);
// Writes all of `buf`; returns buf.size() or an Error whose transferred() says
// how much was written.
Result<std::size_t> write_full(int fd, std::span<const std::byte> buf,
                               Deadline deadline = kNoDeadline);

// Waits until fd is readable (POLLIN) / writable (POLLOUT) or the deadline
// passes (ETIMEDOUT). POLLHUP/POLLERR count as ready: the next call reports it.
Status wait_readable(int fd, Deadline deadline, Eintr eintr = Eintr::kRetry);
Status wait_writable(int fd, Deadline deadline, Eintr eintr = Eintr::kRetry);

// Views of strings and vectors as bytes, for call sites and tests.
inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace ipc
