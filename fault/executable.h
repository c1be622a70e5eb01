// fault/executable.h — finds the program ipcfault is asked to run (as
// execvp(3) would, through PATH) and tells how it is linked, which decides
// the injection mechanism: LD_PRELOAD cannot reach a program that the dynamic
// loader does not start.
//
//   auto exe = fault::find_executable("busybox");
//   if (exe && exe->linkage == fault::Linkage::kStatic) ...use seccomp...
#pragma once

#include <string>

#include "ipc/result.h"

namespace fault {

enum class Linkage {
  kDynamic,  // an ELF file with a program interpreter (PT_INTERP)
  kStatic,   // an ELF file without one (static, static-pie)
  kOther,    // not ELF (a script: its interpreter decides)
};

struct Executable {
  std::string path;  // what execve(2) is given
  Linkage linkage = Linkage::kOther;
};

// `name` itself if it contains a '/', else the first executable regular file
// called `name` in the directories of PATH (default "/bin:/usr/bin").
// ENOENT if there is none, EACCES if the only candidates are not executable.
ipc::Result<Executable> find_executable(const std::string& name);

// How the ELF file at `path` is linked (kOther if it is not an ELF file of
// this machine's word size).
Linkage linkage_of(const std::string& path);

}  // namespace fault
