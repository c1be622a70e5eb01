// ipc/sysv_sem.h — System V semaphore sets (semget/semop/semtimedop/semctl).
//
//   auto set = ipc::SemaphoreSet::create_private(2);  // 2 semaphores, 0600, 0
//   ipc::SemOwner owner(*set);                         // IPC_RMID at scope exit
//   set->set_value(0, 1);                              // SETVAL
//   set->op({{.num = 0, .delta = -1, .undo = true}});  // P (undone at exit)
//   set->op({{.num = 0, .delta = +1, .undo = true}});  // V
//   set->op({{.num = 1, .delta = -1}}, {.deadline = deadline_in(100ms)});
//
// A set lives in the kernel until removed (IPC_RMID), whoever created it.
// SemaphoreSet is a plain, copyable handle around the set id; SemOwner is the
// RAII owner that removes the set when it goes out of scope.
//
// One op() is one semop(2): its operations are applied in order and
// atomically — all of them or none — so retrying one never applies part of it
// twice. An operation with delta < 0 waits until the value is at least -delta,
// one with delta 0 waits until the value is 0, one with delta > 0 never waits
// (but fails ERANGE past kSemVmx). The kernel never restarts semop/semtimedop
// after a signal handler, even with SA_RESTART (signal(7)): Eintr::kRetry (the
// default) calls again, with the time left when there is a deadline.
//
// SEM_UNDO (SemOp::undo): the kernel keeps, per process and semaphore, the
// sum of the undone deltas (semadj) and adds it back when the process exits,
// clamping the value to 0..kSemVmx. A fork()ed child starts with no
// adjustments; threads share their process's; execve keeps them. SETVAL and
// SETALL clear the adjustments of the semaphores they set, in every process.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <cstddef>
#include <initializer_list>
#include <span>
#include <vector>

#include "ipc/fd.h"
#include "ipc/result.h"

namespace ipc {

// SEMVMX: the largest value a semaphore holds (and the largest |semadj|,
// SEMAEM). A kernel constant on Linux (include/uapi/linux/sem.h), not a
// sysctl.
inline constexpr int kSemVmx = 32767;

// One operation of a semop(2) call.
struct SemOp {
  unsigned short num = 0;  // which semaphore of the set (sem_num)
  short delta = 0;         // sem_op: > 0 adds, < 0 waits then subtracts,
                           // 0 waits for zero
  bool undo = false;       // SEM_UNDO: undone when this process exits
  bool nowait = false;     // IPC_NOWAIT: EAGAIN if this operation would wait
};

struct SemOpOptions {
  bool nowait = false;  // IPC_NOWAIT on every operation
  // Bounds the time blocked (semtimedop with the time left); expiry is
  // ETIMEDOUT ("timed out"), where the kernel itself says EAGAIN. A deadline
  // already passed still makes one non-blocking attempt.
  Deadline deadline = kNoDeadline;
  Eintr eintr = Eintr::kRetry;  // what a handler interrupting a wait does
};

// semid_ds, with the fields tests and tools look at.
struct SemStat {
  std::size_t nsems;  // semaphores in the set
  time_t otime;       // last successful semop, 0 if none yet
  time_t ctime;       // creation or last IPC_SET, SETVAL or SETALL
  key_t key;          // creating key (IPC_PRIVATE = 0)
  uid_t uid;          // owner
  gid_t gid;
  uid_t cuid;  // creator
  gid_t cgid;
  mode_t mode;  // permission bits
};

// Non-owning handle to a semaphore set id; copying it does not copy the set.
class SemaphoreSet {
 public:
  // semget(key, 0, 0): an existing set, whatever its size. ENOENT if none;
  // IPC_PRIVATE is EINVAL (it names no existing set: semget would create one).
  static Result<SemaphoreSet> open(key_t key);
  // semget(key, nsems, IPC_CREAT|mode): the existing set (which must have at
  // least nsems semaphores, else EINVAL) or a new one of nsems semaphores, all
  // 0. nsems must be 1..SEMMSL; the mode (permission bits only, else EINVAL)
  // applies only if the set is created.
  static Result<SemaphoreSet> create(key_t key, int nsems, mode_t mode = 0600);
  // semget(key, nsems, IPC_CREAT|IPC_EXCL|mode): EEXIST if the key already
  // has a set.
  static Result<SemaphoreSet> create_exclusive(key_t key, int nsems,
                                               mode_t mode = 0600);
  // semget(IPC_PRIVATE, nsems, mode): always a new set that no key finds.
  static Result<SemaphoreSet> create_private(int nsems, mode_t mode = 0600);
  // A set id obtained elsewhere (ids are system-wide); not checked.
  static SemaphoreSet from_id(int id) { return SemaphoreSet(id); }

  int id() const { return id_; }

  // One semop(2) (semtimedop(2) with a deadline). Errors: EINVAL "no
  // operations" (without a system call) or "no semaphore set with id N";
  // E2BIG "N operations exceed semopm M"; EFBIG "semaphore N is not in the
  // set (it has M)"; ERANGE "a value would pass SEMVMX (32767) or an undo
  // adjustment SEMAEM"; EAGAIN "would wait (IPC_NOWAIT)"; ETIMEDOUT "timed
  // out"; EIDRM "set removed" (while waiting); EACCES; EINTR only with
  // Eintr::kSurface. Nothing is applied when an error is returned.
  Status op(std::span<const SemOp> ops, SemOpOptions options = {}) const;
  Status op(std::initializer_list<SemOp> ops, SemOpOptions options = {}) const {
    return op(std::span<const SemOp>(ops.begin(), ops.size()), options);
  }

  // semctl GETVAL / SETVAL. set_value: ERANGE outside 0..kSemVmx; clears every
  // process's undo adjustment of that semaphore and wakes waiters it
  // satisfies. EINVAL "semaphore N is not in the set (it has M)" or "no
  // semaphore set with id N".
  Result<int> value(int num) const;
  Status set_value(int num, int value) const;
  // semctl GETALL / SETALL (IPC_STAT first for the size). set_values needs
  // exactly one value per semaphore (EINVAL "N values for a set of M
  // semaphores", without SETALL); ERANGE if one exceeds kSemVmx.
  Result<std::vector<unsigned short>> values() const;
  Status set_values(std::span<const unsigned short> values) const;
  // semctl GETNCNT / GETZCNT: how many processes wait for semaphore `num` to
  // grow / to become 0. A waiter whose semop has several operations counts
  // only at the first operation that cannot proceed (SUSv4; Linux >= 3.16,
  // earlier kernels counted it at every semaphore it named).
  Result<int> waiting_to_decrease(int num) const;
  Result<int> waiting_for_zero(int num) const;
  // semctl GETPID: the process of the last semop on `num` (Linux also counts
  // SETVAL, SETALL and undo at exit); 0 if none yet.
  Result<pid_t> last_pid(int num) const;

  // semctl IPC_STAT.
  Result<SemStat> stat() const;
  // IPC_STAT, then IPC_SET with sem_perm.uid, gid and mode (permission bits
  // only, else EINVAL) replaced. EPERM "not the set's owner or creator".
  Status set_owner(uid_t uid, gid_t gid, mode_t mode) const;
  // semctl IPC_RMID: wakes every waiter with EIDRM and discards every undo
  // adjustment of the set.
  Status remove() const;

 private:
  explicit SemaphoreSet(int id) : id_(id) {}
  // The error of a failed semctl on semaphore `num`, with a detail that says
  // whether the set or the semaphore is missing (one more IPC_STAT).
  Error semctl_error(const char* op, int num) const;
  int id_;
};

// Removes its set on destruction (errors ignored) unless release()d.
// Move-only.
class SemOwner {
 public:
  explicit SemOwner(SemaphoreSet set) : set_(set) {}
  SemOwner(SemOwner&& other) noexcept : set_(other.set_), owns_(other.owns_) {
    other.owns_ = false;
  }
  SemOwner& operator=(SemOwner&& other) noexcept;
  SemOwner(const SemOwner&) = delete;
  SemOwner& operator=(const SemOwner&) = delete;
  ~SemOwner();

  SemaphoreSet& set() { return set_; }
  const SemaphoreSet& set() const { return set_; }
  bool owns() const { return owns_; }
  // Stops owning: the set outlives this object.
  SemaphoreSet release() {
    owns_ = false;
    return set_;
  }

 private:
  SemaphoreSet set_;
  bool owns_ = true;
};

}  // namespace ipc
