// ipc/posix_sem.h — POSIX semaphores: named (sem_open) and unnamed (sem_init,
// process-shared when they live in shared memory), and waiting on either.
//
//   SemNameOwner unlink_at_exit("/ipct-demo");           // sem_unlink when it goes
//   auto sem = NamedSemaphore::open("/ipct-demo", {.value = 1});  // O_CREAT, 0600
//   sem->wait();  sem->post();  sem->try_wait();
//   sem->wait(deadline_in(100ms));                      // sem_timedwait
//
//   auto at = ShmAttachment::attach(segment);           // shared with a child
//   auto u = UnnamedSemaphore::init(at->view(0, sizeof(sem_t)).value(),
//                                   {.process_shared = true});
//   // fork(): both processes use Semaphore::at(that address)
//
// Semaphore is a non-owning handle on a sem_t wherever it is; NamedSemaphore
// (sem_close on destruction) and UnnamedSemaphore (sem_destroy on destruction)
// own one and are Semaphores themselves.
//
// EINTR: a handler interrupting sem_wait or sem_timedwait makes them fail
// EINTR (sem_timedwait even with SA_RESTART on Linux); Eintr::kRetry (the
// default) waits again, with the time left when there is a deadline.
//
// Names follow the portable rule: "/" followed by 1..kMaxSemNameLength bytes,
// no other "/" and no NUL (glibc keeps a named semaphore in /dev/shm as
// "sem." + name, so the name is 4 bytes shorter than NAME_MAX). Anything else
// is rejected with EINVAL before any system call. sem_unlink removes the name
// at once; handles already open keep working, and a later sem_open of the
// name creates another semaphore.
#pragma once

#include <semaphore.h>
#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>

#include "ipc/fd.h"
#include "ipc/posix_name.h"
#include "ipc/result.h"

namespace ipc {

// The longest name after the leading '/': NAME_MAX minus glibc's "sem."
// prefix.
inline constexpr std::size_t kMaxSemNameLength = 251;

// A non-owning handle on a semaphore (named or unnamed). Copying it copies the
// handle only.
class Semaphore {
 public:
  // The semaphore at `sem` (e.g. in memory another process initialised).
  static Semaphore at(sem_t* sem) { return Semaphore(sem); }

  sem_t* get() const { return sem_; }

  // sem_post: EOVERFLOW "value is SEM_VALUE_MAX (N)".
  Status post() const;
  // sem_wait, or sem_timedwait with a deadline (converted to CLOCK_REALTIME;
  // a step of the realtime clock while waiting moves the expiry). Expiry is
  // ETIMEDOUT "timed out"; a deadline already passed still takes a token that
  // is there. EINTR only with Eintr::kSurface.
  Status wait(Deadline deadline = kNoDeadline,
              Eintr eintr = Eintr::kRetry) const;
  // sem_trywait: EAGAIN "value is 0".
  Status try_wait() const;
  // sem_getvalue (0, not a negative count, while others wait, on Linux).
  Result<int> value() const;

 protected:
  explicit Semaphore(sem_t* sem) : sem_(sem) {}
  sem_t* sem_ = nullptr;
};

struct SemOpenOptions {
  bool create = true;      // O_CREAT
  bool exclusive = false;  // O_EXCL: EEXIST if the name exists (needs create)
  mode_t mode = 0600;      // permission bits of a new semaphore (umask applies)
  unsigned int value = 0;  // value of a new one: at most SEM_VALUE_MAX
};

// An open named semaphore: sem_close on destruction (it does not unlink the
// name; use SemNameOwner). Move-only. glibc hands back one mapping per name
// and process, counting opens: each NamedSemaphore closes its own.
class NamedSemaphore : public Semaphore {
 public:
  // sem_open(name, [O_CREAT [| O_EXCL]], mode, value). EINVAL for a bad name,
  // `exclusive` without `create`, or a value above SEM_VALUE_MAX; EEXIST,
  // ENOENT, EACCES as sem_open reports them. Opening an existing semaphore
  // leaves its value alone (`value` and `mode` apply only to a new one).
  static Result<NamedSemaphore> open(const std::string& name,
                                     SemOpenOptions options = {});
  // sem_unlink(name): the name goes at once; open handles stay valid.
  static Status unlink(const std::string& name);

  NamedSemaphore(NamedSemaphore&& other) noexcept;
  NamedSemaphore& operator=(NamedSemaphore&& other) noexcept;
  NamedSemaphore(const NamedSemaphore&) = delete;
  NamedSemaphore& operator=(const NamedSemaphore&) = delete;
  // sem_close if still open; an error is ignored (use close()).
  ~NamedSemaphore();

  const std::string& name() const { return name_; }
  bool is_open() const { return sem_ != nullptr; }
  // sem_close now, reporting its error; closed afterwards either way. EINVAL
  // without a system call if already closed.
  Status close();

 private:
  NamedSemaphore(sem_t* sem, std::string name)
      : Semaphore(sem), name_(std::move(name)) {}
  std::string name_;
};

struct SemInitOptions {
  bool process_shared = false;  // pshared: usable by every process that maps
                                // the memory (it must be shared memory)
  unsigned int value = 0;       // at most SEM_VALUE_MAX
};

// An unnamed semaphore constructed (sem_init) in memory the caller provides
// and keeps alive; sem_destroy on destruction. Move-only. A fork()ed child
// holds a copy of the owner: only one process should destroy the semaphore
// (the child leaves with _exit, or release()s).
class UnnamedSemaphore : public Semaphore {
 public:
  // sem_init at storage.data(). EINVAL if `storage` is smaller than sem_t or
  // not aligned for it (without a system call), or if the value is above
  // SEM_VALUE_MAX.
  static Result<UnnamedSemaphore> init(std::span<std::byte> storage,
                                       SemInitOptions options = {});

  UnnamedSemaphore(UnnamedSemaphore&& other) noexcept;
  UnnamedSemaphore& operator=(UnnamedSemaphore&& other) noexcept;
  UnnamedSemaphore(const UnnamedSemaphore&) = delete;
  UnnamedSemaphore& operator=(const UnnamedSemaphore&) = delete;
  // sem_destroy if still owned; an error is ignored (use destroy()).
  ~UnnamedSemaphore();

  bool owns() const { return sem_ != nullptr; }
  // sem_destroy now, reporting its error; owns nothing afterwards either
  // way. EINVAL without a system call if nothing is owned.
  Status destroy();
  // Stops owning without destroying; returns the handle.
  Semaphore release();

 private:
  explicit UnnamedSemaphore(sem_t* sem) : Semaphore(sem) {}
};

// sem_unlink(name) on destruction unless released (ipc/posix_name.h).
// Move-only. Create it before (or right after) NamedSemaphore::open so that
// every path removes the name.
class SemNameOwner : public NameOwner {
 public:
  SemNameOwner() : NameOwner(&NamedSemaphore::unlink, "sem_unlink") {}
  explicit SemNameOwner(std::string name)
      : NameOwner(&NamedSemaphore::unlink, "sem_unlink", std::move(name)) {}
};

}  // namespace ipc
