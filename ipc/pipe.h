// ipc/pipe.h — anonymous pipes: creation (always close-on-exec), capacity and
// fill level, and PIPE_BUF-atomic record writes.
//
//   auto p = make_pipe();                      // p->read, p->write
//   set_pipe_capacity(p->write.get(), 1 << 20);
//   write_atomic(p->write.get(), record);      // never interleaved, never split
#pragma once

#include <cstddef>
#include <span>

#include "ipc/fd.h"
#include "ipc/result.h"

namespace ipc {

struct PipeOptions {
  bool nonblocking = false;  // O_NONBLOCK on both ends
};

struct Pipe {
  Fd read;
  Fd write;
};

// pipe2(O_CLOEXEC [| O_NONBLOCK]).
Result<Pipe> make_pipe(PipeOptions options = {});

// Capacity of the pipe behind `fd` in bytes (F_GETPIPE_SZ); either end works.
Result<std::size_t> pipe_capacity(int fd);
// Asks for at least `bytes` of capacity (F_SETPIPE_SZ) and returns the size the
// kernel actually chose (rounded up to a power-of-two number of pages).
// EBUSY: more data is buffered than would fit; EPERM: above
// /proc/sys/fs/pipe-max-size or the per-user limit without CAP_SYS_RESOURCE;
// EINVAL: not a size the kernel can represent.
Result<std::size_t> set_pipe_capacity(int fd, std::size_t bytes);

// Unread bytes in the pipe (FIONREAD).
Result<std::size_t> bytes_available(int fd);

// PIPE_BUF: the largest write the kernel guarantees not to interleave.
std::size_t pipe_buf();

// Writes `record` with a single write(2), so that concurrent writers never
// interleave with it. Refuses records larger than PIPE_BUF (EMSGSIZE, nothing
// written). On a non-blocking pipe without room: EAGAIN ("pipe full"), nothing
// written — unless a deadline is given, which waits (poll) until room appears
// or the deadline passes (ETIMEDOUT). A short count, which POSIX forbids here,
// is reported as EIO ("short atomic write") with transferred() set.
Status write_atomic(int fd, std::span<const std::byte> record,
                    Eintr eintr = Eintr::kRetry,
                    Deadline deadline = kNoDeadline);

}  // namespace ipc
