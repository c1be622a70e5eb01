// fault/explore_space.cc — effects per call, the spread order, the budget.
#include "fault/explore_space.h"

#include <algorithm>
#include <queue>
#include <tuple>

namespace fault {
namespace {

std::vector<ExploreEffect> errnos(std::initializer_list<const char*> names) {
  std::vector<ExploreEffect> out;
  for (const char* n : names) out.push_back({n, n});
  return out;
}

// The calls that can sleep until another process acts (a pipe, FIFO,
// queue or signal): where a real signal interrupts them.
bool call_can_sleep(Call call) {
  switch (call) {
    case Call::read:
    case Call::write:
    case Call::open:
    case Call::poll:
    case Call::msgsnd:
    case Call::msgrcv:
    case Call::sigtimedwait:
    case Call::semop:
    case Call::semtimedop:
    case Call::sem_wait:
    case Call::sem_timedwait:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::vector<ExploreEffect> effects_for(Call call) {
  std::vector<ExploreEffect> e;
  switch (call) {
    case Call::read:
      e = errnos({"EINTR", "EIO", "EAGAIN"});
      break;
    case Call::pread:
      e = errnos({"EINTR", "EIO"});
      break;
    case Call::write:
      // Not EPIPE: the kernel sends SIGPIPE with it, which an injected errno
      // does not, so a program would be seen surviving what kills it.
      e = errnos({"EINTR", "EIO", "EAGAIN", "ENOSPC"});
      break;
    case Call::pwrite:
      e = errnos({"EINTR", "EIO", "ENOSPC"});
      break;
    case Call::lseek:
      e = errnos({"EINVAL"});
      break;
    case Call::poll:
      e = errnos({"EINTR", "ENOMEM"});
      break;
    case Call::close:
      e = errnos({"EINTR", "EIO"});
      break;
    case Call::open:
      e = errnos({"EINTR", "EACCES", "ENOENT", "EMFILE", "ENOSPC"});
      break;
    case Call::fstat:
      e = errnos({"EIO", "ENOMEM"});
      break;
    case Call::fcntl:
      e = errnos({"EINTR"});
      break;
    case Call::ioctl:
      e = errnos({"ENOTTY", "EIO"});
      break;
    case Call::pipe2:
      e = errnos({"EMFILE", "ENFILE"});
      break;
    case Call::mkfifo:
      e = errnos({"EEXIST", "EACCES", "ENOSPC"});
      break;
    case Call::unlink:
      e = errnos({"EACCES", "ENOENT", "EBUSY"});
      break;
    case Call::ftok:
      e = errnos({"ENOENT", "EACCES"});
      break;
    case Call::msgget:
      e = errnos({"ENOSPC", "ENOMEM", "EACCES", "ENOENT", "EEXIST"});
      break;
    case Call::msgsnd:
      e = errnos({"EINTR", "EAGAIN", "EIDRM", "ENOMEM"});
      break;
    case Call::msgrcv:
      e = errnos({"EINTR", "EIDRM", "ENOMSG", "E2BIG"});
      break;
    case Call::msgctl:
      e = errnos({"EIDRM", "EPERM"});
      break;
    case Call::shmget:
      e = errnos({"ENOSPC", "ENOMEM", "EACCES", "ENOENT", "EEXIST"});
      break;
    case Call::shmat:
      e = errnos({"ENOMEM", "EACCES", "EIDRM"});
      break;
    case Call::shmdt:
      e = errnos({"EINVAL"});
      break;
    case Call::shmctl:
      e = errnos({"EIDRM", "EPERM"});
      break;
    case Call::shm_open:
      e = errnos({"EACCES", "EMFILE", "ENOENT"});
      break;
    case Call::shm_unlink:
      e = errnos({"ENOENT", "EACCES"});
      break;
    case Call::ftruncate:
      e = errnos({"EINTR", "EIO", "EFBIG"});
      break;
    case Call::mmap:
      e = errnos({"ENOMEM", "EACCES", "EAGAIN"});
      break;
    case Call::munmap:
      e = errnos({"ENOMEM"});
      break;
    case Call::sigaction:
    case Call::pthread_sigmask:
      e = errnos({"EINVAL"});
      break;
    case Call::sigtimedwait:
      e = errnos({"EINTR", "EAGAIN"});
      break;
    case Call::signalfd:
    case Call::eventfd:
      e = errnos({"EMFILE", "ENOMEM"});
      break;
    case Call::semget:
      e = errnos({"ENOSPC", "ENOMEM", "EACCES", "ENOENT", "EEXIST"});
      break;
    case Call::semop:
    case Call::semtimedop:
      e = errnos({"EINTR", "EAGAIN", "EIDRM", "ENOMEM"});
      break;
    case Call::semctl:
      e = errnos({"EIDRM", "EPERM", "EACCES"});
      break;
    case Call::sem_open:
      e = errnos({"EACCES", "EMFILE", "ENOENT", "ENOMEM"});
      break;
    case Call::sem_unlink:
      e = errnos({"ENOENT", "EACCES"});
      break;
    case Call::sem_close:
    case Call::sem_init:
    case Call::sem_destroy:
    case Call::sem_getvalue:
      e = errnos({"EINVAL"});
      break;
    case Call::sem_wait:
      e = errnos({"EINTR"});
      break;
    case Call::sem_trywait:
      e = errnos({"EAGAIN", "EINTR"});
      break;
    case Call::sem_timedwait:
      e = errnos({"EINTR", "ETIMEDOUT"});
      break;
    case Call::sem_post:
      e = errnos({"EOVERFLOW"});
      break;
  }
  if (call_can_short(call)) e.push_back({"short", "short=1"});
  if (call_can_sleep(call)) e.push_back({"interrupt", "interrupt=SIGCHLD"});
  return e;
}

std::vector<std::uint64_t> spread_ordinals(std::uint64_t n, std::size_t limit) {
  std::vector<std::uint64_t> out;
  if (n == 0 || limit == 0) return out;
  out.push_back(1);
  if (n > 1 && out.size() < limit) out.push_back(n);
  // Open gaps (lo, hi), exclusive: the widest first, the lowest on a tie.
  using Gap = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>;
  auto wider = [](const Gap& a, const Gap& b) {
    if (std::get<0>(a) != std::get<0>(b))
      return std::get<0>(a) < std::get<0>(b);
    return std::get<1>(a) > std::get<1>(b);
  };
  std::priority_queue<Gap, std::vector<Gap>, decltype(wider)> gaps(wider);
  if (n > 2) gaps.push({n - 1, 1, n});
  while (!gaps.empty() && out.size() < limit) {
    auto [width, lo, hi] = gaps.top();
    gaps.pop();
    (void)width;
    std::uint64_t mid = lo + (hi - lo) / 2;
    out.push_back(mid);
    if (mid - lo > 1) gaps.push({mid - lo, lo, mid});
    if (hi - mid > 1) gaps.push({hi - mid, mid, hi});
  }
  return out;
}

ExploreSpace ExploreSpace::make(
    const std::vector<std::pair<Call, std::uint64_t>>& counts,
    const std::vector<std::string>& effects, std::size_t budget) {
  ExploreSpace space;
  struct Stream {
    std::string prefix;  // "read:EIO@"
    std::vector<std::uint64_t> ordinals;
  };
  std::vector<Stream> streams;
  std::size_t limit = budget == 0 ? ~std::size_t{0} : budget;
  for (const auto& [call, n] : counts) {
    if (n == 0) continue;
    for (const ExploreEffect& e : effects_for(call)) {
      if (!effects.empty() &&
          std::find(effects.begin(), effects.end(), e.name) == effects.end())
        continue;
      space.size_ += n;
      streams.push_back(
          {std::string(ipc::sys::call_name(call)) + ":" + e.plan + "@",
           spread_ordinals(n, limit)});
    }
  }
  for (std::size_t round = 0; space.plans_.size() < limit; ++round) {
    bool any = false;
    for (const Stream& s : streams) {
      if (round >= s.ordinals.size()) continue;
      any = true;
      space.plans_.push_back(s.prefix + std::to_string(s.ordinals[round]));
      if (space.plans_.size() >= limit) break;
    }
    if (!any) break;
  }
  return space;
}

}  // namespace fault
