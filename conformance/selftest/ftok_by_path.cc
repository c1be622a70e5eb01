// conformance/selftest/ftok_by_path.cc — deviation: ftok derives the key from
// the path string instead of the file's identity (st_dev, st_ino), so a hard
// link or another path to the same file gives another key (ftok(3); POSIX XSH
// ftok(): "the same key for the same file and id").
#include <sys/ipc.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>

extern "C" __attribute__((visibility("default"))) key_t ftok(const char* path,
                                                             int id) {
  struct stat st;
  if (::stat(path, &st) != 0) return -1;  // keep the stat(2) errors
  std::uint32_t h = 2166136261u;          // FNV-1a of the path
  for (const char* p = path; *p != '\0'; ++p)
    h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;
  return static_cast<key_t>(((static_cast<std::uint32_t>(id) & 0xff) << 24) |
                            (h & 0xffffff));
}
