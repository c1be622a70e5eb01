// fault/foreign_code.h — the code in a process whose system calls are not
// the program's own: the dynamic loader and sanitizer runtimes. The seccomp
// supervisor does not count a call whose instruction pointer lies there, as
// the preload library never sees those calls either (the loader runs before
// it, and a sanitizer runtime makes raw system calls; the program's own calls
// reach libc through the runtime's interceptors and are counted).
//
//   fault::ForeignCode code = fault::ForeignCode::of(pid);
//   if (!code.knew(ip)) code = fault::ForeignCode::of(pid);  // new code mapped
//   if (code.contains(ip)) ...run it uncounted...
//
// Found in /proc/<pid>: the file mapped at AT_BASE (the loader), every
// mapping of a sanitizer runtime library (libasan, libtsan, libubsan, liblsan,
// libhwasan, libclang_rt.*), and, for a runtime linked into the executable
// (gcc -static-libasan, clang's default), the functions of the executable's
// symbol table in the runtimes' namespaces (__sanitizer, __asan, __tsan,
// __lsan, __ubsan, __interception). A stripped executable has no such table:
// its linked-in runtime's calls are then counted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fault {

class ForeignCode {
 public:
  // The ranges of process `pid`'s current image (empty if /proc cannot be
  // read).
  static ForeignCode of(pid_t pid);

  bool contains(std::uint64_t address) const;
  // Whether `address` lay in executable memory when the ranges were read: if
  // not, code was mapped since (a library the loader or dlopen added) and
  // the ranges must be read again.
  bool knew(std::uint64_t address) const;
  // Sorted, disjoint [begin, end) ranges.
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges() const {
    return ranges_;
  }

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> executable_;
};

// Whether `path` (a mapping's file) is a sanitizer runtime library.
bool is_sanitizer_runtime(const std::string& path);

// Whether `symbol` (a mangled or C name) belongs to a sanitizer runtime.
bool is_sanitizer_symbol(const std::string& symbol);

}  // namespace fault
