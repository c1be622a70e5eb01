// fault/plan.h — the fault plan language: which calls fail, how, and when.
//
// One small grammar, used by tests (ScopedFaultPlan), the IPCFAULT_PLAN
// environment variable and the ipcfault CLI:
//
//   plan    := [rule] (';' [rule])*     blanks may surround ; : | @ , (not inside key=value)
//   rule    := calls ':' effect ['@' trigger] (',' scope)*   |   'seed=' N
//   calls   := name ('|' name)*    a call of ipc/sys.h IPC_SYS_CALLS, or a group:
//              io  = read write pread pwrite
//              msg = msgget msgsnd msgrcv msgctl
//              shm = shmget shmat shmdt shmctl shm_open shm_unlink ftruncate mmap munmap
//              sig = sigaction pthread_sigmask sigtimedwait
//              sem = semget semop semtimedop semctl sem_open sem_close sem_unlink
//                    sem_init sem_destroy sem_wait sem_trywait sem_timedwait
//                    sem_post sem_getvalue
//              all = every call of the seam
//   effect  := one of fault/effect.h (a struct each):
//              ERRNO               fail with that errno (any name: EINTR, EAGAIN, ENOMEM, EIDRM, ...);
//                                  the real call is not made
//            | 'short=' (N|'half'|'random')   read/write/pread/pwrite only: run the call with
//                                  the count cut to min(n,N), max(1,n/2) or 1 + rng % n
//            | 'delay=' N ('ns'|'us'|'ms'|'s')  sleep, then run the call
//            | 'signal=' SIGNAME   tgkill the calling thread at entry (SIGUSR1, SIGRTMIN+2, ...),
//                                  then run the call
//            | 'interrupt=' SIGNAME  run the call; once the calling thread is seen asleep
//                                  inside it (fault/blocked.h), tgkill it: the kernel
//                                  returns EINTR or restarts the call (SA_RESTART);
//                                  nothing is sent if the call does not sleep
//            | 'pass'              run the call (counts as reached; shadows later rules)
//   trigger := N          the N-th matching call (1-based)
//            | N '..' M   calls N to M
//            | N '+'      call N and every later one
//            | N '+' K    calls N, N+K, N+2K, ...          (strace's when=first+step)
//            | N '..' M '+' K                               (strace's when=first..last+step)
//            | 'p=' P     each call with probability P in [0,1], drawn from the plan's seed
//              no trigger = every matching call
//   scope   := 'fd=' N    only calls on descriptor N (calls that take one; poll: nfds == 1)
//            | 'tid=' N   only calls made by kernel thread N
//
// Examples:
//   read:EINTR@2                    the 2nd read fails with EINTR
//   read:short=1; msgsnd:EAGAIN@3   every read returns at most 1 byte; 3rd msgsnd fails EAGAIN
//   io:EINTR@1+2                    io calls 1, 3, 5, ... fail with EINTR
//   msgrcv|msgsnd:EIDRM@10..20      msgsnd/msgrcv calls 10..20 (counted together) fail EIDRM
//   write:short=random@p=0.25; seed=42
//   read:signal=SIGUSR1@1,fd=3      the first read on fd 3 is preceded by a real SIGUSR1
//   msgrcv:interrupt=SIGUSR1@1      the 1st msgrcv, once asleep, gets a real SIGUSR1
//   read:pass@1; read:EAGAIN        the 1st read runs, every later one fails EAGAIN
//
// Counting: each rule counts the calls that match it (any of its calls, within
// its scopes) with an unbounded 64-bit counter; the trigger looks at that
// count. A rule with tid= therefore counts that thread's calls only. (strace
// counts per syscall and per thread, and stops at 65535.) When several rules
// match a call, all of them count it and the first one, in plan order, whose
// trigger fires decides the effect.
//
// Canonical form: Plan::to_string() prints rules as
// "calls:effect[@trigger][,fd=N][,tid=N]" joined by "; ", then "; seed=N" if
// the seed is not 0; calls in list order with groups folded back; the trigger
// omitted when it is "every call". Parsing the canonical form gives an equal
// Plan.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fault/effect.h"
#include "ipc/result.h"
#include "ipc/sys.h"

namespace fault {

using ipc::sys::Call;

// A set of calls: bit i is Call i.
using CallSet = std::uint64_t;
static_assert(ipc::sys::kCallCount <= 64,
              "CallSet holds one bit per seam call");
constexpr CallSet call_bit(Call c) {
  return CallSet{1} << static_cast<unsigned>(c);
}
constexpr CallSet kAllCalls = ipc::sys::kCallCount == 64
                                  ? ~CallSet{0}
                                  : (CallSet{1} << ipc::sys::kCallCount) - 1;

// Calls with a descriptor argument (what fd= scopes look at).
constexpr bool call_takes_fd(Call c) {
  switch (c) {
    case Call::read:
    case Call::write:
    case Call::pread:
    case Call::pwrite:
    case Call::lseek:
    case Call::poll:
    case Call::close:
    case Call::fstat:
    case Call::fcntl:
    case Call::ioctl:
    case Call::ftruncate:
    case Call::mmap:
    case Call::signalfd:
      return true;
    default:
      return false;
  }
}

// Calls whose byte count short= may reduce.
constexpr bool call_can_short(Call c) { return ShortEffect::applies_to(c); }

inline constexpr std::uint64_t kForever =
    std::numeric_limits<std::uint64_t>::max();

// Count trigger: ordinals first, first+step, ... up to last. Probability
// trigger: when `probability` is set (first/last/step then keep their
// defaults).
struct Trigger {
  std::uint64_t first = 1;
  std::uint64_t last = kForever;
  std::uint64_t step = 1;
  std::optional<double> probability;

  // Whether the count part selects the ordinal-th matching call (1-based).
  // Probability triggers are decided by the Engine (it owns the seed).
  bool selects(std::uint64_t ordinal) const {
    return ordinal >= first && ordinal <= last && (ordinal - first) % step == 0;
  }
  bool every_call() const {
    return !probability && first == 1 && last == kForever && step == 1;
  }
  bool operator==(const Trigger&) const = default;
};

struct Rule {
  CallSet calls = 0;
  Effect effect;
  Trigger trigger;
  std::optional<int> fd;     // fd= scope
  std::optional<pid_t> tid;  // tid= scope
  bool operator==(const Rule&) const = default;
  bool names(Call c) const { return (calls & call_bit(c)) != 0; }
};

struct Plan {
  std::vector<Rule> rules;
  std::uint64_t seed = 0;

  // Canonical text (see the top of this file).
  std::string to_string() const;
  bool operator==(const Plan&) const = default;
};

// Parses a plan. Errors are EINVAL with a detail naming the offending token and
// its 1-based column, e.g. "unknown call 'reed' at column 1".
ipc::Result<Plan> parse_plan(std::string_view text);

// Pieces of the canonical form, also used by logs (effect_to_string,
// errno_name and signal_name: fault/effect.h).
std::string calls_to_string(CallSet calls);
std::string trigger_to_string(const Trigger& trigger);  // "" for every call

}  // namespace fault
