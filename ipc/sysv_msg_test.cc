// ipc/sysv_msg_test.cc — System V message queues through the layer, on the real
// kernel: creation and lookup, type selection, truncation, full queues, blocked
// callers woken by space, removal and real signals, msqid_ds fields, and the
// RAII owner.
#include "ipc/sysv_msg.h"

#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fault/blocked.h"
#include "ipc/keys.h"
#include "ipc/limits.h"
#include "ipc/sys.h"
#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

using ::ipc::testing::AsString;
using ::ipc::testing::CountingHandler;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::KernelEintrs;
using ::ipc::testing::MakeFile;
using ::ipc::testing::NoteKernelEintr;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;
using ::ipc::testing::Worker;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr auto kWait = 30s;  // generous bound for "the other side gets there"

// Seam interceptors that note every EINTR from the kernel
// (ipc/testing/kernel_eintr.h), so a test can see that the call really was
// interrupted before it checks that the layer retried it.
ssize_t msgrcv_noting_eintr(int qid, void* msg, size_t n, long type,
                            int flags) {
  return NoteKernelEintr(sys::libc().msgrcv(qid, msg, n, type, flags));
}
int msgsnd_noting_eintr(int qid, const void* msg, size_t n, int flags) {
  return NoteKernelEintr(sys::libc().msgsnd(qid, msg, n, flags));
}

// What msgsnd was handed (type and text), without a queue: lets a test see
// how send() assembles messages larger than any msgmax the kernel allows.
long g_sent_type = 0;
std::vector<std::byte> g_sent_text;
int msgsnd_capturing(int, const void* msg, size_t n, int) {
  std::memcpy(&g_sent_type, msg, sizeof g_sent_type);
  const auto* text = static_cast<const std::byte*>(msg) + sizeof(long);
  g_sent_text.assign(text, text + n);
  return 0;
}

std::atomic<int> g_msgget_calls{0};
int msgget_counting(key_t key, int flags) {
  ++g_msgget_calls;
  return sys::libc().msgget(key, flags);
}

// ---- fixture ---------------------------------------------------------------

class MsgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto q = MessageQueue::create_private();
    ASSERT_TRUE(q.ok()) << q.error().message();
    q_ = *q;
    owner_.emplace(*q);
  }
  void TearDown() override { sys::reset_table(); }

  // Makes the fixture queue hold at most `n` bytes (so "full" is cheap to
  // reach).
  void ShrinkTo(std::size_t n) {
    ASSERT_OK(q_.set_qbytes(n));
    ASSERT_EQ(q_.stat()->qbytes, n);
  }

  std::size_t qnum() { return q_.stat()->qnum; }

  MessageQueue q_ = MessageQueue::from_id(-1);
  std::optional<QueueOwner> owner_;
  TempDir dir_;
};

// ---- creation and lookup ---------------------------------------------------

TEST_F(MsgTest, CreatePrivateMakesDistinctOwnerOnlyQueues) {
  auto other = MessageQueue::create_private();
  ASSERT_THAT(other, IsOk());
  QueueOwner cleanup(*other);
  EXPECT_NE(other->id(), q_.id());
  auto st = q_.stat();
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->mode, 0600u);
  EXPECT_EQ(st->key, IPC_PRIVATE);
}

TEST_F(MsgTest, CreateWithKeyThenOpenAndCreateFindTheSameQueue) {
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 1);
  auto created = MessageQueue::create(key, 0640);
  ASSERT_THAT(created, IsOk());
  QueueOwner cleanup(*created);
  auto opened = MessageQueue::open(key);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->id(), created->id());
  EXPECT_EQ(::msgget(key, 0), created->id());
  // IPC_CREAT on an existing key returns it; the new mode is not applied.
  auto again = MessageQueue::create(key, 0666);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->id(), created->id());
  auto st = created->stat();
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->mode, 0640u);
  EXPECT_EQ(st->key, key);
}

TEST_F(MsgTest, CreateExclusiveOnATakenKeyIsEexist) {
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 1);
  auto first = MessageQueue::create_exclusive(key);
  ASSERT_THAT(first, IsOk());
  QueueOwner cleanup(*first);
  EXPECT_EQ(first->stat()->mode, 0600u);
  auto second = MessageQueue::create_exclusive(key);
  ASSERT_THAT(second, FailsWith(EEXIST));
  EXPECT_EQ(second.error().detail(),
            "key " + key_to_string(key) + " already has a queue");
  EXPECT_EQ(second.error().op(), "msgget");
}

TEST_F(MsgTest, OpenOfAKeyWithoutQueueIsEnoent) {
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 1);
  auto q = MessageQueue::open(key);
  ASSERT_THAT(q, FailsWith(ENOENT));
  EXPECT_THAT(q.error().message(), HasSubstr(key_to_string(key)));
  EXPECT_THAT(::msgget(key, 0),
              SyscallFailsWithErrno(ENOENT));  // nothing was created
}

TEST_F(MsgTest, OpenOfIpcPrivateIsRejectedWithoutCreatingAQueue) {
  g_msgget_calls = 0;
  sys::table().msgget.store(&msgget_counting);
  auto q = MessageQueue::open(IPC_PRIVATE);
  ASSERT_THAT(q, FailsWith(EINVAL));
  EXPECT_THAT(q.error().detail(), HasSubstr("IPC_PRIVATE"));
  EXPECT_EQ(g_msgget_calls.load(), 0);
}

TEST_F(MsgTest, ModeWithNonPermissionBitsIsRejected) {
  g_msgget_calls = 0;
  sys::table().msgget.store(&msgget_counting);
  // IPC_EXCL smuggled in through the mode would change what create() means.
  auto q = MessageQueue::create_private(IPC_EXCL | 0600);
  ASSERT_THAT(q, FailsWith(EINVAL));
  EXPECT_EQ(q.error().detail(), "mode has bits outside 0777");
  EXPECT_EQ(g_msgget_calls.load(), 0);
}

TEST_F(MsgTest, FromIdNamesTheSameQueue) {
  MessageQueue alias = MessageQueue::from_id(q_.id());
  EXPECT_EQ(alias.id(), q_.id());
  ASSERT_OK(alias.send(3, as_bytes("via alias")));
  auto m = q_.receive(0, 64);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(AsString(m->data), "via alias");
}

TEST_F(MsgTest, CreateWithFreeKeySkipsAQueueAlreadyOnTheFirstKey) {
  std::string anchor = MakeFile(dir_.file("anchor"));
  auto taken = MessageQueue::create_exclusive(::ftok(anchor.c_str(), 1));
  ASSERT_THAT(taken, IsOk());
  QueueOwner cleanup_taken(*taken);
  auto got = create_with_free_key(anchor, 1, [](key_t key) -> Result<int> {
    auto q = MessageQueue::create_exclusive(key);
    if (!q) return std::move(q).error();
    return q->id();
  });
  ASSERT_THAT(got, IsOk());
  QueueOwner cleanup(MessageQueue::from_id(got->id));
  EXPECT_EQ(got->proj_id, 2);
  EXPECT_EQ(got->key, ::ftok(anchor.c_str(), 2));
  EXPECT_EQ(::msgget(got->key, 0), got->id);
}

// Permission errors (the kernel checks them on use, not on msgget(key, 0)).
TEST_F(MsgTest, UnprivilegedUserGetsEaccesOnAnOwnerOnlyQueue) {
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 1);
  auto q = MessageQueue::create_exclusive(key, 0600);
  ASSERT_THAT(q, IsOk());
  QueueOwner cleanup(*q);
  int status = RunInChild([&] {
    if (::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0)
      return 77;
    auto opened = MessageQueue::open(key);  // requests no access: succeeds
    if (!opened || opened->id() != q->id()) return 1;
    if (opened->send(1, as_bytes("x")).error().code() != EACCES) return 2;
    if (opened->receive(0, 8, {.nowait = true}).error().code() != EACCES)
      return 3;
    if (opened->stat().error().code() != EACCES) return 4;
    if (opened->set_qbytes(10).error().code() != EACCES) return 5;
    return 0;
  });
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
    GTEST_SKIP() << "cannot drop privileges";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeWaitStatus(status);
  EXPECT_EQ(qnum(), 0u);
}

// ---- send and receive ------------------------------------------------------

TEST_F(MsgTest, RoundTripKeepsTypeAndBytes) {
  ASSERT_OK(q_.send(5, as_bytes("hello")));
  EXPECT_EQ(qnum(), 1u);
  MessageBuffer buf(64);
  auto m = q_.receive(0, buf);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->type, 5);
  EXPECT_EQ(AsString(m->data), "hello");
  EXPECT_EQ(m->data.data(), buf.text().data());  // a view into the buffer
  EXPECT_EQ(qnum(), 0u);
}

// send() builds struct msgbuf on the stack up to 8 KiB and on the heap above:
// both must hand msgsnd the type followed by exactly the caller's bytes.
TEST_F(MsgTest, SendHandsMsgsndTheTypeAndExactBytesAtEverySize) {
  sys::table().msgsnd.store(&msgsnd_capturing);
  for (std::size_t n : {0u, 1u, 7u, 8u, 8191u, 8192u, 8193u, 100000u}) {
    std::vector<std::byte> data(n);
    for (std::size_t i = 0; i < n; ++i)
      data[i] = static_cast<std::byte>((i * 37 + n) & 0xff);
    ASSERT_OK(q_.send(static_cast<long>(n) + 1, data));
    EXPECT_EQ(g_sent_type, static_cast<long>(n) + 1) << n << " bytes";
    EXPECT_TRUE(g_sent_text == data) << n << " bytes";
  }
}

// Sizes no buffer can have are error values naming the size, never
// std::bad_alloc: a buffer above kMaxCapacity is refused without asking the
// allocator, receive and send then fail ENOMEM, and the queue is untouched.
TEST_F(MsgTest, HugeSizesAreErrorValuesNamingTheSize) {
  constexpr std::size_t kHuge = std::numeric_limits<std::size_t>::max();
  MessageBuffer none(kHuge);
  EXPECT_FALSE(none.allocated());
  EXPECT_EQ(none.capacity(), 0u);
  EXPECT_EQ(none.requested(), kHuge);
  EXPECT_TRUE(none.text().empty());
  EXPECT_FALSE(MessageBuffer(MessageBuffer::kMaxCapacity + 1).allocated());

  ASSERT_OK(q_.send(1, as_bytes("stays")));
  auto into = q_.receive(0, none);
  ASSERT_THAT(into, FailsWith(ENOMEM));
  EXPECT_THAT(into.error().message(),
              HasSubstr("(no 18446744073709551615-byte message buffer)"));
  auto fresh = q_.receive(0, kHuge);
  ASSERT_THAT(fresh, FailsWith(ENOMEM));
  EXPECT_THAT(fresh.error().message(),
              HasSubstr("(no 18446744073709551615-byte message buffer)"));

  // A message one byte longer than any buffer, in memory that is reserved
  // but never touched (send refuses it before reading it).
  const std::size_t too_long = MessageBuffer::kMaxCapacity + 1;
  void* mem = ::mmap(nullptr, too_long, PROT_READ,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(mem, MAP_FAILED) << std::strerror(errno);
  auto sent = q_.send(2, {static_cast<const std::byte*>(mem), too_long});
  ::munmap(mem, too_long);
  ASSERT_THAT(sent, FailsWith(ENOMEM));
  EXPECT_THAT(sent.error().message(),
              HasSubstr("(no 2147483648-byte message buffer)"));
  EXPECT_EQ(qnum(), 1u);
  auto m = q_.receive(0, 16);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(AsString(m->data), "stays");
}

TEST_F(MsgTest, ZeroLengthMessageRoundTrips) {
  ASSERT_OK(q_.send(2, {}));
  auto m = q_.receive(0, 16);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->type, 2);
  EXPECT_TRUE(m->data.empty());
}

TEST_F(MsgTest, MessageBufferIsAlignedAndReusable) {
  for (std::size_t cap : {0u, 1u, 7u, 8u, 9u, 15u, 17u}) {
    MessageBuffer buf(cap);
    EXPECT_EQ(buf.capacity(), cap);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(buf.raw()) % alignof(long), 0u);
    EXPECT_EQ(reinterpret_cast<std::byte*>(buf.raw()) + sizeof(long),
              buf.text().data());
    EXPECT_EQ(buf.text().size(), cap);
    // A message of exactly the capacity fits (ASan checks the kernel stays
    // inside).
    std::string full(cap, 'z');
    ASSERT_OK(q_.send(1, as_bytes(full)));
    auto m = q_.receive(0, buf);
    ASSERT_THAT(m, IsOk()) << cap;
    EXPECT_EQ(AsString(m->data), full);
  }
  // Reuse: each view has the size of its own message.
  MessageBuffer buf(32);
  ASSERT_OK(q_.send(1, as_bytes("abcdef")));
  ASSERT_OK(q_.send(2, as_bytes("xy")));
  auto first = q_.receive(0, buf);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(AsString(first->data), "abcdef");
  auto second = q_.receive(0, buf);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->type, 2);
  EXPECT_EQ(AsString(second->data), "xy");
  buf.set_type(77);
  EXPECT_EQ(buf.type(), 77);
}

TEST_F(MsgTest, TypeSelectionZeroPositiveNegative) {
  // Queue {3, 1, 2}: -3 picks the LOWEST type <= 3 (1), not the first (3).
  ASSERT_OK(q_.send(3, as_bytes("three")));
  ASSERT_OK(q_.send(1, as_bytes("one")));
  ASSERT_OK(q_.send(2, as_bytes("two")));
  MessageBuffer buf(16);
  auto lowest = q_.receive(-3, buf);
  ASSERT_THAT(lowest, IsOk());
  EXPECT_EQ(lowest->type, 1);
  EXPECT_EQ(AsString(lowest->data), "one");
  // Exact type 2, skipping the older 3.
  auto exact = q_.receive(2, buf);
  ASSERT_THAT(exact, IsOk());
  EXPECT_EQ(exact->type, 2);
  EXPECT_EQ(AsString(exact->data), "two");
  // 0: the oldest left.
  ASSERT_OK(q_.send(1, as_bytes("newer")));
  auto oldest = q_.receive(0, buf);
  ASSERT_THAT(oldest, IsOk());
  EXPECT_EQ(oldest->type, 3);
  EXPECT_EQ(AsString(oldest->data), "three");
  // -2 with only type 1 left takes it; same type comes out in send order.
  ASSERT_OK(q_.send(1, as_bytes("newest")));
  EXPECT_EQ(AsString(q_.receive(-2, buf)->data), "newer");
  EXPECT_EQ(AsString(q_.receive(-2, buf)->data), "newest");
}

TEST_F(MsgTest, MsgExceptTakesTheFirstMessageOfAnotherType) {
  ASSERT_OK(q_.send(1, as_bytes("a")));
  ASSERT_OK(q_.send(1, as_bytes("b")));
  ASSERT_OK(q_.send(4, as_bytes("c")));
  auto m = q_.receive(1, 8, {.except = true});
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->type, 4);
  EXPECT_EQ(AsString(m->data), "c");
  EXPECT_EQ(qnum(), 2u);
  // Nothing but type 1 left: except + nowait finds nothing.
  auto none = q_.receive(1, 8, {.nowait = true, .except = true});
  ASSERT_THAT(none, FailsWith(ENOMSG));
}

TEST_F(MsgTest, LongMessageIsE2bigAndStaysQueued) {
  ASSERT_OK(q_.send(6, as_bytes("0123456789")));
  MessageBuffer small(4);
  auto m = q_.receive(0, small);
  ASSERT_THAT(m, FailsWith(E2BIG));
  EXPECT_EQ(m.error().detail(),
            "message longer than 4-byte buffer; it stays queued");
  EXPECT_EQ(qnum(), 1u);
  // The convenience form reports it the same way.
  auto conv = q_.receive(0, 9);
  ASSERT_THAT(conv, FailsWith(E2BIG));
  EXPECT_EQ(conv.error().detail(),
            "message longer than 9-byte buffer; it stays queued");
  EXPECT_EQ(qnum(), 1u);
  auto whole = q_.receive(0, 10);
  ASSERT_THAT(whole, IsOk());
  EXPECT_EQ(AsString(whole->data), "0123456789");
}

TEST_F(MsgTest, TruncateCutsTheMessageAndRemovesIt) {
  ASSERT_OK(q_.send(6, as_bytes("0123456789")));
  MessageBuffer small(4);
  auto m = q_.receive(0, small, {.truncate = true});
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->type, 6);
  EXPECT_EQ(AsString(m->data), "0123");
  auto st = q_.stat();
  EXPECT_EQ(st->qnum, 0u);
  EXPECT_EQ(st->cbytes, 0u);
}

TEST_F(MsgTest, NowaitWithoutAMatchIsEnomsg) {
  auto empty = q_.receive(0, 8, {.nowait = true});
  ASSERT_THAT(empty, FailsWith(ENOMSG));
  EXPECT_EQ(empty.error().detail(), "no message matching type 0");
  ASSERT_OK(q_.send(2, as_bytes("x")));
  auto other = q_.receive(7, 8, {.nowait = true});
  ASSERT_THAT(other, FailsWith(ENOMSG));
  EXPECT_EQ(other.error().detail(), "no message matching type 7");
  auto below = q_.receive(-1, 8, {.nowait = true});
  ASSERT_THAT(below, FailsWith(ENOMSG));
  EXPECT_EQ(below.error().detail(), "no message matching type -1");
  EXPECT_EQ(qnum(), 1u);
}

TEST_F(MsgTest, SendRejectsTypesBelowOne) {
  for (long type : {0L, -1L, -100L}) {
    auto s = q_.send(type, as_bytes("x"));
    ASSERT_THAT(s, FailsWith(EINVAL)) << type;
    EXPECT_EQ(s.error().detail(), "mtype must be >= 1");
  }
  EXPECT_EQ(q_.stat()->lspid, 0);  // msgsnd was never called
}

TEST_F(MsgTest, OversizedSendIsEinvalNamingMsgmax) {
  auto lim = msg_limits();
  ASSERT_THAT(lim, IsOk());
  ShrinkTo(lim->msgmax);
  std::vector<std::byte> too_big(lim->msgmax + 1);
  auto s = q_.send(1, too_big);
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().detail(), std::to_string(lim->msgmax + 1) +
                                    " bytes exceeds msgmax " +
                                    std::to_string(lim->msgmax));
  // Exactly msgmax is fine.
  std::vector<std::byte> max(lim->msgmax, std::byte{7});
  ASSERT_OK(q_.send(1, max, {.nowait = true}));
  auto m = q_.receive(0, lim->msgmax);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->data, max);
}

TEST_F(MsgTest, FullQueueWithNowaitIsEagainQueueFull) {
  ShrinkTo(16);
  ASSERT_OK(q_.send(1, std::vector<std::byte>(16), {.nowait = true}));
  auto s = q_.send(1, as_bytes("x"), {.nowait = true});
  ASSERT_THAT(s, FailsWith(EAGAIN));
  EXPECT_EQ(s.error().detail(), "queue full");
  EXPECT_EQ(s.error().message(),
            "msgsnd(qid=" + std::to_string(q_.id()) +
                ", 1 bytes): Resource temporarily unavailable (queue full)");
  EXPECT_EQ(qnum(), 1u);
}

TEST_F(MsgTest, BlockedSenderIsWokenWhenSpaceFrees) {
  ShrinkTo(16);
  ASSERT_OK(q_.send(1, std::vector<std::byte>(16)));
  std::optional<Status> sent;
  Worker sender([&] { sent = q_.send(2, as_bytes("late")); },
                [&] { (void)q_.remove(); });
  ASSERT_OK(fault::wait_until_blocked(0, sender.tid(), SYS_msgsnd,
                                      deadline_in(kWait)));
  EXPECT_EQ(qnum(), 1u);
  auto first = q_.receive(0, 16);
  ASSERT_THAT(first, IsOk());
  sender.join();
  ASSERT_THAT(*sent, IsOk());
  auto second = q_.receive(0, 16);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->type, 2);
  EXPECT_EQ(AsString(second->data), "late");
}

TEST_F(MsgTest, BlockedReceiverGetsEidrmWhenTheQueueIsRemoved) {
  std::optional<Result<Message>> got;
  Worker receiver([&] { got = q_.receive(0, 16); }, [&] { (void)q_.remove(); });
  ASSERT_OK(fault::wait_until_blocked(0, receiver.tid(), SYS_msgrcv,
                                      deadline_in(kWait)));
  owner_->release();
  ASSERT_OK(q_.remove());
  receiver.join();
  ASSERT_THAT(*got, FailsWith(EIDRM));
  EXPECT_EQ(got->error().detail(), "queue removed");
}

TEST_F(MsgTest, BlockedSenderGetsEidrmWhenTheQueueIsRemoved) {
  ShrinkTo(4);
  ASSERT_OK(q_.send(1, as_bytes("full")));
  std::optional<Status> sent;
  Worker sender([&] { sent = q_.send(1, as_bytes("more")); },
                [&] { (void)q_.remove(); });
  ASSERT_OK(fault::wait_until_blocked(0, sender.tid(), SYS_msgsnd,
                                      deadline_in(kWait)));
  owner_->release();
  ASSERT_OK(q_.remove());
  sender.join();
  ASSERT_THAT(*sent, FailsWith(EIDRM));
  EXPECT_EQ(sent->error().detail(), "queue removed");
}

TEST_F(MsgTest, UseAfterRemoveIsEinvalNoQueue) {
  owner_->release();
  ASSERT_OK(q_.remove());
  std::string detail = "no queue with id " + std::to_string(q_.id());
  auto s = q_.send(1, as_bytes("x"));
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_EQ(s.error().detail(), detail);
  auto r = q_.receive(0, 8);
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_EQ(r.error().detail(), detail);
  auto st = q_.stat();
  ASSERT_THAT(st, FailsWith(EINVAL));
  EXPECT_EQ(st.error().detail(), detail);
  auto qb = q_.set_qbytes(100);
  ASSERT_THAT(qb, FailsWith(EINVAL));
  EXPECT_EQ(qb.error().detail(), detail);
  auto rm = q_.remove();
  ASSERT_THAT(rm, FailsWith(EINVAL));
  EXPECT_EQ(rm.error().detail(), detail);
}

// ---- signals ---------------------------------------------------------------

TEST_F(MsgTest, ReceiveSurfacesEintrWhenAsked) {
  CountingHandler handler;
  std::optional<Result<Message>> got;
  Worker receiver([&] { got = q_.receive(0, 16, {.eintr = Eintr::kSurface}); },
                  [&] { (void)q_.remove(); });
  ASSERT_OK(fault::interrupt_when_blocked(0, receiver.tid(), SIGUSR1,
                                          SYS_msgrcv, deadline_in(kWait)));
  receiver.join();
  ASSERT_THAT(*got, FailsWith(EINTR));
  EXPECT_EQ(got->error().op(), "msgrcv");
}

TEST_F(MsgTest, SendSurfacesEintrWhenAsked) {
  CountingHandler handler;
  ShrinkTo(4);
  ASSERT_OK(q_.send(1, as_bytes("full")));
  std::optional<Status> sent;
  Worker sender(
      [&] { sent = q_.send(1, as_bytes("more"), {.eintr = Eintr::kSurface}); },
      [&] { (void)q_.remove(); });
  ASSERT_OK(fault::interrupt_when_blocked(0, sender.tid(), SIGUSR1, SYS_msgsnd,
                                          deadline_in(kWait)));
  sender.join();
  ASSERT_THAT(*sent, FailsWith(EINTR));
  EXPECT_EQ(qnum(), 1u);  // nothing half-sent
}

// msgrcv/msgsnd are never restarted by the kernel, SA_RESTART or not; kRetry
// must call again and still deliver. Parameter: SA_RESTART on the handler.
class MsgRetryTest : public MsgTest,
                     public ::testing::WithParamInterface<bool> {};

TEST_P(MsgRetryTest, ReceiveRetriesEintrAndDeliversTheMessage) {
  CountingHandler handler(SIGUSR1, GetParam() ? SA_RESTART : 0);
  KernelEintrs eintrs;
  ASSERT_TRUE(eintrs.ok());
  sys::table().msgrcv.store(&msgrcv_noting_eintr);
  std::optional<Result<Message>> got;
  Worker receiver([&] { got = q_.receive(0, 16); }, [&] { (void)q_.remove(); });
  ASSERT_OK(fault::interrupt_when_blocked(0, receiver.tid(), SIGUSR1,
                                          SYS_msgrcv, deadline_in(kWait)));
  eintrs.WaitForOne(kWait);
  ASSERT_OK(q_.send(9, as_bytes("after")));
  receiver.join();
  ASSERT_THAT(*got, IsOk());
  EXPECT_EQ((*got)->type, 9);
  EXPECT_EQ(AsString((*got)->data), "after");
}

TEST_P(MsgRetryTest, SendRetriesEintrAndDeliversTheMessage) {
  CountingHandler handler(SIGUSR1, GetParam() ? SA_RESTART : 0);
  ShrinkTo(4);
  ASSERT_OK(q_.send(1, as_bytes("full")));
  KernelEintrs eintrs;
  ASSERT_TRUE(eintrs.ok());
  sys::table().msgsnd.store(&msgsnd_noting_eintr);
  std::optional<Status> sent;
  Worker sender([&] { sent = q_.send(2, as_bytes("more")); },
                [&] { (void)q_.remove(); });
  ASSERT_OK(fault::interrupt_when_blocked(0, sender.tid(), SIGUSR1, SYS_msgsnd,
                                          deadline_in(kWait)));
  eintrs.WaitForOne(kWait);
  ASSERT_THAT(q_.receive(1, 4), IsOk());  // frees the space
  sender.join();
  ASSERT_THAT(*sent, IsOk());
  auto m = q_.receive(0, 4);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->type, 2);
  EXPECT_EQ(AsString(m->data), "more");
}

INSTANTIATE_TEST_SUITE_P(SaRestart, MsgRetryTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "SaRestart" : "NoSaRestart";
                         });

// The kernel fact behind kRetry, on the raw call.
TEST_F(MsgTest, RawMsgrcvIsNotRestartedEvenWithSaRestart) {
  CountingHandler handler(SIGUSR1, SA_RESTART);
  std::optional<int> err;
  Worker receiver(
      [&] {
        struct {
          long mtype;
          char mtext[16];
        } msg;
        ssize_t r = ::msgrcv(q_.id(), &msg, sizeof msg.mtext, 0, 0);
        err = r < 0 ? errno : 0;
      },
      [&] { (void)q_.remove(); });
  ASSERT_OK(fault::interrupt_when_blocked(0, receiver.tid(), SIGUSR1,
                                          SYS_msgrcv, deadline_in(kWait)));
  receiver.join();
  EXPECT_EQ(err, EINTR);
}

// ---- msgctl ----------------------------------------------------------------

TEST_F(MsgTest, StatReportsCountsPidsAndTimes) {
  auto lim = msg_limits();
  ASSERT_THAT(lim, IsOk());
  time_t created_after = ::time(nullptr);
  key_t key = ::ftok(MakeFile(dir_.file("anchor")).c_str(), 9);
  auto q = MessageQueue::create_exclusive(key, 0640);
  ASSERT_THAT(q, IsOk());
  QueueOwner cleanup(*q);

  auto fresh = q->stat();
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(fresh->qnum, 0u);
  EXPECT_EQ(fresh->cbytes, 0u);
  EXPECT_EQ(fresh->qbytes, lim->msgmnb);
  EXPECT_EQ(fresh->lspid, 0);
  EXPECT_EQ(fresh->lrpid, 0);
  EXPECT_EQ(fresh->stime, 0);
  EXPECT_EQ(fresh->rtime, 0);
  EXPECT_GE(fresh->ctime, created_after);
  EXPECT_LE(fresh->ctime, ::time(nullptr));
  EXPECT_EQ(fresh->key, key);
  EXPECT_EQ(fresh->uid, ::geteuid());
  EXPECT_EQ(fresh->mode, 0640u);

  // A child sends: lspid is the child's pid.
  time_t sent_after = ::time(nullptr);
  pid_t child = ::fork();
  ASSERT_THAT(child, SyscallSucceeds());
  if (child == 0) ::_exit(q->send(4, as_bytes("abc")).ok() ? 0 : 1);
  int status = 0;
  ASSERT_THAT(::waitpid(child, &status, 0), SyscallSucceedsWithValue(child));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeWaitStatus(status);
  auto after_send = q->stat();
  ASSERT_THAT(after_send, IsOk());
  EXPECT_EQ(after_send->qnum, 1u);
  EXPECT_EQ(after_send->cbytes, 3u);
  EXPECT_EQ(after_send->lspid, child);
  EXPECT_EQ(after_send->lrpid, 0);
  EXPECT_GE(after_send->stime, sent_after);
  EXPECT_LE(after_send->stime, ::time(nullptr));
  EXPECT_EQ(after_send->rtime, 0);

  // This process receives: lrpid is ours.
  time_t received_after = ::time(nullptr);
  ASSERT_THAT(q->receive(0, 8), IsOk());
  auto after_receive = q->stat();
  ASSERT_THAT(after_receive, IsOk());
  EXPECT_EQ(after_receive->qnum, 0u);
  EXPECT_EQ(after_receive->cbytes, 0u);
  EXPECT_EQ(after_receive->lspid, child);
  EXPECT_EQ(after_receive->lrpid, ::getpid());
  EXPECT_GE(after_receive->rtime, received_after);
  EXPECT_LE(after_receive->rtime, ::time(nullptr));
}

TEST_F(MsgTest, SetQbytesChangesOnlyTheCapacity) {
  ASSERT_OK(q_.set_qbytes(100));
  auto st = q_.stat();
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->qbytes, 100u);
  EXPECT_EQ(st->mode, 0600u);
  EXPECT_EQ(st->uid, ::geteuid());
  // The new capacity is enforced.
  ASSERT_OK(q_.send(1, std::vector<std::byte>(100), {.nowait = true}));
  EXPECT_THAT(q_.send(1, as_bytes("x"), {.nowait = true}), FailsWith(EAGAIN));
}

TEST_F(MsgTest, SetQbytesByANonOwnerIsEperm) {
  auto shared =
      MessageQueue::create_private(0644);  // others may IPC_STAT, not IPC_SET
  ASSERT_THAT(shared, IsOk());
  QueueOwner cleanup(*shared);
  int status = RunInChild([&] {
    if (::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0)
      return 77;
    auto s = shared->set_qbytes(100);
    if (s.ok()) return 1;
    if (s.error().code() != EPERM) return 2;
    if (s.error().detail() != "not the queue's owner or creator") return 3;
    return 0;
  });
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
    GTEST_SKIP() << "cannot drop privileges";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeWaitStatus(status);
}

TEST_F(MsgTest, RaisingQbytesAboveMsgmnbNeedsCapSysResource) {
  auto lim = msg_limits();
  ASSERT_THAT(lim, IsOk());
  std::size_t above = lim->msgmnb + 1;
  int status = RunInChild([&] {
    if (::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0)
      return 77;
    auto own = MessageQueue::create_private();
    if (!own) return 1;
    QueueOwner cleanup(*own);
    auto s = own->set_qbytes(above);
    if (s.ok()) return 2;
    if (s.error().code() != EPERM) return 3;
    if (s.error().detail() != "raising qbytes above msgmnb " +
                                  std::to_string(lim->msgmnb) +
                                  " needs CAP_SYS_RESOURCE") {
      return 4;
    }
    return own->set_qbytes(lim->msgmnb - 1).ok() ? 0
                                                 : 5;  // lowering is allowed
  });
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
    GTEST_SKIP() << "cannot drop privileges";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeWaitStatus(status);
}

// ---- QueueOwner ------------------------------------------------------------

bool raw_stat_fails_einval(int id) {
  struct msqid_ds ds;
  return ::msgctl(id, IPC_STAT, &ds) == -1 && errno == EINVAL;
}

TEST(QueueOwnerTest, RemovesTheQueueOnDestruction) {
  auto q = MessageQueue::create_private();
  ASSERT_THAT(q, IsOk());
  {
    QueueOwner owner(*q);
    EXPECT_TRUE(owner.owns());
    EXPECT_EQ(owner.queue().id(), q->id());
  }
  EXPECT_TRUE(raw_stat_fails_einval(q->id()));
}

TEST(QueueOwnerTest, ReleaseKeepsTheQueue) {
  auto q = MessageQueue::create_private();
  ASSERT_THAT(q, IsOk());
  MessageQueue kept = MessageQueue::from_id(-1);
  {
    QueueOwner owner(*q);
    kept = owner.release();
    EXPECT_FALSE(owner.owns());
  }
  QueueOwner cleanup(kept);
  EXPECT_EQ(kept.id(), q->id());
  EXPECT_THAT(kept.stat(), IsOk());
}

TEST(QueueOwnerTest, MovesTransferOwnership) {
  auto a = MessageQueue::create_private();
  ASSERT_THAT(a, IsOk());
  QueueOwner first(*a);
  auto b = MessageQueue::create_private();
  ASSERT_THAT(b, IsOk());
  QueueOwner owner_b(*b);
  {
    QueueOwner second(std::move(first));
    EXPECT_FALSE(
        first.owns());  // NOLINT(bugprone-use-after-move): the moved-from state
    EXPECT_TRUE(second.owns());
    // Move-assigning removes what owner_b held and takes `a` over.
    owner_b = std::move(second);
    EXPECT_FALSE(second.owns());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(raw_stat_fails_einval(b->id()));
    EXPECT_EQ(owner_b.queue().id(), a->id());
  }
  EXPECT_THAT(a->stat(), IsOk());  // the moved-from owners did not remove it
}

}  // namespace
}  // namespace ipc
