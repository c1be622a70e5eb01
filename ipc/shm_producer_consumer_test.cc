// ipc/shm_producer_consumer_test.cc — the layer used the way real programs
// synchronise shared memory: a bounded buffer in shared memory (System V
// segment + System V semaphore set, or POSIX shm + process-shared unnamed
// semaphores), two producer processes and two consumer processes. Every item
// must arrive exactly once, each producer's items in order, also while EINTR
// is injected into the waits; and a lock holder killed while holding a
// SEM_UNDO lock must not wedge the others.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fault/inprocess.h"
#include "ipc/posix_sem.h"
#include "ipc/posix_shm.h"
#include "ipc/sysv_sem.h"
#include "ipc/sysv_shm.h"
#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

using ::ipc::testing::IsOk;
using ::ipc::testing::RawPipe;
using ::ipc::testing::UniqueName;
using namespace std::chrono_literals;

constexpr auto kWait = 10s;  // bound on any one wait: a hang is a failure
constexpr int kProducers = 2;
constexpr int kConsumers = 2;  // consumer 0 is this process, 1 a child
constexpr std::uint32_t kPerProducer = 1500;
constexpr std::uint32_t kTotal = kProducers * kPerProducer;
constexpr std::uint32_t kSlots = 8;
constexpr std::uint32_t kStop = 0;  // item ids start at 1

// The bounded buffer, in shared memory. head/tail/producers_done are only
// touched while holding the lock semaphore.
struct Ring {
  std::uint32_t head;
  std::uint32_t tail;
  std::uint32_t producers_done;
  std::uint32_t slots[kSlots];
  std::uint32_t taken[kConsumers];        // items each consumer took
  std::uint32_t stops[kConsumers];        // stop markers each one took
  std::uint32_t log[kConsumers][kTotal];  // ... and which, in order
};

// The three semaphores of a bounded buffer, whichever kind implements them.
enum Gate { kFree = 0, kFilled = 1, kLock = 2 };
class Gates {
 public:
  virtual ~Gates() = default;
  virtual Status take(Gate g) = 0;  // P: waits (bounded by kWait)
  virtual Status give(Gate g) = 0;  // V
};

// System V: one set of three; the lock is taken and given with SEM_UNDO.
class SysvGates : public Gates {
 public:
  explicit SysvGates(SemaphoreSet set) : set_(set) {}
  Status take(Gate g) override {
    return set_.op({{.num = static_cast<unsigned short>(g),
                     .delta = -1,
                     .undo = g == kLock}},
                   {.deadline = deadline_in(kWait)});
  }
  Status give(Gate g) override {
    return set_.op({{.num = static_cast<unsigned short>(g),
                     .delta = 1,
                     .undo = g == kLock}});
  }

 private:
  SemaphoreSet set_;
};

// POSIX: three process-shared unnamed semaphores in the shared region.
class PosixGates : public Gates {
 public:
  explicit PosixGates(sem_t* sems) : sems_(sems) {}
  Status take(Gate g) override {
    return Semaphore::at(&sems_[g]).wait(deadline_in(kWait));
  }
  Status give(Gate g) override { return Semaphore::at(&sems_[g]).post(); }

 private:
  sem_t* sems_;
};

// One producer: items first..first+kPerProducer-1; the last producer to
// finish puts one stop marker per consumer. 0 or the step that failed.
int Produce(Ring* ring, Gates& gates, std::uint32_t first) {
  auto put = [&](std::uint32_t item) {
    if (!gates.take(kFree)) return false;
    if (!gates.take(kLock)) return false;
    ring->slots[ring->head] = item;
    ring->head = (ring->head + 1) % kSlots;
    if (!gates.give(kLock)) return false;
    return gates.give(kFilled).ok();
  };
  for (std::uint32_t i = 0; i < kPerProducer; ++i) {
    if (!put(first + i)) return 1;
  }
  if (!gates.take(kLock)) return 2;
  bool last = ++ring->producers_done == kProducers;
  if (!gates.give(kLock)) return 3;
  if (last) {
    for (int c = 0; c < kConsumers; ++c) {
      if (!put(kStop)) return 4;
    }
  }
  return 0;
}

// One consumer: takes items into its log until a stop marker.
int Consume(Ring* ring, Gates& gates, int consumer) {
  for (;;) {
    if (!gates.take(kFilled)) return 1;
    if (!gates.take(kLock)) return 2;
    std::uint32_t item = ring->slots[ring->tail];
    ring->tail = (ring->tail + 1) % kSlots;
    if (item == kStop) {
      ++ring->stops[consumer];
    } else {
      if (ring->taken[consumer] == kTotal) return 3;  // more than exist
      ring->log[consumer][ring->taken[consumer]++] = item;
    }
    if (!gates.give(kLock)) return 4;
    if (!gates.give(kFree)) return 5;
    if (item == kStop) return 0;
  }
}

// Runs the exchange: producers and consumer 1 as children (their exit status
// is the step that failed, 0 if none), consumer 0 here.
void RunExchange(Ring* ring, Gates& gates) {
  std::vector<std::unique_ptr<ipc::testing::Child>> children;
  for (int p = 0; p < kProducers; ++p) {
    children.push_back(std::make_unique<ipc::testing::Child>(
        [&, p] { return Produce(ring, gates, 1 + p * kPerProducer); }));
  }
  children.push_back(std::make_unique<ipc::testing::Child>(
      [&] { return Consume(ring, gates, 1); }));
  EXPECT_EQ(Consume(ring, gates, 0), 0);
  for (auto& child : children) EXPECT_CHILD_OK(child->wait(kWait));
}

// Every item exactly once; each consumer saw each producer's items in order.
void CheckExactlyOnceInOrder(const Ring& ring) {
  std::vector<std::uint32_t> all;
  for (int c = 0; c < kConsumers; ++c) {
    std::uint32_t last_of[kProducers] = {};
    for (std::uint32_t i = 0; i < ring.taken[c]; ++i) {
      std::uint32_t item = ring.log[c][i];
      all.push_back(item);
      std::uint32_t p = (item - 1) / kPerProducer;
      ASSERT_LT(p, static_cast<std::uint32_t>(kProducers)) << item;
      EXPECT_GT(item, last_of[p])
          << "consumer " << c << " got producer " << p << "'s items out of "
          << "order";
      last_of[p] = item;
    }
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), kTotal) << "items lost or duplicated";
  for (std::uint32_t i = 0; i < kTotal; ++i) {
    ASSERT_EQ(all[i], i + 1) << "item " << i + 1 << " lost or duplicated";
  }
  // Both consumers took from the one ring: each took exactly one of the stop
  // markers. (How the items are split between them is up to the scheduler:
  // under load one consumer may take them all.)
  EXPECT_EQ(ring.stops[0], 1u) << "consumer 0's share of the stop markers";
  EXPECT_EQ(ring.stops[1], 1u) << "consumer 1's share of the stop markers";
}

// Parameter: the fault plan active in every process ("" for none).
class ProducerConsumerTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ProducerConsumerTest, SysvSegmentAndSemaphoreSet) {
  auto seg = ShmSegment::create_private(sizeof(Ring));
  ASSERT_THAT(seg, IsOk());
  ShmOwner seg_owner(*seg);
  auto at = ShmAttachment::attach(*seg);
  ASSERT_THAT(at, IsOk());
  auto view = at->view(0, sizeof(Ring));
  ASSERT_THAT(view, IsOk());
  Ring* ring = reinterpret_cast<Ring*>(view->data());  // zero-filled by shmget
  auto set = SemaphoreSet::create_private(3);
  ASSERT_THAT(set, IsOk());
  SemOwner set_owner(*set);
  unsigned short initial[3] = {kSlots, 0, 1};  // kFree, kFilled, kLock
  ASSERT_OK(set->set_values(initial));
  SysvGates gates(*set);
  std::optional<fault::ScopedFaultPlan> faults;
  if (*GetParam() != '\0') faults.emplace(GetParam());
  RunExchange(ring, gates);
  if (faults) {
    EXPECT_GT(faults->injected(), 0u) << "no fault reached this process";
  }
  faults.reset();
  CheckExactlyOnceInOrder(*ring);
  EXPECT_THAT(*set->values(), ::testing::ElementsAre(kSlots, 0, 1));
}

TEST_P(ProducerConsumerTest, PosixShmAndProcessSharedSemaphores) {
  std::string name = "/" + UniqueName("ring");
  ShmNameOwner name_owner(name);
  auto shm = PosixShm::open(name, {.exclusive = true});
  ASSERT_THAT(shm, IsOk());
  const std::size_t size = sizeof(Ring) + 3 * sizeof(sem_t);
  ASSERT_OK(shm->truncate(size));
  auto map = SharedMapping::map(*shm, 0, size, true);
  ASSERT_THAT(map, IsOk());
  std::byte* base = map->bytes().data();
  auto* sems = reinterpret_cast<sem_t*>(base);  // page-aligned
  Ring* ring = reinterpret_cast<Ring*>(base + 3 * sizeof(sem_t));
  std::vector<UnnamedSemaphore> owned;
  for (unsigned value : {kSlots, 0u, 1u}) {
    auto bytes =
        map->bytes().subspan(owned.size() * sizeof(sem_t), sizeof(sem_t));
    auto u =
        UnnamedSemaphore::init(bytes, {.process_shared = true, .value = value});
    ASSERT_THAT(u, IsOk());
    owned.push_back(std::move(*u));
  }
  PosixGates gates(sems);
  std::optional<fault::ScopedFaultPlan> faults;
  if (*GetParam() != '\0') faults.emplace(GetParam());
  RunExchange(ring, gates);
  if (faults) {
    EXPECT_GT(faults->injected(), 0u) << "no fault reached this process";
  }
  faults.reset();
  CheckExactlyOnceInOrder(*ring);
  EXPECT_EQ(*owned[kFree].value(), static_cast<int>(kSlots));
  EXPECT_EQ(*owned[kFilled].value(), 0);
  EXPECT_EQ(*owned[kLock].value(), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, ProducerConsumerTest,
    ::testing::Values("", "semop|semtimedop|sem_timedwait:EINTR@p=0.3; seed=7"),
    [](const auto& info) {
      return *info.param == '\0' ? "NoFaults" : "EintrInjected";
    });

// A process killed while it holds the SEM_UNDO lock gives it back: the kernel
// applies its adjustment at exit, so the others are not wedged.
TEST(ProducerConsumerLockTest, KilledHolderOfAnUndoLockReleasesIt) {
  auto set = SemaphoreSet::create_private(1);
  ASSERT_THAT(set, IsOk());
  SemOwner owner(*set);
  ASSERT_OK(set->set_value(0, 1));
  RawPipe held;
  RawPipe never;  // the holder waits on it forever
  ipc::testing::Child holder([&] {
    if (!set->op({{.num = 0, .delta = -1, .undo = true}})) return 1;
    if (::write(held.write.get(), "x", 1) != 1) return 2;
    char c;
    return static_cast<int>(::read(never.read.get(), &c, 1));
  });
  char c;
  ASSERT_EQ(::read(held.read.get(), &c, 1), 1);
  EXPECT_EQ(*set->value(0), 0);
  EXPECT_THAT(set->op({{.num = 0, .delta = -1}}, {.nowait = true}),
              ::ipc::testing::FailsWith(EAGAIN));
  ASSERT_EQ(::kill(holder.pid(), SIGKILL), 0);
  ASSERT_THAT(holder.wait(), ::ipc::testing::ChildKilledBy(SIGKILL));
  EXPECT_EQ(*set->value(0), 1);
  EXPECT_OK(set->op({{.num = 0, .delta = -1}}, {.nowait = true}));
}

}  // namespace
}  // namespace ipc
