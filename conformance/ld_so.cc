// conformance/ld_so.cc — see ld_so.h.
#include "conformance/ld_so.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace conformance {
namespace {

// Reads `size` bytes at `offset`; false on a short read or an error.
bool read_at(int fd, void* buf, std::size_t size, off_t offset) {
  auto* p = static_cast<char*>(buf);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, size, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return true;
}

template <typename Ehdr, typename Phdr, typename Dyn>
ipc::Result<ElfFile> read_elf_class(int fd, const std::string& path) {
  Ehdr eh;
  if (!read_at(fd, &eh, sizeof eh, 0))
    return ipc::Error(ENOEXEC, "read_elf", path, "truncated ELF header");
  ElfFile f;
  f.elf_class = eh.e_ident[EI_CLASS];
  f.machine = eh.e_machine;
  f.type = eh.e_type;
  if (eh.e_phentsize != sizeof(Phdr) || eh.e_phnum > 4096)
    return ipc::Error(ENOEXEC, "read_elf", path, "bad program headers");
  for (int i = 0; i < eh.e_phnum; ++i) {
    Phdr ph;
    if (!read_at(fd, &ph, sizeof ph,
                 static_cast<off_t>(eh.e_phoff + i * sizeof(Phdr))))
      return ipc::Error(ENOEXEC, "read_elf", path, "truncated program header");
    if (ph.p_type == PT_INTERP) f.has_interp = true;
    if (ph.p_type != PT_DYNAMIC) continue;
    for (std::size_t off = 0; off + sizeof(Dyn) <= ph.p_filesz;
         off += sizeof(Dyn)) {
      Dyn d;
      if (!read_at(fd, &d, sizeof d, static_cast<off_t>(ph.p_offset + off)))
        break;
      if (d.d_tag == DT_NULL) break;
      if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE) != 0) f.pie = true;
    }
  }
  return f;
}

std::string class_name(int c) {
  return c == ELFCLASS32   ? "ELFCLASS32"
         : c == ELFCLASS64 ? "ELFCLASS64"
                           : "class " + std::to_string(c);
}

}  // namespace

ipc::Result<ElfFile> read_elf(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ipc::Error::from_errno("open", path);
  unsigned char ident[EI_NIDENT];
  ipc::Result<ElfFile> r = ipc::Error(ENOEXEC, "read_elf", path, "not ELF");
  if (read_at(fd, ident, sizeof ident, 0) &&
      std::memcmp(ident, ELFMAG, SELFMAG) == 0) {
    if (ident[EI_CLASS] == ELFCLASS64) {
      r = read_elf_class<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(fd, path);
    } else if (ident[EI_CLASS] == ELFCLASS32) {
      r = read_elf_class<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(fd, path);
    } else {
      r = ipc::Error(ENOEXEC, "read_elf", path, "unknown ELF class");
    }
  } else {
    r = ipc::Error(ENOEXEC, "read_elf", path, "not an ELF file");
  }
  ::close(fd);
  return r;
}

ElfFile this_program() {
  ElfFile f;
  f.elf_class = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
#if defined(__x86_64__)
  f.machine = EM_X86_64;
#elif defined(__aarch64__)
  f.machine = EM_AARCH64;
#elif defined(__i386__)
  f.machine = EM_386;
#elif defined(__arm__)
  f.machine = EM_ARM;
#elif defined(__riscv)
  f.machine = EM_RISCV;
#endif
  f.type = ET_EXEC;
  f.has_interp = true;
  return f;
}

ipc::Status check_preload(const std::string& path, const ElfFile& program) {
  const char* what = "check_preload";
  if (path.empty()) return ipc::Error(EINVAL, what, path, "empty path");
  if (path.find_first_of(" :") != std::string::npos) {
    return ipc::Error(EINVAL, what, path,
                      "ld.so splits LD_PRELOAD at spaces and colons: this "
                      "path would be read as several names");
  }
  if (!program.has_interp) {
    return ipc::Error(EINVAL, what, path,
                      "the suites are statically linked (no PT_INTERP): ld.so "
                      "never runs and LD_PRELOAD has no effect (the portable "
                      "bundle is static; use the host build, ./bazelw run "
                      "//:report, for preloads)");
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return ipc::Error(errno, what, path, "ld.so cannot open it");
  }
  auto elf = read_elf(path);
  if (!elf) return ipc::Error(ENOEXEC, what, path, elf.error().message());
  if (elf->elf_class != program.elf_class) {
    return ipc::Error(ENOEXEC, what, path,
                      "wrong ELF class " + class_name(elf->elf_class) +
                          " for " + class_name(program.elf_class) +
                          " programs: ld.so ignores it");
  }
  if (elf->machine != program.machine) {
    return ipc::Error(ENOEXEC, what, path,
                      "ELF machine " + std::to_string(elf->machine) +
                          ", the programs are machine " +
                          std::to_string(program.machine) +
                          ": ld.so ignores it");
  }
  if (elf->type != ET_DYN) {
    return ipc::Error(ENOEXEC, what, path,
                      "not a shared object (ELF type " +
                          std::to_string(elf->type) + "): ld.so ignores it");
  }
  if (elf->pie) {
    return ipc::Error(ENOEXEC, what, path,
                      "a position-independent executable, not a library: "
                      "ld.so refuses to preload it");
  }
  return ipc::ok_status();
}

ipc::Result<std::string> find_preload(const std::string& entry) {
  if (entry.find('/') != std::string::npos) return entry;
#if defined(__x86_64__)
  const char* multiarch = "x86_64-linux-gnu";
#elif defined(__aarch64__)
  const char* multiarch = "aarch64-linux-gnu";
#elif defined(__i386__)
  const char* multiarch = "i386-linux-gnu";
#else
  const char* multiarch = "";
#endif
  std::vector<std::string> dirs;
  if (const char* lp = std::getenv("LD_LIBRARY_PATH"); lp != nullptr) {
    std::string cur;
    for (const char* p = lp;; ++p) {
      if (*p == ':' || *p == ';' || *p == '\0') {
        if (!cur.empty()) dirs.push_back(cur);
        cur.clear();
        if (*p == '\0') break;
      } else {
        cur += *p;
      }
    }
  }
  for (const char* d : {"/lib/", "/usr/lib/"})
    dirs.push_back(d + std::string(multiarch));
  for (const char* d : {"/lib64", "/usr/lib64", "/lib", "/usr/lib"})
    dirs.push_back(d);
  for (const std::string& d : dirs) {
    std::string path = d + "/" + entry;
    if (::access(path.c_str(), F_OK) == 0) return path;
  }
  return ipc::Error(ENOENT, "find_preload", entry,
                    "a name without '/' that is in none of the library "
                    "directories ld.so searches");
}

std::vector<std::string> split_preload(std::string_view value) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : value) {
    if (c == ' ' || c == ':') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace conformance
