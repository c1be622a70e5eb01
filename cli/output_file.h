// cli/output_file.h — output files of the command-line programs, written so
// that nobody else's file is ever truncated and a crash never leaves half a
// file.
//
//   auto out = cli::OutputFile::open(path);  // at start-up: can we write it?
//   if (!out) { fprintf(stderr, "report: %s\n", ...message()...); exit(2); }
//   ... the long run ...
//   auto s = out->write_and_commit(text);
//
//   std::optional<cli::OutputFile> md, json;      // several, for --out/--json
//   auto s = cli::open_output_files({{&opt.out, &md}, {&opt.json, &json}});
//   bool ok = cli::write_result("report", md, text);  // no --out: stdout
//
// open() decides how `path` is written, and fails now (not after a long run)
// if it cannot be:
//   - no such name, or a regular file: the text goes to a new temporary file
//     in the same directory (".NAME.tmp-XXXXXXXXXXXX", created with O_EXCL |
//     O_NOFOLLOW) that commit() fsyncs and renames over NAME. Readers see the
//     old file or the whole new one; a replaced file's permission bits are
//     kept. Not committed (error, destructor), the temporary file is removed;
//     after a crash it may remain, but NAME is never half written. In a
//     sticky, world-writable directory an existing file is replaced only if
//     it belongs to us or the directory's owner (EPERM otherwise, at open()).
//   - a directory: EISDIR.
//   - a symbolic link: followed, unless it sits in a sticky, world-writable
//     directory (/tmp) and belongs to neither us (the effective uid) nor the
//     directory's owner: then it may have been planted by another user to make
//     us overwrite its target, and open() fails with EPERM (the rule of
//     fs.protected_symlinks, applied even where that sysctl is off). A
//     followed link to a regular file replaces the target as above.
//   - anything else (a terminal, /dev/null, a FIFO, /dev/stdout): written in
//     place, opened now; in a sticky, world-writable directory only if it
//     belongs to us or the directory's owner.
//
// open_log_for_append() is for a log that several processes append to: it
// cannot be replaced, so it is opened O_APPEND | O_CREAT (0600) and, in a
// sticky, world-writable directory, with O_NOFOLLOW and only if the file is
// ours (or the directory owner's) and has no other hard link.
//
// Only libc and ipc/result are used: this code is also compiled into
// libipcfault.so.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ipc/result.h"

namespace cli {

class OutputFile {
 public:
  static ipc::Result<OutputFile> open(const std::string& path);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&& other) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Not committed: removes the temporary file (the named file is untouched).
  ~OutputFile();

  // Appends `data` (all of it: short writes and EINTR are retried).
  ipc::Status write(std::string_view data);
  // Makes what was written the file's content (fsync + rename, or close).
  ipc::Status commit();
  // write(data), then commit(): a program's result in one call.
  ipc::Status write_and_commit(std::string_view data);

  // The name given to open().
  const std::string& path() const { return path_; }

 private:
  OutputFile() = default;
  void discard();

  std::string path_;
  int dir_fd_ = -1;  // the directory of the replaced name (O_PATH)
  int fd_ = -1;
  std::string name_;  // the name within dir_fd_ that commit() replaces
  std::string tmp_;   // the temporary file's name; empty when written in place
};

// The output files a program was asked for, opened at start-up: each
// (path, file) whose path is not empty gets `*file` = open(path). Stops at
// the first error and returns it.
ipc::Status open_output_files(
    std::initializer_list<
        std::pair<const std::string*, std::optional<OutputFile>*>>
        outputs);

// A program's result at its end: `text` to `file` (write_and_commit) or,
// when there is no file, to stdout. A failure is printed on stderr as
// "PROGRAM: message"; returns whether it worked.
bool write_result(const char* program, std::optional<OutputFile>& file,
                  std::string_view text);

// open + write + commit.
ipc::Status write_output_file(const std::string& path,
                              std::string_view contents);

// A descriptor (O_WRONLY | O_APPEND | O_CLOEXEC) the caller closes.
ipc::Result<int> open_log_for_append(const std::string& path);

}  // namespace cli
