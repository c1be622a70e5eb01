// ipc/posix_sem.cc — POSIX semaphores through the ipc::sys seam.
#include "ipc/posix_sem.h"

#include <fcntl.h>
#include <limits.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "ipc/posix_name.h"
#include "ipc/sys.h"

namespace ipc {
namespace {

std::string sem_context(const sem_t* sem) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "sem=%p", static_cast<const void*>(sem));
  return buf;
}

Status check_name(const char* op, const std::string& name) {
  return check_posix_name(op, name, kMaxSemNameLength,
                          "NAME_MAX less glibc's \"sem.\" prefix");
}

std::string name_error_detail(int code) {
  switch (code) {
    case EEXIST:
      return "a semaphore with this name exists";
    case ENOENT:
      return "no semaphore with this name";
    case EACCES:
      return "the semaphore's mode denies access";
    default:
      return "";
  }
}

std::string value_too_large(unsigned int value) {
  return "value " + std::to_string(value) + " exceeds SEM_VALUE_MAX (" +
         std::to_string(SEM_VALUE_MAX) + ")";
}

// now(CLOCK_REALTIME) + (deadline - now(steady)): what sem_timedwait wants.
timespec realtime_deadline(Clock::time_point deadline) {
  auto left = deadline - Clock::now();
  if (left < Clock::duration::zero()) left = Clock::duration::zero();
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count() +
            static_cast<std::int64_t>(now.tv_nsec);
  return timespec{now.tv_sec + static_cast<time_t>(ns / 1000000000),
                  static_cast<long>(ns % 1000000000)};
}

}  // namespace

// ---- Semaphore -------------------------------------------------------------

Status Semaphore::post() const {
  if (sys::sem_post(sem_) == 0) return ok_status();
  Error error = Error::from_errno("sem_post", sem_context(sem_));
  if (error.code() == EOVERFLOW) {
    return std::move(error).with_detail("value is SEM_VALUE_MAX (" +
                                        std::to_string(SEM_VALUE_MAX) + ")");
  }
  return error;
}

Status Semaphore::wait(Deadline deadline, Eintr eintr) const {
  const char* call = deadline ? "sem_timedwait" : "sem_wait";
  for (;;) {
    int r;
    if (deadline) {
      timespec until = realtime_deadline(*deadline);
      r = sys::sem_timedwait(sem_, &until);
    } else {
      r = sys::sem_wait(sem_);
    }
    if (r == 0) return ok_status();
    if (errno == EINTR && eintr == Eintr::kRetry) continue;
    Error error = Error::from_errno(call, sem_context(sem_));
    if (error.code() == ETIMEDOUT)
      return std::move(error).with_detail("timed out");
    return error;
  }
}

Status Semaphore::try_wait() const {
  if (sys::sem_trywait(sem_) == 0) return ok_status();
  Error error = Error::from_errno("sem_trywait", sem_context(sem_));
  if (error.code() == EAGAIN) return std::move(error).with_detail("value is 0");
  return error;
}

Result<int> Semaphore::value() const {
  int v = 0;
  if (sys::sem_getvalue(sem_, &v) != 0) {
    return Error::from_errno("sem_getvalue", sem_context(sem_));
  }
  return v;
}

// ---- NamedSemaphore --------------------------------------------------------

Result<NamedSemaphore> NamedSemaphore::open(const std::string& name,
                                            SemOpenOptions options) {
  if (auto s = check_name("sem_open", name); !s) return std::move(s).error();
  int flags = (options.create ? O_CREAT : 0) | (options.exclusive ? O_EXCL : 0);
  char mode[16];
  std::snprintf(mode, sizeof mode, "0%o", static_cast<unsigned>(options.mode));
  std::string context = name;
  if (options.create) {
    context += options.exclusive ? ", O_CREAT|O_EXCL" : ", O_CREAT";
    context += ", mode " + std::string(mode) + ", value " +
               std::to_string(options.value);
  }
  if (options.exclusive && !options.create) {
    return Error(EINVAL, "sem_open", context, "exclusive needs create");
  }
  sem_t* sem =
      sys::sem_open(name.c_str(), flags, options.create ? options.mode : 0,
                    options.create ? options.value : 0);
  if (sem == SEM_FAILED) {
    Error error = Error::from_errno("sem_open", context);
    if (error.code() == EINVAL && options.create &&
        options.value > static_cast<unsigned>(SEM_VALUE_MAX)) {
      return std::move(error).with_detail(value_too_large(options.value));
    }
    std::string detail = name_error_detail(error.code());
    if (!detail.empty()) return std::move(error).with_detail(detail);
    return error;
  }
  return NamedSemaphore(sem, name);
}

Status NamedSemaphore::unlink(const std::string& name) {
  if (auto s = check_name("sem_unlink", name); !s) return s;
  if (sys::sem_unlink(name.c_str()) == 0) return ok_status();
  Error error = Error::from_errno("sem_unlink", name);
  std::string detail = name_error_detail(error.code());
  if (!detail.empty()) return std::move(error).with_detail(detail);
  return error;
}

NamedSemaphore::NamedSemaphore(NamedSemaphore&& other) noexcept
    : Semaphore(other.sem_), name_(std::move(other.name_)) {
  other.sem_ = nullptr;
}

NamedSemaphore& NamedSemaphore::operator=(NamedSemaphore&& other) noexcept {
  if (this != &other) {
    (void)close();
    sem_ = other.sem_;
    name_ = std::move(other.name_);
    other.sem_ = nullptr;
  }
  return *this;
}

NamedSemaphore::~NamedSemaphore() { (void)close(); }

Status NamedSemaphore::close() {
  if (sem_ == nullptr) {
    return Error(EINVAL, "sem_close", name_, "already closed");
  }
  sem_t* sem = sem_;
  sem_ = nullptr;
  if (sys::sem_close(sem) != 0) return Error::from_errno("sem_close", name_);
  return ok_status();
}

// ---- UnnamedSemaphore ------------------------------------------------------

Result<UnnamedSemaphore> UnnamedSemaphore::init(std::span<std::byte> storage,
                                                SemInitOptions options) {
  std::string context =
      sem_context(reinterpret_cast<const sem_t*>(storage.data())) +
      (options.process_shared ? ", process-shared" : ", process-private") +
      ", value " + std::to_string(options.value);
  if (storage.size() < sizeof(sem_t)) {
    return Error(EINVAL, "sem_init", context,
                 std::to_string(storage.size()) + " bytes hold no sem_t (" +
                     std::to_string(sizeof(sem_t)) + " bytes)");
  }
  if (reinterpret_cast<std::uintptr_t>(storage.data()) % alignof(sem_t) != 0) {
    return Error(EINVAL, "sem_init", context,
                 "storage is not aligned to " + std::to_string(alignof(sem_t)) +
                     " bytes");
  }
  auto* sem = reinterpret_cast<sem_t*>(storage.data());
  if (sys::sem_init(sem, options.process_shared ? 1 : 0, options.value) != 0) {
    Error error = Error::from_errno("sem_init", context);
    if (error.code() == EINVAL &&
        options.value > static_cast<unsigned>(SEM_VALUE_MAX)) {
      return std::move(error).with_detail(value_too_large(options.value));
    }
    return error;
  }
  return UnnamedSemaphore(sem);
}

UnnamedSemaphore::UnnamedSemaphore(UnnamedSemaphore&& other) noexcept
    : Semaphore(other.sem_) {
  other.sem_ = nullptr;
}

UnnamedSemaphore& UnnamedSemaphore::operator=(
    UnnamedSemaphore&& other) noexcept {
  if (this != &other) {
    (void)destroy();
    sem_ = other.sem_;
    other.sem_ = nullptr;
  }
  return *this;
}

UnnamedSemaphore::~UnnamedSemaphore() {
  if (sem_ != nullptr) (void)destroy();
}

Status UnnamedSemaphore::destroy() {
  if (sem_ == nullptr) {
    return Error(EINVAL, "sem_destroy", "", "nothing is owned");
  }
  sem_t* sem = sem_;
  sem_ = nullptr;
  if (sys::sem_destroy(sem) != 0) {
    return Error::from_errno("sem_destroy", sem_context(sem));
  }
  return ok_status();
}

Semaphore UnnamedSemaphore::release() {
  sem_t* sem = sem_;
  sem_ = nullptr;
  return Semaphore::at(sem);
}

}  // namespace ipc
