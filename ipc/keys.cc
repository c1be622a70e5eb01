// ipc/keys.cc — ftok with checked project ids, and the free-key search.
#include "ipc/keys.h"

#include <cerrno>
#include <cstdio>

#include "ipc/sys.h"

namespace ipc {
namespace {

constexpr int kMaxProjId = 255;

std::string key_context(const std::string& path, int proj_id) {
  return path + ", proj_id=" + std::to_string(proj_id);
}

// Why proj_id cannot be used, or empty if it can.
std::string proj_id_problem(int proj_id) {
  if (proj_id == 0) return "proj_id 0 is undefined behaviour";
  if (proj_id < 0 || proj_id > kMaxProjId) {
    return "ftok uses only the low 8 bits of proj_id, so it must be 1..255";
  }
  return {};
}

}  // namespace

Result<key_t> make_key(const std::string& path, int proj_id) {
  if (auto problem = proj_id_problem(proj_id); !problem.empty()) {
    return Error(EINVAL, "ftok", key_context(path, proj_id), problem);
  }
  // -1 is also a possible key (id 255, device and inode bits all ones), so a
  // failure is -1 *with* errno set.
  errno = 0;
  key_t key = sys::ftok(path.c_str(), proj_id);
  if (key == -1 && errno != 0)
    return Error::from_errno("ftok", key_context(path, proj_id));
  return key;
}

Result<KeyedId> create_with_free_key(
    const std::string& path, int first_proj_id,
    const std::function<Result<int>(key_t)>& create_exclusive) {
  if (auto problem = proj_id_problem(first_proj_id); !problem.empty()) {
    return Error(EINVAL, "create_with_free_key",
                 key_context(path, first_proj_id), problem);
  }
  for (int proj_id = first_proj_id; proj_id <= kMaxProjId; ++proj_id) {
    auto key = make_key(path, proj_id);
    if (!key) return std::move(key).error();
    auto id = create_exclusive(*key);
    if (id) return KeyedId{*key, proj_id, *id};
    if (id.error().code() != EEXIST) return std::move(id).error();
  }
  return Error(EEXIST, "create_with_free_key", path,
               "every proj_id from " + std::to_string(first_proj_id) +
                   " to 255 is taken");
}

std::string key_to_string(key_t key) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(key));
  return buf;
}

}  // namespace ipc
