// fault/preload.cc — libipcfault.so: LD_PRELOAD fault injection for any
// dynamically linked program (normally started through the ipcfault CLI).
//
// Environment (read once, when the library is loaded):
//   IPCFAULT_PLAN  the plan (fault/plan.h grammar). A bad plan prints
//                  "ipcfault: bad IPCFAULT_PLAN: ..." and exits 2 at load.
//   IPCFAULT_SEED  overrides the plan's seed (decimal).
//   IPCFAULT_LOG   file to which each process appends, at exit(3), a line
//                  "ipcfault: pid=N" and the engine's log (plan, seed, and one
//                  line per injected fault with its ordinal).
//   IPCFAULT_FORK  "reset": a fork child starts with fresh counters and an empty
//                  log. Default: the child continues the parent's counts (it
//                  inherits a copy of the engine, so the child's log also lists
//                  the faults the parent injected before the fork).
// exec keeps the environment, so the new program loads the library and the
// plan again, with fresh counters.
//
// Every function of ipc/sys.h IPC_SYS_CALLS is interposed (open, fcntl and
// ioctl by hand because libc declares them variadic), plus the aliases
// programs really link against: openat/open64/openat64 count as `open`,
// pread64/pwrite64 as pread/pwrite. Real functions come from
// dlsym(RTLD_NEXT, name), resolved on first use.
//
// Limits: static binaries and direct syscall(2) are not seen; calls glibc makes
// internally (inside fopen, stdio buffers, ...) do not go through the PLT and
// are not seen either. A process that leaves with _exit writes no log.
// This file is compiled without sanitizers (see fault/BUILD).
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>

#include "fault/apply.h"
#include "fault/engine.h"
#include "fault/plan.h"

namespace fault {
namespace {

std::atomic<Engine*> g_engine{nullptr};

// The real libc function `name`, looked up once (a racing lookup stores the
// same pointer, so a relaxed atomic is enough).
template <typename Fn>
Fn real(std::atomic<Fn>& slot, const char* name) {
  Fn fn = slot.load(std::memory_order_relaxed);
  if (fn == nullptr) {
    fn = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
    if (fn == nullptr) {
      static const char kMsg[] = "ipcfault: dlsym(RTLD_NEXT) found no libc function\n";
      ::syscall(SYS_write, 2, kMsg, sizeof kMsg - 1);
      std::abort();
    }
    slot.store(fn, std::memory_order_relaxed);
  }
  return fn;
}

// real_read(), real_write(), ... (the variadic open/fcntl/ioctl are called
// through variadic pointers of their own below, so theirs stay unused).
#define IPCFAULT_REAL(name, ret, params, args)              \
  std::atomic<ipc::sys::name##_fn> g_real_##name{nullptr};  \
  [[maybe_unused]] ipc::sys::name##_fn real_##name() { return real(g_real_##name, #name); }
IPC_SYS_CALLS(IPCFAULT_REAL)
#undef IPCFAULT_REAL

// The engine's decision for one call (nothing fires before the constructor ran).
inline Decision decide(Call call, int fd, std::size_t size) {
  Engine* engine = g_engine.load(std::memory_order_acquire);
  if (engine == nullptr) return Decision{};
  return engine->decide(call, fd, size);
}

// Asks the engine about one call and applies every effect except failing.
// Returns the errno to fail with, or 0 to make the call.
int before_call(Call call, int fd, std::size_t* size) {
  return apply_before_call(decide(call, fd, size != nullptr ? *size : 0), size);
}

// Writes all of s to fd with the real write (never injected).
void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = real_write()(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void write_log() {
  Engine* engine = g_engine.load(std::memory_order_acquire);
  const char* path = std::getenv("IPCFAULT_LOG");
  if (engine == nullptr || path == nullptr || *path == '\0') return;
  static std::atomic<int (*)(const char*, int, ...)> open_slot{nullptr};
  int fd = real(open_slot, "open")(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  write_all(fd, "ipcfault: pid=" + std::to_string(::getpid()) + "\n" + engine->format_log());
  real_close()(fd);
}

// pthread_atfork child handler for IPCFAULT_FORK=reset: a fresh engine (the
// parent's copy is leaked; other threads of the parent do not exist here).
void reset_in_child() {
  Engine* old = g_engine.load(std::memory_order_acquire);
  if (old == nullptr) return;
  g_engine.store(new Engine(old->plan()), std::memory_order_release);
}

__attribute__((constructor)) void load_plan() {
  const char* text = std::getenv("IPCFAULT_PLAN");
  if (text == nullptr) return;
  auto plan = parse_plan(text);
  if (!plan) {
    std::fprintf(stderr, "ipcfault: bad IPCFAULT_PLAN: %s\n", plan.error().message().c_str());
    std::exit(2);
  }
  if (const char* seed = std::getenv("IPCFAULT_SEED"); seed != nullptr && *seed != '\0') {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(seed, &end, 10);
    if (errno != 0 || *end != '\0') {
      std::fprintf(stderr, "ipcfault: bad IPCFAULT_SEED '%s': not a decimal number\n", seed);
      std::exit(2);
    }
    plan->seed = v;
  }
  g_engine.store(new Engine(std::move(plan).value()), std::memory_order_release);
  const char* fork_mode = std::getenv("IPCFAULT_FORK");
  if (fork_mode != nullptr && std::strcmp(fork_mode, "reset") == 0) {
    ::pthread_atfork(nullptr, nullptr, &reset_in_child);
  }
  std::atexit(&write_log);
}

// The body shared by every shim: decide, fail or call the real function.
// When nothing fires, the real function is the shim's last call and is
// reached by a jump (no argument's address has escaped on that path): the
// program's return then goes straight back to it. On kernels that refill the
// return-stack buffer on every exit to user space (this machine's SRSO "Safe
// RET" mitigation), each extra return level after a system call mispredicts.
// With the jump (and Engine::bump inline) bench/fault_overhead_bench's pipe
// loop went from 0.945-0.964 of plain to 0.970-0.975, dd from 0.920-0.956
// to 0.961-0.969.
#define IPCFAULT_BODY(call, real_fn, ret, args)                                      \
  auto a = std::tie args;                                                            \
  std::size_t* count_ = fault::size_of<Call::call>(a);                               \
  fault::Decision d_ = fault::decide(Call::call, fault::fd_of<Call::call>(a),        \
                                     count_ != nullptr ? *count_ : 0);               \
  if (!d_.fired()) return real_fn args;                                              \
  int error = fault::apply_before_call(d_, count_);                                  \
  if (error != 0) return fault::failure_value<ret>(Call::call, error);               \
  return real_fn args;

}  // namespace
}  // namespace fault

using fault::Call;

// One exported shim per call of IPC_SYS_CALLS, except the variadic ones below.
// libc's own declarations differ in details (noexcept, variadic), so each shim
// gets a C++ name of its own and the libc symbol name through an asm label.
// IPCFAULT_VARIADIC_<name> marks calls written by hand: the X-macro skips them.
#define IPCFAULT_VARIADIC_open ,
#define IPCFAULT_VARIADIC_fcntl ,
#define IPCFAULT_VARIADIC_ioctl ,
#define IPCFAULT_SECOND(a, b, ...) b
#define IPCFAULT_SECOND_I(...) IPCFAULT_SECOND(__VA_ARGS__)
#define IPCFAULT_IS_VARIADIC(name) IPCFAULT_SECOND_I(IPCFAULT_VARIADIC_##name 1, 0, ~)
#define IPCFAULT_IF_0(x) x
#define IPCFAULT_IF_1(x)
#define IPCFAULT_IF(c, x) IPCFAULT_IF_I(c, x)
#define IPCFAULT_IF_I(c, x) IPCFAULT_IF_##c(x)

#define IPCFAULT_SHIM(name, ret, params, args)                                          \
  IPCFAULT_IF(IPCFAULT_IS_VARIADIC(name),                                               \
    extern "C" __attribute__((visibility("default"))) ret ipcfault_##name params        \
        __asm__(#name);                                                                 \
    ret ipcfault_##name params { IPCFAULT_BODY(name, fault::real_##name(), ret, args) })
IPC_SYS_CALLS(IPCFAULT_SHIM)
#undef IPCFAULT_SHIM

// Aliases with the same argument lists as a call of the list.
#define IPCFAULT_ALIAS(alias, name, ret, params, args)                                   \
  extern "C" __attribute__((visibility("default"))) ret ipcfault_##alias params         \
      __asm__(#alias);                                                                  \
  ret ipcfault_##alias params {                                                         \
    static std::atomic<ret(*) params> slot{nullptr};                                    \
    IPCFAULT_BODY(name, fault::real(slot, #alias), ret, args)                           \
  }
IPCFAULT_ALIAS(pread64, pread, ssize_t, (int fd, void* buf, size_t n, off_t off), (fd, buf, n, off))
IPCFAULT_ALIAS(pwrite64, pwrite, ssize_t, (int fd, const void* buf, size_t n, off_t off),
               (fd, buf, n, off))
#undef IPCFAULT_ALIAS

// open/open64/openat/openat64: the mode argument exists only with O_CREAT or
// O_TMPFILE. All four count as `open`.
namespace {
mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}
}  // namespace

#define IPCFAULT_OPEN(alias)                                                       \
  extern "C" __attribute__((visibility("default"))) int ipcfault_##alias(          \
      const char* path, int flags, ...) __asm__(#alias);                           \
  int ipcfault_##alias(const char* path, int flags, ...) {                         \
    va_list ap;                                                                    \
    va_start(ap, flags);                                                           \
    mode_t mode = mode_arg(flags, ap);                                             \
    va_end(ap);                                                                    \
    static std::atomic<int (*)(const char*, int, ...)> slot{nullptr};              \
    IPCFAULT_BODY(open, fault::real(slot, #alias), int, (path, flags, mode))       \
  }
IPCFAULT_OPEN(open)
IPCFAULT_OPEN(open64)
#undef IPCFAULT_OPEN

#define IPCFAULT_OPENAT(alias)                                                     \
  extern "C" __attribute__((visibility("default"))) int ipcfault_##alias(          \
      int dirfd, const char* path, int flags, ...) __asm__(#alias);                \
  int ipcfault_##alias(int dirfd, const char* path, int flags, ...) {              \
    va_list ap;                                                                    \
    va_start(ap, flags);                                                           \
    mode_t mode = mode_arg(flags, ap);                                             \
    va_end(ap);                                                                    \
    static std::atomic<int (*)(int, const char*, int, ...)> slot{nullptr};         \
    int error = fault::before_call(Call::open, -1, nullptr);                       \
    if (error != 0) return fault::failure_value<int>(Call::open, error);           \
    return fault::real(slot, #alias)(dirfd, path, flags, mode);                    \
  }
IPCFAULT_OPENAT(openat)
IPCFAULT_OPENAT(openat64)
#undef IPCFAULT_OPENAT

// fcntl(fd, cmd, ...): every argument that exists is an int, a long or a
// pointer, all passed in one integer register; read it as long.
extern "C" __attribute__((visibility("default"))) int ipcfault_fcntl(int fd, int cmd, ...)
    __asm__("fcntl");
int ipcfault_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  static std::atomic<int (*)(int, int, ...)> slot{nullptr};
  IPCFAULT_BODY(fcntl, fault::real(slot, "fcntl"), int, (fd, cmd, arg))
}

// ioctl(fd, request, ...): the optional argument is a pointer or an int.
extern "C" __attribute__((visibility("default"))) int ipcfault_ioctl(int fd, unsigned long request,
                                                                     ...) __asm__("ioctl");
int ipcfault_ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  static std::atomic<int (*)(int, unsigned long, ...)> slot{nullptr};
  IPCFAULT_BODY(ioctl, fault::real(slot, "ioctl"), int, (fd, request, arg))
}
