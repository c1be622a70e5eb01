// ipc/posix_name.h — what named POSIX IPC objects (shared memory, semaphores)
// share: the name rule, checked before any system call, and the owner that
// unlinks a name on every path.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "ipc/result.h"

namespace ipc {

// The portable rule: "/" followed by 1..max_length bytes, no other '/', no
// NUL. EINVAL from `op` naming what is wrong ("name must start with '/'",
// "the part after '/' is longer than <limit_name> (<max_length>) bytes")
// otherwise.
Status check_posix_name(const char* op, const std::string& name,
                        std::size_t max_length, const char* limit_name);

// Unlinks a name on destruction unless released. Move-only. Each facility's
// owner (ShmNameOwner, SemNameOwner) is this with its unlink function; create
// it before (or right after) the open so that every path removes the name.
class NameOwner {
 public:
  using UnlinkFn = Status (*)(const std::string& name);
  // `op` names the unlink call in the error of unlink() when nothing is owned.
  NameOwner(UnlinkFn unlink, const char* op) : unlink_(unlink), op_(op) {}
  NameOwner(UnlinkFn unlink, const char* op, std::string name)
      : unlink_(unlink), op_(op), name_(std::move(name)) {}
  NameOwner(NameOwner&& other) noexcept
      : unlink_(other.unlink_), op_(other.op_), name_(other.release()) {}
  NameOwner& operator=(NameOwner&& other) noexcept;
  NameOwner(const NameOwner&) = delete;
  NameOwner& operator=(const NameOwner&) = delete;
  // Unlinks if still owned; errors (such as ENOENT) are ignored.
  ~NameOwner();

  bool owns() const { return !name_.empty(); }
  const std::string& name() const { return name_; }
  // Unlinks now, reporting the error; owns nothing afterwards either way.
  // EINVAL without a system call if nothing is owned.
  Status unlink();
  // Stops owning without unlinking; returns the name.
  std::string release() { return std::exchange(name_, std::string()); }

 private:
  UnlinkFn unlink_;
  const char* op_;
  std::string name_;
};

}  // namespace ipc
