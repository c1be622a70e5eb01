// ipc/sys.h — the system-call seam.
//
// Every system call the IPC layer makes goes through ipc::sys::<name>(...), and
// each of those calls through one entry of a small table of function pointers.
// By default an entry calls the libc wrapper of the same name (not raw
// syscall(2)), so what is exercised is the libc + kernel pair of this machine.
// fault/ replaces entries to fail, shorten or interrupt calls in-process,
// without touching the layer. Cost when nothing is replaced: one relaxed atomic
// load (a plain mov on x86) and one indirect call.
//
// IPC_SYS_CALLS is the single list of calls that go through the seam; fault/'s
// interceptors and preload shims are generated from it, and the copy of the
// list in docs/ipc.md is checked against it (//ipc:ipc_calls_test). Semantics
// are exactly libc's (including pthread_sigmask returning an error number
// instead of setting errno, sem_open returning SEM_FAILED, and semop being
// glibc's wrapper, which enters the kernel as semtimedop with no timeout). The
// variadic semctl and sem_open take their optional arguments always: pass a
// zero SemArg, mode or value when the command or flags do not use them.
#pragma once

#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <atomic>
#include <cstddef>

namespace ipc::sys {
// The fourth argument of semctl(2), which callers must declare themselves
// (semctl(2): "union semun"); the same layout as glibc expects.
union SemArg {
  int val;                // SETVAL
  struct semid_ds* buf;   // IPC_STAT, IPC_SET, SEM_STAT, SEM_STAT_ANY
  unsigned short* array;  // GETALL, SETALL
  struct seminfo* info;   // IPC_INFO, SEM_INFO
};
}  // namespace ipc::sys

// X(name, return type, (parameters), (arguments))
#define IPC_SYS_CALLS(X)                                                    \
  X(read, ssize_t, (int fd, void* buf, size_t n), (fd, buf, n))             \
  X(write, ssize_t, (int fd, const void* buf, size_t n), (fd, buf, n))      \
  X(pread, ssize_t, (int fd, void* buf, size_t n, off_t off),               \
    (fd, buf, n, off))                                                      \
  X(pwrite, ssize_t, (int fd, const void* buf, size_t n, off_t off),        \
    (fd, buf, n, off))                                                      \
  X(lseek, off_t, (int fd, off_t off, int whence), (fd, off, whence))       \
  X(poll, int, (struct pollfd * fds, nfds_t n, int timeout_ms),             \
    (fds, n, timeout_ms))                                                   \
  X(close, int, (int fd), (fd))                                             \
  X(open, int, (const char* path, int flags, mode_t mode),                  \
    (path, flags, mode))                                                    \
  X(fstat, int, (int fd, struct stat* st), (fd, st))                        \
  X(fcntl, int, (int fd, int cmd, long arg), (fd, cmd, arg))                \
  X(ioctl, int, (int fd, unsigned long request, void* arg),                 \
    (fd, request, arg))                                                     \
  X(pipe2, int, (int fds[2], int flags), (fds, flags))                      \
  X(mkfifo, int, (const char* path, mode_t mode), (path, mode))             \
  X(unlink, int, (const char* path), (path))                                \
  X(ftok, key_t, (const char* path, int proj_id), (path, proj_id))          \
  X(msgget, int, (key_t key, int flags), (key, flags))                      \
  X(msgsnd, int, (int qid, const void* msg, size_t n, int flags),           \
    (qid, msg, n, flags))                                                   \
  X(msgrcv, ssize_t, (int qid, void* msg, size_t n, long type, int flags),  \
    (qid, msg, n, type, flags))                                             \
  X(msgctl, int, (int qid, int cmd, struct msqid_ds* buf), (qid, cmd, buf)) \
  X(shmget, int, (key_t key, size_t size, int flags), (key, size, flags))   \
  X(shmat, void*, (int id, const void* addr, int flags), (id, addr, flags)) \
  X(shmdt, int, (const void* addr), (addr))                                 \
  X(shmctl, int, (int id, int cmd, struct shmid_ds* buf), (id, cmd, buf))   \
  X(shm_open, int, (const char* name, int flags, mode_t mode),              \
    (name, flags, mode))                                                    \
  X(shm_unlink, int, (const char* name), (name))                            \
  X(ftruncate, int, (int fd, off_t length), (fd, length))                   \
  X(mmap, void*,                                                            \
    (void* addr, size_t len, int prot, int flags, int fd, off_t off),       \
    (addr, len, prot, flags, fd, off))                                      \
  X(munmap, int, (void* addr, size_t len), (addr, len))                     \
  X(sigaction, int,                                                         \
    (int sig, const struct sigaction* act, struct sigaction* old),          \
    (sig, act, old))                                                        \
  X(pthread_sigmask, int, (int how, const sigset_t* set, sigset_t* old),    \
    (how, set, old))                                                        \
  X(sigtimedwait, int,                                                      \
    (const sigset_t* set, siginfo_t* info, const struct timespec* timeout), \
    (set, info, timeout))                                                   \
  X(signalfd, int, (int fd, const sigset_t* mask, int flags),               \
    (fd, mask, flags))                                                      \
  X(eventfd, int, (unsigned int initval, int flags), (initval, flags))      \
  X(semget, int, (key_t key, int nsems, int flags), (key, nsems, flags))    \
  X(semop, int, (int id, struct sembuf* ops, size_t n), (id, ops, n))       \
  X(semtimedop, int,                                                        \
    (int id, struct sembuf* ops, size_t n, const struct timespec* t),       \
    (id, ops, n, t))                                                        \
  X(semctl, int, (int id, int num, int cmd, ipc::sys::SemArg arg),          \
    (id, num, cmd, arg))                                                    \
  X(sem_open, sem_t*,                                                       \
    (const char* name, int flags, mode_t mode, unsigned int value),         \
    (name, flags, mode, value))                                             \
  X(sem_close, int, (sem_t * sem), (sem))                                   \
  X(sem_unlink, int, (const char* name), (name))                            \
  X(sem_init, int, (sem_t * sem, int pshared, unsigned int value),          \
    (sem, pshared, value))                                                  \
  X(sem_destroy, int, (sem_t * sem), (sem))                                 \
  X(sem_wait, int, (sem_t * sem), (sem))                                    \
  X(sem_trywait, int, (sem_t * sem), (sem))                                 \
  X(sem_timedwait, int, (sem_t * sem, const struct timespec* abs_timeout),  \
    (sem, abs_timeout))                                                     \
  X(sem_post, int, (sem_t * sem), (sem))                                    \
  X(sem_getvalue, int, (sem_t * sem, int* value), (sem, value))

namespace ipc::sys {

// One enumerator per call, in list order: Call::read, Call::write, ...
enum class Call {
#define IPC_SYS_ENUM(name, ret, params, args) name,
  IPC_SYS_CALLS(IPC_SYS_ENUM)
#undef IPC_SYS_ENUM
};
inline constexpr std::size_t kCallCount = 0
#define IPC_SYS_COUNT(name, ret, params, args) +1
    IPC_SYS_CALLS(IPC_SYS_COUNT)
#undef IPC_SYS_COUNT
    ;

// "read", "msgsnd", ...; nullptr for an out-of-range value.
const char* call_name(Call call);
// Parses a call name; false if unknown.
bool call_from_name(const char* name, Call* out);

// Function pointer types: sys::read_fn, sys::msgsnd_fn, ...
#define IPC_SYS_TYPE(name, ret, params, args) using name##_fn = ret(*) params;
IPC_SYS_CALLS(IPC_SYS_TYPE)
#undef IPC_SYS_TYPE

// The live table. fault/ stores its interceptors here (and restores libc()).
struct Table {
#define IPC_SYS_FIELD(name, ret, params, args) std::atomic<name##_fn> name;
  IPC_SYS_CALLS(IPC_SYS_FIELD)
#undef IPC_SYS_FIELD
};
Table& table();

// The libc entries the table starts with; interceptors call through these.
struct LibcTable {
#define IPC_SYS_FIELD(name, ret, params, args) name##_fn name;
  IPC_SYS_CALLS(IPC_SYS_FIELD)
#undef IPC_SYS_FIELD
};
const LibcTable& libc();

// Puts every entry of the live table back to libc.
void reset_table();

namespace detail {
extern Table g_table;
}

// The seam itself: sys::read(fd, buf, n), sys::msgsnd(...), ...
#define IPC_SYS_INLINE(name, ret, params, args)                       \
  inline ret name params {                                            \
    return detail::g_table.name.load(std::memory_order_relaxed) args; \
  }
IPC_SYS_CALLS(IPC_SYS_INLINE)
#undef IPC_SYS_INLINE

}  // namespace ipc::sys
