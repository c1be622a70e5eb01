// ipc/sysv_sem.cc — System V semaphore sets over the system-call seam.
#include "ipc/sysv_sem.h"

#include <sys/ipc.h>
#include <sys/sem.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "ipc/keys.h"
#include "ipc/limits.h"
#include "ipc/sys.h"

namespace ipc {
namespace {

std::string set_context(int id) { return "semid=" + std::to_string(id); }

std::string no_set(int id) {
  return "no semaphore set with id " + std::to_string(id);
}

std::string octal(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
  return buf;
}

sys::SemArg no_arg() { return sys::SemArg{.val = 0}; }

// IPC_STAT into *ds; the raw semctl result.
int stat_raw(int id, struct semid_ds* ds) {
  return sys::semctl(id, 0, IPC_STAT, sys::SemArg{.buf = ds});
}

Result<SemaphoreSet> get(key_t key, int nsems, int flags, mode_t mode) {
  std::string context = "key=" + key_to_string(key) +
                        ", nsems=" + std::to_string(nsems) +
                        ", mode=" + octal(mode);
  if ((mode & ~mode_t{0777}) != 0) {
    return Error(EINVAL, "semget", context, "mode has bits outside 0777");
  }
  int id = sys::semget(key, nsems, flags | static_cast<int>(mode));
  if (id >= 0) return SemaphoreSet::from_id(id);
  Error error = Error::from_errno("semget", context);
  switch (error.code()) {
    case EEXIST:
      return std::move(error).with_detail("key " + key_to_string(key) +
                                          " already has a semaphore set");
    case ENOENT:
      return std::move(error).with_detail("key " + key_to_string(key) +
                                          " has no semaphore set");
    case EINVAL: {
      auto limits = sem_limits();
      if (nsems < 1 ||
          (limits && static_cast<std::size_t>(nsems) > limits->semmsl)) {
        return std::move(error).with_detail(
            "nsems must be 1.." +
            (limits ? std::to_string(limits->semmsl) : std::string("SEMMSL")));
      }
      return std::move(error).with_detail(
          "the set of key " + key_to_string(key) + " has fewer than " +
          std::to_string(nsems) + " semaphores");
    }
    case ENOSPC:
      return std::move(error).with_detail(
          "too many semaphore sets or semaphores (SEMMNI, SEMMNS)");
    default:
      return error;
  }
}

// The sembufs of one op() call: on the stack for up to kStackOps operations.
constexpr std::size_t kStackOps = 16;

timespec to_timespec(Clock::duration d) {
  if (d < Clock::duration::zero()) d = Clock::duration::zero();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(d);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(d - secs);
  return timespec{static_cast<time_t>(secs.count()),
                  static_cast<long>(nanos.count())};
}

std::string ops_context(int id, std::span<const SemOp> ops) {
  std::string c = set_context(id) + ", ";
  if (ops.size() == 1) {
    c += "sem " + std::to_string(ops[0].num) + " op " +
         std::to_string(ops[0].delta);
    if (ops[0].undo) c += " SEM_UNDO";
    if (ops[0].nowait) c += " IPC_NOWAIT";
  } else {
    c += std::to_string(ops.size()) + " operations";
  }
  return c;
}

}  // namespace

Result<SemaphoreSet> SemaphoreSet::open(key_t key) {
  if (key == IPC_PRIVATE) {
    return Error(EINVAL, "semget", "key=" + key_to_string(key),
                 "IPC_PRIVATE names no existing semaphore set");
  }
  return get(key, 0, 0, 0);
}

Result<SemaphoreSet> SemaphoreSet::create(key_t key, int nsems, mode_t mode) {
  return get(key, nsems, IPC_CREAT, mode);
}

Result<SemaphoreSet> SemaphoreSet::create_exclusive(key_t key, int nsems,
                                                    mode_t mode) {
  return get(key, nsems, IPC_CREAT | IPC_EXCL, mode);
}

Result<SemaphoreSet> SemaphoreSet::create_private(int nsems, mode_t mode) {
  return get(IPC_PRIVATE, nsems, 0, mode);
}

Status SemaphoreSet::op(std::span<const SemOp> ops,
                        SemOpOptions options) const {
  if (ops.empty()) {
    return Error(EINVAL, "semop", set_context(id_), "no operations");
  }
  struct sembuf stack_bufs[kStackOps];
  std::vector<struct sembuf> heap_bufs;
  struct sembuf* bufs = stack_bufs;
  if (ops.size() > kStackOps) {
    heap_bufs.resize(ops.size());
    bufs = heap_bufs.data();
  }
  bool any_nowait = options.nowait;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    bool nowait = options.nowait || ops[i].nowait;
    any_nowait = any_nowait || nowait;
    bufs[i].sem_num = ops[i].num;
    bufs[i].sem_op = ops[i].delta;
    bufs[i].sem_flg = static_cast<short>((ops[i].undo ? SEM_UNDO : 0) |
                                         (nowait ? IPC_NOWAIT : 0));
  }
  const char* call = options.deadline ? "semtimedop" : "semop";
  for (;;) {
    int r;
    if (options.deadline) {
      timespec left = to_timespec(*options.deadline - Clock::now());
      r = sys::semtimedop(id_, bufs, ops.size(), &left);
    } else {
      r = sys::semop(id_, bufs, ops.size());
    }
    if (r == 0) return ok_status();
    if (errno == EINTR && options.eintr == Eintr::kRetry) continue;
    Error error = Error::from_errno(call, ops_context(id_, ops));
    switch (error.code()) {
      case EAGAIN:
        // semtimedop's expiry is EAGAIN too; without IPC_NOWAIT it can only
        // be that, with it only if the deadline has passed.
        if (options.deadline &&
            (!any_nowait || Clock::now() >= *options.deadline)) {
          return Error(ETIMEDOUT, call, ops_context(id_, ops), "timed out");
        }
        return std::move(error).with_detail("would wait (IPC_NOWAIT)");
      case EIDRM:
        return std::move(error).with_detail("set removed");
      case E2BIG: {
        auto limits = sem_limits();
        return std::move(error).with_detail(
            std::to_string(ops.size()) + " operations exceed semopm " +
            (limits ? std::to_string(limits->semopm) : std::string("?")));
      }
      case EFBIG: {
        unsigned short max = 0;
        for (const SemOp& o : ops) max = std::max(max, o.num);
        struct semid_ds ds {};
        std::string has = stat_raw(id_, &ds) == 0
                              ? " (it has " + std::to_string(ds.sem_nsems) + ")"
                              : "";
        return std::move(error).with_detail("semaphore " + std::to_string(max) +
                                            " is not in the set" + has);
      }
      case ERANGE:
        return std::move(error).with_detail("a value would pass SEMVMX (" +
                                            std::to_string(kSemVmx) +
                                            ") or an undo adjustment SEMAEM");
      case EINVAL:
        return std::move(error).with_detail(no_set(id_));
      default:
        return error;
    }
  }
}

Error SemaphoreSet::semctl_error(const char* op, int num) const {
  Error error = Error::from_errno(
      op, set_context(id_) + ", semnum=" + std::to_string(num));
  if (error.code() != EINVAL) return error;
  struct semid_ds ds {};
  if (stat_raw(id_, &ds) != 0) {
    return std::move(error).with_detail(no_set(id_));
  }
  return std::move(error).with_detail("semaphore " + std::to_string(num) +
                                      " is not in the set (it has " +
                                      std::to_string(ds.sem_nsems) + ")");
}

Result<int> SemaphoreSet::value(int num) const {
  int v = sys::semctl(id_, num, GETVAL, no_arg());
  if (v < 0) return semctl_error("semctl(GETVAL)", num);
  return v;
}

Status SemaphoreSet::set_value(int num, int value) const {
  if (sys::semctl(id_, num, SETVAL, sys::SemArg{.val = value}) == 0) {
    return ok_status();
  }
  if (errno == ERANGE) {
    return Error::from_errno("semctl(SETVAL)",
                             set_context(id_) +
                                 ", semnum=" + std::to_string(num) +
                                 ", value=" + std::to_string(value))
        .with_detail("the value must be 0.." + std::to_string(kSemVmx) +
                     " (SEMVMX)");
  }
  return semctl_error("semctl(SETVAL)", num);
}

Result<std::vector<unsigned short>> SemaphoreSet::values() const {
  auto st = stat();
  if (!st) return std::move(st).error();
  std::vector<unsigned short> out(st->nsems);
  if (sys::semctl(id_, 0, GETALL, sys::SemArg{.array = out.data()}) != 0) {
    Error error = Error::from_errno("semctl(GETALL)", set_context(id_));
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_set(id_));
    return error;
  }
  return out;
}

Status SemaphoreSet::set_values(std::span<const unsigned short> values) const {
  std::string context =
      set_context(id_) + ", " + std::to_string(values.size()) + " values";
  auto st = stat();
  if (!st) return std::move(st).error();
  // SETALL reads sem_nsems values from the array, however long it is.
  if (values.size() != st->nsems) {
    return Error(EINVAL, "semctl(SETALL)", context,
                 std::to_string(values.size()) + " values for a set of " +
                     std::to_string(st->nsems) + " semaphores");
  }
  // SETALL does not write the array; glibc's union semun is not const.
  auto* array = const_cast<unsigned short*>(values.data());
  if (sys::semctl(id_, 0, SETALL, sys::SemArg{.array = array}) != 0) {
    Error error = Error::from_errno("semctl(SETALL)", context);
    if (error.code() == ERANGE) {
      return std::move(error).with_detail("every value must be at most " +
                                          std::to_string(kSemVmx) +
                                          " (SEMVMX)");
    }
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_set(id_));
    return error;
  }
  return ok_status();
}

Result<int> SemaphoreSet::waiting_to_decrease(int num) const {
  int n = sys::semctl(id_, num, GETNCNT, no_arg());
  if (n < 0) return semctl_error("semctl(GETNCNT)", num);
  return n;
}

Result<int> SemaphoreSet::waiting_for_zero(int num) const {
  int n = sys::semctl(id_, num, GETZCNT, no_arg());
  if (n < 0) return semctl_error("semctl(GETZCNT)", num);
  return n;
}

Result<pid_t> SemaphoreSet::last_pid(int num) const {
  int pid = sys::semctl(id_, num, GETPID, no_arg());
  if (pid < 0) return semctl_error("semctl(GETPID)", num);
  return static_cast<pid_t>(pid);
}

Result<SemStat> SemaphoreSet::stat() const {
  struct semid_ds ds {};
  if (stat_raw(id_, &ds) != 0) {
    Error error = Error::from_errno("semctl(IPC_STAT)", set_context(id_));
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_set(id_));
    return error;
  }
  return SemStat{
      .nsems = static_cast<std::size_t>(ds.sem_nsems),
      .otime = ds.sem_otime,
      .ctime = ds.sem_ctime,
      .key = ds.sem_perm.__key,
      .uid = ds.sem_perm.uid,
      .gid = ds.sem_perm.gid,
      .cuid = ds.sem_perm.cuid,
      .cgid = ds.sem_perm.cgid,
      .mode = static_cast<mode_t>(ds.sem_perm.mode & 0777),
  };
}

Status SemaphoreSet::set_owner(uid_t uid, gid_t gid, mode_t mode) const {
  std::string context = set_context(id_) + ", uid=" + std::to_string(uid) +
                        ", gid=" + std::to_string(gid) +
                        ", mode=" + octal(mode);
  if ((mode & ~mode_t{0777}) != 0) {
    return Error(EINVAL, "semctl(IPC_SET)", context,
                 "mode has bits outside 0777");
  }
  struct semid_ds ds {};
  if (stat_raw(id_, &ds) != 0) {
    Error error = Error::from_errno("semctl(IPC_STAT)", context);
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_set(id_));
    return error;
  }
  ds.sem_perm.uid = uid;
  ds.sem_perm.gid = gid;
  ds.sem_perm.mode = static_cast<unsigned short>(mode);
  if (sys::semctl(id_, 0, IPC_SET, sys::SemArg{.buf = &ds}) != 0) {
    Error error = Error::from_errno("semctl(IPC_SET)", context);
    if (error.code() == EPERM)
      return std::move(error).with_detail("not the set's owner or creator");
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_set(id_));
    return error;
  }
  return ok_status();
}

Status SemaphoreSet::remove() const {
  if (sys::semctl(id_, 0, IPC_RMID, no_arg()) != 0) {
    Error error = Error::from_errno("semctl(IPC_RMID)", set_context(id_));
    if (error.code() == EINVAL)
      return std::move(error).with_detail(no_set(id_));
    return error;
  }
  return ok_status();
}

SemOwner& SemOwner::operator=(SemOwner&& other) noexcept {
  if (this != &other) {
    if (owns_) (void)set_.remove();
    set_ = other.set_;
    owns_ = other.owns_;
    other.owns_ = false;
  }
  return *this;
}

SemOwner::~SemOwner() {
  if (owns_) (void)set_.remove();
}

}  // namespace ipc
