// ipc/posix_name.cc — the name rule of named POSIX IPC objects.
#include "ipc/posix_name.h"

#include <cerrno>
#include <utility>

namespace ipc {

Status check_posix_name(const char* op, const std::string& name,
                        std::size_t max_length, const char* limit_name) {
  const char* why = nullptr;
  if (name.empty()) {
    why = "name is empty";
  } else if (name[0] != '/') {
    why = "name must start with '/'";
  } else if (name.size() == 1) {
    why = "name has nothing after the leading '/'";
  } else if (name.find('/', 1) != std::string::npos) {
    why = "name may contain no '/' after the first character";
  } else if (name.find('\0') != std::string::npos) {
    why = "name contains a NUL byte";
  } else if (name.size() - 1 > max_length) {
    return Error(
        EINVAL, op, "name of " + std::to_string(name.size()) + " bytes",
        std::string("the part after '/' is longer than ") + limit_name + " (" +
            std::to_string(max_length) + ") bytes");
  }
  if (why != nullptr) return Error(EINVAL, op, "name=\"" + name + "\"", why);
  return ok_status();
}

NameOwner& NameOwner::operator=(NameOwner&& other) noexcept {
  if (this != &other) {
    (void)unlink();
    unlink_ = other.unlink_;
    op_ = other.op_;
    name_ = other.release();
  }
  return *this;
}

NameOwner::~NameOwner() { (void)unlink(); }

Status NameOwner::unlink() {
  if (name_.empty()) return Error(EINVAL, op_, "", "nothing owned");
  return unlink_(release());
}

}  // namespace ipc
