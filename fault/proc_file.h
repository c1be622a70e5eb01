// fault/proc_file.h — reading another process's /proc files, for the code
// that watches a traced process (the seccomp supervisor, ForeignCode).
//
//   std::string maps = fault::read_proc_file("/proc/42/maps");
//   std::uint64_t base = fault::auxv_value(42, AT_BASE);
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace fault {

// The whole content of a /proc file ("" if it cannot be opened; what was read
// before an error otherwise). EINTR is retried.
std::string read_proc_file(const std::string& path);

// The value of entry `key` (AT_BASE, AT_RANDOM, ...) in /proc/<pid>/auxv; 0
// if the entry is absent or the file cannot be read.
std::uint64_t auxv_value(pid_t pid, std::uint64_t key);

}  // namespace fault
