// ipc/sysv_shm.h — System V shared memory: segments, attachments, ownership.
//
//   auto seg = ShmSegment::create_private(4096);          // shmget, mode 0600
//   ShmOwner owner(*seg);                                  // IPC_RMID when it goes
//   auto at = ShmAttachment::attach(*seg);                 // shmat; shmdt when it goes
//   at->write(0, as_bytes("hi"));                          // bounds-checked copy
//
// ShmSegment is a plain handle on a segment id: it owns nothing, and copying it
// is free. ShmAttachment owns one shmat() mapping and checks every access
// against the segment size (an out-of-range offset is an ERANGE error, a store
// into a read-only attachment an EACCES error, never a signal). ShmOwner
// removes the segment (IPC_RMID) when it is destroyed.
//
// IPC_RMID does not destroy an attached segment: the kernel only marks it
// (SHM_DEST, ShmStat::marked_for_removal), unlinks it from its key (on Linux
// the key becomes IPC_PRIVATE, so open(key) fails ENOENT), and destroys it when
// the last attachment goes (shmdt, _exit, execve). Until then every attachment
// stays valid and the id still answers stat(); afterwards the id fails with
// EINVAL (or EIDRM).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <ctime>
#include <span>

#include "ipc/result.h"

namespace ipc {

class ShmSegment {
 public:
  // What IPC_STAT reports about a segment.
  struct ShmStat {
    std::size_t
        size;  // shm_segsz: the size asked for at creation (not page-rounded)
    std::size_t nattch;  // current number of attachments, all processes
    pid_t cpid, lpid;    // creator; last shmat/shmdt
    time_t atime, dtime,
        ctime;    // last attach, last detach, last change (0 = never)
    key_t key;    // IPC_PRIVATE once removed (Linux)
    uid_t uid;    // owner
    mode_t mode;  // permission bits only (& 0777)
    bool marked_for_removal;  // SHM_DEST: IPC_RMID done, waiting for the last
                              // detach
  };

  // shmget(key, size, IPC_CREAT | mode): creates the segment or returns the
  // existing one with that key. An existing segment is returned as is if it is
  // at least `size` bytes (its size does not change); a larger `size` fails
  // EINVAL. Only the permission bits of `mode` are used.
  static Result<ShmSegment> create(key_t key, std::size_t size,
                                   mode_t mode = 0600);
  // As create(), with IPC_EXCL: EEXIST if a segment with this key exists.
  static Result<ShmSegment> create_exclusive(key_t key, std::size_t size,
                                             mode_t mode = 0600);
  // A new segment no key can find (IPC_PRIVATE); share it by id or by fork.
  static Result<ShmSegment> create_private(std::size_t size,
                                           mode_t mode = 0600);
  // The existing segment with this key: ENOENT if none; EINVAL for IPC_PRIVATE.
  static Result<ShmSegment> open(key_t key);
  // A handle on an id obtained elsewhere. No system call: stat() tells whether
  // the id names a segment.
  static ShmSegment from_id(int id) { return ShmSegment(id); }

  int id() const { return id_; }

  // shmctl(IPC_STAT).
  Result<ShmStat> stat() const;
  // shmctl(IPC_RMID): marks the segment for destruction; see the file comment
  // for what happens while it is still attached.
  Status remove() const;

 private:
  explicit ShmSegment(int id) : id_(id) {}
  int id_;
};

// One shmat() of a segment; shmdt() on destruction. Move-only.
class ShmAttachment {
 public:
  // shmat(id, NULL, read_only ? SHM_RDONLY : 0), then IPC_STAT for the size.
  static Result<ShmAttachment> attach(const ShmSegment& segment,
                                      bool read_only = false);

  ShmAttachment(ShmAttachment&& other) noexcept;
  ShmAttachment& operator=(ShmAttachment&& other) noexcept;
  ShmAttachment(const ShmAttachment&) = delete;
  ShmAttachment& operator=(const ShmAttachment&) = delete;
  // Detaches if still attached; a shmdt() error is ignored (use detach()).
  ~ShmAttachment();

  // The segment size (shm_segsz) when it was attached; accesses are checked
  // against it.
  std::size_t size() const { return size_; }
  bool read_only() const { return read_only_; }
  bool attached() const { return addr_ != nullptr; }
  int segment_id() const { return id_; }

  // The bytes [offset, offset + len) of the segment, for direct loads and
  // stores. ERANGE if the range is not inside the segment (overflow-safe),
  // EACCES on a read-only attachment (use const_view), EINVAL once detached.
  Result<std::span<std::byte>> view(std::size_t offset, std::size_t len);
  // The same, read-only; allowed on any attachment.
  Result<std::span<const std::byte>> const_view(std::size_t offset,
                                                std::size_t len) const;

  // Copies out.size() bytes from `offset` into `out`. ERANGE / EINVAL as
  // view().
  Status read(std::size_t offset, std::span<std::byte> out) const;
  // Copies `in` to `offset`. EACCES on a read-only attachment (instead of the
  // SIGSEGV a raw store would raise); ERANGE / EINVAL as view(). Nothing is
  // written when an error is returned.
  Status write(std::size_t offset, std::span<const std::byte> in);

  // shmdt() now, reporting its error. The attachment is gone afterwards even
  // if shmdt() failed (the address is no longer ours to use). EINVAL without a
  // system call if already detached.
  Status detach();

 private:
  ShmAttachment(int id, void* addr, std::size_t size, bool read_only)
      : id_(id),
        addr_(static_cast<std::byte*>(addr)),
        size_(size),
        read_only_(read_only) {}
  // ok if attached and [offset, offset + len) is inside the segment.
  Status check_range(const char* op, std::size_t offset, std::size_t len) const;

  int id_ = -1;
  std::byte* addr_ = nullptr;
  std::size_t size_ = 0;
  bool read_only_ = false;
};

// Removes a segment (IPC_RMID) on destruction unless released. Move-only.
class ShmOwner {
 public:
  ShmOwner() = default;
  explicit ShmOwner(const ShmSegment& segment) : id_(segment.id()) {}
  ShmOwner(ShmOwner&& other) noexcept : id_(other.release_id()) {}
  ShmOwner& operator=(ShmOwner&& other) noexcept;
  ShmOwner(const ShmOwner&) = delete;
  ShmOwner& operator=(const ShmOwner&) = delete;
  // IPC_RMID if still owned; errors are ignored (use remove()).
  ~ShmOwner();

  bool owns() const { return id_ >= 0; }
  // The owned id, or -1.
  int id() const { return id_; }
  // IPC_RMID now, reporting its error; owns nothing afterwards either way.
  // EINVAL without a system call if nothing is owned.
  Status remove();
  // Stops owning without removing; returns the segment.
  ShmSegment release() { return ShmSegment::from_id(release_id()); }

 private:
  int release_id() {
    int id = id_;
    id_ = -1;
    return id;
  }
  int id_ = -1;
};

}  // namespace ipc
