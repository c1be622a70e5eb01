// fault/preload_symbols.cc — every libc entry point libipcfault.so
// interposes, and the real functions behind them.
//
// The plan names calls (ipc/sys.h IPC_SYS_CALLS); a program reaches a call
// through any of the libc symbols below, and each counts as that call (the
// `_chk` ones are what -D_FORTIFY_SOURCE makes a program call, `64` ones what
// -D_FILE_OFFSET_BITS=64 makes it call, `__` ones are older public names):
//   read             read __read __read_chk
//   write            write __write
//   pread            pread pread64 __pread64 __pread_chk __pread64_chk
//   pwrite           pwrite pwrite64 __pwrite64
//   lseek            lseek lseek64 __lseek
//   poll             poll __poll __poll_chk ppoll __ppoll_chk
//   close            close __close
//   open             open open64 __open __open64 __open_2 __open64_2
//                    openat openat64 __openat_2 __openat64_2 creat creat64
//   fstat            fstat fstat64 __fxstat __fxstat64 (programs built
//                    against glibc < 2.33 call the last two)
//   fcntl            fcntl fcntl64 __fcntl
//   pipe2            pipe2 pipe __pipe (pipe(fds) is pipe2(fds, 0))
//   mkfifo           mkfifo mkfifoat, and mknod mknodat __xmknod __xmknodat
//                    when they make a FIFO (S_IFIFO; any other node: not
//                    counted, made unchanged; __xmknod* are what programs
//                    built against glibc < 2.33 call)
//   unlink           unlink unlinkat (with AT_REMOVEDIR that is rmdir: not
//                    counted, made unchanged)
//   ftruncate        ftruncate ftruncate64
//   mmap             mmap mmap64
//   sigaction        sigaction __sigaction
//   pthread_sigmask  pthread_sigmask sigprocmask (fails with -1 and errno)
//   sigtimedwait     sigtimedwait sigwaitinfo
//   sem_timedwait    sem_timedwait sem_clockwait (its deadline on a chosen
//                    clock)
//   every other call: its own name only.
// What glibc 2.36 exports but is left out, and why: the GLIBC_PRIVATE names
// (__read_nocancel, __libc_pread, __mmap, __sigtimedwait, __fstat64, ...):
// only glibc itself links against them, and its own calls do not go through
// the PLT; fstatat/newfstatat (status by path, not fstat); sigwait (returns an
// error number, a call of its own); signal, bsd_signal, sysv_signal,
// __sysv_signal, sigset (other interfaces, built on sigaction inside libc);
// __recv_chk, __mq_open_2 (recv and mq_open are not calls of the plan
// language).
//
// A fortified call that asks for more than its buffer holds is made unchanged
// (libc then stops the program): a shortened count must not hide the bug.
//
// Real functions: every symbol's real function is looked up with
// dlsym(RTLD_NEXT) when the library is loaded (resolve_real_functions, from
// its constructor), not on first use, which may be inside a signal handler.
// Only a call made before that (by another library's constructor) looks its
// function up itself. A symbol libc does not export stays unresolved; calling
// it stops the process with "ipcfault: libc has no NAME" (a program can only
// import a name its own libc provides, so this means a libc unlike the one
// the program was linked against).
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fault/preload.h"

using fault::Call;
using fault::preload::shape;
using fault::preload::shape_of;

// Every interposed symbol, X(symbol, type of its real function): the calls of
// IPC_SYS_CALLS under their own names (open, fcntl, ioctl, semctl and
// sem_open: libc declares them variadic, they are listed with the aliases),
// then the aliases.
#define IPCFAULT_VARIADIC_open ,
#define IPCFAULT_VARIADIC_fcntl ,
#define IPCFAULT_VARIADIC_ioctl ,
#define IPCFAULT_VARIADIC_semctl ,
#define IPCFAULT_VARIADIC_sem_open ,
#define IPCFAULT_SECOND(a, b, ...) b
#define IPCFAULT_SECOND_I(...) IPCFAULT_SECOND(__VA_ARGS__)
#define IPCFAULT_IS_VARIADIC(name) \
  IPCFAULT_SECOND_I(IPCFAULT_VARIADIC_##name 1, 0, ~)
#define IPCFAULT_IF_0(...) __VA_ARGS__
#define IPCFAULT_IF_1(...)
#define IPCFAULT_IF(c, ...) IPCFAULT_IF_I(c, __VA_ARGS__)
#define IPCFAULT_IF_I(c, ...) IPCFAULT_IF_##c(__VA_ARGS__)
#define IPCFAULT_PLAIN(X, name, ret, params) \
  IPCFAULT_IF(IPCFAULT_IS_VARIADIC(name), X(name, ret params))

#define IPCFAULT_ALIASES(X)                                               \
  X(open, int(const char*, int, ...))                                     \
  X(open64, int(const char*, int, ...))                                   \
  X(__open, int(const char*, int, ...))                                   \
  X(__open64, int(const char*, int, ...))                                 \
  X(__open_2, int(const char*, int))                                      \
  X(__open64_2, int(const char*, int))                                    \
  X(openat, int(int, const char*, int, ...))                              \
  X(openat64, int(int, const char*, int, ...))                            \
  X(__openat_2, int(int, const char*, int))                               \
  X(__openat64_2, int(int, const char*, int))                             \
  X(fcntl, int(int, int, ...))                                            \
  X(fcntl64, int(int, int, ...))                                          \
  X(__fcntl, int(int, int, ...))                                          \
  X(ioctl, int(int, unsigned long, ...))                                  \
  X(semctl, int(int, int, int, ...))                                      \
  X(sem_open, sem_t*(const char*, int, ...))                              \
  X(__read, ssize_t(int, void*, size_t))                                  \
  X(__read_chk, ssize_t(int, void*, size_t, size_t))                      \
  X(__write, ssize_t(int, const void*, size_t))                           \
  X(pread64, ssize_t(int, void*, size_t, off_t))                          \
  X(__pread64, ssize_t(int, void*, size_t, off_t))                        \
  X(__pread_chk, ssize_t(int, void*, size_t, off_t, size_t))              \
  X(__pread64_chk, ssize_t(int, void*, size_t, off_t, size_t))            \
  X(pwrite64, ssize_t(int, const void*, size_t, off_t))                   \
  X(__pwrite64, ssize_t(int, const void*, size_t, off_t))                 \
  X(lseek64, off_t(int, off_t, int))                                      \
  X(__lseek, off_t(int, off_t, int))                                      \
  X(__poll, int(struct pollfd*, nfds_t, int))                             \
  X(__poll_chk, int(struct pollfd*, nfds_t, int, size_t))                 \
  X(ppoll,                                                                \
    int(struct pollfd*, nfds_t, const struct timespec*, const sigset_t*)) \
  X(__ppoll_chk, int(struct pollfd*, nfds_t, const struct timespec*,      \
                     const sigset_t*, size_t))                            \
  X(__close, int(int))                                                    \
  X(fstat64, int(int, struct stat*))                                      \
  X(__fxstat, int(int, int, struct stat*))                                \
  X(__fxstat64, int(int, int, struct stat*))                              \
  X(pipe, int(int*))                                                      \
  X(__pipe, int(int*))                                                    \
  X(mkfifoat, int(int, const char*, mode_t))                              \
  X(mknod, int(const char*, mode_t, dev_t))                               \
  X(mknodat, int(int, const char*, mode_t, dev_t))                        \
  X(__xmknod, int(int, const char*, mode_t, dev_t*))                      \
  X(__xmknodat, int(int, int, const char*, mode_t, dev_t*))               \
  X(creat, int(const char*, mode_t))                                      \
  X(creat64, int(const char*, mode_t))                                    \
  X(unlinkat, int(int, const char*, int))                                 \
  X(ftruncate64, int(int, off_t))                                         \
  X(mmap64, void*(void*, size_t, int, int, int, off_t))                   \
  X(__sigaction, int(int, const struct sigaction*, struct sigaction*))    \
  X(sigprocmask, int(int, const sigset_t*, sigset_t*))                    \
  X(sigwaitinfo, int(const sigset_t*, siginfo_t*))                        \
  X(sem_clockwait, int(sem_t*, clockid_t, const struct timespec*))

namespace {

// g_real_<symbol>: the real function of every symbol.
#define IPCFAULT_SLOT(symbol, type) \
  std::atomic<std::add_pointer_t<type>> g_real_##symbol{nullptr};
#define IPCFAULT_PLAIN_SLOT(name, ret, params, args) \
  IPCFAULT_PLAIN(IPCFAULT_SLOT, name, ret, params)
IPC_SYS_CALLS(IPCFAULT_PLAIN_SLOT)
IPCFAULT_ALIASES(IPCFAULT_SLOT)

}  // namespace

namespace fault::preload {

void resolve_real_functions() {
#define IPCFAULT_RESOLVE(symbol, type)                                         \
  g_real_##symbol.store(                                                       \
      reinterpret_cast<std::add_pointer_t<type>>(::dlsym(RTLD_NEXT, #symbol)), \
      std::memory_order_relaxed);
#define IPCFAULT_PLAIN_RESOLVE(name, ret, params, args) \
  IPCFAULT_PLAIN(IPCFAULT_RESOLVE, name, ret, params)
  IPC_SYS_CALLS(IPCFAULT_PLAIN_RESOLVE)
  IPCFAULT_ALIASES(IPCFAULT_RESOLVE)
}

void* resolve_late_or_die(const char* name) {
  if (void* fn = ::dlsym(RTLD_NEXT, name)) return fn;
  // Async-signal-safe: the caller may be a signal handler.
  static const char kWhat[] = "ipcfault: libc has no ";
  ::syscall(SYS_write, 2, kWhat, sizeof kWhat - 1);
  ::syscall(SYS_write, 2, name, std::strlen(name));
  ::syscall(SYS_write, 2, "\n", 1);
  std::abort();
}

}  // namespace fault::preload

// The body of every interposed function: triage, then either the real
// function or the slow path. When nothing fires, the real function is the
// last call and is reached by a jump (no local's address escapes on that
// path): the program's return then goes straight back to it, one return level
// fewer after each system call (why that matters on kernels that refill the
// return-stack buffer on every exit to user space, and what it measured:
// docs/performance.md, fault_overhead_bench).
#define IPCFAULT_UNPAREN(...) __VA_ARGS__
#define IPCFAULT_BODY(symbol, call, shape, ret, args)                         \
  auto real_ = fault::preload::real(g_real_##symbol, #symbol);                \
  std::uint64_t token_ = fault::preload::triage(Call::call);                  \
  if (__builtin_expect(token_ == fault::Engine::kNoFault, 1))                 \
    return real_ args;                                                        \
  return (fault::preload::slow_path<Call::call, ret, shape>)(token_, real_,   \
                                                             IPCFAULT_UNPAREN \
                                                                 args);

// Exported `symbol` (its C++ name is ipcfault_<symbol>: libc's own
// declarations differ in details, noexcept or variadic), counted as `call`.
#define IPCFAULT_EXPORT extern "C" __attribute__((visibility("default")))
#define IPCFAULT_SHIM(symbol, call, shape, ret, params, args)    \
  IPCFAULT_EXPORT ret ipcfault_##symbol params __asm__(#symbol); \
  ret ipcfault_##symbol params { IPCFAULT_BODY(symbol, call, shape, ret, args) }

// The calls of IPC_SYS_CALLS under their own names.
#define IPCFAULT_PLAIN_SHIM(name, ret, params, args) \
  IPCFAULT_IF(                                       \
      IPCFAULT_IS_VARIADIC(name),                    \
      IPCFAULT_SHIM(name, name, shape_of(Call::name), ret, params, args))
IPC_SYS_CALLS(IPCFAULT_PLAIN_SHIM)

// Aliases with the argument list of their call.
IPCFAULT_SHIM(__read, read, shape_of(Call::read), ssize_t,
              (int fd, void* buf, size_t n), (fd, buf, n))
IPCFAULT_SHIM(__write, write, shape_of(Call::write), ssize_t,
              (int fd, const void* buf, size_t n), (fd, buf, n))
IPCFAULT_SHIM(pread64, pread, shape_of(Call::pread), ssize_t,
              (int fd, void* buf, size_t n, off_t off), (fd, buf, n, off))
IPCFAULT_SHIM(__pread64, pread, shape_of(Call::pread), ssize_t,
              (int fd, void* buf, size_t n, off_t off), (fd, buf, n, off))
IPCFAULT_SHIM(pwrite64, pwrite, shape_of(Call::pwrite), ssize_t,
              (int fd, const void* buf, size_t n, off_t off), (fd, buf, n, off))
IPCFAULT_SHIM(__pwrite64, pwrite, shape_of(Call::pwrite), ssize_t,
              (int fd, const void* buf, size_t n, off_t off), (fd, buf, n, off))
IPCFAULT_SHIM(lseek64, lseek, shape_of(Call::lseek), off_t,
              (int fd, off_t off, int whence), (fd, off, whence))
IPCFAULT_SHIM(__lseek, lseek, shape_of(Call::lseek), off_t,
              (int fd, off_t off, int whence), (fd, off, whence))
IPCFAULT_SHIM(__poll, poll, shape_of(Call::poll), int,
              (struct pollfd * fds, nfds_t n, int timeout), (fds, n, timeout))
IPCFAULT_SHIM(__close, close, shape_of(Call::close), int, (int fd), (fd))
IPCFAULT_SHIM(fstat64, fstat, shape_of(Call::fstat), int,
              (int fd, struct stat* st), (fd, st))
IPCFAULT_SHIM(ftruncate64, ftruncate, shape_of(Call::ftruncate), int,
              (int fd, off_t length), (fd, length))
IPCFAULT_SHIM(mmap64, mmap, shape_of(Call::mmap), void*,
              (void* addr, size_t len, int prot, int flags, int fd, off_t off),
              (addr, len, prot, flags, fd, off))
IPCFAULT_SHIM(__sigaction, sigaction, shape_of(Call::sigaction), int,
              (int sig, const struct sigaction* act, struct sigaction* old),
              (sig, act, old))

// Fortified: the same call with the buffer's size added.
IPCFAULT_SHIM(__read_chk, read, shape(0, 2, 3), ssize_t,
              (int fd, void* buf, size_t n, size_t buflen),
              (fd, buf, n, buflen))
IPCFAULT_SHIM(__pread_chk, pread, shape(0, 2, 4), ssize_t,
              (int fd, void* buf, size_t n, off_t off, size_t buflen),
              (fd, buf, n, off, buflen))
IPCFAULT_SHIM(__pread64_chk, pread, shape(0, 2, 4), ssize_t,
              (int fd, void* buf, size_t n, off_t off, size_t buflen),
              (fd, buf, n, off, buflen))
IPCFAULT_SHIM(__poll_chk, poll, shape_of(Call::poll), int,
              (struct pollfd * fds, nfds_t n, int timeout, size_t fdslen),
              (fds, n, timeout, fdslen))
IPCFAULT_SHIM(ppoll, poll, shape_of(Call::poll), int,
              (struct pollfd * fds, nfds_t n, const struct timespec* timeout,
               const sigset_t* mask),
              (fds, n, timeout, mask))
IPCFAULT_SHIM(__ppoll_chk, poll, shape_of(Call::poll), int,
              (struct pollfd * fds, nfds_t n, const struct timespec* timeout,
               const sigset_t* mask, size_t fdslen),
              (fds, n, timeout, mask, fdslen))
IPCFAULT_SHIM(__open_2, open, shape(-1, -1), int, (const char* path, int flags),
              (path, flags))
IPCFAULT_SHIM(__open64_2, open, shape(-1, -1), int,
              (const char* path, int flags), (path, flags))
IPCFAULT_SHIM(__openat_2, open, shape(-1, -1), int,
              (int dirfd, const char* path, int flags), (dirfd, path, flags))
IPCFAULT_SHIM(__openat64_2, open, shape(-1, -1), int,
              (int dirfd, const char* path, int flags), (dirfd, path, flags))

// Other entry points to the same call.
IPCFAULT_SHIM(__fxstat, fstat, shape(1, -1), int,
              (int ver, int fd, struct stat* st), (ver, fd, st))
IPCFAULT_SHIM(__fxstat64, fstat, shape(1, -1), int,
              (int ver, int fd, struct stat* st), (ver, fd, st))
IPCFAULT_SHIM(pipe, pipe2, shape(-1, -1), int, (int fds[2]), (fds))
IPCFAULT_SHIM(__pipe, pipe2, shape(-1, -1), int, (int fds[2]), (fds))
IPCFAULT_SHIM(mkfifoat, mkfifo, shape(-1, -1), int,
              (int dirfd, const char* path, mode_t mode), (dirfd, path, mode))
IPCFAULT_SHIM(creat, open, shape(-1, -1), int, (const char* path, mode_t mode),
              (path, mode))
IPCFAULT_SHIM(creat64, open, shape(-1, -1), int,
              (const char* path, mode_t mode), (path, mode))
IPCFAULT_SHIM(sem_clockwait, sem_timedwait, shape(-1, -1), int,
              (sem_t * sem, clockid_t clock, const struct timespec* deadline),
              (sem, clock, deadline))
IPCFAULT_SHIM(sigwaitinfo, sigtimedwait, shape(-1, -1), int,
              (const sigset_t* set, siginfo_t* info), (set, info))
// sigprocmask is pthread_sigmask that fails with -1 and errno.
IPCFAULT_SHIM(sigprocmask, pthread_sigmask, shape(-1, -1), int,
              (int how, const sigset_t* set, sigset_t* old), (how, set, old))

// unlinkat(dirfd, path, AT_REMOVEDIR) removes a directory: not an unlink.
IPCFAULT_EXPORT int ipcfault_unlinkat(int dirfd, const char* path,
                                      int flags) __asm__("unlinkat");
int ipcfault_unlinkat(int dirfd, const char* path, int flags) {
  if ((flags & AT_REMOVEDIR) != 0) {
    return fault::preload::real(g_real_unlinkat, "unlinkat")(dirfd, path,
                                                             flags);
  }
  IPCFAULT_BODY(unlinkat, unlink, shape(-1, -1), int, (dirfd, path, flags))
}

// mknod and its aliases make a FIFO (counted as mkfifo) or another node (a
// call of its own, made unchanged).
#define IPCFAULT_MKNOD(symbol, params, mode, args)                \
  IPCFAULT_EXPORT int ipcfault_##symbol params __asm__(#symbol);  \
  int ipcfault_##symbol params {                                  \
    if (!S_ISFIFO(mode))                                          \
      return fault::preload::real(g_real_##symbol, #symbol) args; \
    IPCFAULT_BODY(symbol, mkfifo, shape(-1, -1), int, args)       \
  }
IPCFAULT_MKNOD(mknod, (const char* path, mode_t mode, dev_t dev), mode,
               (path, mode, dev))
IPCFAULT_MKNOD(mknodat, (int dirfd, const char* path, mode_t mode, dev_t dev),
               mode, (dirfd, path, mode, dev))
IPCFAULT_MKNOD(__xmknod, (int ver, const char* path, mode_t mode, dev_t* dev),
               mode, (ver, path, mode, dev))
IPCFAULT_MKNOD(__xmknodat,
               (int ver, int dirfd, const char* path, mode_t mode, dev_t* dev),
               mode, (ver, dirfd, path, mode, dev))

// open and its aliases: the mode argument exists only with O_CREAT or
// O_TMPFILE.
namespace {
mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE
             ? va_arg(ap, mode_t)
             : 0;
}
}  // namespace

#define IPCFAULT_OPEN(symbol)                                            \
  IPCFAULT_EXPORT int ipcfault_##symbol(const char* path, int flags,     \
                                        ...) __asm__(#symbol);           \
  int ipcfault_##symbol(const char* path, int flags, ...) {              \
    va_list ap;                                                          \
    va_start(ap, flags);                                                 \
    mode_t mode = mode_arg(flags, ap);                                   \
    va_end(ap);                                                          \
    IPCFAULT_BODY(symbol, open, shape(-1, -1), int, (path, flags, mode)) \
  }
IPCFAULT_OPEN(open)
IPCFAULT_OPEN(open64)
IPCFAULT_OPEN(__open)
IPCFAULT_OPEN(__open64)

#define IPCFAULT_OPENAT(symbol)                                           \
  IPCFAULT_EXPORT int ipcfault_##symbol(int dirfd, const char* path,      \
                                        int flags, ...) __asm__(#symbol); \
  int ipcfault_##symbol(int dirfd, const char* path, int flags, ...) {    \
    va_list ap;                                                           \
    va_start(ap, flags);                                                  \
    mode_t mode = mode_arg(flags, ap);                                    \
    va_end(ap);                                                           \
    IPCFAULT_BODY(symbol, open, shape(-1, -1), int,                       \
                  (dirfd, path, flags, mode))                             \
  }
IPCFAULT_OPENAT(openat)
IPCFAULT_OPENAT(openat64)

// fcntl(fd, cmd, ...): every argument that exists is an int, a long or a
// pointer, all passed in one integer register; read it as long.
#define IPCFAULT_FCNTL(symbol)                                               \
  IPCFAULT_EXPORT int ipcfault_##symbol(int fd, int cmd,                     \
                                        ...) __asm__(#symbol);               \
  int ipcfault_##symbol(int fd, int cmd, ...) {                              \
    va_list ap;                                                              \
    va_start(ap, cmd);                                                       \
    long arg = va_arg(ap, long);                                             \
    va_end(ap);                                                              \
    IPCFAULT_BODY(symbol, fcntl, shape_of(Call::fcntl), int, (fd, cmd, arg)) \
  }
IPCFAULT_FCNTL(fcntl)
IPCFAULT_FCNTL(fcntl64)
IPCFAULT_FCNTL(__fcntl)

// ioctl(fd, request, ...): the optional argument is a pointer or an int.
IPCFAULT_EXPORT int ipcfault_ioctl(int fd, unsigned long request,
                                   ...) __asm__("ioctl");
int ipcfault_ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  IPCFAULT_BODY(ioctl, ioctl, shape_of(Call::ioctl), int, (fd, request, arg))
}

// semctl(id, num, cmd, ...): the fourth argument (union semun) exists only for
// the commands that use it; read it for exactly those, as glibc does.
IPCFAULT_EXPORT int ipcfault_semctl(int id, int num, int cmd,
                                    ...) __asm__("semctl");
int ipcfault_semctl(int id, int num, int cmd, ...) {
  ipc::sys::SemArg arg{};
  switch (cmd) {
    case SETVAL:
    case GETALL:
    case SETALL:
    case IPC_STAT:
    case IPC_SET:
    case SEM_STAT:
    case SEM_STAT_ANY:
    case IPC_INFO:
    case SEM_INFO: {
      va_list ap;
      va_start(ap, cmd);
      arg = va_arg(ap, ipc::sys::SemArg);
      va_end(ap);
      break;
    }
    default:
      break;
  }
  IPCFAULT_BODY(semctl, semctl, shape_of(Call::semctl), int,
                (id, num, cmd, arg))
}

// sem_open(name, oflag, ...): mode and value exist only with O_CREAT. A
// failure returns SEM_FAILED (failure_value knows).
IPCFAULT_EXPORT sem_t* ipcfault_sem_open(const char* name, int flags,
                                         ...) __asm__("sem_open");
sem_t* ipcfault_sem_open(const char* name, int flags, ...) {
  mode_t mode = 0;
  unsigned int value = 0;
  if ((flags & O_CREAT) != 0) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    value = va_arg(ap, unsigned int);
    va_end(ap);
  }
  IPCFAULT_BODY(sem_open, sem_open, shape_of(Call::sem_open), sem_t*,
                (name, flags, mode, value))
}
