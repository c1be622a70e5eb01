// ipc/sysv_shm.cc — System V shared memory through the ipc::sys seam.
#include "ipc/sysv_shm.h"

#include <sys/ipc.h>
#include <sys/shm.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "ipc/sys.h"

namespace ipc {
namespace {

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
  return buf;
}

std::string key_text(key_t key) {
  if (key == IPC_PRIVATE) return "IPC_PRIVATE";
  char buf[32];
  std::snprintf(buf, sizeof buf, "key=0x%x", static_cast<unsigned>(key));
  return buf;
}

std::string id_text(int id) { return "shmid=" + std::to_string(id); }

// Why shmget failed, in words, for the errors whose cause is not obvious.
std::string shmget_detail(int code, bool creating, bool exclusive) {
  switch (code) {
    case EEXIST:
      return "a segment with this key already exists";
    case ENOENT:
      return "no segment with this key";
    case EINVAL:
      return creating ? "size is 0, above SHMMAX, or larger than the existing "
                        "segment"
                      : "the segment is being destroyed";
    case ENOSPC:
      return "SHMMNI segments exist or SHMALL pages are in use";
    case EACCES:
      return exclusive ? "" : "the existing segment's mode denies access";
    default:
      return "";
  }
}

Result<ShmSegment> get(key_t key, std::size_t size, int flags, mode_t mode) {
  bool creating = (flags & IPC_CREAT) != 0;
  bool exclusive = (flags & IPC_EXCL) != 0;
  int id = sys::shmget(key, size,
                       flags | (creating ? static_cast<int>(mode & 0777) : 0));
  if (id >= 0) return ShmSegment::from_id(id);
  int code = errno;
  std::string context = key_text(key);
  if (creating) {
    context +=
        ", " + std::to_string(size) + " bytes, mode " + octal(mode & 0777);
    if (exclusive) context += ", IPC_EXCL";
  }
  return Error(code, "shmget", context,
               shmget_detail(code, creating, exclusive));
}

// "[off, off+len)" with the end written as a sum when it would overflow.
std::string range_text(std::size_t offset, std::size_t len) {
  std::string end = len > std::numeric_limits<std::size_t>::max() - offset
                        ? std::to_string(offset) + "+" + std::to_string(len)
                        : std::to_string(offset + len);
  return "[" + std::to_string(offset) + ", " + end + ")";
}

}  // namespace

// ---- ShmSegment ------------------------------------------------------------

Result<ShmSegment> ShmSegment::create(key_t key, std::size_t size,
                                      mode_t mode) {
  return get(key, size, IPC_CREAT, mode);
}

Result<ShmSegment> ShmSegment::create_exclusive(key_t key, std::size_t size,
                                                mode_t mode) {
  return get(key, size, IPC_CREAT | IPC_EXCL, mode);
}

Result<ShmSegment> ShmSegment::create_private(std::size_t size, mode_t mode) {
  return get(IPC_PRIVATE, size, IPC_CREAT, mode);
}

Result<ShmSegment> ShmSegment::open(key_t key) {
  if (key == IPC_PRIVATE) {
    // shmget(IPC_PRIVATE, 0, 0) would try to create a 0-byte segment.
    return Error(EINVAL, "shmget", key_text(key),
                 "IPC_PRIVATE names no existing segment");
  }
  return get(key, 0, 0, 0);
}

Result<ShmSegment::ShmStat> ShmSegment::stat() const {
  struct shmid_ds ds;
  std::memset(&ds, 0, sizeof ds);
  if (sys::shmctl(id_, IPC_STAT, &ds) < 0) {
    int code = errno;
    std::string detail =
        code == EINVAL || code == EIDRM ? "no segment with this id" : "";
    return Error(code, "shmctl(IPC_STAT)", id_text(id_), detail);
  }
  ShmStat st;
  st.size = ds.shm_segsz;
  st.nattch = ds.shm_nattch;
  st.cpid = ds.shm_cpid;
  st.lpid = ds.shm_lpid;
  st.atime = ds.shm_atime;
  st.dtime = ds.shm_dtime;
  st.ctime = ds.shm_ctime;
  st.key = ds.shm_perm.__key;
  st.uid = ds.shm_perm.uid;
  st.mode = ds.shm_perm.mode & 0777;
  st.marked_for_removal = (ds.shm_perm.mode & SHM_DEST) != 0;
  return st;
}

Status ShmSegment::remove() const {
  if (sys::shmctl(id_, IPC_RMID, nullptr) < 0) {
    int code = errno;
    std::string detail = code == EPERM ? "caller is neither owner nor creator"
                         : code == EINVAL || code == EIDRM
                             ? "no segment with this id"
                             : "";
    return Error(code, "shmctl(IPC_RMID)", id_text(id_), detail);
  }
  return ok_status();
}

// ---- ShmAttachment ---------------------------------------------------------

Result<ShmAttachment> ShmAttachment::attach(const ShmSegment& segment,
                                            bool read_only) {
  int id = segment.id();
  std::string context = id_text(id) + (read_only ? ", SHM_RDONLY" : "");
  void* addr = sys::shmat(id, nullptr, read_only ? SHM_RDONLY : 0);
  if (addr == reinterpret_cast<void*>(-1)) {
    int code = errno;
    std::string detail = code == EINVAL || code == EIDRM
                             ? "no segment with this id"
                         : code == EACCES ? "the segment's mode denies access"
                                          : "";
    return Error(code, "shmat", context, detail);
  }
  // The size for the bounds checks. Attached first so that the segment cannot
  // be destroyed between the two calls.
  ShmAttachment attachment(id, addr, 0, read_only);
  auto st = segment.stat();
  if (!st.ok()) return std::move(st).error();  // ~ShmAttachment detaches
  attachment.size_ = st->size;
  return attachment;
}

ShmAttachment::ShmAttachment(ShmAttachment&& other) noexcept
    : id_(other.id_),
      addr_(other.addr_),
      size_(other.size_),
      read_only_(other.read_only_) {
  other.addr_ = nullptr;
}

ShmAttachment& ShmAttachment::operator=(ShmAttachment&& other) noexcept {
  if (this != &other) {
    (void)detach();
    id_ = other.id_;
    addr_ = other.addr_;
    size_ = other.size_;
    read_only_ = other.read_only_;
    other.addr_ = nullptr;
  }
  return *this;
}

ShmAttachment::~ShmAttachment() { (void)detach(); }

Status ShmAttachment::check_range(const char* op, std::size_t offset,
                                  std::size_t len) const {
  std::string context = id_text(id_) + ", offset " + std::to_string(offset) +
                        ", " + std::to_string(len) + " bytes";
  if (addr_ == nullptr) return Error(EINVAL, op, context, "not attached");
  if (offset > size_ || len > size_ - offset) {
    return Error(ERANGE, op, context,
                 range_text(offset, len) + " outside the " +
                     std::to_string(size_) + "-byte segment");
  }
  return ok_status();
}

Result<std::span<std::byte>> ShmAttachment::view(std::size_t offset,
                                                 std::size_t len) {
  if (auto s = check_range("ShmAttachment::view", offset, len); !s)
    return std::move(s).error();
  if (read_only_) {
    return Error(EACCES, "ShmAttachment::view", id_text(id_),
                 "attachment is read-only (SHM_RDONLY); use const_view");
  }
  return std::span<std::byte>(addr_ + offset, len);
}

Result<std::span<const std::byte>> ShmAttachment::const_view(
    std::size_t offset, std::size_t len) const {
  if (auto s = check_range("ShmAttachment::const_view", offset, len); !s) {
    return std::move(s).error();
  }
  return std::span<const std::byte>(addr_ + offset, len);
}

Status ShmAttachment::read(std::size_t offset, std::span<std::byte> out) const {
  if (auto s = check_range("ShmAttachment::read", offset, out.size()); !s)
    return s;
  if (!out.empty()) std::memcpy(out.data(), addr_ + offset, out.size());
  return ok_status();
}

Status ShmAttachment::write(std::size_t offset, std::span<const std::byte> in) {
  if (auto s = check_range("ShmAttachment::write", offset, in.size()); !s)
    return s;
  if (read_only_) {
    return Error(EACCES, "ShmAttachment::write", id_text(id_),
                 "attachment is read-only (SHM_RDONLY)");
  }
  if (!in.empty()) std::memcpy(addr_ + offset, in.data(), in.size());
  return ok_status();
}

Status ShmAttachment::detach() {
  if (addr_ == nullptr)
    return Error(EINVAL, "shmdt", id_text(id_), "not attached");
  void* addr = addr_;
  addr_ = nullptr;
  if (sys::shmdt(addr) < 0) return Error::from_errno("shmdt", id_text(id_));
  return ok_status();
}

// ---- ShmOwner --------------------------------------------------------------

ShmOwner& ShmOwner::operator=(ShmOwner&& other) noexcept {
  if (this != &other) {
    (void)remove();
    id_ = other.release_id();
  }
  return *this;
}

ShmOwner::~ShmOwner() { (void)remove(); }

Status ShmOwner::remove() {
  if (id_ < 0) return Error(EINVAL, "shmctl(IPC_RMID)", "", "nothing owned");
  return ShmSegment::from_id(release_id()).remove();
}

}  // namespace ipc
