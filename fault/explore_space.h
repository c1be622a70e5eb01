// fault/explore_space.h — the single-fault space of `ipcfault explore`: for
// each call a reference run made, the faults that call can really meet, at
// each ordinal the reference reached, in an order that spends a budget well.
//
//   auto space = fault::ExploreSpace::make({{Call::read, 40}, {Call::write,
//   3}},
//                                          /*effects=*/{}, /*budget=*/100);
//   for (const std::string& plan : space.plans()) ...   // "read:EIO@1", ...
//
// Effects per call are the errors the call can return in practice (read:
// EINTR, EIO, EAGAIN; write: EINTR, EIO, EAGAIN, ENOSPC; msgsnd: EINTR, EAGAIN,
// EIDRM, ENOMEM; ...) plus `short` (short=1) for read/write/pread/pwrite and
// `interrupt` (interrupt=SIGCHLD) for the calls that can sleep on another
// process (read, write, open, poll, msgsnd, msgrcv, semop, semtimedop,
// sem_wait, sem_timedwait, sigtimedwait); SIGCHLD
// because any program with children receives it at unpredictable moments,
// and its default action is to ignore it (the kernel then does not interrupt
// the call: only a program that catches it is tested); effects_for() lists
// them.
//
// Order and budget: the space is (call, effect) streams, each over ordinals
// 1..n. Streams are visited round-robin, each yielding its ordinals as: 1,
// n, then midpoints that halve the largest gap left (n/2, n/4, 3n/4, ...).
// So every (call, effect) is tried at its first ordinal before any is tried
// twice, then at its last (setup and end-of-input paths differ most from the
// rest), then spread evenly through the middle (a loop's iterations mostly
// take the same error path). Deterministic: the same reference and budget
// give the same runs. With a budget at least the size of the space, every
// ordinal is tried.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fault/plan.h"

namespace fault {

// An effect as plan text: "EINTR", "short=1".
struct ExploreEffect {
  std::string name;  // as given to --effects: "EINTR", "short"
  std::string plan;  // as written in a plan: "EINTR", "short=1"
};

// The effects explored for `call` by default.
std::vector<ExploreEffect> effects_for(Call call);

class ExploreSpace {
 public:
  // `counts`: calls and how many of each the reference made (the largest
  // count of any one process image). `effects`: names to keep ("EINTR",
  // "short", ...; empty keeps all). `budget`: most plans (0: no limit).
  static ExploreSpace make(
      const std::vector<std::pair<Call, std::uint64_t>>& counts,
      const std::vector<std::string>& effects, std::size_t budget);

  // The plans to run, in order ("read:EIO@3").
  const std::vector<std::string>& plans() const { return plans_; }
  // Size of the whole space (every effect at every ordinal).
  std::uint64_t size() const { return size_; }

 private:
  std::vector<std::string> plans_;
  std::uint64_t size_ = 0;
};

// The ordinals 1..n in the order described above (at most `limit` of them).
std::vector<std::uint64_t> spread_ordinals(std::uint64_t n, std::size_t limit);

}  // namespace fault
