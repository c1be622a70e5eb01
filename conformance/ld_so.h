// conformance/ld_so.h — what the dynamic loader would do with a file: is a
// program dynamically linked (so that LD_PRELOAD reaches it), and would an
// LD_PRELOAD entry be loaded into it or ignored (ld.so only prints an error
// and runs the program without it — a report "under that preload" would then
// judge the plain OS).
//
//   auto elf = read_elf("/…/pipe_test");        // class, machine, PT_INTERP
//   ipc::Status s = check_preload(path, *elf);  // EINVAL/ENOENT with why
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ipc/result.h"

namespace conformance {

struct ElfFile {
  int elf_class = 0;        // ELFCLASS32 / ELFCLASS64
  int machine = 0;          // EM_X86_64, EM_AARCH64, EM_386, …
  int type = 0;             // ET_EXEC, ET_DYN, …
  bool has_interp = false;  // PT_INTERP: started by ld.so
  bool pie = false;         // DT_FLAGS_1 has DF_1_PIE: an executable
};

// Reads the ELF header, program headers and dynamic section of `path`.
// ENOENT/EACCES from open, ENOEXEC if it is not an ELF file.
ipc::Result<ElfFile> read_elf(const std::string& path);

// The ELF class and machine this program was built for.
ElfFile this_program();

// Whether ld.so, starting a program like `program`, would load `path` given
// as the whole LD_PRELOAD value: OK, or EINVAL/ENOENT/ENOEXEC saying why it
// would be ignored (a space or colon splits it; missing or unreadable; not an
// ELF shared object; an executable; another ELF class or machine; the
// program is statically linked, so ld.so never runs).
ipc::Status check_preload(const std::string& path, const ElfFile& program);

// Where ld.so would find an LD_PRELOAD entry: itself if it holds a '/', else
// the first of $LD_LIBRARY_PATH, /lib/<multiarch>, /usr/lib/<multiarch>,
// /lib64, /usr/lib64, /lib, /usr/lib that has it (ld.so.cache is not read:
// Debian's cache lists only files in those directories). ENOENT if none.
ipc::Result<std::string> find_preload(const std::string& entry);

// An LD_PRELOAD value split as ld.so splits it (spaces and colons).
std::vector<std::string> split_preload(std::string_view value);

}  // namespace conformance
