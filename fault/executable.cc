// fault/executable.cc — PATH search and the PT_INTERP test.
#include "fault/executable.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace fault {
namespace {

// Reads exactly n bytes at offset; false on a short file or an error.
bool read_at(int fd, void* out, std::size_t n, off_t offset) {
  auto* p = static_cast<char*>(out);
  std::size_t done = 0;
  while (done < n) {
    ssize_t r =
        ::pread(fd, p + done, n - done, offset + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

Linkage linkage_of(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Linkage::kOther;
  Elf64_Ehdr eh{};
  Linkage result = Linkage::kOther;
  if (read_at(fd, &eh, sizeof eh, 0) &&
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
      eh.e_ident[EI_CLASS] == ELFCLASS64 &&
      eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 4096) {
    result = Linkage::kStatic;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph{};
      if (!read_at(fd, &ph, sizeof ph,
                   static_cast<off_t>(eh.e_phoff + i * sizeof ph))) {
        result = Linkage::kOther;
        break;
      }
      if (ph.p_type == PT_INTERP) {
        result = Linkage::kDynamic;
        break;
      }
    }
  }
  ::close(fd);
  return result;
}

ipc::Result<Executable> find_executable(const std::string& name) {
  if (name.empty()) return ipc::Error(ENOENT, "find program", "''");
  if (name.find('/') != std::string::npos) {
    struct stat st {};
    if (::stat(name.c_str(), &st) != 0)
      return ipc::Error::from_errno("find program", name);
    if (!S_ISREG(st.st_mode))
      return ipc::Error(EACCES, "find program", name, "not a regular file");
    if (::access(name.c_str(), X_OK) != 0)
      return ipc::Error::from_errno("find program", name);
    return Executable{name, linkage_of(name)};
  }
  const char* env = std::getenv("PATH");
  std::string path = env != nullptr ? env : "/bin:/usr/bin";
  bool denied = false;
  std::size_t at = 0;
  while (at <= path.size()) {
    std::size_t end = path.find(':', at);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(at, end - at);
    at = end + 1;
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::access(candidate.c_str(), X_OK) != 0) {
      denied = true;
      continue;
    }
    return Executable{candidate, linkage_of(candidate)};
  }
  return ipc::Error(denied ? EACCES : ENOENT, "find program", name,
                    denied ? "not executable" : "not found in PATH");
}

}  // namespace fault
