// cli/output_file.cc — see output_file.h.
#include "cli/output_file.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

namespace cli {
namespace {

constexpr const char kOp[] = "open output";

// `path` split into the directory to open and the last name in it.
struct Place {
  std::string dir;
  std::string name;
};

Place split(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

bool sticky_world_writable(const struct stat& dir) {
  return (dir.st_mode & S_ISVTX) != 0 && (dir.st_mode & S_IWOTH) != 0;
}

// Whether an entry of `dir` may be written through (followed, opened in
// place): anywhere but a sticky, world-writable directory, only if it is ours
// or the directory owner's there (fs.protected_symlinks/protected_fifos).
bool trusted(const struct stat& dir, const struct stat& entry) {
  return !sticky_world_writable(dir) || entry.st_uid == ::geteuid() ||
         entry.st_uid == dir.st_uid;
}

std::string untrusted_detail(const char* what, const struct stat& entry,
                             const Place& at) {
  return std::string(what) + " owned by uid " + std::to_string(entry.st_uid) +
         " in the sticky, world-writable directory " + at.dir +
         ": not written through (it may have been planted by another user)";
}

// 12 random hex digits.
std::string random_suffix() {
  unsigned char bytes[6] = {};
  if (::getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
    // No entropy source: fall back on the clock and pid (O_EXCL still makes
    // the creation safe; only the retry count could grow).
    struct timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long long x = static_cast<unsigned long long>(ts.tv_nsec) ^
                           (static_cast<unsigned long long>(::getpid()) << 30);
    for (unsigned char& b : bytes) {
      b = static_cast<unsigned char>(x);
      x >>= 8;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 0xf];
  }
  return s;
}

int open_dir(const std::string& dir) {
  return ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

ipc::Status write_all(int fd, std::string_view data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return ipc::Error::from_errno("write", path).with_transferred(done);
    }
    if (n == 0) {
      return ipc::Error(EIO, "write", path, "wrote nothing")
          .with_transferred(done);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

ipc::Result<OutputFile> OutputFile::open(const std::string& path) {
  if (path.empty()) return ipc::Error(EINVAL, kOp, path, "empty file name");
  std::string target = path;
  // A followed symbolic link is resolved once; a link again at the resolved
  // name means it changed under us.
  for (int followed = 0;; ++followed) {
    Place at = split(target);
    if (at.name.empty() || at.name == "." || at.name == "..") {
      return ipc::Error(EISDIR, kOp, path, "names a directory");
    }
    OutputFile out;
    out.path_ = path;
    out.dir_fd_ = open_dir(at.dir);
    if (out.dir_fd_ < 0) {
      return ipc::Error::from_errno(kOp, path).with_detail("directory " +
                                                           at.dir);
    }
    struct stat dir {};
    if (::fstat(out.dir_fd_, &dir) != 0) {
      return ipc::Error::from_errno(kOp, path).with_detail("directory " +
                                                           at.dir);
    }
    struct stat entry {};
    bool exists = ::fstatat(out.dir_fd_, at.name.c_str(), &entry,
                            AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT) return ipc::Error::from_errno(kOp, path);

    if (exists && S_ISDIR(entry.st_mode)) {
      return ipc::Error(EISDIR, kOp, path, "names a directory");
    }
    if (exists && S_ISLNK(entry.st_mode)) {
      if (!trusted(dir, entry)) {
        return ipc::Error(EPERM, kOp, path,
                          untrusted_detail("a symbolic link", entry, at));
      }
      if (followed > 0) {
        return ipc::Error(ELOOP, kOp, path, "the file changed while opened");
      }
      // Opened through the link: a special file is written in place; a
      // regular one (or a dangling link) is replaced at the resolved name.
      int fd = ::openat(out.dir_fd_, at.name.c_str(),
                        O_WRONLY | O_NOCTTY | O_CLOEXEC);
      struct stat st {};
      if (fd >= 0 && ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        out.fd_ = fd;
        return out;
      }
      if (fd >= 0) ::close(fd);
      char* resolved = ::realpath(target.c_str(), nullptr);
      if (resolved == nullptr) {
        return ipc::Error::from_errno(kOp, path).with_detail(
            "cannot resolve the symbolic link");
      }
      target = resolved;
      ::free(resolved);
      continue;
    }
    if (exists && !S_ISREG(entry.st_mode)) {
      if (!trusted(dir, entry)) {
        return ipc::Error(EPERM, kOp, path,
                          untrusted_detail("a special file", entry, at));
      }
      out.fd_ = ::openat(out.dir_fd_, at.name.c_str(),
                         O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
      if (out.fd_ < 0) return ipc::Error::from_errno(kOp, path);
      return out;
    }

    if (exists && !trusted(dir, entry)) {
      return ipc::Error(EPERM, kOp, path,
                        untrusted_detail("a file", entry, at));
    }
    // A new file, or a regular one to replace: a temporary file next to it.
    std::string stem = at.name.substr(0, NAME_MAX - 32);
    for (int attempt = 0; out.fd_ < 0; ++attempt) {
      out.tmp_ = "." + stem + ".tmp-" + random_suffix();
      out.fd_ =
          ::openat(out.dir_fd_, out.tmp_.c_str(),
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (out.fd_ < 0 && (errno != EEXIST || attempt == 100)) {
        out.tmp_.clear();
        return ipc::Error::from_errno(kOp, path).with_detail(
            "creating a temporary file in " + at.dir);
      }
    }
    if (exists && ::fchmod(out.fd_, entry.st_mode & 0777) != 0) {
      return ipc::Error::from_errno(kOp, path).with_detail(
          "keeping the permissions of the file it replaces");
    }
    out.name_ = at.name;
    return out;
  }
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : path_(std::move(other.path_)),
      dir_fd_(std::exchange(other.dir_fd_, -1)),
      fd_(std::exchange(other.fd_, -1)),
      name_(std::move(other.name_)),
      tmp_(std::move(other.tmp_)) {
  other.tmp_.clear();
}

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
  if (this != &other) {
    discard();
    path_ = std::move(other.path_);
    dir_fd_ = std::exchange(other.dir_fd_, -1);
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
    tmp_ = std::move(other.tmp_);
    other.tmp_.clear();
  }
  return *this;
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  if (!tmp_.empty() && dir_fd_ >= 0) ::unlinkat(dir_fd_, tmp_.c_str(), 0);
  if (dir_fd_ >= 0) ::close(dir_fd_);
  fd_ = dir_fd_ = -1;
  tmp_.clear();
}

ipc::Status OutputFile::write(std::string_view data) {
  if (fd_ < 0) return ipc::Error(EBADF, "write", path_, "already committed");
  return write_all(fd_, data, path_);
}

ipc::Status OutputFile::commit() {
  if (fd_ < 0) return ipc::Error(EBADF, "commit", path_, "already committed");
  if (!tmp_.empty() && ::fsync(fd_) != 0) {
    ipc::Error e = ipc::Error::from_errno("fsync", path_);
    discard();
    return e;
  }
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0 && errno != EINTR) {
    ipc::Error e = ipc::Error::from_errno("close", path_);
    discard();
    return e;
  }
  if (!tmp_.empty() &&
      ::renameat(dir_fd_, tmp_.c_str(), dir_fd_, name_.c_str()) != 0) {
    ipc::Error e = ipc::Error::from_errno("rename", path_)
                       .with_detail("from the temporary file " + tmp_);
    discard();
    return e;
  }
  tmp_.clear();
  discard();
  return {};
}

ipc::Status OutputFile::write_and_commit(std::string_view data) {
  if (auto s = write(data); !s) return s;
  return commit();
}

ipc::Status open_output_files(
    std::initializer_list<
        std::pair<const std::string*, std::optional<OutputFile>*>>
        outputs) {
  for (auto [path, file] : outputs) {
    if (path->empty()) continue;
    auto f = OutputFile::open(*path);
    if (!f) return std::move(f).error();
    file->emplace(std::move(*f));
  }
  return {};
}

bool write_result(const char* program, std::optional<OutputFile>& file,
                  std::string_view text) {
  if (!file) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  }
  if (auto s = file->write_and_commit(text); !s) {
    std::fprintf(stderr, "%s: %s\n", program, s.error().message().c_str());
    return false;
  }
  return true;
}

ipc::Status write_output_file(const std::string& path,
                              std::string_view contents) {
  auto out = OutputFile::open(path);
  if (!out) return std::move(out).error();
  return out->write_and_commit(contents);
}

ipc::Result<int> open_log_for_append(const std::string& path) {
  constexpr const char kLogOp[] = "open log";
  if (path.empty()) return ipc::Error(EINVAL, kLogOp, path, "empty file name");
  Place at = split(path);
  int dir_fd = open_dir(at.dir);
  if (dir_fd < 0) {
    return ipc::Error::from_errno(kLogOp, path)
        .with_detail("directory " + at.dir);
  }
  struct stat dir {};
  if (::fstat(dir_fd, &dir) != 0) {
    ipc::Error e = ipc::Error::from_errno(kLogOp, path);
    ::close(dir_fd);
    return e;
  }
  bool guarded = sticky_world_writable(dir);
  struct stat entry {};
  if (guarded &&
      ::fstatat(dir_fd, at.name.c_str(), &entry, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISLNK(entry.st_mode)) {
    // O_NOFOLLOW below also refuses it (ELOOP, or EACCES for a link of
    // another user on this kernel); this says why, the same way every time.
    ::close(dir_fd);
    return ipc::Error(ELOOP, kLogOp, path,
                      "a symbolic link in the sticky, world-writable "
                      "directory " +
                          at.dir + ": not followed");
  }
  int fd = ::openat(dir_fd, at.name.c_str(),
                    O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_CLOEXEC |
                        (guarded ? O_NOFOLLOW : 0),
                    0600);
  ipc::Error e = ipc::Error::from_errno(kLogOp, path);
  ::close(dir_fd);
  if (fd < 0) return e;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    e = ipc::Error::from_errno(kLogOp, path);
    ::close(fd);
    return e;
  }
  if (guarded && !trusted(dir, st)) {
    ::close(fd);
    return ipc::Error(EPERM, kLogOp, path, untrusted_detail("a file", st, at));
  }
  if (guarded && S_ISREG(st.st_mode) && st.st_nlink > 1) {
    ::close(fd);
    return ipc::Error(EPERM, kLogOp, path,
                      "a file with " + std::to_string(st.st_nlink) +
                          " hard links in the sticky, world-writable "
                          "directory " +
                          at.dir + ": not written");
  }
  return fd;
}

}  // namespace cli
