// fault/foreign_code.cc — /proc/<pid>/{auxv,maps,exe} and the executable's
// ELF symbol table.
#include "fault/foreign_code.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fault/proc_file.h"

namespace fault {
namespace {

bool read_at(int fd, void* out, std::size_t n, std::uint64_t offset) {
  auto* p = static_cast<char*>(out);
  std::size_t done = 0;
  while (done < n) {
    ssize_t r =
        ::pread(fd, p + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<std::size_t>(r);
  }
  return true;
}

struct Mapping {
  std::uint64_t lo, hi, offset;
  std::string path;
  bool executable;
};

std::vector<Mapping> read_maps(pid_t pid) {
  std::string maps = read_proc_file("/proc/" + std::to_string(pid) + "/maps");
  std::vector<Mapping> out;
  std::size_t at = 0;
  while (at < maps.size()) {
    std::size_t end = maps.find('\n', at);
    if (end == std::string::npos) end = maps.size();
    std::string line = maps.substr(at, end - at);
    at = end + 1;
    unsigned long long lo = 0, hi = 0, offset = 0;
    char perms[8] = {};
    int path_at = -1;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi,
                    perms, &offset, &path_at) < 4 ||
        path_at < 0)
      continue;
    out.push_back({lo, hi, offset,
                   line.substr(static_cast<std::size_t>(path_at)),
                   perms[2] == 'x'});
  }
  return out;
}

// The runtime functions of the executable's symbol table, relocated by
// `bias`.
void add_runtime_symbols(
    int fd, std::uint64_t bias,
    std::vector<std::pair<std::uint64_t, std::uint64_t>>* out) {
  Elf64_Ehdr eh{};
  if (!read_at(fd, &eh, sizeof eh, 0) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0)
    return;
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  if (!read_at(fd, sections.data(), sections.size() * sizeof(Elf64_Shdr),
               eh.e_shoff))
    return;
  for (const Elf64_Shdr& sh : sections) {
    if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf64_Sym) ||
        sh.sh_link >= sections.size())
      continue;
    const Elf64_Shdr& strings = sections[sh.sh_link];
    // Bounds: a corrupt or huge table is skipped, not trusted.
    if (sh.sh_size > (std::uint64_t{256} << 20) ||
        strings.sh_size > (std::uint64_t{256} << 20))
      continue;
    std::vector<Elf64_Sym> syms(sh.sh_size / sizeof(Elf64_Sym));
    std::string names(strings.sh_size, '\0');
    if (!read_at(fd, syms.data(), syms.size() * sizeof(Elf64_Sym),
                 sh.sh_offset) ||
        !read_at(fd, names.data(), names.size(), strings.sh_offset))
      continue;
    for (const Elf64_Sym& s : syms) {
      if (ELF64_ST_TYPE(s.st_info) != STT_FUNC || s.st_size == 0 ||
          s.st_value == 0 || s.st_name >= names.size())
        continue;
      const char* name = names.c_str() + s.st_name;
      if (!is_sanitizer_symbol(name)) continue;
      out->push_back({bias + s.st_value, bias + s.st_value + s.st_size});
    }
  }
}

// The load bias of the executable: where its first segment (file offset 0)
// is mapped, minus that segment's page-aligned virtual address.
bool executable_bias(int fd, const std::vector<Mapping>& maps,
                     const std::string& path, std::uint64_t* bias) {
  Elf64_Ehdr eh{};
  if (!read_at(fd, &eh, sizeof eh, 0) || eh.e_phentsize != sizeof(Elf64_Phdr) ||
      eh.e_phnum > 4096)
    return false;
  std::uint64_t first_vaddr = ~std::uint64_t{0};
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    if (!read_at(fd, &ph, sizeof ph, eh.e_phoff + i * sizeof ph)) return false;
    if (ph.p_type == PT_LOAD && ph.p_offset == 0)
      first_vaddr = std::min<std::uint64_t>(first_vaddr, ph.p_vaddr);
  }
  if (first_vaddr == ~std::uint64_t{0}) return false;
  long page = ::sysconf(_SC_PAGESIZE);
  first_vaddr &= ~static_cast<std::uint64_t>(page - 1);
  for (const Mapping& m : maps) {
    if (m.path == path && m.offset == 0) {
      *bias = m.lo - first_vaddr;
      return true;
    }
  }
  return false;
}

using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

// Sorted, overlapping ranges joined.
Ranges merged(Ranges ranges) {
  std::sort(ranges.begin(), ranges.end());
  Ranges out;
  for (const auto& r : ranges) {
    if (!out.empty() && r.first <= out.back().second) {
      out.back().second = std::max(out.back().second, r.second);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

bool in_ranges(const Ranges& ranges, std::uint64_t address) {
  auto it = std::upper_bound(
      ranges.begin(), ranges.end(), address,
      [](std::uint64_t a, const std::pair<std::uint64_t, std::uint64_t>& r) {
        return a < r.first;
      });
  if (it == ranges.begin()) return false;
  --it;
  return address >= it->first && address < it->second;
}

}  // namespace

bool is_sanitizer_runtime(const std::string& path) {
  std::string base = path.substr(path.rfind('/') + 1);
  for (const char* prefix : {"libasan.so", "libtsan.so", "libubsan.so",
                             "liblsan.so", "libhwasan.so", "libclang_rt."}) {
    if (base.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool is_sanitizer_symbol(const std::string& symbol) {
  for (const char* prefix :
       {"_ZN11__sanitizer", "_ZN6__asan", "_ZN6__tsan", "_ZN6__lsan",
        "_ZN7__ubsan", "_ZN14__interception", "__sanitizer_", "__asan_",
        "__tsan_", "__lsan_", "__ubsan_"}) {
    if (symbol.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

ForeignCode ForeignCode::of(pid_t pid) {
  ForeignCode code;
  std::vector<Mapping> maps = read_maps(pid);
  auto span_of = [&](const std::string& path) {
    std::uint64_t lo = ~std::uint64_t{0}, hi = 0;
    for (const Mapping& m : maps) {
      if (m.path != path) continue;
      lo = std::min(lo, m.lo);
      hi = std::max(hi, m.hi);
    }
    if (hi > lo) code.ranges_.push_back({lo, hi});
  };
  // The dynamic loader (nothing for a static program: AT_BASE is 0).
  if (std::uint64_t base = auxv_value(pid, AT_BASE); base != 0) {
    for (const Mapping& m : maps) {
      if (base >= m.lo && base < m.hi && !m.path.empty() && m.path[0] == '/') {
        span_of(m.path);
        break;
      }
    }
  }
  // Sanitizer runtime libraries.
  for (const Mapping& m : maps) {
    if (!m.path.empty() && m.path[0] == '/' && is_sanitizer_runtime(m.path))
      code.ranges_.push_back({m.lo, m.hi});
  }
  // A runtime linked into the executable.
  char exe[4096];
  ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), exe,
                         sizeof exe - 1);
  int fd = ::open(("/proc/" + std::to_string(pid) + "/exe").c_str(),
                  O_RDONLY | O_CLOEXEC);
  std::uint64_t bias = 0;
  if (n > 0 && fd >= 0 &&
      executable_bias(fd, maps, std::string(exe, static_cast<std::size_t>(n)),
                      &bias)) {
    add_runtime_symbols(fd, bias, &code.ranges_);
  }
  if (fd >= 0) ::close(fd);
  code.ranges_ = merged(std::move(code.ranges_));
  for (const Mapping& m : maps) {
    if (m.executable) code.executable_.push_back({m.lo, m.hi});
  }
  code.executable_ = merged(std::move(code.executable_));
  return code;
}

bool ForeignCode::contains(std::uint64_t address) const {
  return in_ranges(ranges_, address);
}

bool ForeignCode::knew(std::uint64_t address) const {
  return in_ranges(executable_, address);
}

}  // namespace fault
