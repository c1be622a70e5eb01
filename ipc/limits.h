// ipc/limits.h — IPC limits of the running system, read from /proc/sys.
//
// The layer and its tests never assume the textbook values (msgmax 8192,
// msgmnb 16384, ...): an administrator may have changed them, so every limit is
// read when it is needed.
//
//   auto lim = ipc::msg_limits();      // lim->msgmax, lim->msgmnb, lim->msgmni
//   auto big = ipc::read_sysctl_u64("/proc/sys/kernel/shmmax");
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ipc/result.h"

namespace ipc {

// Reads a /proc/sys file holding one signed decimal integer (surrounding
// whitespace allowed). ENOENT etc. from open/read name the path; EINVAL for an
// empty file, more than one value or anything that is not a number; ERANGE if
// the number does not fit a long.
Result<long> read_sysctl(const std::string& path);

// The same for values that may exceed LONG_MAX (shmmax and shmall default to
// ULONG_MAX - 2^24). A minus sign is EINVAL.
Result<std::uint64_t> read_sysctl_u64(const std::string& path);

// /proc/sys/kernel/msg{max,mnb,mni}: largest message, default queue capacity
// in bytes (msg_qbytes of a new queue), most queues in the system.
struct MsgLimits {
  std::size_t msgmax;
  std::size_t msgmnb;
  std::size_t msgmni;
};
Result<MsgLimits> msg_limits();

// /proc/sys/kernel/shm{max,all,mni}: largest segment in bytes, total pages of
// shared memory, most segments in the system.
struct ShmLimits {
  std::size_t shmmax;
  std::size_t shmall;
  std::size_t shmmni;
};
Result<ShmLimits> shm_limits();

// /proc/sys/kernel/sem, four numbers: most semaphores per set (SEMMSL), in
// the system (SEMMNS), operations per semop call (SEMOPM), sets in the system
// (SEMMNI). SEMVMX (32767, the largest semaphore value) is a kernel constant,
// not a sysctl: ipc::kSemVmx in ipc/sysv_sem.h.
struct SemLimits {
  std::size_t semmsl;
  std::size_t semmns;
  std::size_t semopm;
  std::size_t semmni;
};
Result<SemLimits> sem_limits();
// The same from another file in that format (four whitespace-separated
// numbers, nothing else): EINVAL naming the path and the text otherwise.
Result<SemLimits> read_sem_limits(const std::string& path);

// /proc/sys/fs/pipe-max-size: the largest capacity F_SETPIPE_SZ grants an
// unprivileged process.
Result<std::size_t> pipe_max_size();

}  // namespace ipc
