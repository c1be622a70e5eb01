// ipc/posix_shm.h — POSIX shared memory: named objects, file-style I/O, and
// mappings that survive a peer shrinking the object.
//
//   ShmNameOwner owner("/ipct-demo");                      // shm_unlink when it goes
//   auto shm = PosixShm::open("/ipct-demo");               // O_RDWR|O_CREAT|O_CLOEXEC, 0600
//   shm->truncate(8192);
//   shm->write_at(100, as_bytes("hi"));                    // pwrite; read_at = pread
//   auto m = SharedMapping::map(*shm, 0, 8192, true);      // MAP_SHARED
//   m->read(*shm, 100, buf);                               // size-checked copy
//
// On Linux a shm_open() descriptor is a tmpfs file, so pread/pwrite/lseek/
// read/write work on it and are coherent with every MAP_SHARED mapping of it
// (POSIX leaves plain file I/O on shm objects unspecified).
//
// Names follow the portable rule: "/" followed by 1..NAME_MAX bytes, no other
// "/" and no NUL. Anything else is rejected with EINVAL before any system call.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <utility>

#include "ipc/fd.h"
#include "ipc/posix_name.h"
#include "ipc/result.h"

namespace ipc {

struct ShmOpenOptions {
  bool create = true;      // O_CREAT
  bool exclusive = false;  // O_EXCL: EEXIST if the name exists (needs create)
  bool read_only = false;  // O_RDONLY instead of O_RDWR
  mode_t mode =
      0600;  // permission bits of a new object (the umask still applies)
};

// An open POSIX shared memory object: owns the descriptor (closed on
// destruction) and remembers the name. It does not unlink the name; use
// ShmNameOwner for that. Move-only.
class PosixShm {
 public:
  // shm_open(name, O_RDWR or O_RDONLY | O_CLOEXEC [| O_CREAT [| O_EXCL]],
  // mode). EINVAL for a bad name or `exclusive` without `create`; EEXIST,
  // ENOENT, EACCES as shm_open reports them.
  static Result<PosixShm> open(const std::string& name,
                               ShmOpenOptions options = {});
  // shm_unlink(name): the name goes at once; open descriptors and mappings
  // stay valid until the last one goes.
  static Status unlink(const std::string& name);

  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  bool read_only() const { return read_only_; }

  // The object's current size (fstat st_size).
  Result<std::size_t> size() const;
  // ftruncate: new bytes read as zero. EINVAL on a read-only object.
  Status truncate(std::size_t size);

  // pread until `buf` is full or the end of the object; returns the count
  // (short only at the end). Short reads and EINTR are retried.
  Result<std::size_t> read_at(std::size_t offset,
                              std::span<std::byte> buf) const;
  // pwrite all of `buf` at `offset` (the object grows if needed); returns
  // buf.size(), or an Error whose transferred() says how much was written.
  Result<std::size_t> write_at(std::size_t offset,
                               std::span<const std::byte> buf);

  // Through the descriptor's file offset (shared with dup()s and fork()ed
  // children): lseek returns the new offset; read_some is one read(2) (EINTR
  // retried), 0 at the end; write writes all of `buf` and advances the offset.
  Result<std::size_t> seek(off_t offset, int whence);
  Result<std::size_t> read_some(std::span<std::byte> buf);
  Result<std::size_t> write(std::span<const std::byte> buf);

 private:
  PosixShm(Fd fd, std::string name, bool read_only)
      : fd_(std::move(fd)), name_(std::move(name)), read_only_(read_only) {}
  std::string context() const;

  Fd fd_;
  std::string name_;
  bool read_only_ = false;
};

// A MAP_SHARED mapping of (part of) a PosixShm; munmap on destruction.
// Move-only. The mapping stays valid after the descriptor is closed and after
// the name is unlinked.
//
// A peer may shrink the object (ftruncate) while it is mapped; touching a
// mapped page that lies wholly beyond the new end raises SIGBUS. read() and
// write() therefore fstat the object first and refuse such ranges with ENXIO
// ("object shrank to N bytes; [a, b) is beyond its end"). This narrows the
// window but cannot close it: a peer that shrinks the object between the
// fstat and the copy still gets this process a SIGBUS. Peers that may shrink
// an object while others use it need their own protocol (a lock, or never
// shrinking); the check catches the common case of a stale mapping.
class SharedMapping {
 public:
  // mmap(NULL, len, PROT_READ [| PROT_WRITE], MAP_SHARED, shm.fd(), offset).
  // `offset` must be a multiple of the page size and `len` > 0 (EINVAL
  // otherwise); writable on a read-only object fails EACCES. The range may
  // extend past the object's current end (it may grow later).
  static Result<SharedMapping> map(const PosixShm& shm, std::size_t offset,
                                   std::size_t len, bool writable);

  SharedMapping(SharedMapping&& other) noexcept;
  SharedMapping& operator=(SharedMapping&& other) noexcept;
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;
  // munmap if still mapped; errors are ignored (use unmap()).
  ~SharedMapping();

  // The raw mapped bytes. UNCHECKED: a store into a read-only mapping raises
  // SIGSEGV, and a load or store beyond the object's current end SIGBUS.
  // Empty once unmapped.
  std::span<std::byte> bytes() { return {addr_, len_}; }
  // Where the mapping starts in the object, and its length.
  std::size_t offset() const { return offset_; }
  std::size_t size() const { return len_; }
  bool writable() const { return writable_; }

  // Copies between the mapping and `out`/`in`. `offset` is relative to the
  // start of the mapping. Errors (nothing is copied): EINVAL if unmapped or if
  // `shm` is not the object this maps; ERANGE if the range is outside the
  // mapping; EACCES for write() to a read-only mapping; ENXIO if the range
  // lies beyond the object's current end (see the class comment for the race).
  Status read(const PosixShm& shm, std::size_t offset,
              std::span<std::byte> out) const;
  Status write(const PosixShm& shm, std::size_t offset,
               std::span<const std::byte> in);

  // munmap now, reporting its error; unmapped afterwards either way. EINVAL
  // without a system call if already unmapped.
  Status unmap();

 private:
  SharedMapping(std::byte* addr, std::size_t offset, std::size_t len,
                bool writable, dev_t dev, ino_t ino)
      : addr_(addr),
        offset_(offset),
        len_(len),
        writable_(writable),
        dev_(dev),
        ino_(ino) {}
  // ok if mapped, `shm` is our object, and [offset, offset + len) is inside
  // both the mapping and the object's current size.
  Status check(const char* op, const PosixShm& shm, std::size_t offset,
               std::size_t len) const;

  std::byte* addr_ = nullptr;
  std::size_t offset_ = 0;
  std::size_t len_ = 0;
  bool writable_ = false;
  dev_t dev_ =
      0;  // identity of the mapped object, to reject a different PosixShm
  ino_t ino_ = 0;
};

// shm_unlink(name) on destruction unless released (ipc/posix_name.h).
// Move-only. Create it before (or right after) PosixShm::open so that every
// path removes the name.
class ShmNameOwner : public NameOwner {
 public:
  ShmNameOwner() : NameOwner(&PosixShm::unlink, "shm_unlink") {}
  explicit ShmNameOwner(std::string name)
      : NameOwner(&PosixShm::unlink, "shm_unlink", std::move(name)) {}
};

}  // namespace ipc
