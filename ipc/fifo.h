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
Result<Fd> open_fifo(const std::string& path, FifoEnd end,
                     FifoOpenOptions options = {});

// unlink(path), but only if `path` itself (not a symlink's target) is a FIFO;
// anything else is refused (EINVAL, nothing removed).
//
// The check and the removal: the FIFO is opened (O_PATH | O_NOFOLLOW) and
// checked; its directory is pinned (O_PATH) and the name, reached through the
// pinned directory (/proc/self/fd/D/NAME: unlinkat through the seam; the path
// itself without /proc), must still be that FIFO (same st_dev and st_ino;
// EAGAIN otherwise, nothing removed); then it is unlinked there. Linux has no
// call that removes a name only if it still names a given inode, so a window
// of two adjacent system calls remains: in a directory that another user may
// write to (not sticky, or theirs), they can put another entry at the name
// between the last check and the unlink. That entry, which they placed, is
// removed instead, and the FIFO (renamed elsewhere by them) keeps its link:
// remove_fifo sees it and fails with ESTALE. In a directory only we (and
// root) can change, or a sticky one (others cannot rename or remove our
// entries), the window cannot be used. Both cases are tested by putting the
// other entry in place from inside the window (ipc/fifo_test.cc).
Status remove_fifo(const std::string& path);

}  // namespace ipc
