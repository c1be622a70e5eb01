// conformance/sysv_msg_test.cc — conformance tests for System V message queues
// (MSG-001 … MSG-048, MSG-058 … MSG-061): what msgget(2), msgop(2), msgctl(2)
// and POSIX XSH promise, checked on the raw OS calls (MsgOs) and, where
// ipc/sysv_msg.h exposes the behaviour, on our layer (MsgLayer). Catalogue:
// conformance/catalog/sysv_msg.txt.
//
// Every test names the deviation it catches in its comment. Blocking is
// observed through /proc (BackgroundCall::wait_blocked,
// fault::interrupt_when_blocked), never guessed with a sleep; a queue that must
// be full is made small with IPC_SET (msg_qbytes) so filling it is fast. Limits
// that are system-wide (MSGMNI, msg_next_id, MSG_INFO counts) are exercised in
// a child that first moves into a fresh IPC namespace
// (RunInPrivateIpcNamespace), so nothing outside it is touched. Forked
// children check with TEST_CHECK* (ipc/testing/child.h): a failure names the
// expression, errno and line.
#include "ipc/sysv_msg.h"

#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/background.h"
#include "conformance/testing/streams.h"
#include "conformance/testing/suite_util.h"
#include "conformance/testing/sysv.h"
#include "conformance/testing/unchecked.h"
#include "conformance/testing/unrelated.h"
#include "fault/blocked.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/keys.h"
#include "ipc/limits.h"
#include "ipc/testing/test_util.h"

namespace {

using ::conformance::testing::BackgroundCall;
using ::conformance::testing::IdMapped;
using ::conformance::testing::kPatience;
using ::conformance::testing::NoteUnchecked;
using ::conformance::testing::ReadProcLong;
using ::conformance::testing::RunAsNobody;
using ::conformance::testing::RunInPrivateIpcNamespace;
using ::conformance::testing::RunUnrelatedPeer;
using ::conformance::testing::SysvipcUnavailable;
using ::conformance::testing::WaitUntilTimeIsAfter;
using ::conformance::testing::WriteProc;
using ::ipc::testing::AsString;
using ::ipc::testing::Child;
using ::ipc::testing::CountingHandler;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::Mapping;
using ::ipc::testing::RetryEINTR;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;

// ---- helpers ---------------------------------------------------------------

// A queue made by msgget(IPC_PRIVATE, IPC_CREAT | mode), removed at the end of
// the scope.
class OwnedQueue {
 public:
  explicit OwnedQueue(int mode = 0600)
      : id_(::msgget(IPC_PRIVATE, IPC_CREAT | mode)) {
    EXPECT_GE(id_, 0) << "msgget(IPC_PRIVATE): " << std::strerror(errno);
  }
  // Adopts an id made elsewhere (e.g. with a key).
  static OwnedQueue adopt(int id) { return OwnedQueue(id, 0); }
  OwnedQueue(OwnedQueue&& other) noexcept : id_(other.id_) { other.id_ = -1; }
  OwnedQueue& operator=(OwnedQueue&&) = delete;
  ~OwnedQueue() { remove(); }
  int id() const { return id_; }
  // Removes the current queue (if any) and owns `id` instead.
  void reset(int id) {
    remove();
    id_ = id;
  }
  // IPC_RMID now (once); msgctl's result.
  int remove() {
    if (id_ < 0) return 0;
    int r = ::msgctl(id_, IPC_RMID, nullptr);
    id_ = -1;
    return r;
  }

 private:
  OwnedQueue(int id, int) : id_(id) {}
  int id_;
};

// Removes the queue when the scope ends. Declared after a BackgroundCall, it
// runs first, so a failed assertion wakes the blocked call (EIDRM) before
// BackgroundCall joins its thread.
class RemoveAtExit {
 public:
  explicit RemoveAtExit(OwnedQueue& q) : q_(q) {}
  ~RemoveAtExit() { q_.remove(); }

 private:
  OwnedQueue& q_;
};

// A queue created exclusively with ftok(file in a TempDir, proj) for the first
// free proj id.
struct KeyedQueue {
  TempDir dir;
  std::string path = ipc::testing::MakeFile(dir.file("anchor"));
  int proj = 0;
  key_t key = -1;
  OwnedQueue queue = OwnedQueue::adopt(-1);

  explicit KeyedQueue(int mode = 0600) {
    auto made =
        ipc::create_with_free_key(path, 1, [&](key_t k) -> ipc::Result<int> {
          int id = ::msgget(k, IPC_CREAT | IPC_EXCL | mode);
          if (id < 0) return ipc::Error::from_errno("msgget", "");
          return id;
        });
    EXPECT_THAT(made, IsOk());
    if (made) {
      proj = made->proj_id;
      key = made->key;
      queue.reset(made->id);
    }
  }
  int id() const { return queue.id(); }
};

// msgsnd of (type, text); msgsnd's result.
int Send(int q, long type, const std::string& text, int flags = 0) {
  std::vector<char> buf(sizeof(long) + text.size());
  std::memcpy(buf.data(), &type, sizeof type);
  std::memcpy(buf.data() + sizeof(long), text.data(), text.size());
  return ::msgsnd(q, buf.data(), text.size(), flags);
}

struct Received {
  long type = 0;
  std::string text;
};

// msgrcv into a fresh buffer of `max` bytes; msgrcv's result, the message in
// *out on success.
ssize_t Recv(int q, long msgtyp, std::size_t max, int flags,
             Received* out = nullptr) {
  std::vector<char> buf(sizeof(long) + max);
  ssize_t n = ::msgrcv(q, buf.data(), max, msgtyp, flags);
  if (n >= 0 && out != nullptr) {
    std::memcpy(&out->type, buf.data(), sizeof(long));
    out->text.assign(buf.data() + sizeof(long), static_cast<std::size_t>(n));
  }
  return n;
}

// Empties the queue (IPC_NOWAIT, oldest first) and describes what it held: "3:c
// 1:a". Receives with msgsz = MSGMAX, which any message fits: a larger msgsz
// is legal on Linux (MSG-029) but refused by some OSes (gVisor), and Drain
// must not turn that one deviation into a failure of every test using it.
std::string Drain(int q) {
  static const std::size_t msgmax = [] {
    long v = ReadProcLong("/proc/sys/kernel/msgmax");
    return v > 0 ? static_cast<std::size_t>(v) : std::size_t{8192};
  }();
  std::string out;
  Received m;
  while (Recv(q, 0, msgmax, IPC_NOWAIT, &m) >= 0) {
    out += (out.empty() ? "" : " ") + std::to_string(m.type) + ":" + m.text;
  }
  return out;
}

struct msqid_ds Stat(int q) {
  struct msqid_ds ds {};
  EXPECT_THAT(::msgctl(q, IPC_STAT, &ds), SyscallSucceeds());
  return ds;
}

// IPC_STAT, then IPC_SET with msg_qbytes changed; msgctl's result.
int SetQbytes(int q, std::size_t qbytes) {
  struct msqid_ds ds {};
  if (::msgctl(q, IPC_STAT, &ds) != 0) return -1;
  ds.msg_qbytes = qbytes;
  return ::msgctl(q, IPC_SET, &ds);
}

std::size_t Limit(const char* name) {
  auto v = ipc::read_sysctl(std::string("/proc/sys/kernel/") + name);
  EXPECT_THAT(v, IsOk());
  return v ? static_cast<std::size_t>(*v) : 0;
}

// Whether this is the initial user namespace, where root's capabilities are the
// real ones (capable(CAP_SYS_RESOURCE) checks the initial namespace).
bool InInitialUserNamespace() {
  std::ifstream map("/proc/self/uid_map");
  unsigned long inside, outside, count;
  return map >> inside >> outside >> count && inside == 0 && outside == 0 &&
         count == 4294967295UL && !(map >> inside);
}

// Whether capability `cap` is in this thread's effective set (CapEff of
// /proc/self/status).
bool HasEffectiveCapability(int cap) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0)
      return (std::stoull(line.substr(7), nullptr, 16) >> cap & 1) != 0;
  }
  return false;
}

// In a (forked, single-threaded) child: removes `cap` from the effective set,
// keeping the uid.
bool DropEffectiveCapability(int cap) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  data[cap / 32].effective &= ~(1u << (cap % 32));
  return ::syscall(SYS_capset, &hdr, data) == 0;
}

#define SKIP_UNLESS_NOBODY_MAPPED()           \
  if (!IdMapped("/proc/self/uid_map", 65534)) \
  GTEST_SKIP() << "uid 65534 is not mapped in this user namespace"

std::span<const std::byte> Bytes(const std::string& s) {
  return ipc::as_bytes(s);
}

// Waits (bounded) until the handler has counted `n` deliveries: under TSan a
// handler may run after the interrupted call has already returned EINTR.
bool HandlerRan(const CountingHandler& h, int n) {
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (h.count() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    sched_yield();
  }
  return true;
}

// ---- MSG-001 IPC_PRIVATE ---------------------------------------------------

// Catches: IPC_PRIVATE treated as an ordinary key (second call returns the
// first queue).
TEST(MsgOs, IpcPrivateAlwaysCreatesANewQueue) {
  OwnedQueue a, b;
  OwnedQueue c =
      OwnedQueue::adopt(::msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_GE(c.id(), 0) << "IPC_EXCL with IPC_PRIVATE: " << std::strerror(errno);
  EXPECT_NE(a.id(), b.id());
  EXPECT_NE(a.id(), c.id());
  EXPECT_NE(b.id(), c.id());
  ASSERT_THAT(Send(a.id(), 1, "only in a"), SyscallSucceeds());
  EXPECT_EQ(Stat(b.id()).msg_qnum, 0u);
  EXPECT_EQ(Stat(a.id()).msg_perm.__key, IPC_PRIVATE);
}

TEST(MsgLayer, CreatePrivateGivesDistinctQueues) {
  auto a = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner oa(a);
  auto b = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner ob(b);
  EXPECT_NE(a.id(), b.id());
  EXPECT_EQ(ASSERT_OK_AND_VALUE(a.stat()).key, IPC_PRIVATE);
}

// ---- MSG-002 key → same queue --------------------------------------------

// Catches: a key that does not find the queue created with it (in this or
// another process).
TEST(MsgOs, KeyFindsTheQueueCreatedWithIt) {
  KeyedQueue kq;
  ASSERT_GE(kq.id(), 0);
  EXPECT_THAT(::msgget(kq.key, 0), SyscallSucceedsWithValue(kq.id()));
  EXPECT_EQ(Stat(kq.id()).msg_perm.__key, kq.key);
  EXPECT_CHILD_OK(RunInChild([&] {
    TEST_CHECK(::msgget(::ftok(kq.path.c_str(), kq.proj), 0) == kq.id());
  }));
}

TEST(MsgLayer, OpenFindsTheQueueCreateMade) {
  TempDir dir;
  std::string path = ipc::testing::MakeFile(dir.file("k"));
  auto made = ASSERT_OK_AND_VALUE(
      ipc::create_with_free_key(path, 1, [](key_t k) -> ipc::Result<int> {
        auto q = ipc::MessageQueue::create_exclusive(k);
        if (!q) return std::move(q).error();
        return q->id();
      }));
  ipc::QueueOwner owner(ipc::MessageQueue::from_id(made.id));
  auto opened = ASSERT_OK_AND_VALUE(ipc::MessageQueue::open(made.key));
  EXPECT_EQ(opened.id(), made.id);
  auto again = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create(made.key));
  EXPECT_EQ(again.id(), made.id);
}

// ---- MSG-003 no queue for the key ------------------------------------------

// Catches: a lookup that creates a queue, or fails with another errno.
TEST(MsgOs, LookupWithoutCreateFailsEnoent) {
  KeyedQueue kq;
  ASSERT_GE(kq.id(), 0);
  key_t key = kq.key;
  ASSERT_THAT(kq.queue.remove(), SyscallSucceeds());
  EXPECT_THAT(::msgget(key, 0600), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::msgget(key, 0), SyscallFailsWithErrno(ENOENT));
}

TEST(MsgLayer, OpenOfMissingKeyFailsEnoent) {
  KeyedQueue kq;
  ASSERT_GE(kq.id(), 0);
  ASSERT_THAT(kq.queue.remove(), SyscallSucceeds());
  auto q = ipc::MessageQueue::open(kq.key);
  EXPECT_THAT(q, FailsWith(ENOENT));
  if (!q) {
    EXPECT_THAT(q.error().message(), HasSubstr("has no queue"));
  }
  // IPC_PRIVATE names no existing queue: the layer refuses instead of creating
  // one.
  EXPECT_THAT(ipc::MessageQueue::open(IPC_PRIVATE), FailsWith(EINVAL));
}

// ---- MSG-004 IPC_EXCL on an existing key -----------------------------------

// Catches: IPC_EXCL ignored (returns the existing id).
TEST(MsgOs, ExclusiveCreateOfExistingKeyFailsEexist) {
  KeyedQueue kq;
  ASSERT_GE(kq.id(), 0);
  EXPECT_THAT(::msgget(kq.key, IPC_CREAT | IPC_EXCL | 0600),
              SyscallFailsWithErrno(EEXIST));
}

TEST(MsgLayer, CreateExclusiveOfExistingKeyFailsEexist) {
  KeyedQueue kq;
  ASSERT_GE(kq.id(), 0);
  auto q = ipc::MessageQueue::create_exclusive(kq.key);
  EXPECT_THAT(q, FailsWith(EEXIST));
  if (!q) {
    EXPECT_THAT(q.error().message(), HasSubstr("already has a queue"));
  }
}

// ---- MSG-005 IPC_CREAT on an existing key keeps its mode -------------------

// Catches: a second IPC_CREAT that makes a new queue or re-applies its mode.
TEST(MsgOs, CreateOfExistingKeyReturnsItWithModeUnchanged) {
  KeyedQueue kq(0600);
  ASSERT_GE(kq.id(), 0);
  EXPECT_THAT(::msgget(kq.key, IPC_CREAT | 0644),
              SyscallSucceedsWithValue(kq.id()));
  EXPECT_EQ(Stat(kq.id()).msg_perm.mode & 0777, 0600u);
}

TEST(MsgLayer, CreateOfExistingKeyKeepsMode) {
  KeyedQueue kq(0600);
  ASSERT_GE(kq.id(), 0);
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create(kq.key, 0666));
  EXPECT_EQ(q.id(), kq.id());
  EXPECT_EQ(ASSERT_OK_AND_VALUE(q.stat()).mode, 0600u);
}

// ---- MSG-006 msgget permission ---------------------------------------------

// Catches: no permission check in msgget, or one that also refuses a request
// for no access (POSIX checks only the permissions the low nine bits of msgflg
// ask for).
TEST(MsgOs, MsgGetWithDeniedModeFailsEacces) {
  KeyedQueue kq(0600);
  ASSERT_GE(kq.id(), 0);
  key_t key = kq.key;
  EXPECT_CHILD_OK(RunAsNobody([&] {
    TEST_CHECK_ERRNO(::msgget(key, 0600), EACCES);
    TEST_CHECK_ERRNO(::msgget(key, 0400), EACCES);
    TEST_CHECK(::msgget(key, 0) == kq.id());  // asks for nothing
  }));
}

TEST(MsgLayer, CreateWithDeniedModeFailsEacces) {
  KeyedQueue kq(0600);
  ASSERT_GE(kq.id(), 0);
  key_t key = kq.key;
  EXPECT_CHILD_OK(RunAsNobody([&] {
    auto q = ipc::MessageQueue::create(key, 0600);
    TEST_CHECK_MSG(!q, "created without permission");
    TEST_CHECK(q.error().code() == EACCES);
  }));
}

// ---- MSG-007 MSGMNI --------------------------------------------------------

// Catches: no queue limit, or the wrong errno when it is reached. In a private
// IPC namespace with msgmni lowered to 3, so nothing outside the namespace runs
// short.
TEST(MsgOs, QueueLimitReachedFailsEnospc) {
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    CHILD_SKIP_UNLESS(WriteProc("/proc/sys/kernel/msgmni", "3"),
                      "cannot write kernel.msgmni in a private IPC namespace");
    for (int i = 0; i < 3; ++i) {  // below the limit: made
      TEST_CHECK_SUCCESS(::msgget(IPC_PRIVATE, IPC_CREAT | 0600));
    }
    TEST_CHECK_ERRNO(::msgget(IPC_PRIVATE, IPC_CREAT | 0600), ENOSPC);
  }));
}

TEST(MsgLayer, CreatePrivateAtQueueLimitFailsEnospc) {
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    CHILD_SKIP_UNLESS(WriteProc("/proc/sys/kernel/msgmni", "1"),
                      "cannot write kernel.msgmni in a private IPC namespace");
    TEST_CHECK(ipc::MessageQueue::create_private().ok());
    auto q = ipc::MessageQueue::create_private();
    TEST_CHECK_MSG(!q, "a queue beyond msgmni was made");
    TEST_CHECK(q.error().code() == ENOSPC);
  }));
}

// ---- MSG-008 msg_next_id (Linux) -------------------------------------------

// Catches: msg_next_id ignored, or not reset to -1 after use. In a private IPC
// namespace.
TEST(MsgOs, MsgNextIdSelectsTheIdThenResets) {
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    CHILD_SKIP_UNLESS(
        WriteProc("/proc/sys/kernel/msg_next_id", "4242"),
        "cannot write kernel.msg_next_id in a private IPC namespace");
    TEST_CHECK(::msgget(IPC_PRIVATE, IPC_CREAT | 0600) == 4242);
    auto after = ipc::read_sysctl("/proc/sys/kernel/msg_next_id");
    TEST_CHECK_MSG(after && *after == -1, "msg_next_id not reset to -1");
    int next = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    TEST_CHECK_SUCCESS(next);
    TEST_CHECK(next != 4242);
  }));
}

// ---- MSG-009 a new queue's msqid_ds ----------------------------------------

// Catches: wrong owner/creator ids, mode bits, non-zero counters, or a capacity
// other than msgmnb.
TEST(MsgOs, NewQueueStatFields) {
  time_t before = ::time(nullptr);
  OwnedQueue q(0640);
  time_t after = ::time(nullptr);
  ASSERT_GE(q.id(), 0);
  struct msqid_ds ds = Stat(q.id());
  EXPECT_EQ(ds.msg_perm.uid, ::geteuid());
  EXPECT_EQ(ds.msg_perm.cuid, ::geteuid());
  EXPECT_EQ(ds.msg_perm.gid, ::getegid());
  EXPECT_EQ(ds.msg_perm.cgid, ::getegid());
  EXPECT_EQ(ds.msg_perm.mode & 0777, 0640u);
  EXPECT_EQ(ds.msg_qnum, 0u);
  EXPECT_EQ(ds.__msg_cbytes, 0u);
  EXPECT_EQ(ds.msg_lspid, 0);
  EXPECT_EQ(ds.msg_lrpid, 0);
  EXPECT_EQ(ds.msg_stime, 0);
  EXPECT_EQ(ds.msg_rtime, 0);
  EXPECT_GE(ds.msg_ctime, before);
  EXPECT_LE(ds.msg_ctime, after);
  EXPECT_EQ(ds.msg_qbytes, Limit("msgmnb"));
}

// Catches: mode bits above 0777 kept (the mode field holds only the permission
// bits).
TEST(MsgOs, OnlyLowNineModeBitsAreKept) {
  OwnedQueue q(07777);
  ASSERT_GE(q.id(), 0);
  EXPECT_EQ(Stat(q.id()).msg_perm.mode & 07777, 0777u);
}

TEST(MsgLayer, StatOfNewQueue) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private(0604));
  ipc::QueueOwner owner(q);
  auto st = ASSERT_OK_AND_VALUE(q.stat());
  EXPECT_EQ(st.mode, 0604u);
  EXPECT_EQ(st.uid, ::geteuid());
  EXPECT_EQ(st.qnum, 0u);
  EXPECT_EQ(st.cbytes, 0u);
  EXPECT_EQ(st.lspid, 0);
  EXPECT_EQ(st.stime, 0);
  EXPECT_EQ(st.qbytes, Limit("msgmnb"));
  EXPECT_THAT(ipc::MessageQueue::create_private(01600), FailsWith(EINVAL));
}

// ---- MSG-010 round trip; msgsz counts mtext only ---------------------------

// Catches: msgsz counted with mtype, mtype not stored, bytes altered, a wrong
// return value.
TEST(MsgOs, RoundTripCountsTextBytesOnly) {
  OwnedQueue q;
  std::string text = "hello\0world", binary("a\0b\xff", 4);
  ASSERT_THAT(Send(q.id(), 42, text), SyscallSucceeds());
  ASSERT_THAT(Send(q.id(), 7, binary), SyscallSucceeds());
  EXPECT_EQ(Stat(q.id()).__msg_cbytes, text.size() + binary.size());
  Received m;
  // A buffer of exactly the text size suffices: mtype is not part of msgsz.
  ASSERT_THAT(Recv(q.id(), 0, text.size(), IPC_NOWAIT, &m),
              SyscallSucceedsWithValue(text.size()));
  EXPECT_EQ(m.type, 42);
  EXPECT_EQ(m.text, text);
  ASSERT_THAT(Recv(q.id(), 0, 100, IPC_NOWAIT, &m),
              SyscallSucceedsWithValue(4));
  EXPECT_EQ(m.type, 7);
  EXPECT_EQ(m.text, binary);
}

TEST(MsgLayer, SendThenReceiveRoundTrip) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(9, Bytes("payload")));
  ipc::MessageBuffer buf(7);
  auto m = ASSERT_OK_AND_VALUE(q.receive(0, buf, {.nowait = true}));
  EXPECT_EQ(m.type, 9);
  EXPECT_EQ(AsString(m.data), "payload");
}

// ---- MSG-011 zero-length messages ------------------------------------------

// Catches: zero-length messages refused or not counted as messages.
TEST(MsgOs, ZeroLengthMessageIsAllowed) {
  OwnedQueue q;
  long type = 3;
  ASSERT_THAT(::msgsnd(q.id(), &type, 0, IPC_NOWAIT), SyscallSucceeds());
  EXPECT_EQ(Stat(q.id()).msg_qnum, 1u);
  EXPECT_EQ(Stat(q.id()).__msg_cbytes, 0u);
  Received m;
  EXPECT_THAT(Recv(q.id(), 0, 0, IPC_NOWAIT, &m), SyscallSucceedsWithValue(0));
  EXPECT_EQ(m.type, 3);
  EXPECT_EQ(Stat(q.id()).msg_qnum, 0u);
}

TEST(MsgLayer, EmptyMessageRoundTrip) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(5, {}));
  auto m = ASSERT_OK_AND_VALUE(q.receive(0, std::size_t{0}, {.nowait = true}));
  EXPECT_EQ(m.type, 5);
  EXPECT_TRUE(m.data.empty());
}

// ---- MSG-012 mtype < 1 -----------------------------------------------------

// Catches: type 0 or a negative type accepted (they could never be selected by
// msgtyp > 0).
TEST(MsgOs, NonPositiveTypeFailsEinval) {
  OwnedQueue q;
  EXPECT_THAT(Send(q.id(), 0, "x", IPC_NOWAIT), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Send(q.id(), -1, "x", IPC_NOWAIT), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Send(q.id(), LONG_MIN, "x", IPC_NOWAIT),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(Stat(q.id()).msg_qnum, 0u);
}

TEST(MsgLayer, SendWithNonPositiveTypeFailsEinval) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  EXPECT_THAT(q.send(0, Bytes("x")), FailsWith(EINVAL));
  EXPECT_THAT(q.send(-5, Bytes("x")), FailsWith(EINVAL));
}

// ---- MSG-013 msgsz on send -------------------------------------------------

// Catches: messages over msgmax accepted, msgmax itself refused, or a
// "negative" size accepted.
TEST(MsgOs, SendSizeAboveMsgmaxFailsEinval) {
  OwnedQueue q;
  std::size_t msgmax = Limit("msgmax");
  ASSERT_GT(msgmax, 0u);
  ASSERT_THAT(
      SetQbytes(q.id(), std::max<std::size_t>(Stat(q.id()).msg_qbytes, msgmax)),
      SyscallSucceeds());
  EXPECT_THAT(Send(q.id(), 1, std::string(msgmax + 1, 'x'), IPC_NOWAIT),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Send(q.id(), 1, std::string(msgmax, 'y'), IPC_NOWAIT),
              SyscallSucceeds());
  long type = 1;
  EXPECT_THAT(::msgsnd(q.id(), &type, static_cast<size_t>(-1), IPC_NOWAIT),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(Stat(q.id()).msg_qnum, 1u);
  EXPECT_EQ(Stat(q.id()).__msg_cbytes, msgmax);
}

TEST(MsgLayer, SendAboveMsgmaxFailsEinvalNamingTheLimit) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  std::size_t msgmax = Limit("msgmax");
  std::string big(msgmax + 1, 'x');
  ipc::Status s = q.send(1, Bytes(big), {.nowait = true});
  EXPECT_THAT(s, FailsWith(EINVAL));
  if (!s) {
    EXPECT_THAT(s.error().message(),
                HasSubstr("exceeds msgmax " + std::to_string(msgmax)));
  }
}

// ---- MSG-014 invalid ids and sizes -----------------------------------------

// Catches: a negative id or a "negative" receive size accepted, or another
// errno.
TEST(MsgOs, InvalidIdOrNegativeReceiveSizeFailsEinval) {
  OwnedQueue q;
  EXPECT_THAT(Send(-1, 1, "x", IPC_NOWAIT), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Recv(-1, 0, 10, IPC_NOWAIT), SyscallFailsWithErrno(EINVAL));
  ASSERT_THAT(Send(q.id(), 1, "stays"), SyscallSucceeds());
  std::vector<char> buf(64);
  EXPECT_THAT(
      ::msgrcv(q.id(), buf.data(), static_cast<size_t>(-1), 0, IPC_NOWAIT),
      SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(Drain(q.id()), "1:stays");
}

TEST(MsgLayer, OperationsOnInvalidIdFailEinval) {
  auto q = ipc::MessageQueue::from_id(-1);
  ipc::Status s = q.send(1, Bytes("x"), {.nowait = true});
  EXPECT_THAT(s, FailsWith(EINVAL));
  if (!s) {
    EXPECT_THAT(s.error().message(), HasSubstr("no queue with id -1"));
  }
  EXPECT_THAT(q.receive(0, std::size_t{8}, {.nowait = true}),
              FailsWith(EINVAL));
  EXPECT_THAT(q.stat(), FailsWith(EINVAL));
  EXPECT_THAT(q.remove(), FailsWith(EINVAL));
}

// ---- MSG-015 bad message pointer -------------------------------------------

// Catches: a crash or a queued message from an unreadable msgp; a crash on an
// unwritable one.
TEST(MsgOs, UnreadableOrUnwritableBufferFailsEfault) {
  Mapping page(4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);  // no access
  ASSERT_TRUE(page.ok()) << std::strerror(errno);
  OwnedQueue q;
  EXPECT_THAT(::msgsnd(q.id(), page.get(), 8, IPC_NOWAIT),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(Stat(q.id()).msg_qnum, 0u);
  ASSERT_THAT(Send(q.id(), 1, "data"), SyscallSucceeds());
  EXPECT_THAT(::msgrcv(q.id(), page.get(), 8, 0, IPC_NOWAIT),
              SyscallFailsWithErrno(EFAULT));
}

// ---- MSG-016 msgsnd/msgrcv permission --------------------------------------

// Catches: send without write permission or receive without read permission
// allowed; a check that uses the wrong bits (the 0644 queue must still be
// readable, the 0622 one writable).
TEST(MsgOs, SendNeedsWriteAndReceiveNeedsReadPermission) {
  OwnedQueue readable(0644), writable(0622);
  ASSERT_THAT(Send(readable.id(), 1, "r"), SyscallSucceeds());
  ASSERT_THAT(Send(writable.id(), 1, "w"), SyscallSucceeds());
  EXPECT_CHILD_OK(RunAsNobody([&] {
    TEST_CHECK_ERRNO(Send(readable.id(), 1, "x", IPC_NOWAIT), EACCES);
    Received m;
    TEST_CHECK(Recv(readable.id(), 0, 10, IPC_NOWAIT, &m) == 1);
    TEST_CHECK(m.text == "r");
    TEST_CHECK_ERRNO(Recv(writable.id(), 0, 10, IPC_NOWAIT), EACCES);
    TEST_CHECK_SUCCESS(Send(writable.id(), 2, "y", IPC_NOWAIT));
  }));
  EXPECT_EQ(Drain(readable.id()), "");
  EXPECT_EQ(Drain(writable.id()), "1:w 2:y");
}

TEST(MsgLayer, SendAndReceiveWithoutPermissionFailEacces) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private(0600));
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(1, Bytes("m")));
  EXPECT_CHILD_OK(RunAsNobody([&] {
    ipc::Status sent = q.send(1, Bytes("x"), {.nowait = true});
    TEST_CHECK_MSG(!sent, "sent without write permission");
    TEST_CHECK(sent.error().code() == EACCES);
    auto r = q.receive(0, std::size_t{8}, {.nowait = true});
    TEST_CHECK_MSG(!r, "received without read permission");
    TEST_CHECK(r.error().code() == EACCES);
  }));
}

// ---- MSG-017 store and forward ---------------------------------------------

// Catches: a send that waits for a receiver, or one that keeps referring to the
// caller's buffer.
TEST(MsgOs, SendReturnsAtOnceAndCopiesTheMessage) {
  OwnedQueue q;
  std::vector<char> buf(sizeof(long) + 5);
  long type = 4;
  std::memcpy(buf.data(), &type, sizeof type);
  std::memcpy(buf.data() + sizeof(long), "first", 5);
  BackgroundCall sender(
      [&] { return static_cast<long>(::msgsnd(q.id(), buf.data(), 5, 0)); });
  RemoveAtExit unblock(q);
  bool done = sender.wait_done();
  ASSERT_TRUE(done) << "msgsnd waited for a receiver";
  EXPECT_THAT(sender.result(), SyscallSucceeds());
  std::memcpy(buf.data() + sizeof(long), "XXXXX",
              5);  // the caller reuses its buffer
  EXPECT_EQ(Drain(q.id()), "4:first");
}

TEST(MsgLayer, SendReturnsWithoutAReceiver) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  std::string data = "async";
  ASSERT_OK(q.send(2, Bytes(data)));
  data = "XXXXX";
  EXPECT_EQ(ASSERT_OK_AND_VALUE(q.stat()).qnum, 1u);
  EXPECT_EQ(Drain(q.id()), "2:async");
}

// ---- MSG-018 ends need not coexist -----------------------------------------

// Catches: messages that die with their sender, or a queue that needs both ends
// open. The sender is a separately exec'd program that has exited before the
// receiver program starts.
TEST(MsgOs, MessageFromExitedSenderReachesLaterReceiver) {
  KeyedQueue kq;
  ASSERT_GE(kq.id(), 0);
  std::string proj = std::to_string(kq.proj);
  auto sent = RunUnrelatedPeer(
      {"msg-send", kq.path, proj, "7", "sent by a dead process"});
  ASSERT_THAT(sent, IsOk());
  ASSERT_EQ(sent->wait_status, 0)
      << DescribeWaitStatus(sent->wait_status) << ": " << sent->output;
  struct msqid_ds ds = Stat(kq.id());
  EXPECT_EQ(ds.msg_qnum, 1u);
  EXPECT_NE(ds.msg_lspid, ::getpid());
  EXPECT_GT(ds.msg_lspid, 0);
  auto got = RunUnrelatedPeer({"msg-recv", kq.path, proj, "0", "100"});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->wait_status, 0) << DescribeWaitStatus(got->wait_status);
  EXPECT_EQ(got->output, "type=7 text=sent by a dead process");
  EXPECT_EQ(Stat(kq.id()).msg_qnum, 0u);
}

// The other direction: this process sends, then an exec'd program receives it.
TEST(MsgOs, ExecdProgramReceivesAMessageQueuedBeforeItStarted) {
  KeyedQueue kq;
  ASSERT_GE(kq.id(), 0);
  ASSERT_THAT(Send(kq.id(), 3, "older"), SyscallSucceeds());
  ASSERT_THAT(Send(kq.id(), 9, "for the peer"), SyscallSucceeds());
  auto got = RunUnrelatedPeer(
      {"msg-recv", kq.path, std::to_string(kq.proj), "9", "100"});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->wait_status, 0) << DescribeWaitStatus(got->wait_status);
  EXPECT_EQ(got->output, "type=9 text=for the peer");
  EXPECT_EQ(Drain(kq.id()), "3:older");
}

TEST(MsgLayer, MessageOutlivesItsSenderProcess) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_CHILD_OK(RunInChild(
      [&] { TEST_CHECK(q.send(11, Bytes("from the grave")).ok()); }));
  auto m = ASSERT_OK_AND_VALUE(q.receive(0, std::size_t{64}, {.nowait = true}));
  EXPECT_EQ(m.type, 11);
  EXPECT_EQ(
      std::string(reinterpret_cast<const char*>(m.data.data()), m.data.size()),
      "from the grave");
}

// ---- MSG-019 several senders and receivers ---------------------------------

// Catches: a message delivered twice or never with several sender and receiver
// processes, or reordered between one sender's messages. The queue is small so
// senders block and get woken.
TEST(MsgOs, SeveralSenderAndReceiverProcessesGetEachMessageOnce) {
  constexpr int kSenders = 3, kReceivers = 3, kPerSender = 300;
  constexpr long kData = 1, kStop = 2;
  OwnedQueue q;
  ASSERT_THAT(SetQbytes(q.id(), 64),
              SyscallSucceeds());  // 8 messages of 8 bytes
  int id = q.id();
  std::vector<ipc::testing::RawPipe> reports(kReceivers);
  // Killed and reaped at the end of the scope unless waited for.
  std::vector<std::unique_ptr<Child>> receivers, senders;
  for (int r = 0; r < kReceivers; ++r) {
    receivers.push_back(std::make_unique<Child>([&, r] {
      for (;;) {
        Received m;
        TEST_CHECK_SUCCESS(RetryEINTR(Recv)(id, 0, 8, 0, &m));
        if (m.type == kStop) return;
        TEST_CHECK(::write(reports[r].write.get(), m.text.data(), 8) == 8);
      }
    }));
    ASSERT_GT(receivers.back()->pid(), 0);
  }
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(std::make_unique<Child>([&, s] {
      for (std::uint32_t seq = 0; seq < kPerSender; ++seq) {
        std::uint32_t rec[2] = {static_cast<std::uint32_t>(s), seq};
        std::string text(reinterpret_cast<const char*>(rec), 8);
        TEST_CHECK_SUCCESS(RetryEINTR(Send)(id, kData, text, 0));
      }
    }));
    ASSERT_GT(senders.back()->pid(), 0);
  }
  for (int s = 0; s < kSenders; ++s)
    EXPECT_CHILD_OK(senders[s]->wait()) << "(sender " << s << ")";
  // Every data message precedes these in the queue, so a receiver stops only
  // when all are taken.
  for (int r = 0; r < kReceivers; ++r)
    ASSERT_THAT(Send(id, kStop, ""), SyscallSucceeds());
  for (int r = 0; r < kReceivers; ++r)
    EXPECT_CHILD_OK(receivers[r]->wait()) << "(receiver " << r << ")";
  for (auto& p : reports)
    p.write.reset();  // every child is gone: the reports end in EOF
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> seen;
  int total = 0;
  for (int r = 0; r < kReceivers; ++r) {
    std::vector<std::int64_t> last(kSenders, -1);
    std::uint32_t rec[2];
    while (RetryEINTR(::read)(reports[r].read.get(), rec, sizeof rec) ==
           static_cast<ssize_t>(sizeof rec)) {
      ASSERT_LT(rec[0], static_cast<std::uint32_t>(kSenders));
      EXPECT_GT(static_cast<std::int64_t>(rec[1]), last[rec[0]])
          << "receiver " << r << " saw sender " << rec[0]
          << "'s messages out of order";
      last[rec[0]] = rec[1];
      ++seen[{rec[0], rec[1]}];
      ++total;
    }
  }
  EXPECT_EQ(total, kSenders * kPerSender);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kSenders * kPerSender));
  for (const auto& [k, n] : seen)
    EXPECT_EQ(n, 1) << "sender " << k.first << " seq " << k.second;
  EXPECT_EQ(Stat(id).msg_qnum, 0u);
}

// ---- MSG-020 msgtyp 0: oldest ----------------------------------------------

// Catches: msgtyp 0 taking the lowest type, or the newest message.
TEST(MsgOs, TypeZeroTakesTheOldestMessage) {
  OwnedQueue q;
  for (auto [t, s] : {std::pair{3L, "c"}, {1L, "a"}, {2L, "b"}})
    ASSERT_THAT(Send(q.id(), t, s), SyscallSucceeds());
  Received m;
  ASSERT_THAT(Recv(q.id(), 0, 10, IPC_NOWAIT, &m), SyscallSucceedsWithValue(1));
  EXPECT_EQ(m.type, 3);
  EXPECT_EQ(Drain(q.id()), "1:a 2:b");
}

// ---- MSG-021 msgtyp > 0: that type, ahead of older ones --------------------

// Catches: no selection by type (the front message comes out), or a reordering
// of the rest. Seed claim: a reader pulls messages out of the queue before they
// reach the front.
TEST(MsgOs, PositiveTypePullsThatTypeFromBehindOthers) {
  OwnedQueue q;
  for (auto [t, s] : {std::pair{1L, "a1"}, {1L, "a2"}, {2L, "b"}, {1L, "a3"}}) {
    ASSERT_THAT(Send(q.id(), t, s), SyscallSucceeds());
  }
  Received m;
  ASSERT_THAT(Recv(q.id(), 2, 10, IPC_NOWAIT, &m), SyscallSucceedsWithValue(1));
  EXPECT_EQ(m.type, 2);
  EXPECT_EQ(m.text, "b");
  EXPECT_EQ(Drain(q.id()), "1:a1 1:a2 1:a3");
}

TEST(MsgLayer, ReceiveByTypeSkipsOlderMessages) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(1, Bytes("low")));
  ASSERT_OK(q.send(5, Bytes("urgent")));
  auto m = ASSERT_OK_AND_VALUE(q.receive(5, std::size_t{16}, {.nowait = true}));
  EXPECT_EQ(m.type, 5);
  EXPECT_EQ(Drain(q.id()), "1:low");
}

// ---- MSG-022 FIFO within a type --------------------------------------------

// Catches: LIFO or unordered storage within one type.
TEST(MsgOs, SameTypeComesOutInSendOrder) {
  OwnedQueue q;
  for (auto [t, s] :
       {std::pair{5L, "a"}, {7L, "x"}, {5L, "b"}, {7L, "y"}, {5L, "c"}}) {
    ASSERT_THAT(Send(q.id(), t, s), SyscallSucceeds());
  }
  std::string got;
  Received m;
  while (Recv(q.id(), 5, 10, IPC_NOWAIT, &m) >= 0) got += m.text;
  EXPECT_EQ(got, "abc");
  EXPECT_EQ(errno, ENOMSG);
  EXPECT_EQ(Drain(q.id()), "7:x 7:y");
}

// ---- MSG-023 msgtyp < 0: lowest type ---------------------------------------

// Catches: "first message with type <= |msgtyp|" instead of the lowest type; no
// FIFO among ties. Seed claim: priority by type.
TEST(MsgOs, NegativeTypePicksTheLowestTypeNotTheFirst) {
  OwnedQueue q;
  for (auto [t, s] :
       {std::pair{3L, "c"}, {2L, "b1"}, {1L, "a"}, {2L, "b2"}, {4L, "d"}}) {
    ASSERT_THAT(Send(q.id(), t, s), SyscallSucceeds());
  }
  std::string order;
  Received m;
  while (Recv(q.id(), -3, 10, IPC_NOWAIT, &m) >= 0)
    order += std::to_string(m.type) + ":" + m.text + " ";
  EXPECT_EQ(order, "1:a 2:b1 2:b2 3:c ");
  EXPECT_EQ(Drain(q.id()), "4:d");
}

TEST(MsgLayer, NegativeTypeReceivesTheLowestType) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(3, Bytes("c")));
  ASSERT_OK(q.send(1, Bytes("a")));
  ASSERT_OK(q.send(2, Bytes("b")));
  auto m = ASSERT_OK_AND_VALUE(q.receive(-3, std::size_t{4}, {.nowait = true}));
  EXPECT_EQ(m.type, 1);
}

// ---- MSG-024 msgtyp < 0 without a match ------------------------------------

// Catches: a message above |msgtyp| handed out, or EAGAIN instead of ENOMSG.
TEST(MsgOs, NegativeTypeWithoutMatchFailsEnomsg) {
  OwnedQueue q;
  ASSERT_THAT(Send(q.id(), 3, "c"), SyscallSucceeds());
  ASSERT_THAT(Send(q.id(), 4, "d"), SyscallSucceeds());
  EXPECT_THAT(Recv(q.id(), -2, 10, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG));
  EXPECT_EQ(Drain(q.id()), "3:c 4:d");
}

// ---- MSG-025 MSG_EXCEPT ----------------------------------------------------

// Catches: MSG_EXCEPT ignored (type 1 taken) or taking a later non-matching
// message.
TEST(MsgOs, ExceptTakesTheFirstMessageOfAnotherType) {
  OwnedQueue q;
  for (auto [t, s] : {std::pair{1L, "a"}, {1L, "b"}, {3L, "c"}, {2L, "d"}}) {
    ASSERT_THAT(Send(q.id(), t, s), SyscallSucceeds());
  }
  Received m;
  ASSERT_THAT(Recv(q.id(), 1, 10, IPC_NOWAIT | MSG_EXCEPT, &m),
              SyscallSucceedsWithValue(1));
  EXPECT_EQ(m.type, 3);
  EXPECT_EQ(Drain(q.id()), "1:a 1:b 2:d");
  ASSERT_THAT(Send(q.id(), 1, "only"), SyscallSucceeds());
  EXPECT_THAT(Recv(q.id(), 1, 10, IPC_NOWAIT | MSG_EXCEPT),
              SyscallFailsWithErrno(ENOMSG));
}

TEST(MsgLayer, ExceptOptionSkipsTheGivenType) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(1, Bytes("a")));
  ASSERT_OK(q.send(2, Bytes("b")));
  auto m = ASSERT_OK_AND_VALUE(
      q.receive(1, std::size_t{4}, {.nowait = true, .except = true}));
  EXPECT_EQ(m.type, 2);
}

// ---- MSG-026 MSG_EXCEPT ignored for msgtyp <= 0 (Linux) --------------------

// Catches: MSG_EXCEPT applied to msgtyp 0 (would find nothing or skip) or to
// negative types.
TEST(MsgOs, ExceptIsIgnoredForZeroAndNegativeTypes) {
  OwnedQueue q;
  for (auto [t, s] : {std::pair{3L, "c"}, {1L, "a"}, {2L, "b"}})
    ASSERT_THAT(Send(q.id(), t, s), SyscallSucceeds());
  Received m;
  ASSERT_THAT(Recv(q.id(), 0, 10, IPC_NOWAIT | MSG_EXCEPT, &m),
              SyscallSucceedsWithValue(1));
  EXPECT_EQ(m.type, 3) << "msgtyp 0 with MSG_EXCEPT must still take the oldest";
  ASSERT_THAT(Recv(q.id(), -2, 10, IPC_NOWAIT | MSG_EXCEPT, &m),
              SyscallSucceedsWithValue(1));
  EXPECT_EQ(m.type, 1)
      << "negative msgtyp with MSG_EXCEPT must still take the lowest type";
  EXPECT_EQ(Drain(q.id()), "2:b");
}

// ---- MSG-027 E2BIG: the message stays queued -------------------------------

// Catches: a long message silently truncated, or removed although the call
// failed.
TEST(MsgOs, TooLongMessageFailsE2bigAndStaysQueued) {
  OwnedQueue q;
  ASSERT_THAT(Send(q.id(), 2, "0123456789"), SyscallSucceeds());
  Received m;
  EXPECT_THAT(Recv(q.id(), 0, 9, IPC_NOWAIT, &m), SyscallFailsWithErrno(E2BIG));
  ASSERT_EQ(Stat(q.id()).msg_qnum, 1u)
      << "the refused message was removed";  // else the next call blocks
  EXPECT_THAT(Recv(q.id(), 0, 9, 0, &m), SyscallFailsWithErrno(E2BIG))
      << "blocking variant";
  EXPECT_EQ(Stat(q.id()).msg_qnum, 1u);
  EXPECT_EQ(Stat(q.id()).__msg_cbytes, 10u);
  ASSERT_THAT(Recv(q.id(), 0, 10, IPC_NOWAIT, &m),
              SyscallSucceedsWithValue(10));
  EXPECT_EQ(m.text, "0123456789");
}

TEST(MsgLayer, ReceiveIntoSmallBufferFailsE2bigAndMessageStays) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(1, Bytes("too long")));
  ipc::MessageBuffer small(3);
  auto r = q.receive(0, small, {.nowait = true});
  EXPECT_THAT(r, FailsWith(E2BIG));
  if (!r) {
    EXPECT_THAT(r.error().message(), HasSubstr("it stays queued"));
  }
  EXPECT_EQ(Drain(q.id()), "1:too long");
}

// ---- MSG-028 MSG_NOERROR truncates -----------------------------------------

// Catches: E2BIG despite MSG_NOERROR, bytes written past msgsz, the rest kept
// as a message.
TEST(MsgOs, NoErrorTruncatesAndRemovesTheMessage) {
  OwnedQueue q;
  ASSERT_THAT(Send(q.id(), 6, "0123456789"), SyscallSucceeds());
  std::vector<char> buf(sizeof(long) + 16, '#');
  ASSERT_THAT(::msgrcv(q.id(), buf.data(), 4, 0, IPC_NOWAIT | MSG_NOERROR),
              SyscallSucceedsWithValue(4));
  long type;
  std::memcpy(&type, buf.data(), sizeof type);
  EXPECT_EQ(type, 6);
  EXPECT_EQ(std::string(buf.data() + sizeof(long), 16), "0123############");
  EXPECT_EQ(Stat(q.id()).msg_qnum, 0u);
  EXPECT_EQ(Stat(q.id()).__msg_cbytes, 0u);
}

TEST(MsgLayer, TruncateOptionCutsTheMessage) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(1, Bytes("abcdef")));
  auto m = ASSERT_OK_AND_VALUE(
      q.receive(0, std::size_t{2}, {.nowait = true, .truncate = true}));
  EXPECT_EQ(
      std::string(reinterpret_cast<const char*>(m.data.data()), m.data.size()),
      "ab");
  EXPECT_EQ(ASSERT_OK_AND_VALUE(q.stat()).qnum, 0u);
}

// ---- MSG-029 receive size above MSGMAX (Linux) -----------------------------

// Catches: msgrcv rejecting a buffer larger than msgmax.
TEST(MsgOs, ReceiveAcceptsSizeAboveMsgmax) {
  OwnedQueue q;
  std::size_t msgmax = Limit("msgmax");
  ASSERT_THAT(Send(q.id(), 1, "small"), SyscallSucceeds());
  Received m;
  EXPECT_THAT(Recv(q.id(), 0, 4 * msgmax + 1, IPC_NOWAIT, &m),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(m.text, "small");
}

// ---- MSG-030 IPC_NOWAIT, nothing matches -----------------------------------

// Catches: EAGAIN (the msgsnd errno) instead of ENOMSG, or a blocking call.
TEST(MsgOs, NowaitWithoutMatchFailsEnomsg) {
  OwnedQueue q;
  EXPECT_THAT(Recv(q.id(), 0, 10, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG));
  ASSERT_THAT(Send(q.id(), 1, "other"), SyscallSucceeds());
  EXPECT_THAT(Recv(q.id(), 2, 10, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG));
  EXPECT_EQ(Drain(q.id()), "1:other");
}

TEST(MsgLayer, NowaitReceiveOnEmptyQueueFailsEnomsg) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  auto r = q.receive(4, std::size_t{8}, {.nowait = true});
  EXPECT_THAT(r, FailsWith(ENOMSG));
  if (!r) {
    EXPECT_THAT(r.error().message(), HasSubstr("no message matching type 4"));
  }
}

// ---- MSG-031 blocking receive waits for a matching type --------------------

// Catches: a blocked receiver woken (or handed a message) by a non-matching
// arrival.
TEST(MsgOs, BlockedReceiveIgnoresOtherTypesUntilItsOwnArrives) {
  OwnedQueue q;
  int id = q.id();
  Received m;
  BackgroundCall receiver(
      [id, &m] { return static_cast<long>(Recv(id, 2, 16, 0, &m)); });
  RemoveAtExit unblock(q);
  ASSERT_OK(receiver.wait_blocked(SYS_msgrcv));
  ASSERT_THAT(Send(id, 1, "not yours"), SyscallSucceeds());
  EXPECT_OK(receiver.wait_blocked(SYS_msgrcv))
      << "a type-1 arrival ended the wait for type 2";
  ASSERT_THAT(Send(id, 2, "yours"), SyscallSucceeds());
  ASSERT_TRUE(receiver.wait_done());
  EXPECT_THAT(receiver.result(), SyscallSucceedsWithValue(5));
  EXPECT_EQ(m.type, 2);
  EXPECT_EQ(m.text, "yours");
  EXPECT_EQ(Drain(id), "1:not yours");
}

TEST(MsgLayer, BlockingReceiveReturnsWhenAMessageArrives) {
  OwnedQueue q;
  auto mq = ipc::MessageQueue::from_id(q.id());
  ipc::Result<ipc::Message> got = ipc::Error(0, "", "", "");
  BackgroundCall receiver([&] {
    got = mq.receive(3, std::size_t{16});
    return got ? 0L : -1L;
  });
  RemoveAtExit unblock(q);
  ASSERT_OK(receiver.wait_blocked(SYS_msgrcv));
  ASSERT_OK(mq.send(3, Bytes("late")));
  ASSERT_TRUE(receiver.wait_done());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->type, 3);
}

// ---- MSG-032 full by bytes, IPC_NOWAIT -------------------------------------

// Catches: a queue that grows past msg_qbytes, an off-by-one at exactly
// msg_qbytes, or ENOMSG/ ENOSPC instead of EAGAIN; a refused message that is
// queued anyway.
TEST(MsgOs, FullQueueWithNowaitFailsEagain) {
  OwnedQueue q;
  ASSERT_THAT(SetQbytes(q.id(), 100), SyscallSucceeds());
  ASSERT_THAT(Send(q.id(), 1, std::string(60, 'a'), IPC_NOWAIT),
              SyscallSucceeds());
  EXPECT_THAT(Send(q.id(), 1, std::string(41, 'b'), IPC_NOWAIT),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_THAT(Send(q.id(), 1, std::string(40, 'c'), IPC_NOWAIT),
              SyscallSucceeds())
      << "exactly full";
  EXPECT_THAT(Send(q.id(), 1, "", IPC_NOWAIT), SyscallSucceeds())
      << "a zero-length message still fits";
  EXPECT_THAT(Send(q.id(), 1, "d", IPC_NOWAIT), SyscallFailsWithErrno(EAGAIN));
  struct msqid_ds ds = Stat(q.id());
  EXPECT_EQ(ds.msg_qnum, 3u);
  EXPECT_EQ(ds.__msg_cbytes, 100u);
}

TEST(MsgLayer, NowaitSendToFullQueueFailsEagain) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.set_qbytes(10));
  ASSERT_OK(q.send(1, Bytes("0123456789"), {.nowait = true}));
  ipc::Status s = q.send(1, Bytes("x"), {.nowait = true});
  EXPECT_THAT(s, FailsWith(EAGAIN));
  if (!s) {
    EXPECT_THAT(s.error().message(), HasSubstr("queue full"));
  }
}

// ---- MSG-033 full by count (Linux) -----------------------------------------

// Catches: unlimited zero-length messages (no count limit), or a count limit
// other than msg_qbytes.
TEST(MsgOs, ZeroLengthMessagesFillTheQueueByCount) {
  OwnedQueue q;
  std::size_t qbytes = Stat(q.id()).msg_qbytes;
  ASSERT_EQ(qbytes, Limit("msgmnb"));
  long type = 1;
  for (std::size_t i = 0; i < qbytes; ++i) {
    ASSERT_THAT(::msgsnd(q.id(), &type, 0, IPC_NOWAIT), SyscallSucceeds())
        << "message " << i;
  }
  EXPECT_THAT(::msgsnd(q.id(), &type, 0, IPC_NOWAIT),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(Stat(q.id()).msg_qnum, qbytes);
}

// Catches: a sender blocked by the count limit that is not woken when a receive
// frees a slot.
TEST(MsgOs, SenderBlockedByCountLimitIsWokenByReceive) {
  OwnedQueue q;
  ASSERT_THAT(SetQbytes(q.id(), 5), SyscallSucceeds());
  int id = q.id();
  long type = 1;
  for (int i = 0; i < 5; ++i)
    ASSERT_THAT(::msgsnd(id, &type, 0, IPC_NOWAIT), SyscallSucceeds());
  BackgroundCall sender([id] {
    long t = 2;
    return static_cast<long>(::msgsnd(id, &t, 0, 0));
  });
  RemoveAtExit unblock(q);
  ASSERT_OK(sender.wait_blocked(SYS_msgsnd));
  ASSERT_THAT(Recv(id, 0, 0, IPC_NOWAIT), SyscallSucceedsWithValue(0));
  ASSERT_TRUE(sender.wait_done());
  EXPECT_THAT(sender.result(), SyscallSucceeds());
  EXPECT_EQ(Stat(id).msg_qnum, 5u);
  EXPECT_EQ(Drain(id), "1: 1: 1: 1: 2:");
}

// ---- MSG-034 full queue: send blocks until space frees ---------------------

// Catches: a send that fails or drops the message on a full queue instead of
// waiting; a sender not woken when a receive frees enough space.
TEST(MsgOs, SendOnFullQueueBlocksUntilReceiveFreesSpace) {
  OwnedQueue q;
  ASSERT_THAT(SetQbytes(q.id(), 16), SyscallSucceeds());
  int id = q.id();
  ASSERT_THAT(Send(id, 1, std::string(16, 'a')), SyscallSucceeds());
  BackgroundCall sender(
      [id] { return static_cast<long>(Send(id, 2, "blocked!")); });
  RemoveAtExit unblock(q);
  ASSERT_OK(sender.wait_blocked(SYS_msgsnd));
  EXPECT_EQ(Stat(id).msg_qnum, 1u) << "the blocked message was queued anyway";
  Received m;
  ASSERT_THAT(Recv(id, 0, 16, IPC_NOWAIT, &m), SyscallSucceedsWithValue(16));
  ASSERT_TRUE(sender.wait_done());
  EXPECT_THAT(sender.result(), SyscallSucceeds());
  EXPECT_EQ(Drain(id), "2:blocked!");
}

TEST(MsgLayer, BlockingSendCompletesAfterReceive) {
  OwnedQueue q;
  auto mq = ipc::MessageQueue::from_id(q.id());
  ASSERT_OK(mq.set_qbytes(4));
  ASSERT_OK(mq.send(1, Bytes("full")));
  ipc::Status sent = ipc::ok_status();
  BackgroundCall sender([&] {
    sent = mq.send(2, Bytes("next"));
    return sent ? 0L : -1L;
  });
  RemoveAtExit unblock(q);
  ASSERT_OK(sender.wait_blocked(SYS_msgsnd));
  ASSERT_OK(mq.receive(0, std::size_t{4}, {.nowait = true}));
  ASSERT_TRUE(sender.wait_done());
  EXPECT_OK(sent);
  EXPECT_EQ(Drain(q.id()), "2:next");
}

// ---- MSG-035 / MSG-036 removal under a blocked caller ----------------------

// Catches: a blocked sender left asleep, or woken with EINVAL/success, when the
// queue goes.
TEST(MsgOs, BlockedSendFailsEidrmWhenQueueRemoved) {
  OwnedQueue q;
  ASSERT_THAT(SetQbytes(q.id(), 1), SyscallSucceeds());
  int id = q.id();
  ASSERT_THAT(Send(id, 1, "x"), SyscallSucceeds());
  BackgroundCall sender([id] { return static_cast<long>(Send(id, 1, "y")); });
  RemoveAtExit unblock(q);
  ASSERT_OK(sender.wait_blocked(SYS_msgsnd));
  ASSERT_THAT(q.remove(), SyscallSucceeds());
  ASSERT_TRUE(sender.wait_done());
  EXPECT_THAT(sender.result(), SyscallFailsWithErrno(EIDRM));
}

TEST(MsgOs, BlockedReceiveFailsEidrmWhenQueueRemoved) {
  OwnedQueue q;
  int id = q.id();
  BackgroundCall receiver(
      [id] { return static_cast<long>(Recv(id, 0, 8, 0)); });
  RemoveAtExit unblock(q);
  ASSERT_OK(receiver.wait_blocked(SYS_msgrcv));
  ASSERT_THAT(q.remove(), SyscallSucceeds());
  ASSERT_TRUE(receiver.wait_done());
  EXPECT_THAT(receiver.result(), SyscallFailsWithErrno(EIDRM));
}

TEST(MsgLayer, BlockedSendFailsEidrmWhenQueueRemoved) {
  OwnedQueue q;
  auto mq = ipc::MessageQueue::from_id(q.id());
  ASSERT_OK(mq.set_qbytes(1));
  ASSERT_OK(mq.send(1, Bytes("x")));
  ipc::Status sent = ipc::ok_status();
  BackgroundCall sender([&] {
    sent = mq.send(1, Bytes("y"));
    return sent ? 0L : -1L;
  });
  RemoveAtExit unblock(q);
  ASSERT_OK(sender.wait_blocked(SYS_msgsnd));
  ASSERT_OK(mq.remove());
  ASSERT_TRUE(sender.wait_done());
  EXPECT_THAT(sent, FailsWith(EIDRM));
  if (!sent) {
    EXPECT_THAT(sent.error().message(), HasSubstr("queue removed"));
  }
}

TEST(MsgLayer, BlockedReceiveFailsEidrmWhenQueueRemoved) {
  OwnedQueue q;
  auto mq = ipc::MessageQueue::from_id(q.id());
  ipc::Result<ipc::Message> got = ipc::Error(0, "", "", "");
  BackgroundCall receiver([&] {
    got = mq.receive(0, std::size_t{8});
    return got ? 0L : -1L;
  });
  RemoveAtExit unblock(q);
  ASSERT_OK(receiver.wait_blocked(SYS_msgrcv));
  ASSERT_OK(mq.remove());
  ASSERT_TRUE(receiver.wait_done());
  EXPECT_THAT(got, FailsWith(EIDRM));
}

// ---- MSG-037 / MSG-038 a caught signal ends the blocked call ---------------

// Catches: a blocked msgsnd that ignores a caught signal, or is restarted (even
// with SA_RESTART Linux never restarts msgsnd/msgrcv, signal(7)); a message
// queued by the interrupted call.
TEST(MsgOs, BlockedSendFailsEintrOnCaughtSignal) {
  for (int flags : {0, SA_RESTART}) {
    SCOPED_TRACE(flags == 0 ? "without SA_RESTART" : "with SA_RESTART");
    CountingHandler handler(SIGUSR1, flags);
    OwnedQueue q;
    ASSERT_THAT(SetQbytes(q.id(), 1), SyscallSucceeds());
    int id = q.id();
    ASSERT_THAT(Send(id, 1, "x"), SyscallSucceeds());
    BackgroundCall sender([id] { return static_cast<long>(Send(id, 2, "y")); });
    RemoveAtExit unblock(q);
    ASSERT_OK(fault::interrupt_when_blocked(
        0, sender.tid(), SIGUSR1, SYS_msgsnd, ipc::deadline_in(kPatience)));
    ASSERT_TRUE(sender.wait_done());
    EXPECT_THAT(sender.result(), SyscallFailsWithErrno(EINTR));
    EXPECT_TRUE(HandlerRan(handler, 1));
    EXPECT_EQ(Drain(id), "1:x");
  }
}

// Catches: a blocked msgrcv that ignores a caught signal or is restarted.
TEST(MsgOs, BlockedReceiveFailsEintrOnCaughtSignal) {
  for (int flags : {0, SA_RESTART}) {
    SCOPED_TRACE(flags == 0 ? "without SA_RESTART" : "with SA_RESTART");
    CountingHandler handler(SIGUSR1, flags);
    OwnedQueue q;
    int id = q.id();
    BackgroundCall receiver(
        [id] { return static_cast<long>(Recv(id, 0, 8, 0)); });
    RemoveAtExit unblock(q);
    ASSERT_OK(fault::interrupt_when_blocked(
        0, receiver.tid(), SIGUSR1, SYS_msgrcv, ipc::deadline_in(kPatience)));
    ASSERT_TRUE(receiver.wait_done());
    EXPECT_THAT(receiver.result(), SyscallFailsWithErrno(EINTR));
    EXPECT_TRUE(HandlerRan(handler, 1));
  }
}

// The layer surfaces EINTR only when asked to.
TEST(MsgLayer, ReceiveSurfacesEintrWhenAsked) {
  CountingHandler handler(SIGUSR1);
  OwnedQueue q;
  auto mq = ipc::MessageQueue::from_id(q.id());
  ipc::Result<ipc::Message> got = ipc::Error(0, "", "", "");
  BackgroundCall receiver([&] {
    got = mq.receive(0, std::size_t{8}, {.eintr = ipc::Eintr::kSurface});
    return got ? 0L : -1L;
  });
  RemoveAtExit unblock(q);
  ASSERT_OK(fault::interrupt_when_blocked(
      0, receiver.tid(), SIGUSR1, SYS_msgrcv, ipc::deadline_in(kPatience)));
  ASSERT_TRUE(receiver.wait_done());
  EXPECT_THAT(got, FailsWith(EINTR));
}

// With the default Eintr::kRetry, a signal does not end a blocking receive: it
// gets the message. (Whether the kernel hands the message over before or after
// the EINTR, the result is the message; the handler may run late under TSan, so
// it is only checked at the end.)
TEST(MsgLayer, ReceiveRetriesAfterSignalByDefault) {
  CountingHandler handler(SIGUSR1);
  OwnedQueue q;
  auto mq = ipc::MessageQueue::from_id(q.id());
  ipc::Result<ipc::Message> got = ipc::Error(0, "", "", "");
  BackgroundCall receiver([&] {
    got = mq.receive(0, std::size_t{8});
    return got ? 0L : -1L;
  });
  RemoveAtExit unblock(q);
  ASSERT_OK(fault::interrupt_when_blocked(
      0, receiver.tid(), SIGUSR1, SYS_msgrcv, ipc::deadline_in(kPatience)));
  ASSERT_OK(mq.send(4, Bytes("after")));
  ASSERT_TRUE(receiver.wait_done());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->type, 4);
  EXPECT_TRUE(HandlerRan(handler, 1));
}

TEST(MsgLayer, SendSurfacesEintrWhenAsked) {
  CountingHandler handler(SIGUSR1);
  OwnedQueue q;
  auto mq = ipc::MessageQueue::from_id(q.id());
  ASSERT_OK(mq.set_qbytes(1));
  ASSERT_OK(mq.send(1, Bytes("x")));
  ipc::Status sent = ipc::ok_status();
  BackgroundCall sender([&] {
    sent = mq.send(1, Bytes("y"), {.eintr = ipc::Eintr::kSurface});
    return sent ? 0L : -1L;
  });
  RemoveAtExit unblock(q);
  ASSERT_OK(fault::interrupt_when_blocked(0, sender.tid(), SIGUSR1, SYS_msgsnd,
                                          ipc::deadline_in(kPatience)));
  ASSERT_TRUE(sender.wait_done());
  EXPECT_THAT(sent, FailsWith(EINTR));
  EXPECT_EQ(Drain(q.id()), "1:x");
}

// ---- MSG-039 / MSG-040 what send and receive record ------------------------

// Catches: lspid/qnum/stime/cbytes not updated by msgsnd, or the wrong process
// recorded.
TEST(MsgOs, SendUpdatesLspidQnumStimeCbytes) {
  OwnedQueue q;
  time_t before = ::time(nullptr);
  pid_t child = -1;
  ASSERT_CHILD_OK(
      RunInChild([&] { TEST_CHECK_SUCCESS(Send(q.id(), 1, "12345")); }));
  struct msqid_ds ds = Stat(q.id());
  child = ds.msg_lspid;
  EXPECT_NE(child, ::getpid()) << "lspid is not the sending (child) process";
  EXPECT_GT(child, 0);
  EXPECT_EQ(ds.msg_qnum, 1u);
  EXPECT_EQ(ds.__msg_cbytes, 5u);
  EXPECT_GE(ds.msg_stime, before);
  EXPECT_LE(ds.msg_stime, ::time(nullptr));
  EXPECT_EQ(ds.msg_lrpid, 0);
  EXPECT_EQ(ds.msg_rtime, 0);
  ASSERT_THAT(Send(q.id(), 1, "678"), SyscallSucceeds());
  ds = Stat(q.id());
  EXPECT_EQ(ds.msg_lspid, ::getpid());
  EXPECT_EQ(ds.msg_qnum, 2u);
  EXPECT_EQ(ds.__msg_cbytes, 8u);
}

// Catches: lrpid/qnum/rtime/cbytes not updated by msgrcv, or lspid overwritten
// by a receive.
TEST(MsgOs, ReceiveUpdatesLrpidQnumRtime) {
  OwnedQueue q;
  ASSERT_THAT(Send(q.id(), 1, "12345"), SyscallSucceeds());
  ASSERT_THAT(Send(q.id(), 1, "678"), SyscallSucceeds());
  time_t before = ::time(nullptr);
  ASSERT_CHILD_OK(
      RunInChild([&] { TEST_CHECK(Recv(q.id(), 0, 10, IPC_NOWAIT) == 5); }));
  struct msqid_ds ds = Stat(q.id());
  EXPECT_GT(ds.msg_lrpid, 0);
  EXPECT_NE(ds.msg_lrpid, ::getpid());
  EXPECT_EQ(ds.msg_lspid, ::getpid());
  EXPECT_EQ(ds.msg_qnum, 1u);
  EXPECT_EQ(ds.__msg_cbytes, 3u);
  EXPECT_GE(ds.msg_rtime, before);
  EXPECT_LE(ds.msg_rtime, ::time(nullptr));
  ASSERT_THAT(Recv(q.id(), 0, 10, IPC_NOWAIT), SyscallSucceeds());
  EXPECT_EQ(Stat(q.id()).msg_lrpid, ::getpid());
}

TEST(MsgLayer, StatReflectsSendAndReceive) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(1, Bytes("abc")));
  auto st = ASSERT_OK_AND_VALUE(q.stat());
  EXPECT_EQ(st.qnum, 1u);
  EXPECT_EQ(st.cbytes, 3u);
  EXPECT_EQ(st.lspid, ::getpid());
  EXPECT_NE(st.stime, 0);
  ASSERT_OK(q.receive(0, std::size_t{3}, {.nowait = true}));
  st = ASSERT_OK_AND_VALUE(q.stat());
  EXPECT_EQ(st.qnum, 0u);
  EXPECT_EQ(st.lrpid, ::getpid());
  EXPECT_NE(st.rtime, 0);
}

// ---- MSG-041 / MSG-042 MSG_COPY (Linux, CONFIG_CHECKPOINT_RESTORE) ---------

// Skips unless the kernel supports MSG_COPY (probed on a scratch queue).
bool MsgCopySupported() {
  OwnedQueue q;
  if (Send(q.id(), 1, "p") != 0) return false;
  return Recv(q.id(), 0, 8, MSG_COPY | IPC_NOWAIT) == 1;
}

// Catches: MSG_COPY removing the message, or indexing by type instead of by
// position.
TEST(MsgOs, MsgCopyReturnsTheNthMessageWithoutRemovingIt) {
  if (!MsgCopySupported())
    GTEST_SKIP() << "MSG_COPY not supported (CONFIG_CHECKPOINT_RESTORE off)";
  OwnedQueue q;
  for (auto [t, s] : {std::pair{5L, "zero"}, {9L, "one"}, {5L, "two"}})
    ASSERT_THAT(Send(q.id(), t, s), SyscallSucceeds());
  Received m;
  ASSERT_THAT(Recv(q.id(), 1, 16, MSG_COPY | IPC_NOWAIT, &m),
              SyscallSucceedsWithValue(3));
  EXPECT_EQ(m.type, 9);
  EXPECT_EQ(m.text, "one");
  ASSERT_THAT(Recv(q.id(), 2, 16, MSG_COPY | IPC_NOWAIT, &m),
              SyscallSucceedsWithValue(3));
  EXPECT_EQ(m.text, "two");
  EXPECT_EQ(Drain(q.id()), "5:zero 9:one 5:two");
}

// Catches: MSG_COPY accepted in combinations the kernel defines as errors.
TEST(MsgOs, MsgCopyErrors) {
  if (!MsgCopySupported())
    GTEST_SKIP() << "MSG_COPY not supported (CONFIG_CHECKPOINT_RESTORE off)";
  OwnedQueue q;
  ASSERT_THAT(Send(q.id(), 1, "0123456789"), SyscallSucceeds());
  EXPECT_THAT(Recv(q.id(), 0, 16, MSG_COPY), SyscallFailsWithErrno(EINVAL))
      << "without IPC_NOWAIT";
  EXPECT_THAT(Recv(q.id(), 0, 16, MSG_COPY | IPC_NOWAIT | MSG_EXCEPT),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Recv(q.id(), 1, 16, MSG_COPY | IPC_NOWAIT),
              SyscallFailsWithErrno(ENOMSG))
      << "index == count";
  EXPECT_THAT(Recv(q.id(), 0, 4, MSG_COPY | IPC_NOWAIT),
              SyscallFailsWithErrno(E2BIG));
  EXPECT_EQ(Drain(q.id()), "1:0123456789");
}

// ---- MSG-043 IPC_STAT needs read permission --------------------------------

// Catches: IPC_STAT allowed without read permission (or refused with it).
TEST(MsgOs, StatWithoutReadPermissionFailsEacces) {
  OwnedQueue denied(0622), allowed(0644);
  EXPECT_CHILD_OK(RunAsNobody([&] {
    struct msqid_ds ds {};
    TEST_CHECK_ERRNO(::msgctl(denied.id(), IPC_STAT, &ds), EACCES);
    TEST_CHECK_SUCCESS(::msgctl(allowed.id(), IPC_STAT, &ds));
  }));
}

TEST(MsgLayer, StatWithoutReadPermissionFailsEacces) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private(0600));
  ipc::QueueOwner owner(q);
  EXPECT_CHILD_OK(RunAsNobody([&] {
    auto st = q.stat();
    TEST_CHECK_MSG(!st, "stat without read permission succeeded");
    TEST_CHECK(st.error().code() == EACCES);
  }));
}

// ---- MSG-044 IPC_SET -------------------------------------------------------

// Catches: IPC_SET ignoring mode, uid, gid or msg_qbytes, changing other
// fields, or not updating ctime. msg_ctime has one second of resolution, so
// the test waits until the wall clock has left the second the queue was
// created in (up to 1 s): an IPC_SET that leaves msg_ctime alone then shows.
TEST(MsgOs, IpcSetChangesModeOwnerAndQbytes) {
  SKIP_UNLESS_NOBODY_MAPPED();
  OwnedQueue q(0600);
  struct msqid_ds ds = Stat(q.id());
  time_t created = ds.msg_ctime;
  WaitUntilTimeIsAfter(created);
  ds.msg_perm.mode = 0640;
  ds.msg_perm.uid = 65534;
  ds.msg_perm.gid = 65534;
  ds.msg_qbytes = 1000;
  time_t before = ::time(nullptr);
  ASSERT_THAT(::msgctl(q.id(), IPC_SET, &ds), SyscallSucceeds());
  struct msqid_ds after = Stat(q.id());
  EXPECT_EQ(after.msg_perm.mode & 0777, 0640u);
  EXPECT_EQ(after.msg_perm.uid, 65534u);
  EXPECT_EQ(after.msg_perm.gid, 65534u);
  EXPECT_EQ(after.msg_perm.cuid, ::geteuid()) << "the creator must not change";
  EXPECT_EQ(after.msg_qbytes, 1000u);
  EXPECT_GT(after.msg_ctime, created) << "IPC_SET did not update msg_ctime";
  EXPECT_GE(after.msg_ctime, before);
  EXPECT_LE(after.msg_ctime, ::time(nullptr));
  // Only the permission bits are taken from the new mode.
  ds.msg_perm.mode = 07604;
  ASSERT_THAT(::msgctl(q.id(), IPC_SET, &ds), SyscallSucceeds());
  EXPECT_EQ(Stat(q.id()).msg_perm.mode & 07777, 0604u);
}

TEST(MsgLayer, SetQbytesLowersCapacity) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.set_qbytes(123));
  EXPECT_EQ(ASSERT_OK_AND_VALUE(q.stat()).qbytes, 123u);
}

// ---- MSG-045 raising msg_qbytes needs CAP_SYS_RESOURCE ---------------------

// Catches: anyone may raise msg_qbytes above msgmnb; lowering refused to the
// owner.
TEST(MsgOs, RaisingQbytesAboveMsgmnbNeedsPrivilege) {
  SKIP_UNLESS_NOBODY_MAPPED();
  OwnedQueue q(0600);
  std::size_t msgmnb = Limit("msgmnb");
  struct msqid_ds ds = Stat(q.id());
  ds.msg_perm.uid = 65534;  // nobody owns it, so nobody may IPC_SET
  ds.msg_qbytes = msgmnb / 2;
  ASSERT_THAT(::msgctl(q.id(), IPC_SET, &ds), SyscallSucceeds());
  EXPECT_CHILD_OK(RunAsNobody([&] {
    struct msqid_ds d {};
    TEST_CHECK_SUCCESS(::msgctl(q.id(), IPC_STAT, &d));
    d.msg_qbytes = msgmnb + 1;
    TEST_CHECK_ERRNO(::msgctl(q.id(), IPC_SET, &d), EPERM);
    d.msg_qbytes = msgmnb;  // up to msgmnb is allowed
    TEST_CHECK_SUCCESS(::msgctl(q.id(), IPC_SET, &d));
    d.msg_qbytes = 100;
    TEST_CHECK_SUCCESS(::msgctl(q.id(), IPC_SET, &d));
  }));
  EXPECT_EQ(Stat(q.id()).msg_qbytes, 100u);
}

// The same for the owner itself (root's uid) once CAP_SYS_RESOURCE is gone: the
// check is about the capability, not the uid. Runs everywhere (also in Bazel's
// sandbox, which maps no nobody).
TEST(MsgOs, RaisingQbytesWithoutCapSysResourceFailsEperm) {
  OwnedQueue q(0600);
  std::size_t msgmnb = Limit("msgmnb");
  ASSERT_THAT(SetQbytes(q.id(), msgmnb / 2), SyscallSucceeds());
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(DropEffectiveCapability(CAP_SYS_RESOURCE),
                      "cannot drop CAP_SYS_RESOURCE");
    TEST_CHECK_ERRNO(SetQbytes(q.id(), msgmnb + 1), EPERM);
    TEST_CHECK_SUCCESS(SetQbytes(q.id(), msgmnb));  // up to msgmnb is allowed
  }));
  EXPECT_EQ(Stat(q.id()).msg_qbytes, msgmnb);
}

// Root (CAP_SYS_RESOURCE) may raise it: the contrast that shows the check is
// about privilege.
TEST(MsgOs, PrivilegedCallerMayRaiseQbytesAboveMsgmnb) {
  if (!InInitialUserNamespace() || !HasEffectiveCapability(CAP_SYS_RESOURCE)) {
    GTEST_SKIP() << "no CAP_SYS_RESOURCE in the initial user namespace here";
  }
  OwnedQueue q;
  std::size_t msgmnb = Limit("msgmnb");
  ASSERT_THAT(SetQbytes(q.id(), msgmnb * 2), SyscallSucceeds());
  EXPECT_EQ(Stat(q.id()).msg_qbytes, msgmnb * 2);
}

TEST(MsgLayer, SetQbytesAboveMsgmnbUnprivilegedFailsEperm) {
  SKIP_UNLESS_NOBODY_MAPPED();
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  struct msqid_ds ds = Stat(q.id());
  ds.msg_perm.uid = 65534;
  ASSERT_THAT(::msgctl(q.id(), IPC_SET, &ds), SyscallSucceeds());
  std::size_t msgmnb = Limit("msgmnb");
  EXPECT_CHILD_OK(RunAsNobody([&] {
    ipc::Status s = q.set_qbytes(msgmnb + 1);
    TEST_CHECK_MSG(!s, "raised above msgmnb without CAP_SYS_RESOURCE");
    TEST_CHECK(s.error().code() == EPERM);
    TEST_CHECK(s.error().message().find("needs CAP_SYS_RESOURCE") !=
               std::string::npos);
  }));
}

// ---- MSG-046 IPC_RMID at once ----------------------------------------------

// Catches: a deferred removal (messages still readable, id still valid), or
// only one of several blocked callers woken.
TEST(MsgOs, RemoveDiscardsMessagesAndWakesEveryBlockedCaller) {
  OwnedQueue q;
  int id = q.id();
  ASSERT_THAT(Send(id, 1, "queued"), SyscallSucceeds());
  BackgroundCall r2([id] { return static_cast<long>(Recv(id, 2, 8, 0)); });
  BackgroundCall r3([id] { return static_cast<long>(Recv(id, 3, 8, 0)); });
  RemoveAtExit unblock(q);
  ASSERT_OK(r2.wait_blocked(SYS_msgrcv));
  ASSERT_OK(r3.wait_blocked(SYS_msgrcv));
  ASSERT_THAT(q.remove(), SyscallSucceeds());
  ASSERT_TRUE(r2.wait_done());
  ASSERT_TRUE(r3.wait_done());
  EXPECT_THAT(r2.result(), SyscallFailsWithErrno(EIDRM));
  EXPECT_THAT(r3.result(), SyscallFailsWithErrno(EIDRM));
  struct msqid_ds ds {};
  EXPECT_THAT(::msgctl(id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Recv(id, 0, 8, IPC_NOWAIT), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(Send(id, 1, "x", IPC_NOWAIT), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::msgctl(id, IPC_RMID, nullptr), SyscallFailsWithErrno(EINVAL));
}

// Catches: a key still bound to the removed queue (or its messages) after
// IPC_RMID.
TEST(MsgOs, KeyIsFreeAgainAfterRemove) {
  KeyedQueue kq;
  ASSERT_GE(kq.id(), 0);
  int old = kq.id();
  ASSERT_THAT(Send(old, 1, "old"), SyscallSucceeds());
  ASSERT_THAT(kq.queue.remove(), SyscallSucceeds());
  OwnedQueue fresh =
      OwnedQueue::adopt(::msgget(kq.key, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_GE(fresh.id(), 0) << std::strerror(errno);
  EXPECT_NE(fresh.id(), old);
  EXPECT_EQ(Stat(fresh.id()).msg_qnum, 0u);
}

TEST(MsgLayer, RemoveMakesTheIdInvalid) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner owner(q);
  ASSERT_OK(q.send(1, Bytes("gone")));
  ASSERT_OK(q.remove());
  EXPECT_THAT(q.stat(), FailsWith(EINVAL));
  EXPECT_THAT(q.send(1, Bytes("x"), {.nowait = true}), FailsWith(EINVAL));
  ipc::Status again = q.remove();
  EXPECT_THAT(again, FailsWith(EINVAL));
  owner.release();
}

// ---- MSG-047 msgctl EPERM / EINVAL / EFAULT --------------------------------

// Catches: IPC_SET or IPC_RMID by a stranger allowed (mode 0666 grants
// read/write, not control).
TEST(MsgOs, SetOrRemoveByNonOwnerFailsEperm) {
  OwnedQueue q(0666);
  EXPECT_CHILD_OK(RunAsNobody([&] {
    struct msqid_ds ds {};
    TEST_CHECK_SUCCESS(::msgctl(q.id(), IPC_STAT, &ds));
    ds.msg_perm.mode = 0600;
    TEST_CHECK_ERRNO(::msgctl(q.id(), IPC_SET, &ds), EPERM);
    TEST_CHECK_ERRNO(::msgctl(q.id(), IPC_RMID, nullptr), EPERM);
  }));
  EXPECT_EQ(Stat(q.id()).msg_perm.mode & 0777, 0666u);
}

// The owner (not the creator) may: uid handed to nobody, nobody removes it.
TEST(MsgOs, NewOwnerMayRemove) {
  SKIP_UNLESS_NOBODY_MAPPED();
  OwnedQueue q(0600);
  struct msqid_ds ds = Stat(q.id());
  ds.msg_perm.uid = 65534;
  ASSERT_THAT(::msgctl(q.id(), IPC_SET, &ds), SyscallSucceeds());
  EXPECT_CHILD_OK(RunAsNobody(
      [&] { TEST_CHECK_SUCCESS(::msgctl(q.id(), IPC_RMID, nullptr)); }));
  struct msqid_ds gone {};
  EXPECT_THAT(::msgctl(q.id(), IPC_STAT, &gone), SyscallFailsWithErrno(EINVAL));
}

// Catches: an unknown command accepted; a bad buffer crashing the caller or
// partly applied.
TEST(MsgOs, InvalidCommandFailsEinvalAndBadBufferEfault) {
  OwnedQueue q;
  struct msqid_ds ds {};
  EXPECT_THAT(::msgctl(q.id(), 12345, &ds), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::msgctl(q.id(), -1, &ds), SyscallFailsWithErrno(EINVAL));
  Mapping page(4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);  // no access
  ASSERT_TRUE(page.ok()) << std::strerror(errno);
  auto* bad = reinterpret_cast<struct msqid_ds*>(page.get());
  EXPECT_THAT(::msgctl(q.id(), IPC_STAT, bad), SyscallFailsWithErrno(EFAULT));
  EXPECT_THAT(::msgctl(q.id(), IPC_SET, bad), SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(Stat(q.id()).msg_perm.mode & 0777, 0600u);
}

TEST(MsgLayer, RemoveByNonOwnerFailsEperm) {
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private(0666));
  ipc::QueueOwner owner(q);
  EXPECT_CHILD_OK(RunAsNobody([&] {
    ipc::Status s = q.remove();
    TEST_CHECK_MSG(!s, "removed by a non-owner");
    TEST_CHECK(s.error().code() == EPERM);
  }));
  EXPECT_OK(q.stat());
}

// ---- MSG-048 IPC_INFO, MSG_INFO, MSG_STAT, MSG_STAT_ANY (Linux) ------------

int Info(int cmd, struct msginfo* info) {
  return ::msgctl(0, cmd, reinterpret_cast<struct msqid_ds*>(info));
}

// Catches: IPC_INFO limits that differ from /proc/sys/kernel/msg*.
TEST(MsgOs, IpcInfoReportsTheSysctlLimits) {
  struct msginfo info {};
  ASSERT_THAT(Info(IPC_INFO, &info), SyscallSucceeds());
  EXPECT_EQ(static_cast<std::size_t>(info.msgmax), Limit("msgmax"));
  EXPECT_EQ(static_cast<std::size_t>(info.msgmnb), Limit("msgmnb"));
  EXPECT_EQ(static_cast<std::size_t>(info.msgmni), Limit("msgmni"));
}

// Catches: MSG_INFO counts (queues, messages, bytes) or the highest-index
// return value being wrong, MSG_STAT not mapping an index to the id. In a
// private IPC namespace, so counts are exact.
TEST(MsgOs, MsgInfoAndMsgStatCountExactlyInAPrivateNamespace) {
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    int ids[3];
    for (int& id : ids) {
      id = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
      TEST_CHECK_SUCCESS(id);
    }
    TEST_CHECK_SUCCESS(Send(ids[1], 1, std::string(10, 'a')));
    TEST_CHECK_SUCCESS(Send(ids[1], 2, std::string(20, 'b')));
    TEST_CHECK_SUCCESS(Send(ids[2], 1, std::string(5, 'c')));
    struct msginfo info {};
    int maxidx = Info(MSG_INFO, &info);
    TEST_CHECK(maxidx == 2);
    TEST_CHECK(info.msgpool == 3);  // queues in use
    TEST_CHECK(info.msgmap == 3);   // messages
    TEST_CHECK(info.msgtql == 35);  // bytes
    TEST_CHECK(Info(IPC_INFO, &info) == 2);
    for (int idx = 0; idx <= maxidx; ++idx) {
      struct msqid_ds ds {};
      TEST_CHECK(::msgctl(idx, MSG_STAT, &ds) == ids[idx]);
      std::size_t want = idx == 1 ? 2 : idx == 2 ? 1 : 0;
      TEST_CHECK(ds.msg_qnum == want);
    }
    // /proc/sysvipc/msg shows the same queue with the same counts (where the
    // OS has it: the parent notes the check as not made otherwise).
    if (!SysvipcUnavailable("msg").empty()) return;
    std::ifstream proc("/proc/sysvipc/msg");
    std::string line;
    std::getline(proc, line);  // header
    bool found = false;
    while (std::getline(proc, line)) {
      std::istringstream in(line);
      long key, id, perms, cbytes, qnum;
      if (in >> key >> id >> perms >> cbytes >> qnum && id == ids[1])
        found = cbytes == 30 && qnum == 2;
    }
    TEST_CHECK_MSG(found,
                   "/proc/sysvipc/msg does not show 2 messages, 30 bytes");
  }));
  if (std::string why = SysvipcUnavailable("msg"); !why.empty())
    NoteUnchecked("the counts in /proc/sysvipc/msg (" + why + ")");
}

// Catches: MSG_STAT without a permission check, or MSG_STAT_ANY with one (since
// Linux 4.17).
TEST(MsgOs, MsgStatAnyIgnoresReadPermission) {
  OwnedQueue q(0600);
  struct msginfo info {};
  int maxidx = Info(MSG_INFO, &info);
  ASSERT_THAT(maxidx, SyscallSucceeds());
  int index = -1;
  for (int i = 0; i <= maxidx && index < 0; ++i) {
    struct msqid_ds ds {};
    if (::msgctl(i, MSG_STAT, &ds) == q.id()) index = i;
  }
  ASSERT_GE(index, 0) << "MSG_STAT found no index for our queue";
  EXPECT_CHILD_OK(RunAsNobody([&] {
    struct msqid_ds ds {};
    TEST_CHECK_ERRNO(::msgctl(index, MSG_STAT, &ds), EACCES);
    TEST_CHECK(::msgctl(index, MSG_STAT_ANY, &ds) == q.id());
  }));
}

// ---- MSG-058 a blocked receiver with a small buffer (Linux) ----------------

// Catches: a long message dropped, truncated or handed to a blocked receiver
// whose buffer is too small; such a receiver left asleep. Linux wakes it with
// E2BIG and queues the message.
TEST(MsgOs, BlockedReceiverWithSmallBufferWakesE2bigAndMessageStays) {
  OwnedQueue q;
  int id = q.id();
  BackgroundCall receiver(
      [id] { return static_cast<long>(Recv(id, 0, 4, 0)); });
  RemoveAtExit unblock(q);
  ASSERT_OK(receiver.wait_blocked(SYS_msgrcv));
  ASSERT_THAT(Send(id, 1, "longer than four"), SyscallSucceeds());
  ASSERT_TRUE(receiver.wait_done());
  EXPECT_THAT(receiver.result(), SyscallFailsWithErrno(E2BIG));
  EXPECT_EQ(Drain(id), "1:longer than four");
}

// ---- MSG-059 EFAULT on receive loses the message (Linux) -------------------

// Catches: an OS that keeps the message when it cannot copy it out — Linux
// dequeues it before the copy, so a receive into a bad buffer consumes the
// message (the caller must not retry expecting it).
TEST(MsgOs, ReceiveIntoUnwritableBufferConsumesTheMessage) {
  Mapping page(4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);  // no access
  ASSERT_TRUE(page.ok()) << std::strerror(errno);
  OwnedQueue q;
  ASSERT_THAT(Send(q.id(), 1, "lost"), SyscallSucceeds());
  ASSERT_THAT(Send(q.id(), 2, "kept"), SyscallSucceeds());
  EXPECT_THAT(::msgrcv(q.id(), page.get(), 8, 0, IPC_NOWAIT),
              SyscallFailsWithErrno(EFAULT));
  EXPECT_EQ(Drain(q.id()), "2:kept");
}

// ---- MSG-060 msgtyp LONG_MIN (Linux) ---------------------------------------

// Catches: -LONG_MIN overflow (undefined) giving no match or a negative bound;
// Linux takes it as LONG_MAX, i.e. the lowest type of all.
TEST(MsgOs, LongMinTypeSelectsTheLowestTypeOfAll) {
  OwnedQueue q;
  for (auto [t, s] :
       {std::pair{LONG_MAX, "max"}, {7L, "seven"}, {3L, "three"}}) {
    ASSERT_THAT(Send(q.id(), t, s), SyscallSucceeds());
  }
  Received m;
  ASSERT_THAT(Recv(q.id(), LONG_MIN, 16, IPC_NOWAIT, &m),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(m.type, 3);
  ASSERT_THAT(Recv(q.id(), -LONG_MAX, 16, IPC_NOWAIT, &m),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(m.type, 7);
  EXPECT_EQ(Drain(q.id()), std::to_string(LONG_MAX) + ":max");
}

// ---- MSG-061 raising msg_qbytes wakes blocked senders (Linux) --------------

// Catches: a sender left asleep although IPC_SET made room for its message.
TEST(MsgOs, RaisingQbytesWakesABlockedSender) {
  OwnedQueue q;
  ASSERT_THAT(SetQbytes(q.id(), 8), SyscallSucceeds());
  int id = q.id();
  ASSERT_THAT(Send(id, 1, "12345678"), SyscallSucceeds());
  BackgroundCall sender(
      [id] { return static_cast<long>(Send(id, 2, "waiting")); });
  RemoveAtExit unblock(q);
  ASSERT_OK(sender.wait_blocked(SYS_msgsnd));
  ASSERT_THAT(SetQbytes(id, 100), SyscallSucceeds());
  ASSERT_TRUE(sender.wait_done());
  EXPECT_THAT(sender.result(), SyscallSucceeds());
  EXPECT_EQ(Drain(id), "1:12345678 2:waiting");
}

// ---- MSG-023 / MSG-025 through a blocked receiver --------------------------

// The kernel hands a new message straight to a receiver that is already
// waiting (ipc/msg.c pipelined_send), choosing by a second implementation of
// the msgtyp rules; these tests check the rules on that path.

// Catches: a waiting msgrcv(msgtyp < 0) woken by a message whose type is
// above |msgtyp|, or not woken by one within it.
TEST(MsgOs, BlockedReceiverWithNegativeTypeTakesOnlyATypeWithinItsBound) {
  OwnedQueue q;
  int id = q.id();
  Received m;
  BackgroundCall receiver(
      [id, &m] { return static_cast<long>(Recv(id, -3, 16, 0, &m)); });
  RemoveAtExit unblock(q);
  ASSERT_OK(receiver.wait_blocked(SYS_msgrcv));
  ASSERT_THAT(Send(id, 4, "above"), SyscallSucceeds());
  EXPECT_OK(receiver.wait_blocked(SYS_msgrcv))
      << "a type-4 arrival was handed to msgrcv(-3)";
  ASSERT_THAT(Send(id, 2, "within"), SyscallSucceeds());
  ASSERT_TRUE(receiver.wait_done());
  EXPECT_THAT(receiver.result(), SyscallSucceedsWithValue(6));
  EXPECT_EQ(m.type, 2);
  EXPECT_EQ(m.text, "within");
  EXPECT_EQ(Drain(id), "4:above");
}

// Catches: a waiting msgrcv(t, MSG_EXCEPT) woken by a message of type t, or
// not woken by one of another type.
TEST(MsgOs, BlockedReceiverWithExceptSkipsItsType) {
  OwnedQueue q;
  int id = q.id();
  Received m;
  BackgroundCall receiver(
      [id, &m] { return static_cast<long>(Recv(id, 5, 16, MSG_EXCEPT, &m)); });
  RemoveAtExit unblock(q);
  ASSERT_OK(receiver.wait_blocked(SYS_msgrcv));
  ASSERT_THAT(Send(id, 5, "excluded"), SyscallSucceeds());
  EXPECT_OK(receiver.wait_blocked(SYS_msgrcv))
      << "a type-5 arrival was handed to msgrcv(5, MSG_EXCEPT)";
  ASSERT_THAT(Send(id, 7, "other"), SyscallSucceeds());
  ASSERT_TRUE(receiver.wait_done());
  EXPECT_THAT(receiver.result(), SyscallSucceedsWithValue(5));
  EXPECT_EQ(m.type, 7);
  EXPECT_EQ(m.text, "other");
  EXPECT_EQ(Drain(id), "5:excluded");
}

}  // namespace
