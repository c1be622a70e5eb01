// ipc/keys.h — System V IPC keys from files (ftok) and finding a free one.
//
// A key names a message queue or shared-memory segment system-wide. ftok(3)
// derives it from a file's identity (device and inode, not the path string)
// and the low 8 bits of a project id, so keys of different files can collide
// and a key can already be in use by someone else: create_with_free_key walks
// the project ids until an exclusive create succeeds.
//
//   auto k = ipc::make_key(dir + "/anchor", 1);
//   auto got = ipc::create_with_free_key(path, 1, [](key_t k) ->
//   ipc::Result<int> { ... });
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "ipc/result.h"

namespace ipc {

// ftok(path, proj_id). proj_id must be 1..255: 0 is undefined behaviour per
// ftok(3) and ftok keeps only the low 8 bits, so 256 would silently equal 0.
// Both are EINVAL without calling ftok; errors name the path.
Result<key_t> make_key(const std::string& path, int proj_id);

struct KeyedId {
  key_t key;    // the key the object was created with
  int proj_id;  // the project id that gave that key
  int id;       // what create_exclusive returned (e.g. a msqid)
};

// Tries proj ids first_proj_id..255 in order. For each, computes the key and
// calls create_exclusive(key), which must create with IPC_CREAT|IPC_EXCL:
// success ends the search; an EEXIST error means "taken, try the next"; any
// other error (including from ftok) is returned at once. If every id is taken:
// EEXIST "every proj_id from N to 255 is taken".
Result<KeyedId> create_with_free_key(
    const std::string& path, int first_proj_id,
    const std::function<Result<int>(key_t)>& create_exclusive);

// "0x0000abcd", the way ipcs(1) and /proc/sysvipc show keys.
std::string key_to_string(key_t key);

}  // namespace ipc
