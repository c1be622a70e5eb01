// ipc/fifo.h — named pipes (FIFOs): create, open one end safely, remove.
//
// Opening follows the kernel's rendezvous: a blocking reader waits for a
// writer and vice versa. open_fifo never follows a symbolic link at the path
// and checks what it opened: it must be a FIFO owned by our effective uid, so a
// file or FIFO planted by someone else is refused rather than used.
//
//   make_fifo(dir + "/events");                       // 0600
//   auto rd = open_fifo(path, FifoEnd::kRead);          // blocks until a writer opens
//   auto wr = open_fifo(path, FifoEnd::kWrite, {.nonblocking = true});  // ENXIO "no reader"
#pragma once

#include <sys/types.h>

#include <string>

#include "ipc/fd.h"
#include "ipc/result.h"

namespace ipc {

// mkfifo(path, mode). The process umask may remove bits from `mode`, never add
// any. EEXIST if anything (even a dangling symlink) exists at `path`; EINVAL
// for mode bits outside 07777.
Status make_fifo(const std::string& path, mode_t mode = 0600);

enum class FifoEnd { kRead, kWrite };

struct FifoOpenOptions {
  // Read end: open at once even without a writer. Write end: fail with ENXIO
  // ("no reader") instead of waiting for a reader.
  bool nonblocking = false;
  // A signal handler interrupting the wait for the other end.
  Eintr eintr = Eintr::kSurface;
};

// Opens one end with O_CLOEXEC|O_NOFOLLOW|O_NOCTTY (a symlink at `path` fails
// with ELOOP), then checks it: not a FIFO → EINVAL naming what it is ("regular
// file"); a FIFO owned by another uid → EPERM ("owned by uid N"). The
// descriptor is closed on refusal. The O_NONBLOCK flag stays set when asked.
Result<Fd> open_fifo(const std::string& path, FifoEnd end, FifoOpenOptions options = {});

// unlink(path), but only if `path` itself (not a symlink's target) is a FIFO;
// anything else is refused (EINVAL, nothing removed).
Status remove_fifo(const std::string& path);

}  // namespace ipc
