// ipc/posix_shm.cc — POSIX shared memory through the ipc::sys seam.
#include "ipc/posix_shm.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "ipc/posix_name.h"
#include "ipc/sys.h"

namespace ipc {
namespace {

constexpr std::size_t kMaxOffset =
    static_cast<std::size_t>(std::numeric_limits<off_t>::max());

std::string range_text(std::size_t begin, std::size_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

// The portable name rule: "/" + 1..NAME_MAX bytes, no other '/', no NUL.
Status check_name(const char* op, const std::string& name) {
  return check_posix_name(op, name, NAME_MAX, "NAME_MAX");
}

std::string open_context(const std::string& name, int flags, mode_t mode) {
  std::string c =
      name + ", " + ((flags & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "O_RDWR");
  if (flags & O_CREAT) c += "|O_CREAT";
  if (flags & O_EXCL) c += "|O_EXCL";
  if (flags & O_CREAT) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
    c += ", mode ";
    c += buf;
  }
  return c;
}

std::string name_error_detail(int code) {
  switch (code) {
    case EEXIST:
      return "an object with this name exists";
    case ENOENT:
      return "no object with this name";
    case EACCES:
      return "the object's mode denies access";
    default:
      return "";
  }
}

}  // namespace

// ---- PosixShm --------------------------------------------------------------

Result<PosixShm> PosixShm::open(const std::string& name,
                                ShmOpenOptions options) {
  if (auto s = check_name("shm_open", name); !s) return std::move(s).error();
  int flags = (options.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  if (options.create) flags |= O_CREAT;
  if (options.exclusive) flags |= O_EXCL;
  mode_t mode = options.mode & 0777;
  if (options.exclusive && !options.create) {
    return Error(EINVAL, "shm_open", open_context(name, flags, mode),
                 "exclusive requires create");
  }
  int fd = sys::shm_open(name.c_str(), flags, mode);
  if (fd < 0) {
    int code = errno;
    return Error(code, "shm_open", open_context(name, flags, mode),
                 name_error_detail(code));
  }
  return PosixShm(Fd(fd), name, options.read_only);
}

Status PosixShm::unlink(const std::string& name) {
  if (auto s = check_name("shm_unlink", name); !s) return s;
  if (sys::shm_unlink(name.c_str()) < 0) {
    int code = errno;
    return Error(code, "shm_unlink", name, name_error_detail(code));
  }
  return ok_status();
}

std::string PosixShm::context() const {
  return name_ + ", fd=" + std::to_string(fd_.get());
}

Result<std::size_t> PosixShm::size() const {
  struct stat st;
  if (sys::fstat(fd_.get(), &st) < 0)
    return Error::from_errno("fstat", context());
  return static_cast<std::size_t>(st.st_size);
}

Status PosixShm::truncate(std::size_t size) {
  std::string c = context() + ", " + std::to_string(size) + " bytes";
  if (size > kMaxOffset)
    return Error(EINVAL, "ftruncate", c, "size does not fit in off_t");
  if (sys::ftruncate(fd_.get(), static_cast<off_t>(size)) < 0) {
    int code = errno;
    return Error(code, "ftruncate", c,
                 read_only_ && code == EINVAL ? "opened read-only" : "");
  }
  return ok_status();
}

Result<std::size_t> PosixShm::read_at(std::size_t offset,
                                      std::span<std::byte> buf) const {
  std::string c = context() + ", offset " + std::to_string(offset) + ", " +
                  std::to_string(buf.size()) + " bytes";
  if (offset > kMaxOffset || buf.size() > kMaxOffset - offset) {
    return Error(EINVAL, "pread", c, "range does not fit in off_t");
  }
  std::size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = sys::pread(fd_.get(), buf.data() + done, buf.size() - done,
                           static_cast<off_t>(offset + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      break;  // end of the object
    } else if (errno != EINTR) {
      return Error::from_errno("pread", c).with_transferred(done);
    }
  }
  return done;
}

Result<std::size_t> PosixShm::write_at(std::size_t offset,
                                       std::span<const std::byte> buf) {
  std::string c = context() + ", offset " + std::to_string(offset) + ", " +
                  std::to_string(buf.size()) + " bytes";
  if (offset > kMaxOffset || buf.size() > kMaxOffset - offset) {
    return Error(EINVAL, "pwrite", c, "range does not fit in off_t");
  }
  std::size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = sys::pwrite(fd_.get(), buf.data() + done, buf.size() - done,
                            static_cast<off_t>(offset + done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      return Error(EIO, "pwrite", c, "pwrite returned 0")
          .with_transferred(done);
    } else if (errno != EINTR) {
      int code = errno;
      return Error(code, "pwrite", c,
                   read_only_ && code == EBADF ? "opened read-only" : "")
          .with_transferred(done);
    }
  }
  return done;
}

Result<std::size_t> PosixShm::seek(off_t offset, int whence) {
  off_t pos = sys::lseek(fd_.get(), offset, whence);
  if (pos < 0) {
    return Error::from_errno("lseek", context() + ", offset " +
                                          std::to_string(offset) + ", whence " +
                                          std::to_string(whence));
  }
  return static_cast<std::size_t>(pos);
}

Result<std::size_t> PosixShm::read_some(std::span<std::byte> buf) {
  return ipc::read_some(fd_.get(), buf, Eintr::kRetry);
}

Result<std::size_t> PosixShm::write(std::span<const std::byte> buf) {
  auto r = write_full(fd_.get(), buf);
  if (!r.ok() && read_only_ && r.error().code() == EBADF) {
    return std::move(r).error().with_detail("opened read-only");
  }
  return r;
}

// ---- SharedMapping ---------------------------------------------------------

Result<SharedMapping> SharedMapping::map(const PosixShm& shm,
                                         std::size_t offset, std::size_t len,
                                         bool writable) {
  std::string c = shm.name() + ", offset " + std::to_string(offset) + ", " +
                  std::to_string(len) + " bytes, " +
                  (writable ? "PROT_READ|PROT_WRITE" : "PROT_READ");
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  if (len == 0) return Error(EINVAL, "mmap", c, "zero-length mapping");
  if (offset % page != 0) {
    return Error(EINVAL, "mmap", c,
                 "offset is not a multiple of the page size (" +
                     std::to_string(page) + ")");
  }
  if (offset > kMaxOffset)
    return Error(EINVAL, "mmap", c, "offset does not fit in off_t");
  struct stat st;
  if (sys::fstat(shm.fd(), &st) < 0) return Error::from_errno("fstat", c);
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* addr = sys::mmap(nullptr, len, prot, MAP_SHARED, shm.fd(),
                         static_cast<off_t>(offset));
  if (addr == MAP_FAILED) {
    int code = errno;
    return Error(code, "mmap", c,
                 code == EACCES && writable && shm.read_only()
                     ? "object opened read-only"
                     : "");
  }
  return SharedMapping(static_cast<std::byte*>(addr), offset, len, writable,
                       st.st_dev, st.st_ino);
}

SharedMapping::SharedMapping(SharedMapping&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)),
      offset_(other.offset_),
      len_(std::exchange(other.len_, 0)),
      writable_(other.writable_),
      dev_(other.dev_),
      ino_(other.ino_) {}

SharedMapping& SharedMapping::operator=(SharedMapping&& other) noexcept {
  if (this != &other) {
    (void)unmap();
    addr_ = std::exchange(other.addr_, nullptr);
    offset_ = other.offset_;
    len_ = std::exchange(other.len_, 0);
    writable_ = other.writable_;
    dev_ = other.dev_;
    ino_ = other.ino_;
  }
  return *this;
}

SharedMapping::~SharedMapping() { (void)unmap(); }

Status SharedMapping::check(const char* op, const PosixShm& shm,
                            std::size_t offset, std::size_t len) const {
  std::string c = shm.name() + ", offset " + std::to_string(offset) + ", " +
                  std::to_string(len) + " bytes";
  if (addr_ == nullptr) return Error(EINVAL, op, c, "not mapped");
  if (offset > len_ || len > len_ - offset) {
    std::string end = len > std::numeric_limits<std::size_t>::max() - offset
                          ? std::to_string(offset) + "+" + std::to_string(len)
                          : std::to_string(offset + len);
    return Error(ERANGE, op, c,
                 "[" + std::to_string(offset) + ", " + end + ") outside the " +
                     std::to_string(len_) + "-byte mapping");
  }
  // The object's size now, not when it was mapped: a peer may have shrunk it,
  // and touching a page wholly beyond its end would raise SIGBUS.
  struct stat st;
  if (sys::fstat(shm.fd(), &st) < 0) return Error::from_errno("fstat", c);
  if (st.st_dev != dev_ || st.st_ino != ino_) {
    return Error(EINVAL, op, c, "not the object this mapping maps");
  }
  std::size_t begin =
      offset_ +
      offset;  // no overflow: offset_ <= off_t max, len_ fits in memory
  std::size_t end = begin + len;
  auto object_size = static_cast<std::size_t>(st.st_size);
  if (end > object_size) {
    return Error(ENXIO, op, c,
                 "object shrank to " + std::to_string(object_size) +
                     " bytes; " + range_text(begin, end) +
                     " is beyond its end");
  }
  return ok_status();
}

Status SharedMapping::read(const PosixShm& shm, std::size_t offset,
                           std::span<std::byte> out) const {
  if (auto s = check("SharedMapping::read", shm, offset, out.size()); !s)
    return s;
  if (!out.empty()) std::memcpy(out.data(), addr_ + offset, out.size());
  return ok_status();
}

Status SharedMapping::write(const PosixShm& shm, std::size_t offset,
                            std::span<const std::byte> in) {
  if (auto s = check("SharedMapping::write", shm, offset, in.size()); !s)
    return s;
  if (!writable_) {
    return Error(EACCES, "SharedMapping::write", shm.name(),
                 "mapping is read-only (PROT_READ)");
  }
  if (!in.empty()) std::memcpy(addr_ + offset, in.data(), in.size());
  return ok_status();
}

Status SharedMapping::unmap() {
  if (addr_ == nullptr) return Error(EINVAL, "munmap", "", "not mapped");
  void* addr = std::exchange(addr_, nullptr);
  std::size_t len = std::exchange(len_, 0);
  if (sys::munmap(addr, len) < 0) {
    return Error::from_errno("munmap", std::to_string(len) + " bytes");
  }
  return ok_status();
}

}  // namespace ipc
