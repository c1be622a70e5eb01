// conformance/pipe_test.cc — anonymous pipes: what pipe(2), pipe(7), fcntl(2)
// and POSIX read()/write() promise, checked on the raw OS calls (PipeOs) and,
// where ipc/pipe.h and ipc/fd.h expose the behaviour, on the layer (PipeLayer).
// The catalogue IDs are PIPE-001 … PIPE-046 (conformance/catalog.txt).
//
// Every test names the deviation it catches in its comment. Blocking is
// observed through /proc (BackgroundCall::wait_blocked,
// fault::wait_until_blocked), never guessed with a sleep; forked children
// check with TEST_CHECK.
#include "ipc/pipe.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/background.h"
#include "conformance/testing/streams.h"
#include "conformance/testing/suite_util.h"
#include "conformance/testing/unrelated.h"
#include "fault/blocked.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/frame.h"
#include "ipc/testing/test_util.h"

namespace {

using ::conformance::testing::AsWritableBytes;
using ::conformance::testing::BackgroundCall;
using ::conformance::testing::ByteCounts;
using ::conformance::testing::CheckRecordStream;
using ::conformance::testing::ExpectByteCountsOf;
using ::conformance::testing::FillPipe;
using ::conformance::testing::kPatience;
using ::conformance::testing::kRecordHeader;
using ::conformance::testing::MakeRecord;
using ::conformance::testing::Pattern;
using ::conformance::testing::RaceReaders;
using ::conformance::testing::RaceRecordWriters;
using ::conformance::testing::ReadExactly;
using ::conformance::testing::ReadProcLong;
using ::conformance::testing::ReadToEof;
using ::conformance::testing::ReadyWithin;
using ::conformance::testing::RunAsNobody;
using ::conformance::testing::RunPeer;
using ::conformance::testing::RunUnrelatedPeer;
using ::conformance::testing::Unread;
using ::ipc::testing::Child;
using ::ipc::testing::ChildKilledBy;
using ::ipc::testing::ChildResult;
using ::ipc::testing::ConsumePending;
using ::ipc::testing::CountingHandler;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::DropPrivileges;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IgnoreSignal;
using ::ipc::testing::IsOk;
using ::ipc::testing::RawPipe;
using ::ipc::testing::RunInChild;
using ::ipc::testing::ScopedBlock;
using ::ipc::testing::SignalPending;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;

constexpr std::size_t kPipeBuf = PIPE_BUF;
constexpr std::size_t kLinuxDefaultCapacity = 65536;

// ---- helpers ---------------------------------------------------------------

int Capacity(int fd) { return ::fcntl(fd, F_GETPIPE_SZ); }

ino_t Inode(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

// ---- PIPE-001 one object, two ends -----------------------------------------

// Catches: ends that are separate objects, or not of FIFO type.
TEST(PipeOs, BothEndsAreOneFifoObject) {
  int fds[2] = {-1, -1};
  ASSERT_THAT(::pipe(fds), SyscallSucceedsWithValue(0));
  ipc::Fd r(fds[0]), w(fds[1]);
  EXPECT_NE(fds[0], fds[1]);
  struct stat rs, ws;
  ASSERT_THAT(::fstat(fds[0], &rs), SyscallSucceeds());
  ASSERT_THAT(::fstat(fds[1], &ws), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(rs.st_mode));
  EXPECT_TRUE(S_ISFIFO(ws.st_mode));
  EXPECT_EQ(rs.st_ino, ws.st_ino);
  EXPECT_EQ(rs.st_dev, ws.st_dev);
}

TEST(PipeLayer, MakePipeEndsAreOneFifoObject) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  struct stat rs, ws;
  ASSERT_THAT(::fstat(p.read.get(), &rs), SyscallSucceeds());
  ASSERT_THAT(::fstat(p.write.get(), &ws), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(rs.st_mode));
  EXPECT_EQ(rs.st_ino, ws.st_ino);
}

// ---- PIPE-002 FIFO order, bytes unchanged ----------------------------------

// Catches: reordered, dropped, duplicated or altered bytes.
TEST(PipeOs, BytesArriveUnchangedInFifoOrder) {
  RawPipe p;
  std::string a = Pattern(1000, 1), b = Pattern(3000, 2), c = Pattern(20000, 3);
  for (const std::string* s : {&a, &b, &c}) {
    ASSERT_THAT(::write(p.write.get(), s->data(), s->size()),
                SyscallSucceedsWithValue(s->size()));
  }
  EXPECT_EQ(ReadExactly(p.read.get(), a.size() + b.size() + c.size()),
            a + b + c);
}

TEST(PipeLayer, WriteFullThenReadFullRoundTrip) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  std::string data = Pattern(30000, 4);
  auto n = ipc::write_full(p.write.get(), ipc::as_bytes(data));
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, data.size());
  std::string back(data.size(), '\0');
  auto m = ipc::read_full(p.read.get(), AsWritableBytes(back));
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(*m, data.size());
  EXPECT_EQ(back, data);
}

// ---- PIPE-003 unidirectional -----------------------------------------------

// Catches: a bidirectional pipe (as on some BSDs/SVR4 STREAMS pipes).
TEST(PipeOs, ReadEndRejectsWriteAndWriteEndRejectsRead) {
  RawPipe p(O_NONBLOCK);
  char c = 'x';
  EXPECT_THAT(::write(p.read.get(), &c, 1), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(::read(p.write.get(), &c, 1), SyscallFailsWithErrno(EBADF));
}

TEST(PipeLayer, WrongEndFailsWithEbadf) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe({.nonblocking = true}));
  EXPECT_THAT(ipc::write_some(p.read.get(), ipc::as_bytes("x")),
              FailsWith(EBADF));
  std::string buf(1, '\0');
  EXPECT_THAT(ipc::read_some(p.write.get(), AsWritableBytes(buf)),
              FailsWith(EBADF));
}

// ---- PIPE-004 no message boundaries ----------------------------------------

// Catches: an OS that keeps write boundaries (packet semantics by default).
TEST(PipeOs, WritesCoalesceIntoOneRead) {
  RawPipe p;
  ASSERT_THAT(::write(p.write.get(), "abc", 3), SyscallSucceedsWithValue(3));
  ASSERT_THAT(::write(p.write.get(), "defg", 4), SyscallSucceedsWithValue(4));
  char buf[100];
  ASSERT_THAT(::read(p.read.get(), buf, sizeof buf),
              SyscallSucceedsWithValue(7));
  EXPECT_EQ(std::string(buf, 7), "abcdefg");
}

// Catches: one byte per read (a per-write message queue in disguise).
TEST(PipeOs, ManySingleByteWritesReadAtOnce) {
  RawPipe p;
  std::string data = Pattern(100, 5);
  for (char c : data)
    ASSERT_THAT(::write(p.write.get(), &c, 1), SyscallSucceedsWithValue(1));
  char buf[200];
  ASSERT_THAT(::read(p.read.get(), buf, sizeof buf),
              SyscallSucceedsWithValue(100));
  EXPECT_EQ(std::string(buf, 100), data);
}

// The layer's answer to coalescing: frames survive being read in one piece.
TEST(PipeLayer, FrameBoundariesSurviveCoalescing) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  ASSERT_OK(ipc::write_frame(p.write.get(), 1, ipc::as_bytes("first"), 64));
  ASSERT_OK(ipc::write_frame(p.write.get(), 2, ipc::as_bytes("second!"), 64));
  // Both frames sit in the pipe as one undivided run of bytes.
  auto avail = ipc::bytes_available(p.read.get());
  ASSERT_THAT(avail, IsOk());
  EXPECT_EQ(*avail, 2 * ipc::kFrameHeaderSize + 5 + 7);
  ipc::FrameDecoder dec(64);
  auto f1 = ASSERT_OK_AND_VALUE(ipc::read_frame(p.read.get(), dec));
  auto f2 = ASSERT_OK_AND_VALUE(ipc::read_frame(p.read.get(), dec));
  ASSERT_TRUE(f1.has_value());
  ASSERT_TRUE(f2.has_value());
  EXPECT_EQ(f1->type, 1);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f1->payload.data()),
                        f1->payload.size()),
            "first");
  EXPECT_EQ(f2->type, 2);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f2->payload.data()),
                        f2->payload.size()),
            "second!");
}

// ---- PIPE-005 one write, several reads -------------------------------------

// Catches: a read that returns more than asked, or loses the rest of a write.
TEST(PipeOs, OneWriteSplitAcrossSmallerReads) {
  RawPipe p;
  std::string data = Pattern(100, 6);
  ASSERT_THAT(::write(p.write.get(), data.data(), data.size()),
              SyscallSucceedsWithValue(100));
  std::string got;
  char buf[30];
  while (got.size() < data.size()) {
    ssize_t n = ::read(p.read.get(), buf, sizeof buf);
    ASSERT_THAT(n, SyscallSucceeds());
    ASSERT_GT(n, 0);
    ASSERT_LE(static_cast<std::size_t>(n), sizeof buf);
    got.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(got, data);
}

TEST(PipeLayer, ReadSomeTakesAtMostTheBuffer) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  std::string data = Pattern(100, 7);
  ASSERT_OK(ipc::write_full(p.write.get(), ipc::as_bytes(data)));
  std::string part(30, '\0');
  auto n = ipc::read_some(p.read.get(), AsWritableBytes(part));
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 30u);
  EXPECT_EQ(part, data.substr(0, 30));
  EXPECT_EQ(*ipc::bytes_available(p.read.get()), 70u);
}

// ---- PIPE-006 short reads --------------------------------------------------

// Catches: a read that waits for `count` bytes instead of returning what is
// there.
TEST(PipeOs, ReadReturnsWhatIsThereWithoutWaiting) {
  RawPipe p;
  ASSERT_THAT(::write(p.write.get(), "0123456789", 10),
              SyscallSucceedsWithValue(10));
  char buf[100];
  BackgroundCall reader(
      [&] { return static_cast<long>(::read(p.read.get(), buf, sizeof buf)); });
  bool done = reader.wait_done();
  if (!done)
    ::write(p.write.get(), Pattern(100).data(), 100);  // unblock a deviating OS
  ASSERT_TRUE(done) << "read(100) with 10 bytes buffered blocked";
  EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(10));
  EXPECT_EQ(std::string(buf, 10), "0123456789");
}

// Boundary: read(capacity + 1) from a full pipe is short.
TEST(PipeOs, ReadOfCapacityPlusOneFromFullPipeIsShort) {
  RawPipe p;
  std::size_t cap = FillPipe(p.write.get());
  ASSERT_GT(cap, 0u);
  std::vector<char> buf(cap + 1);
  ssize_t n = ::read(p.read.get(), buf.data(), buf.size());
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_GT(n, 0);
  EXPECT_LE(static_cast<std::size_t>(n), cap);
}

TEST(PipeLayer, ReadSomeReturnsShortCount) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  ASSERT_OK(ipc::write_full(p.write.get(), ipc::as_bytes("short")));
  std::string buf(100, '\0');
  auto n = ipc::read_some(p.read.get(), AsWritableBytes(buf),
                          ipc::Eintr::kRetry, ipc::deadline_in(kPatience));
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 5u);
}

// ---- PIPE-007 inherited descriptors only -----------------------------------

// Catches: a fork that does not share the pipe (child's data never arrives).
TEST(PipeOs, ForkedChildSharesBothEnds) {
  RawPipe p;
  ASSERT_THAT(::write(p.write.get(), "ping", 4), SyscallSucceedsWithValue(4));
  ASSERT_CHILD_OK(RunInChild([&] {
    char buf[4];
    TEST_CHECK(::read(p.read.get(), buf, 4) == 4);
    TEST_CHECK(std::memcmp(buf, "ping", 4) == 0);
    TEST_CHECK(::write(p.write.get(), "pong", 4) == 4);
  }));
  ASSERT_TRUE(ReadyWithin(p.read.get(), POLLIN));
  EXPECT_EQ(ReadExactly(p.read.get(), 4), "pong");
}

// Catches: a pipe reachable by an exec'd program that did not inherit it.
TEST(PipeOs, ExecdProgramWithoutInheritedDescriptorCannotReachPipe) {
  RawPipe p;
  auto run = RunPeer({"fd-inode", std::to_string(p.write.get())});
  ASSERT_THAT(run, IsOk());
  bool closed =
      WIFEXITED(run->wait_status) && WEXITSTATUS(run->wait_status) == 3;
  bool other =
      WIFEXITED(run->wait_status) && WEXITSTATUS(run->wait_status) == 0 &&
      run->output.find("ino=" + std::to_string(Inode(p.write.get())) + " ") ==
          std::string::npos;
  EXPECT_TRUE(closed || other)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
}

// ---- PIPE-008 /proc/<pid>/fd (Linux) ---------------------------------------

// Catches: a /proc fd link that cannot be opened, or opens a new empty pipe.
TEST(PipeOs, ProcFdReopensPipeWithBufferedData) {
  RawPipe p;
  ASSERT_THAT(::write(p.write.get(), "buffered", 8),
              SyscallSucceedsWithValue(8));
  std::string rpath = "/proc/self/fd/" + std::to_string(p.read.get());
  std::string wpath = "/proc/self/fd/" + std::to_string(p.write.get());
  ipc::Fd r2(::open(rpath.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_THAT(r2.get(), SyscallSucceeds());
  EXPECT_EQ(Inode(r2.get()), Inode(p.read.get()));
  ASSERT_TRUE(ReadyWithin(r2.get(), POLLIN));
  EXPECT_EQ(ReadExactly(r2.get(), 8), "buffered");
  ipc::Fd w2(::open(wpath.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_THAT(w2.get(), SyscallSucceeds());
  ASSERT_THAT(::write(w2.get(), "more", 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(ReadExactly(p.read.get(), 4), "more");
}

// Catches: the Linux exception missing — an unrelated program (exec'd,
// nothing inherited) reaches the pipe through /proc/<pid>/fd/N.
TEST(PipeOs, UnrelatedProgramReachesPipeThroughProc) {
  RawPipe p;
  ASSERT_THAT(::write(p.write.get(), "via proc", 8),
              SyscallSucceedsWithValue(8));
  std::string path = "/proc/" + std::to_string(::getpid()) + "/fd/" +
                     std::to_string(p.read.get());
  auto run = RunUnrelatedPeer({"read-path", path, "100"});
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_EQ(run->output, "via proc");
  EXPECT_EQ(Unread(p.read.get()), 0);  // the peer consumed it from our pipe
}

// ---- PIPE-009 EOF ----------------------------------------------------------

// Catches: data lost when the writer closes, or no EOF afterwards.
TEST(PipeOs, DataThenEofAfterLastWriterCloses) {
  RawPipe p;
  ASSERT_THAT(::write(p.write.get(), "data", 4), SyscallSucceedsWithValue(4));
  p.write.reset();
  char buf[100];
  ASSERT_TRUE(ReadyWithin(p.read.get(), POLLIN));
  EXPECT_THAT(::read(p.read.get(), buf, sizeof buf),
              SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "data");
  ASSERT_TRUE(ReadyWithin(p.read.get(), POLLIN))
      << "no EOF after the last writer closed";
  EXPECT_THAT(::read(p.read.get(), buf, sizeof buf),
              SyscallSucceedsWithValue(0));
}

TEST(PipeLayer, ReadFullStopsShortAtEof) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  ASSERT_OK(ipc::write_full(p.write.get(), ipc::as_bytes("tail")));
  p.write.reset();
  std::string buf(100, '\0');
  auto n = ipc::read_full(p.read.get(), AsWritableBytes(buf),
                          ipc::deadline_in(kPatience));
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(buf.substr(0, 4), "tail");
}

// ---- PIPE-010 blocked reader woken by EOF ----------------------------------

// Catches: a reader left asleep forever when the last writer goes away.
TEST(PipeOs, BlockedReaderWokenWithEofWhenLastWriterCloses) {
  RawPipe p;
  char buf[16];
  BackgroundCall reader(
      [&] { return static_cast<long>(::read(p.read.get(), buf, sizeof buf)); });
  ASSERT_OK(reader.wait_blocked(SYS_read));
  p.write.reset();
  ASSERT_TRUE(reader.wait_done())
      << "reader still blocked after the last writer closed";
  EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(0));
}

TEST(PipeLayer, BlockedReadSomeReturnsZeroAtEof) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  std::string buf(16, '\0');
  ipc::Result<std::size_t> got = std::size_t{99};
  BackgroundCall reader([&] {
    got = ipc::read_some(p.read.get(), AsWritableBytes(buf));
    return 0L;
  });
  ASSERT_OK(reader.wait_blocked(SYS_read));
  p.write.reset();
  ASSERT_TRUE(reader.wait_done());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, 0u);
}

// ---- PIPE-011 no EOF while any write end is open ---------------------------

// Catches: EOF reported while a duplicate of the write end is still open.
TEST(PipeOs, NoEofWhileADuplicateWriteEndIsOpen) {
  RawPipe p(O_NONBLOCK);
  ipc::Fd dup(::fcntl(p.write.get(), F_DUPFD_CLOEXEC, 0));
  ASSERT_THAT(dup.get(), SyscallSucceeds());
  p.write.reset();
  char c;
  EXPECT_THAT(::read(p.read.get(), &c, 1), SyscallFailsWithErrno(EAGAIN));
  dup.reset();
  EXPECT_THAT(::read(p.read.get(), &c, 1), SyscallSucceedsWithValue(0));
}

// Catches: a forked reader that sees EOF although it still holds its own
// inherited copy of the write end (why unused ends must be closed after fork).
TEST(PipeOs, ForkedReaderHoldingItsOwnWriteEndNeverSeesEof) {
  RawPipe p;
  Child child([&] {
    char c;
    ssize_t n = ::read(p.read.get(), &c, 1);  // keeps p.write open on purpose
    TEST_CHECK_MSG(n != 0, "the reader saw EOF");
    TEST_FAIL("the read returned instead of blocking");
  });
  p.write.reset();  // our copy: now only the child's own copy remains
  ipc::Status blocked = fault::wait_until_blocked(
      child.pid(), child.pid(), SYS_read, ipc::deadline_in(kPatience));
  EXPECT_THAT(blocked, IsOk())
      << "the reader returned instead of blocking: " << child.wait().describe();
}

// ---- PIPE-012 every blocked reader woken at EOF ----------------------------

// Catches: only one of several sleeping readers woken (lost wake-up).
TEST(PipeOs, AllBlockedReaderProcessesWokenAtEof) {
  RawPipe p;
  std::vector<std::unique_ptr<Child>> readers;
  for (int i = 0; i < 3; ++i) {
    readers.push_back(std::make_unique<Child>([&] {
      p.write.reset();
      char c;
      TEST_CHECK_MSG(::read(p.read.get(), &c, 1) == 0, "no EOF");
    }));
  }
  for (auto& reader : readers) {
    EXPECT_OK(fault::wait_until_blocked(reader->pid(), reader->pid(), SYS_read,
                                        ipc::deadline_in(kPatience)));
  }
  p.write.reset();
  for (auto& reader : readers) {
    // Still running after kPatience: still blocked after the last writer
    // closed.
    EXPECT_CHILD_OK(reader->wait());
  }
}

// ---- PIPE-013 SIGPIPE kills the writer -------------------------------------

// Catches: no SIGPIPE (the writer survives a write to a reader-less pipe).
TEST(PipeOs, WriteWithoutReaderKillsWithSigpipe) {
  RawPipe p;
  p.read.reset();
  EXPECT_THAT(RunInChild([&] {
                ::signal(SIGPIPE, SIG_DFL);
                sigset_t none;
                sigemptyset(&none);
                ::sigprocmask(SIG_SETMASK, &none, nullptr);
                TEST_CHECK_ERRNO(::write(p.write.get(), "x", 1), EPIPE);
                TEST_FAIL("the write failed EPIPE without SIGPIPE");
              }),
              ChildKilledBy(SIGPIPE));
}

TEST(PipeLayer, WriteFullWithoutReaderRaisesSigpipe) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  p.read.reset();
  EXPECT_THAT(RunInChild([&] {
                ::signal(SIGPIPE, SIG_DFL);
                auto n = ipc::write_full(p.write.get(), ipc::as_bytes("x"));
                TEST_FAIL(n.ok() ? "write_full succeeded"
                                 : "write_full failed without SIGPIPE");
              }),
              ChildKilledBy(SIGPIPE));
}

// ---- PIPE-014 EPIPE when SIGPIPE is ignored, caught or blocked -------------

// Catches: a write that "succeeds" into a pipe nobody can read.
TEST(PipeOs, WriteWithoutReaderFailsEpipeWhenSigpipeIgnored) {
  IgnoreSignal ignore(SIGPIPE);
  ASSERT_TRUE(ignore.ok());
  RawPipe p;
  p.read.reset();
  EXPECT_THAT(::write(p.write.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
}

// Catches: no signal, or more than one, for a single failed write.
TEST(PipeOs, WriteWithoutReaderRunsSigpipeHandlerOnceAndFailsEpipe) {
  CountingHandler catcher(SIGPIPE);
  RawPipe p;
  p.read.reset();
  EXPECT_THAT(::write(p.write.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
  sigset_t cur;
  ::pthread_sigmask(SIG_BLOCK, nullptr,
                    &cur);  // lets a deferring runtime (TSan) deliver
  EXPECT_EQ(catcher.count(), 1);
}

// Catches: SIGPIPE dropped while blocked, or sent to the process instead of
// pending on the writing thread.
TEST(PipeOs, WriteWithoutReaderLeavesBlockedSigpipePending) {
  IgnoreSignal ignore(SIGPIPE);  // never kill us if it goes elsewhere
  RawPipe p;
  p.read.reset();
  ScopedBlock block(SIGPIPE);
  ASSERT_FALSE(SignalPending(SIGPIPE));
  EXPECT_THAT(::write(p.write.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
  EXPECT_TRUE(SignalPending(SIGPIPE));
  EXPECT_TRUE(ConsumePending(SIGPIPE));
}

TEST(PipeLayer, WriteSomeWithoutReaderFailsWithEpipe) {
  IgnoreSignal ignore(SIGPIPE);
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  p.read.reset();
  EXPECT_THAT(ipc::write_some(p.write.get(), ipc::as_bytes("x")),
              FailsWith(EPIPE));
}

// ---- PIPE-015 blocked writer, reader closes --------------------------------

// Catches: a writer left asleep on a full pipe whose last reader went away.
TEST(PipeOs, WriterBlockedOnFullPipeGetsEpipeWhenReaderCloses) {
  IgnoreSignal ignore(SIGPIPE);
  RawPipe p;
  FillPipe(p.write.get());
  bool pending = false;
  BackgroundCall writer([&] {
    ScopedBlock block(SIGPIPE);
    long r = ::write(p.write.get(), "x", 1);
    int e = errno;
    pending = SignalPending(SIGPIPE);
    ConsumePending(SIGPIPE);
    errno = e;
    return r;
  });
  ASSERT_OK(writer.wait_blocked(SYS_write));
  p.read.reset();
  ASSERT_TRUE(writer.wait_done())
      << "writer still blocked after the last reader closed";
  EXPECT_THAT(writer.result(), SyscallFailsWithErrno(EPIPE));
  EXPECT_TRUE(pending) << "no SIGPIPE for the writer";
}

// ---- PIPE-016 partial blocking write, then EPIPE (Linux) -------------------

// Catches: the bytes already transferred being reported as a plain EPIPE (or
// the other way round), and a missing second SIGPIPE.
TEST(PipeOs, PartialBlockingWriteReturnsCountWhenReaderCloses) {
  CountingHandler catcher(SIGPIPE);
  RawPipe p;
  int cap = Capacity(p.write.get());
  ASSERT_GT(cap, 0);
  std::string big(static_cast<std::size_t>(cap) * 2, 'b');
  BackgroundCall writer([&] {
    return static_cast<long>(::write(p.write.get(), big.data(), big.size()));
  });
  ASSERT_OK(writer.wait_blocked(SYS_write));
  EXPECT_EQ(Unread(p.read.get()), cap);
  p.read.reset();
  ASSERT_TRUE(writer.wait_done());
  EXPECT_THAT(writer.result(), SyscallSucceedsWithValue(cap));
  EXPECT_THAT(::write(p.write.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
  sigset_t cur;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &cur);
  EXPECT_EQ(catcher.count(), 2);
}

TEST(PipeLayer, WriteFullReportsBytesMovedBeforeEpipe) {
  IgnoreSignal ignore(SIGPIPE);
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  auto cap = ASSERT_OK_AND_VALUE(ipc::pipe_capacity(p.write.get()));
  std::string big(cap * 2, 'b');
  ipc::Result<std::size_t> res = std::size_t{0};
  BackgroundCall writer([&] {
    res = ipc::write_full(p.write.get(), ipc::as_bytes(big));
    return 0L;
  });
  ASSERT_OK(writer.wait_blocked(SYS_write));
  p.read.reset();
  ASSERT_TRUE(writer.wait_done());
  ASSERT_THAT(res, FailsWith(EPIPE));
  EXPECT_EQ(res.error().transferred(), cap);
}

// ---- PIPE-017 blocking read waits for data ---------------------------------

// Catches: a blocking read on an empty pipe that returns 0 or EAGAIN.
TEST(PipeOs, ReadOnEmptyPipeBlocksUntilData) {
  RawPipe p;
  char buf[8] = {};
  BackgroundCall reader(
      [&] { return static_cast<long>(::read(p.read.get(), buf, sizeof buf)); });
  ASSERT_OK(reader.wait_blocked(SYS_read));
  ASSERT_THAT(::write(p.write.get(), "x", 1), SyscallSucceedsWithValue(1));
  ASSERT_TRUE(reader.wait_done());
  EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(1));
  EXPECT_EQ(buf[0], 'x');
}

TEST(PipeLayer, ReadSomeBlocksUntilData) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  std::string buf(8, '\0');
  ipc::Result<std::size_t> got = std::size_t{0};
  BackgroundCall reader([&] {
    got = ipc::read_some(p.read.get(), AsWritableBytes(buf));
    return 0L;
  });
  ASSERT_OK(reader.wait_blocked(SYS_read));
  ASSERT_OK(ipc::write_full(p.write.get(), ipc::as_bytes("yz")));
  ASSERT_TRUE(reader.wait_done());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(buf.substr(0, *got), "yz");
}

// ---- PIPE-018 O_NONBLOCK read on an empty pipe -----------------------------

// Catches: 0 (false EOF) or blocking instead of EAGAIN.
TEST(PipeOs, NonBlockingReadOnEmptyPipeFailsEagain) {
  RawPipe p(O_NONBLOCK);
  char c;
  EXPECT_THAT(::read(p.read.get(), &c, 1), SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(EAGAIN, EWOULDBLOCK);
}

TEST(PipeLayer, ReadSomeOnNonBlockingEmptyPipeFailsEagain) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe({.nonblocking = true}));
  std::string buf(1, '\0');
  EXPECT_THAT(ipc::read_some(p.read.get(), AsWritableBytes(buf)),
              FailsWith(EAGAIN));
}

// ---- PIPE-019 O_NONBLOCK read without writer is EOF ------------------------

// Catches: EAGAIN instead of EOF when no writer exists.
TEST(PipeOs, NonBlockingReadWithoutWriterReturnsEof) {
  RawPipe p(O_NONBLOCK);
  p.write.reset();
  char c;
  EXPECT_THAT(::read(p.read.get(), &c, 1), SyscallSucceedsWithValue(0));
}

// ---- PIPE-020 / PIPE-043 / PIPE-022: several writer processes --------------

// Forks one writer per entry of `sizes` (RaceRecordWriters); all start
// together and each calls write_record(fd, record) per_writer times on the
// inherited write end. Returns the stream the parent read until EOF;
// `results` gets each writer's ChildResult.
std::string RaceWriters(
    int capacity, const std::vector<std::size_t>& sizes,
    std::uint32_t per_writer,
    const std::function<bool(int, const std::string&)>& write_record,
    std::vector<ChildResult>* results) {
  RawPipe data;
  if (capacity > 0) ::fcntl(data.write.get(), F_SETPIPE_SZ, capacity);
  return RaceRecordWriters(
      data.read.get(), std::move(data.write), sizes, per_writer,
      [](int held) { return held; }, write_record, results);
}

// Catches: a write of <= PIPE_BUF bytes split or interleaved with another
// writer's data while writers contend for a small pipe.
TEST(PipeOs, ConcurrentWritersNeverInterleaveAtomicWrites) {
  std::vector<std::size_t> sizes = {kPipeBuf, kPipeBuf - 96, 1000, 17};
  std::vector<ChildResult> results;
  std::string stream = RaceWriters(
      2 * 4096, sizes, 300,
      [](int fd, const std::string& rec) {
        return ::write(fd, rec.data(), rec.size()) ==
               static_cast<ssize_t>(rec.size());
      },
      &results);
  for (const ChildResult& r : results) EXPECT_CHILD_OK(r);
  EXPECT_EQ(CheckRecordStream(stream, sizes, 300), "");
}

TEST(PipeLayer, WriteAtomicRecordsFromConcurrentWritersStayWhole) {
  std::vector<std::size_t> sizes = {ipc::pipe_buf(), 3000, 64};
  std::vector<ChildResult> results;
  std::string stream = RaceWriters(
      2 * 4096, sizes, 300,
      [](int fd, const std::string& rec) {
        return ipc::write_atomic(fd, ipc::as_bytes(rec)).ok();
      },
      &results);
  for (const ChildResult& r : results) EXPECT_CHILD_OK(r);
  EXPECT_EQ(CheckRecordStream(stream, sizes, 300), "");
}

// Catches: bytes lost or duplicated between several writer processes, and a
// blocking write > PIPE_BUF returning before all of it was written.
TEST(PipeOs, ConcurrentLargeWritesReturnFullCountAndEveryByteArrives) {
  constexpr int kWriters = 4;
  constexpr std::size_t kChunk = 3 * kPipeBuf + 123;
  constexpr int kChunks = 40;
  RawPipe data;
  std::vector<std::unique_ptr<Child>> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(std::make_unique<Child>([&] {
      data.read.reset();
      std::string chunk(kChunk, static_cast<char>('A' + w));
      for (int i = 0; i < kChunks; ++i) {
        TEST_CHECK_MSG(::write(data.write.get(), chunk.data(), chunk.size()) ==
                           static_cast<ssize_t>(kChunk),
                       "a blocking write > PIPE_BUF returned short");
      }
    }));
  }
  data.write.reset();
  std::string stream = ReadToEof(data.read.get());
  for (auto& writer : writers) EXPECT_CHILD_OK(writer->wait());
  std::array<std::size_t, kWriters> count = {};
  for (char c : stream) {
    if (c >= 'A' && c < 'A' + kWriters)
      ++count[static_cast<std::size_t>(c - 'A')];
  }
  EXPECT_EQ(stream.size(), kWriters * kChunk * kChunks);
  for (int w = 0; w < kWriters; ++w)
    EXPECT_EQ(count[w], kChunk * kChunks) << "writer " << w;
}

// ---- PIPE-021 PIPE_BUF -----------------------------------------------------

// Catches: a PIPE_BUF below the POSIX minimum, or a <limits.h> value that
// disagrees with fpathconf.
TEST(PipeOs, PipeBufIsAtLeast512AndMatchesFpathconf) {
  RawPipe p;
  long v = ::fpathconf(p.read.get(), _PC_PIPE_BUF);
  ASSERT_THAT(v, SyscallSucceeds());
  EXPECT_GE(v, _POSIX_PIPE_BUF);
  EXPECT_EQ(static_cast<std::size_t>(v), kPipeBuf);
  EXPECT_EQ(::fpathconf(p.write.get(), _PC_PIPE_BUF), v);
}

// Catches: a Linux-compatible system with a different PIPE_BUF (L).
TEST(PipeOs, PipeBufIs4096OnLinux) {
  RawPipe p;
  EXPECT_EQ(::fpathconf(p.read.get(), _PC_PIPE_BUF), 4096);
}

TEST(PipeLayer, PipeBufMatchesFpathconf) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  EXPECT_EQ(static_cast<long>(ipc::pipe_buf()),
            ::fpathconf(p.read.get(), _PC_PIPE_BUF));
}

// ---- PIPE-022 blocking write > capacity returns n --------------------------

// Catches: a blocking write that returns a short count once the pipe fills.
TEST(PipeOs, BlockingWriteLargerThanCapacityReturnsFullCount) {
  RawPipe p;
  std::string data =
      Pattern(static_cast<std::size_t>(Capacity(p.write.get())) * 3 + 77, 9);
  // The writer closes its end once write() returns: a write that returns
  // short then ends the read below at EOF instead of leaving it waiting.
  BackgroundCall writer([&] {
    long n = ::write(p.write.get(), data.data(), data.size());
    int e = errno;
    p.write.reset();
    errno = e;
    return n;
  });
  ASSERT_OK(writer.wait_blocked(SYS_write));  // full, not finished
  std::string got = ReadExactly(p.read.get(), data.size());
  EXPECT_EQ(got.size(), data.size()) << "the bytes read before EOF";
  EXPECT_TRUE(got == data.substr(0, got.size()))
      << "the bytes read differ from those written";
  ASSERT_TRUE(writer.wait_done());
  EXPECT_THAT(writer.result(),
              SyscallSucceedsWithValue(static_cast<long>(data.size())));
}

TEST(PipeLayer, WriteFullMovesEverythingPastCapacity) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  auto cap = ASSERT_OK_AND_VALUE(ipc::pipe_capacity(p.write.get()));
  std::string data = Pattern(cap * 2 + 5, 10);
  ipc::Result<std::size_t> res = std::size_t{0};
  BackgroundCall writer([&] {
    res = ipc::write_full(p.write.get(), ipc::as_bytes(data));
    return 0L;
  });
  EXPECT_EQ(ReadExactly(p.read.get(), data.size()), data);
  ASSERT_TRUE(writer.wait_done());
  ASSERT_THAT(res, IsOk());
  EXPECT_EQ(*res, data.size());
}

// ---- PIPE-023 O_NONBLOCK, n <= PIPE_BUF: all or nothing --------------------

// Boundaries 1 and PIPE_BUF on an empty pipe. Catches: a partial small write.
TEST(PipeOs, NonBlockingWritesOfOneAndPipeBufBytesAreWhole) {
  RawPipe p(O_NONBLOCK);
  EXPECT_THAT(::write(p.write.get(), "1", 1), SyscallSucceedsWithValue(1));
  std::string buf = Pattern(kPipeBuf);
  EXPECT_THAT(::write(p.write.get(), buf.data(), buf.size()),
              SyscallSucceedsWithValue(kPipeBuf));
  EXPECT_EQ(Unread(p.read.get()), static_cast<int>(kPipeBuf + 1));
}

// Catches: a write of <= PIPE_BUF bytes split into what fits (partial write).
TEST(PipeOs, NonBlockingSmallWriteWithoutRoomWritesNothing) {
  RawPipe p(O_NONBLOCK);
  int cap = Capacity(p.write.get());
  ASSERT_GT(cap, 200);
  std::string fill(static_cast<std::size_t>(cap) - 100,
                   'f');  // 100 bytes of room left
  ASSERT_THAT(::write(p.write.get(), fill.data(), fill.size()),
              SyscallSucceedsWithValue(fill.size()));
  for (std::size_t n : {std::size_t{101}, kPipeBuf}) {
    std::string rec(n, 'r');
    EXPECT_THAT(::write(p.write.get(), rec.data(), n),
                SyscallFailsWithErrno(EAGAIN))
        << n << " bytes";
    EXPECT_EQ(Unread(p.read.get()), cap - 100)
        << "part of a " << n << "-byte write went in";
  }
  // Exactly the room left: the write is whole.
  std::string rest(100, 'e');
  EXPECT_THAT(::write(p.write.get(), rest.data(), rest.size()),
              SyscallSucceedsWithValue(100));
}

TEST(PipeLayer, WriteAtomicWithoutRoomFailsEagainAndWritesNothing) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe({.nonblocking = true}));
  auto cap = ASSERT_OK_AND_VALUE(ipc::pipe_capacity(p.write.get()));
  std::string fill(cap - 100, 'f');
  ASSERT_OK(ipc::write_full(p.write.get(), ipc::as_bytes(fill)));
  std::string rec(ipc::pipe_buf(), 'r');
  EXPECT_THAT(ipc::write_atomic(p.write.get(), ipc::as_bytes(rec)),
              FailsWith(EAGAIN));
  EXPECT_EQ(*ipc::bytes_available(p.read.get()), cap - 100);
}

// ---- PIPE-024 O_NONBLOCK, n > PIPE_BUF: partial write ----------------------

// Boundaries PIPE_BUF+1 and capacity on an empty pipe. Catches: EAGAIN or a
// partial write although everything fits.
TEST(PipeOs, NonBlockingWritesOfPipeBufPlusOneAndCapacityAreWholeWhenTheyFit) {
  RawPipe p(O_NONBLOCK);
  std::string big = Pattern(kPipeBuf + 1);
  EXPECT_THAT(::write(p.write.get(), big.data(), big.size()),
              SyscallSucceedsWithValue(kPipeBuf + 1));
  ASSERT_EQ(ReadExactly(p.read.get(), big.size()), big);
  int cap = Capacity(p.write.get());
  std::string full = Pattern(static_cast<std::size_t>(cap));
  EXPECT_THAT(::write(p.write.get(), full.data(), full.size()),
              SyscallSucceedsWithValue(cap));
}

// Boundary capacity+1 on an empty pipe. Catches: EAGAIN (all-or-nothing for a
// large write) or a claim to have written more than fits.
TEST(PipeOs, NonBlockingWriteOfCapacityPlusOneIsPartial) {
  RawPipe p(O_NONBLOCK);
  int cap = Capacity(p.write.get());
  std::string big = Pattern(static_cast<std::size_t>(cap) + 1);
  ssize_t n = ::write(p.write.get(), big.data(), big.size());
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_GE(n, 1);
  EXPECT_LT(static_cast<std::size_t>(n), big.size());
  EXPECT_LE(n, cap);
  EXPECT_EQ(Unread(p.read.get()), n);
  EXPECT_EQ(ReadExactly(p.read.get(), static_cast<std::size_t>(n)),
            big.substr(0, static_cast<std::size_t>(n)));
}

// Catches: EAGAIN for a large write into a partly full pipe that has room.
TEST(PipeOs, NonBlockingLargeWriteIntoPartlyFullPipeIsPartial) {
  RawPipe p(O_NONBLOCK);
  int cap = Capacity(p.write.get());
  std::string prefill(static_cast<std::size_t>(cap) - 2 * 4096, 'p');
  ASSERT_THAT(::write(p.write.get(), prefill.data(), prefill.size()),
              SyscallSucceedsWithValue(prefill.size()));
  std::string big(3 * kPipeBuf, 'b');
  ssize_t n = ::write(p.write.get(), big.data(), big.size());
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_GE(n, 1);
  EXPECT_LT(static_cast<std::size_t>(n), big.size());
  EXPECT_EQ(Unread(p.read.get()), static_cast<int>(prefill.size()) + n);
}

TEST(PipeLayer, WriteSomeOnNonBlockingPipeIsPartial) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe({.nonblocking = true}));
  auto cap = ASSERT_OK_AND_VALUE(ipc::pipe_capacity(p.write.get()));
  std::string big(cap + 1, 'b');
  auto n = ipc::write_some(p.write.get(), ipc::as_bytes(big));
  ASSERT_THAT(n, IsOk());
  EXPECT_GE(*n, 1u);
  EXPECT_LT(*n, big.size());
}

// ---- PIPE-025 O_NONBLOCK, full pipe: EAGAIN --------------------------------

// Boundaries 1, PIPE_BUF, PIPE_BUF+1, capacity+1 into a full pipe. Catches:
// a write that blocks, succeeds or fails with another errno.
TEST(PipeOs, NonBlockingWriteToFullPipeFailsEagain) {
  RawPipe p(O_NONBLOCK);
  std::size_t filled = FillPipe(p.write.get());
  int cap = Capacity(p.write.get());
  EXPECT_EQ(filled, static_cast<std::size_t>(cap));
  std::string buf(static_cast<std::size_t>(cap) + 1, 'x');
  for (std::size_t n : {std::size_t{1}, kPipeBuf, kPipeBuf + 1, buf.size()}) {
    EXPECT_THAT(::write(p.write.get(), buf.data(), n),
                SyscallFailsWithErrno(EAGAIN))
        << n << " bytes";
  }
  EXPECT_EQ(Unread(p.read.get()), cap);
}

TEST(PipeLayer, WriteSomeToFullNonBlockingPipeFailsEagain) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe({.nonblocking = true}));
  FillPipe(p.write.get());
  EXPECT_THAT(ipc::write_some(p.write.get(), ipc::as_bytes("x")),
              FailsWith(EAGAIN));
}

// ---- PIPE-026 blocking write sleeps on a full pipe -------------------------

// Catches: EAGAIN/short count instead of sleeping, or a writer never woken.
TEST(PipeOs, BlockingWriteToFullPipeSleepsUntilReaderDrains) {
  RawPipe p;
  FillPipe(p.write.get());
  BackgroundCall writer(
      [&] { return static_cast<long>(::write(p.write.get(), "!", 1)); });
  ASSERT_OK(writer.wait_blocked(SYS_write));
  EXPECT_EQ(ReadExactly(p.read.get(), kPipeBuf).size(), kPipeBuf);
  bool done = writer.wait_done();
  if (!done)
    ReadExactly(p.read.get(),
                static_cast<std::size_t>(Unread(p.read.get())));  // unblock
  ASSERT_TRUE(done) << "writer not woken after " << kPipeBuf
                    << " bytes were read";
  EXPECT_THAT(writer.result(), SyscallSucceedsWithValue(1));
}

TEST(PipeLayer, WriteFullBlocksUntilReaderDrains) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  std::size_t filled = FillPipe(p.write.get());
  ipc::Result<std::size_t> res = std::size_t{0};
  BackgroundCall writer([&] {
    res = ipc::write_full(p.write.get(), ipc::as_bytes("tail"));
    return 0L;
  });
  ASSERT_OK(writer.wait_blocked(SYS_write));
  EXPECT_EQ(ReadExactly(p.read.get(), filled).size(), filled);
  ASSERT_TRUE(writer.wait_done());
  ASSERT_THAT(res, IsOk());
  EXPECT_EQ(ReadExactly(p.read.get(), 4), "tail");
}

// ---- PIPE-027 default capacity (Linux) -------------------------------------

// Catches: a different default capacity (software that assumes 64 KiB breaks).
TEST(PipeOs, DefaultCapacityIs65536) {
  RawPipe p;
  EXPECT_THAT(::fcntl(p.read.get(), F_GETPIPE_SZ),
              SyscallSucceedsWithValue(kLinuxDefaultCapacity));
  EXPECT_EQ(FillPipe(p.write.get()), kLinuxDefaultCapacity);
}

TEST(PipeLayer, PipeCapacityReportsDefault) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  auto cap = ASSERT_OK_AND_VALUE(ipc::pipe_capacity(p.read.get()));
  EXPECT_EQ(cap, kLinuxDefaultCapacity);
  EXPECT_EQ(cap,
            static_cast<std::size_t>(::fcntl(p.write.get(), F_GETPIPE_SZ)));
}

// ---- PIPE-028 F_SETPIPE_SZ (Linux) -----------------------------------------

// Catches: less than requested, less than a page, a size only one end sees,
// or a capacity that the pipe does not actually hold.
TEST(PipeOs, SetPipeSizeOnEitherEndRoundsUpAndBothEndsAgree) {
  RawPipe p(O_NONBLOCK);
  long page = ::sysconf(_SC_PAGESIZE);
  int one = ::fcntl(p.read.get(), F_SETPIPE_SZ, 1);
  ASSERT_THAT(one, SyscallSucceeds());
  EXPECT_GE(one, page);
  EXPECT_EQ(::fcntl(p.write.get(), F_GETPIPE_SZ), one);
  for (int want : {5000, 3 * 4096, 100000}) {
    int got = ::fcntl(p.write.get(), F_SETPIPE_SZ, want);
    ASSERT_THAT(got, SyscallSucceeds());
    EXPECT_GE(got, want);
    EXPECT_EQ(got % page, 0);
    EXPECT_EQ(::fcntl(p.read.get(), F_GETPIPE_SZ), got);
    EXPECT_EQ(::fcntl(p.write.get(), F_GETPIPE_SZ), got);
  }
  EXPECT_EQ(FillPipe(p.write.get()),
            static_cast<std::size_t>(::fcntl(p.read.get(), F_GETPIPE_SZ)));
}

TEST(PipeLayer, SetPipeCapacityReturnsGrantedSize) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  auto got = ASSERT_OK_AND_VALUE(ipc::set_pipe_capacity(p.read.get(), 5000));
  EXPECT_GE(got, 5000u);
  EXPECT_EQ(got, *ipc::pipe_capacity(p.write.get()));
}

// ---- PIPE-029 F_SETPIPE_SZ beyond limits (Linux) ---------------------------

// Catches: an absurd size accepted (or silently truncated).
TEST(PipeOs, SetPipeSizeAbsurdFailsEinval) {
  RawPipe p;
  int before = Capacity(p.read.get());
  EXPECT_THAT(::fcntl(p.write.get(), F_SETPIPE_SZ, (1UL << 31) + 1),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(Capacity(p.read.get()), before);
}

long PipeMaxSize() { return ReadProcLong("/proc/sys/fs/pipe-max-size"); }

// Catches: an unprivileged process allowed past /proc/sys/fs/pipe-max-size.
TEST(PipeOs, SetPipeSizeAboveMaxFailsEpermUnprivileged) {
  long max = PipeMaxSize();
  if (max <= 0) GTEST_SKIP() << "no /proc/sys/fs/pipe-max-size";
  RawPipe p;
  EXPECT_CHILD_OK(RunAsNobody([&] {
    TEST_CHECK_ERRNO(::fcntl(p.write.get(), F_SETPIPE_SZ, max * 2), EPERM);
  }));
}

TEST(PipeLayer, SetPipeCapacityAboveMaxFailsEpermUnprivileged) {
  long max = PipeMaxSize();
  if (max <= 0) GTEST_SKIP() << "no /proc/sys/fs/pipe-max-size";
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  EXPECT_CHILD_OK(RunAsNobody([&] {
    auto r = ipc::set_pipe_capacity(p.write.get(),
                                    static_cast<std::size_t>(max) * 2);
    TEST_CHECK(!r.ok() && r.error().code() == EPERM);
  }));
}

// ---- PIPE-030 F_SETPIPE_SZ below buffered data (Linux) ---------------------

// Catches: buffered data silently dropped by shrinking the pipe.
TEST(PipeOs, SetPipeSizeBelowBufferedDataFailsEbusy) {
  RawPipe p;
  std::string data = Pattern(3 * 4096);
  ASSERT_THAT(::write(p.write.get(), data.data(), data.size()),
              SyscallSucceedsWithValue(data.size()));
  EXPECT_THAT(::fcntl(p.write.get(), F_SETPIPE_SZ, 4096),
              SyscallFailsWithErrno(EBUSY));
  EXPECT_EQ(ReadExactly(p.read.get(), data.size()), data);
}

TEST(PipeLayer, SetPipeCapacityBelowBufferedDataFailsEbusy) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  ASSERT_OK(ipc::write_full(p.write.get(), ipc::as_bytes(Pattern(3 * 4096))));
  EXPECT_THAT(ipc::set_pipe_capacity(p.write.get(), 4096), FailsWith(EBUSY));
}

// ---- PIPE-031 FIONREAD (Linux) ---------------------------------------------

// Catches: FIONREAD unsupported on one end, or counting wrongly.
TEST(PipeOs, FionreadOnEitherEndCountsUnreadBytes) {
  RawPipe p;
  int n = -1;
  ASSERT_THAT(::ioctl(p.read.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 0);
  ASSERT_THAT(::write(p.write.get(), Pattern(123).data(), 123),
              SyscallSucceedsWithValue(123));
  ASSERT_THAT(::ioctl(p.read.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 123);
  ASSERT_THAT(::ioctl(p.write.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 123);
  ReadExactly(p.read.get(), 23);
  EXPECT_EQ(Unread(p.read.get()), 100);
}

TEST(PipeLayer, BytesAvailableOnEitherEnd) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  ASSERT_OK(ipc::write_full(p.write.get(), ipc::as_bytes("12345")));
  EXPECT_EQ(*ipc::bytes_available(p.read.get()), 5u);
  EXPECT_EQ(*ipc::bytes_available(p.write.get()), 5u);
}

// ---- PIPE-032 no seeking ---------------------------------------------------

// Catches: a pipe that accepts a file offset.
TEST(PipeOs, SeekAndPositionedIoFailEspipe) {
  RawPipe p(O_NONBLOCK);
  char buf[4] = {'a', 'b', 'c', 'd'};
  struct iovec iov = {buf, sizeof buf};
  EXPECT_THAT(::lseek(p.read.get(), 0, SEEK_CUR),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::lseek(p.write.get(), 0, SEEK_SET),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::pwrite(p.write.get(), buf, sizeof buf, 0),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::pwritev(p.write.get(), &iov, 1, 0),
              SyscallFailsWithErrno(ESPIPE));
  ASSERT_THAT(::write(p.write.get(), buf, sizeof buf),
              SyscallSucceedsWithValue(4));
  EXPECT_THAT(::pread(p.read.get(), buf, sizeof buf, 0),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::preadv(p.read.get(), &iov, 1, 0),
              SyscallFailsWithErrno(ESPIPE));
  EXPECT_EQ(Unread(p.read.get()), 4);  // nothing consumed by the refused calls
}

// ---- PIPE-033 zero-length I/O (Linux) --------------------------------------

// Catches: a zero-length read that blocks on an empty pipe, or a zero-length
// write that fails.
TEST(PipeOs, ZeroLengthWriteAndReadReturnZero) {
  RawPipe p;
  char c = 'z';
  EXPECT_THAT(::write(p.write.get(), &c, 0), SyscallSucceedsWithValue(0));
  EXPECT_EQ(Unread(p.read.get()), 0);
  BackgroundCall reader(
      [&] { return static_cast<long>(::read(p.read.get(), &c, 0)); });
  bool done = reader.wait_done();
  if (!done) ::write(p.write.get(), "u", 1);  // unblock a deviating OS
  ASSERT_TRUE(done) << "read(fd, buf, 0) blocked on an empty pipe";
  EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(0));
}

TEST(PipeLayer, WriteSomeOfNothingReturnsZero) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  auto n = ipc::write_some(p.write.get(), {});
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 0u);
}

// ---- PIPE-034 zero-length write without reader (Linux) ---------------------

// Catches: SIGPIPE/EPIPE for a write that moves nothing.
TEST(PipeOs, ZeroLengthWriteWithoutReaderReturnsZeroWithoutSigpipe) {
  RawPipe p;
  p.read.reset();
  EXPECT_CHILD_OK(RunInChild([&] {
    ::signal(SIGPIPE, SIG_DFL);
    char c = 'z';
    ssize_t n = ::write(p.write.get(), &c, 0);
    TEST_PCHECK(n == 0);
  }));
}

// ---- PIPE-035 pipe2 flags --------------------------------------------------

// Catches: O_CLOEXEC applied to one end only, or not at all.
TEST(PipeOs, Pipe2CloexecSetsFdCloexecOnBothEnds) {
  RawPipe p;
  EXPECT_EQ(::fcntl(p.read.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(::fcntl(p.write.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  int fds[2];
  ASSERT_THAT(::pipe(fds), SyscallSucceeds());
  ipc::Fd r(fds[0]), w(fds[1]);
  EXPECT_EQ(::fcntl(fds[0], F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(::fcntl(fds[1], F_GETFD) & FD_CLOEXEC, 0);
}

// Catches: O_NONBLOCK applied to one end only, or leaking into plain pipe().
TEST(PipeOs, Pipe2NonblockSetsONonblockOnBothEnds) {
  RawPipe p(O_NONBLOCK), q;
  EXPECT_NE(::fcntl(p.read.get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(p.write.get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(::fcntl(q.read.get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(::fcntl(q.write.get(), F_GETFL) & O_NONBLOCK, 0);
}

// Catches: unknown flags silently accepted.
TEST(PipeOs, Pipe2UnknownFlagFailsEinval) {
  int fds[2] = {-1, -1};
  EXPECT_THAT(::pipe2(fds, O_APPEND), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::pipe2(fds, O_CLOEXEC | O_TRUNC), SyscallFailsWithErrno(EINVAL));
}

TEST(PipeLayer, MakePipeIsCloexecOnBothEnds) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  EXPECT_EQ(::fcntl(p.read.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(::fcntl(p.write.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(*ipc::is_nonblocking(p.read.get()), false);
}

TEST(PipeLayer, MakePipeNonblockingOptionSetsBothEnds) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe({.nonblocking = true}));
  EXPECT_EQ(*ipc::is_nonblocking(p.read.get()), true);
  EXPECT_EQ(*ipc::is_nonblocking(p.write.get()), true);
}

// ---- PIPE-036 descriptors across execve ------------------------------------

// Catches: an inherited pipe end closed or broken by execve.
TEST(PipeOs, InheritedPipeEndWorksAfterExec) {
  int fds[2];
  ASSERT_THAT(::pipe(fds), SyscallSucceeds());
  ipc::Fd r(fds[0]), w(fds[1]);
  auto run = RunPeer({"write-fd", std::to_string(fds[1]), "hello from exec"});
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  ASSERT_TRUE(ReadyWithin(fds[0], POLLIN));
  EXPECT_EQ(ReadExactly(fds[0], 15), "hello from exec");
}

// Catches: FD_CLOEXEC ignored by execve.
TEST(PipeOs, CloexecPipeEndIsClosedByExec) {
  RawPipe p;
  auto run = RunPeer({"write-fd", std::to_string(p.write.get()), "leak"});
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(Unread(p.read.get()), 0)
      << "the exec'd program wrote into a close-on-exec pipe";
  EXPECT_NE(run->wait_status, 0) << run->output;
}

TEST(PipeLayer, MakePipeEndsDoNotSurviveExec) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  auto run = RunPeer({"write-fd", std::to_string(p.write.get()), "leak"});
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(*ipc::bytes_available(p.read.get()), 0u);
}

// ---- PIPE-037 packet mode (Linux) ------------------------------------------

// Catches: O_DIRECT ignored (reads coalesce packets) or rejected.
TEST(PipeOs, PacketModeReadReturnsOneWrite) {
  RawPipe p(O_NONBLOCK | O_DIRECT);
  ASSERT_THAT(::write(p.write.get(), "abc", 3), SyscallSucceedsWithValue(3));
  ASSERT_THAT(::write(p.write.get(), "defgh", 5), SyscallSucceedsWithValue(5));
  char buf[100];
  EXPECT_THAT(::read(p.read.get(), buf, sizeof buf),
              SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "abc");
  EXPECT_THAT(::read(p.read.get(), buf, sizeof buf),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "defgh");
}

// Catches: the rest of a packet kept for the next read.
TEST(PipeOs, PacketModeShortReadDiscardsRestOfPacket) {
  RawPipe p(O_NONBLOCK | O_DIRECT);
  ASSERT_THAT(::write(p.write.get(), "defgh", 5), SyscallSucceedsWithValue(5));
  ASSERT_THAT(::write(p.write.get(), "ij", 2), SyscallSucceedsWithValue(2));
  char buf[100];
  EXPECT_THAT(::read(p.read.get(), buf, 2), SyscallSucceedsWithValue(2));
  EXPECT_EQ(std::string(buf, 2), "de");
  EXPECT_THAT(::read(p.read.get(), buf, sizeof buf),
              SyscallSucceedsWithValue(2));
  EXPECT_EQ(std::string(buf, 2), "ij");
  EXPECT_THAT(::read(p.read.get(), buf, sizeof buf),
              SyscallFailsWithErrno(EAGAIN));
}

// ---- PIPE-038 access modes -------------------------------------------------

// Catches: ends opened O_RDWR (or swapped).
TEST(PipeOs, ReadEndIsRdonlyWriteEndIsWronly) {
  RawPipe p;
  EXPECT_EQ(::fcntl(p.read.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(::fcntl(p.write.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
}

TEST(PipeLayer, MakePipeAccessModes) {
  auto p = ASSERT_OK_AND_VALUE(ipc::make_pipe());
  EXPECT_EQ(::fcntl(p.read.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(::fcntl(p.write.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
}

// ---- PIPE-039 pipe() errors ------------------------------------------------

// In a forked child: lowers RLIMIT_NOFILE and fills the table so that exactly
// one descriptor is free; then `make` (-1 and errno on failure) must fail with
// EMFILE and leave that descriptor free.
template <typename Make>
void CheckFailsEmfileWithOneFreeDescriptor(Make make) {
  int base = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  TEST_CHECK_SUCCESS(base);
  struct rlimit rl = {64, 64};
  TEST_CHECK_SUCCESS(::setrlimit(RLIMIT_NOFILE, &rl));
  int last = -1;
  for (;;) {
    int fd = ::dup(base);
    if (fd < 0) break;
    last = fd;
  }
  TEST_PCHECK(errno == EMFILE && last >= 0);
  ::close(last);
  TEST_CHECK_ERRNO(make(), EMFILE);
  // The call must not have kept half of its descriptors.
  TEST_CHECK_MSG(::dup(base) == last, "a descriptor leaked");
}

// Catches: a pipe created with only one descriptor, or a descriptor leaked on
// failure.
TEST(PipeOs, PipeFailsEmfileWithOneFreeDescriptor) {
  EXPECT_CHILD_OK(RunInChild([] {
    CheckFailsEmfileWithOneFreeDescriptor([] {
      int fds[2];
      return ::pipe(fds);
    });
  }));
}

// Catches: a bad array pointer crashing the caller or leaking descriptors.
TEST(PipeOs, PipeFailsEfaultOnBadArray) {
  void* page =
      ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  int probe = ::fcntl(2, F_DUPFD_CLOEXEC, 0);  // the lowest free descriptor
  ASSERT_THAT(probe, SyscallSucceeds());
  ::close(probe);
  EXPECT_THAT(::pipe(static_cast<int*>(page)), SyscallFailsWithErrno(EFAULT));
  int again = ::fcntl(2, F_DUPFD_CLOEXEC, 0);
  EXPECT_EQ(again, probe) << "descriptors leaked by the failed pipe()";
  ::close(again);
  ::munmap(page, 4096);
}

TEST(PipeLayer, MakePipeFailsEmfile) {
  EXPECT_CHILD_OK(RunInChild([] {
    CheckFailsEmfileWithOneFreeDescriptor([] {
      auto p = ipc::make_pipe();
      if (p.ok()) return 0;
      errno = p.error().code();
      return -1;
    });
  }));
}

// ---- PIPE-040 blocked writer is killable -----------------------------------

// Catches: an uninterruptible (D-state) sleep in pipe_write.
TEST(PipeOs, WriterBlockedOnFullPipeIsKillable) {
  RawPipe p;
  FillPipe(p.write.get());
  Child child([&] {
    (void)::write(p.write.get(), "x", 1);
    TEST_FAIL("the write into a full pipe returned");
  });
  ipc::Status blocked = fault::wait_until_blocked(
      child.pid(), child.pid(), SYS_write, ipc::deadline_in(kPatience));
  ASSERT_THAT(::kill(child.pid(), SIGKILL), SyscallSucceeds());
  ChildResult status = child.wait();
  EXPECT_THAT(blocked, IsOk());
  // Still running after kPatience: SIGKILL did not end the blocked writer.
  EXPECT_THAT(status, ChildKilledBy(SIGKILL));
}

// ---- PIPE-041 close() in another thread (Linux) ----------------------------

// close(2) of a descriptor another thread is blocked on. ThreadSanitizer
// models that as a data race on the descriptor (it is the behaviour under
// test), so under TSan the call bypasses its close() interceptor.
int CloseUnderBlockedReader(int fd) {
  if constexpr (sanitizers::kThread) {
    return static_cast<int>(::syscall(SYS_close, fd));
  }
  return ::close(fd);
}

// Catches: a blocked read aborted (EBADF/0) because another thread closed the
// fd.
TEST(PipeOs, CloseInAnotherThreadDoesNotAbortBlockedRead) {
  RawPipe p;
  int r = p.read.release();
  char buf[8] = {};
  BackgroundCall reader(
      [&] { return static_cast<long>(::read(r, buf, sizeof buf)); });
  ASSERT_OK(reader.wait_blocked(SYS_read));
  ASSERT_THAT(CloseUnderBlockedReader(r), SyscallSucceeds());
  EXPECT_FALSE(reader.wait_done(std::chrono::milliseconds(0)));
  EXPECT_OK(reader.wait_blocked(SYS_read))
      << "the read ended when its descriptor was closed";
  ASSERT_THAT(::write(p.write.get(), "late", 4), SyscallSucceedsWithValue(4));
  ASSERT_TRUE(reader.wait_done());
  EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "late");
}

// ---- PIPE-042 O_ASYNC: SIGIO on input (Linux) ------------------------------

// Catches: O_ASYNC accepted but no SIGIO when data arrives (or one too early).
TEST(PipeOs, AsyncReadEndSignalsSigioOnInput) {
  RawPipe p;
  ScopedBlock block(SIGIO);
  struct f_owner_ex owner = {F_OWNER_TID, fault::current_tid()};
  ASSERT_THAT(::fcntl(p.read.get(), F_SETOWN_EX, &owner), SyscallSucceeds());
  int fl = ::fcntl(p.read.get(), F_GETFL);
  ASSERT_THAT(::fcntl(p.read.get(), F_SETFL, fl | O_ASYNC), SyscallSucceeds());
  EXPECT_FALSE(SignalPending(SIGIO)) << "SIGIO before any input";
  ASSERT_THAT(::write(p.write.get(), "io", 2), SyscallSucceedsWithValue(2));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGIO);
  struct timespec limit = {std::chrono::seconds(kPatience).count(), 0};
  int sig = ::sigtimedwait(&set, nullptr, &limit);
  ::fcntl(p.read.get(), F_SETFL, fl);
  EXPECT_EQ(sig, SIGIO) << "no SIGIO: " << std::strerror(errno);
  while (ConsumePending(SIGIO)) {
  }
}

// ---- PIPE-044 several reader processes -------------------------------------

// Catches: a byte delivered to two readers, or to none.
TEST(PipeOs, SeveralReaderProcessesConsumeEachByteOnce) {
  constexpr int kReaders = 3;
  constexpr std::size_t kBytes = 4 << 20;
  RawPipe data;
  std::string payload = Pattern(kBytes, 11);
  std::vector<ChildResult> results;
  ByteCounts total = RaceReaders(
      kReaders,
      [&] {
        data.write.reset();
        return data.read.get();
      },
      [&] {
        data.read.reset();
        auto written =
            ipc::write_full(data.write.get(), ipc::as_bytes(payload));
        EXPECT_THAT(written, IsOk());
        data.write.reset();
      },
      &results);
  for (const ChildResult& r : results) EXPECT_CHILD_OK(r);
  ExpectByteCountsOf(total, payload);
}

// ---- PIPE-045 over pipe-user-pages-soft (Linux) ----------------------------

// Catches: no reduced size past the soft limit, a pipe smaller than a page, or
// a small pipe that refuses a PIPE_BUF write even when empty (the I/O hang).
TEST(PipeOs, PipesOverUserSoftLimitAreSmallButWork) {
  long soft = ReadProcLong("/proc/sys/fs/pipe-user-pages-soft");
  if (soft <= 0) GTEST_SKIP() << "pipe-user-pages-soft is 0 (no soft limit)";
  long page = ::sysconf(_SC_PAGESIZE);
  long pipes_needed =
      soft * page / static_cast<long>(kLinuxDefaultCapacity) + 16;
  if (pipes_needed > 4000)
    GTEST_SKIP() << "soft limit needs " << pipes_needed << " pipes";
  EXPECT_CHILD_OK(RunInChild([&] {
    struct rlimit rl = {static_cast<rlim_t>(2 * pipes_needed + 64),
                        static_cast<rlim_t>(2 * pipes_needed + 64)};
    CHILD_SKIP_UNLESS(::setrlimit(RLIMIT_NOFILE, &rl) == 0,
                      "cannot raise RLIMIT_NOFILE");
    // Root is exempt from the limit.
    CHILD_SKIP_UNLESS(DropPrivileges(), "cannot drop privileges");
    int small[2] = {-1, -1};
    for (long i = 0; i < pipes_needed + 64; ++i) {
      int fds[2];
      TEST_CHECK_SUCCESS(::pipe2(fds, O_NONBLOCK | O_CLOEXEC));
      if (::fcntl(fds[0], F_GETPIPE_SZ) <
          static_cast<int>(kLinuxDefaultCapacity)) {
        small[0] = fds[0];
        small[1] = fds[1];
        break;
      }
    }
    TEST_CHECK_MSG(small[0] >= 0, "no pipe past the soft limit was reduced");
    int cap = ::fcntl(small[0], F_GETPIPE_SZ);
    TEST_CHECK_MSG(cap >= page, "a reduced pipe is smaller than a page");
    std::vector<char> buf(static_cast<std::size_t>(cap), 'q');
    // Every size up to the capacity goes in whole into the empty pipe.
    for (std::size_t n :
         {std::size_t{1}, kPipeBuf, static_cast<std::size_t>(cap)}) {
      TEST_CHECK(::write(small[1], buf.data(), n) == static_cast<ssize_t>(n));
      TEST_CHECK(::read(small[0], buf.data(), n) == static_cast<ssize_t>(n));
    }
  }));
}

// ---- PIPE-046 poll() on closed ends (Linux) --------------------------------

// Catches: no POLLHUP for a read end without writers (pollers spin or hang).
TEST(PipeOs, PollReportsHupOnReadEndAfterLastWriterCloses) {
  RawPipe p;
  struct pollfd pf = {p.read.get(), POLLIN, 0};
  ASSERT_THAT(::poll(&pf, 1, 0), SyscallSucceedsWithValue(0));
  p.write.reset();
  ASSERT_THAT(::poll(&pf, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_NE(pf.revents & POLLHUP, 0) << "revents " << pf.revents;
}

// Catches: no POLLERR for a write end without readers.
TEST(PipeOs, PollReportsErrOnWriteEndAfterLastReaderCloses) {
  RawPipe p;
  struct pollfd pf = {p.write.get(), POLLOUT, 0};
  ASSERT_THAT(::poll(&pf, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pf.revents & POLLERR, 0);
  p.read.reset();
  ASSERT_THAT(::poll(&pf, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_NE(pf.revents & POLLERR, 0) << "revents " << pf.revents;
}

// ===========================================================================
// PIPE-047 … PIPE-052: behaviours gVisor and LTP check (fstatfs, /proc
// references, tee/splice/vmsplice); PIPE-004/005/020/023 through readv/writev.
// ===========================================================================

// ---- PIPE-020 / PIPE-023 / PIPE-004 / PIPE-005 through writev and readv -----

// writev of `rec` in three pieces (header, middle, tail).
ssize_t WritevInThree(int fd, const std::string& rec) {
  std::size_t a = std::min<std::size_t>(kRecordHeader, rec.size());
  std::size_t b = (rec.size() - a) / 2;
  struct iovec iov[3] = {
      {const_cast<char*>(rec.data()), a},
      {const_cast<char*>(rec.data()) + a, b},
      {const_cast<char*>(rec.data()) + a + b, rec.size() - a - b}};
  return ::writev(fd, iov, 3);
}

// Catches: a writev of <= PIPE_BUF bytes that is split or interleaved under
// contention — a libc or sandbox that implements writev as one write(2) per
// iovec breaks PIPE-020 only on this path.
TEST(PipeOs, ConcurrentWritevOfAtMostPipeBufNeverInterleaves) {
  std::vector<std::size_t> sizes = {kPipeBuf, kPipeBuf - 96, 1000, 17};
  std::vector<ChildResult> results;
  std::string stream = RaceWriters(
      2 * 4096, sizes, 300,
      [](int fd, const std::string& rec) {
        return WritevInThree(fd, rec) == static_cast<ssize_t>(rec.size());
      },
      &results);
  for (const ChildResult& r : results) EXPECT_CHILD_OK(r);
  EXPECT_EQ(CheckRecordStream(stream, sizes, 300), "");
}

// Catches: a non-blocking writev of <= PIPE_BUF bytes without room that moves
// the iovecs that fit (PIPE-023 on the writev path).
TEST(PipeOs, NonBlockingWritevWithoutRoomWritesNothing) {
  RawPipe p(O_NONBLOCK);
  int cap = Capacity(p.write.get());
  ASSERT_GT(cap, 200);
  std::string fill(static_cast<std::size_t>(cap) - 100, 'f');
  ASSERT_THAT(::write(p.write.get(), fill.data(), fill.size()),
              SyscallSucceedsWithValue(fill.size()));
  for (std::size_t n : {std::size_t{101}, kPipeBuf}) {
    std::string rec = MakeRecord(1, 0, n);
    EXPECT_THAT(WritevInThree(p.write.get(), rec),
                SyscallFailsWithErrno(EAGAIN))
        << n << " bytes";
    EXPECT_EQ(Unread(p.read.get()), cap - 100)
        << "part of a " << n << "-byte writev went in";
  }
  std::string rest = MakeRecord(2, 0, 100);
  EXPECT_THAT(WritevInThree(p.write.get(), rest),
              SyscallSucceedsWithValue(100));
}

// Catches: iovec boundaries that leak into the stream (a writev that arrives
// as separate reads, a readv that stops at a write boundary).
TEST(PipeOs, ReadvAndWritevSeeOneByteStream) {
  RawPipe p(O_NONBLOCK);  // non-blocking: lost bytes fail the test instead of
                          // hanging it
  struct iovec out1[2] = {{const_cast<char*>("ab"), 2},
                          {const_cast<char*>("cde"), 3}};
  struct iovec out2[1] = {{const_cast<char*>("fgh"), 3}};
  ASSERT_THAT(::writev(p.write.get(), out1, 2), SyscallSucceedsWithValue(5));
  ASSERT_THAT(::writev(p.write.get(), out2, 1), SyscallSucceedsWithValue(3));
  char x[2], y[4], z[10];
  struct iovec in[3] = {{x, sizeof x}, {y, sizeof y}, {z, sizeof z}};
  ASSERT_THAT(::readv(p.read.get(), in, 3), SyscallSucceedsWithValue(8));
  EXPECT_EQ(std::string(x, 2) + std::string(y, 4) + std::string(z, 2),
            "abcdefgh");
  // One write consumed by two readv calls.
  ASSERT_THAT(::write(p.write.get(), "0123456", 7),
              SyscallSucceedsWithValue(7));
  struct iovec small[2] = {{x, 1}, {y, 2}};
  ASSERT_THAT(::readv(p.read.get(), small, 2), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(x, 1) + std::string(y, 2), "012");
  EXPECT_EQ(ReadExactly(p.read.get(), 4), "3456");
}

// ---- PIPE-047 fstatfs on a pipe --------------------------------------------

// Catches: an emulation that reports its host file system (or tmpfs) for an
// anonymous pipe, or a block size other than a page — through glibc's
// fstatfs, the system call, fstatvfs and statfs of /proc/self/fd/N.
TEST(PipeOs, FstatfsReportsPipefsAndAPageSizedBlock) {
  RawPipe p;
  const long page = ::sysconf(_SC_PAGESIZE);
  for (int fd : {p.read.get(), p.write.get()}) {
    SCOPED_TRACE(fd == p.read.get() ? "read end" : "write end");
    struct statfs st = {};
    ASSERT_THAT(::fstatfs(fd, &st), SyscallSucceeds());
    EXPECT_EQ(st.f_type, PIPEFS_MAGIC);
    EXPECT_EQ(st.f_bsize, page);
    EXPECT_EQ(st.f_frsize, page);
    EXPECT_EQ(st.f_namelen, NAME_MAX);
    struct statfs raw = {};
    ASSERT_THAT(::syscall(SYS_fstatfs, fd, &raw), SyscallSucceeds());
    EXPECT_EQ(raw.f_type, PIPEFS_MAGIC);
    struct statvfs vfs = {};
    ASSERT_THAT(::fstatvfs(fd, &vfs), SyscallSucceeds());
    EXPECT_EQ(static_cast<long>(vfs.f_bsize), page);
    EXPECT_EQ(vfs.f_namemax, static_cast<unsigned long>(NAME_MAX));
    struct statfs by_path = {};
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    ASSERT_THAT(::statfs(path.c_str(), &by_path), SyscallSucceeds());
    EXPECT_EQ(by_path.f_type, PIPEFS_MAGIC) << path;
  }
  // Contrast: a FIFO lives on the file system that holds its node.
  TempDir dir;
  std::string fifo = dir.file("fifo");
  ASSERT_THAT(::mkfifo(fifo.c_str(), 0600), SyscallSucceeds());
  ipc::Fd f(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_THAT(f.get(), SyscallSucceeds());
  struct statfs of_fifo = {}, of_dir = {};
  ASSERT_THAT(::fstatfs(f.get(), &of_fifo), SyscallSucceeds());
  ASSERT_THAT(::statfs(dir.path().c_str(), &of_dir), SyscallSucceeds());
  EXPECT_EQ(of_fifo.f_type, of_dir.f_type);
  EXPECT_NE(of_fifo.f_type, PIPEFS_MAGIC);
}

// ---- PIPE-048 /proc/self/fd and fdinfo do not keep a pipe end alive --------

// Catches: a /proc that holds a reference to the file it describes (gVisor's
// ProcFDReleasesFile bug): the reader would never see end of file.
TEST(PipeOs, ProcFdAndFdinfoDoNotKeepTheWriterAlive) {
  RawPipe p;
  std::string fd_path = "/proc/self/fd/" + std::to_string(p.write.get());
  std::string info_path = "/proc/self/fdinfo/" + std::to_string(p.write.get());
  struct stat st;
  ASSERT_THAT(::lstat(fd_path.c_str(), &st), SyscallSucceeds());
  ASSERT_THAT(::stat(fd_path.c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  char link[64] = {};
  ASSERT_THAT(::readlink(fd_path.c_str(), link, sizeof link - 1),
              SyscallSucceeds());
  EXPECT_THAT(std::string(link), ::testing::StartsWith("pipe:["));
  ipc::Fd info(::open(info_path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_THAT(info.get(), SyscallSucceeds());
  EXPECT_THAT(ReadToEof(info.get()), HasSubstr("flags:"));
  p.write.reset();  // the only real write end; fdinfo is still open
  // The last close wakes the reader before close() returns.
  struct pollfd hup = {p.read.get(), POLLIN, 0};
  ASSERT_THAT(::poll(&hup, 1, 0), SyscallSucceedsWithValue(1))
      << "no end of file: something still holds the write end";
  char c;
  EXPECT_THAT(::read(p.read.get(), &c, 1), SyscallSucceedsWithValue(0));

  // Contrast: opening /proc/self/fd/N for writing is a real writer.
  RawPipe q;
  std::string q_path = "/proc/self/fd/" + std::to_string(q.write.get());
  ipc::Fd reopened(::open(q_path.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_THAT(reopened.get(), SyscallSucceeds());
  q.write.reset();
  struct pollfd pf = {q.read.get(), POLLIN, 0};
  EXPECT_THAT(::poll(&pf, 1, 0), SyscallSucceedsWithValue(0))
      << "end of file although the reopened write end is open";
  reopened.reset();
  EXPECT_TRUE(ReadyWithin(q.read.get(), POLLIN));
}

// ---- PIPE-049 tee ----------------------------------------------------------

// A regular file with `text`, open O_RDWR.
ipc::Fd FileWith(const TempDir& dir, const char* name, const char* text,
                 int flags = O_RDWR) {
  std::string path = dir.file(name);
  ipc::Fd fd(::open(path.c_str(), flags | O_CREAT | O_CLOEXEC, 0600));
  if (fd && *text != '\0') (void)!::write(fd.get(), text, std::strlen(text));
  return fd;
}

// Catches: a tee that consumes the source (a splice in disguise), accepts
// non-pipes or the same pipe on both sides, or ignores unknown flags.
TEST(PipeOs, TeeCopiesWithoutConsumingAndRejectsNonPipes) {
  RawPipe a, b;
  ASSERT_THAT(::write(a.write.get(), "hello tee", 9),
              SyscallSucceedsWithValue(9));
  EXPECT_THAT(::tee(a.read.get(), b.write.get(), 100, 0),
              SyscallSucceedsWithValue(9));
  ASSERT_EQ(Unread(a.read.get()), 9) << "tee consumed the source";
  EXPECT_EQ(ReadExactly(b.read.get(), 9), "hello tee");
  // The raw system call does the same.
  EXPECT_THAT(::syscall(SYS_tee, a.read.get(), b.write.get(), 5, 0),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(ReadExactly(b.read.get(), 5), "hello");
  EXPECT_EQ(Unread(a.read.get()), 9);

  // Non-blocking from here: a call wrongly accepted must not hang the test.
  for (int fd : {a.read.get(), a.write.get(), b.read.get(), b.write.get()})
    ASSERT_THAT(::fcntl(fd, F_SETFL, O_NONBLOCK), SyscallSucceeds());
  TempDir dir;
  ipc::Fd file = FileWith(dir, "f", "abc");
  ASSERT_THAT(file.get(), SyscallSucceeds());
  EXPECT_THAT(::tee(a.read.get(), a.write.get(), 9, 0),
              SyscallFailsWithErrno(EINVAL))
      << "the same pipe";
  EXPECT_THAT(::tee(file.get(), b.write.get(), 9, 0),
              SyscallFailsWithErrno(EINVAL))
      << "a file as source";
  EXPECT_THAT(::tee(a.read.get(), file.get(), 9, 0),
              SyscallFailsWithErrno(EINVAL))
      << "a file as target";
  EXPECT_THAT(::tee(a.write.get(), b.write.get(), 9, 0),
              SyscallFailsWithErrno(EBADF))
      << "a write end as source";
  EXPECT_THAT(::tee(a.read.get(), b.read.get(), 9, 0),
              SyscallFailsWithErrno(EBADF))
      << "a read end as target";
  EXPECT_THAT(::tee(a.read.get(), b.write.get(), 9, 0x100),
              SyscallFailsWithErrno(EINVAL))
      << "an unknown flag";
  EXPECT_EQ(Unread(a.read.get()), 9) << "a failed tee changed the source";
  RawPipe empty;
  empty.write.reset();
  EXPECT_THAT(::tee(empty.read.get(), b.write.get(), 9, 0),
              SyscallSucceedsWithValue(0))
      << "an empty source without writers is end of file";
}

// ---- PIPE-050 splice -------------------------------------------------------

// Catches: a splice that copies instead of moving, writes at the wrong
// offset, or accepts what splice(2) refuses: the same pipe on both sides, an
// offset on a pipe, an O_APPEND target, wrong access modes, unknown flags.
TEST(PipeOs, SpliceMovesBytesAndRejectsInvalidCombinations) {
  RawPipe a, b;
  TempDir dir;
  ipc::Fd in = FileWith(dir, "in", "0123456789");
  ipc::Fd out = FileWith(dir, "out", "");
  ASSERT_THAT(in.get(), SyscallSucceeds());
  ASSERT_THAT(out.get(), SyscallSucceeds());
  loff_t off = 2;
  EXPECT_THAT(::splice(in.get(), &off, a.write.get(), nullptr, 5, 0),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(off, 7);
  EXPECT_THAT(::splice(a.read.get(), nullptr, b.write.get(), nullptr, 100, 0),
              SyscallSucceedsWithValue(5));
  EXPECT_EQ(Unread(a.read.get()), 0) << "splice left the bytes in the source";
  loff_t out_off = 3;
  EXPECT_THAT(
      ::syscall(SYS_splice, b.read.get(), nullptr, out.get(), &out_off, 5, 0),
      SyscallSucceedsWithValue(5));
  char got[8] = {};
  ASSERT_THAT(::pread(out.get(), got, 5, 3), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(got, 5), "23456");

  ASSERT_THAT(::write(a.write.get(), "xyz", 3), SyscallSucceedsWithValue(3));
  // Non-blocking from here: a call wrongly accepted must not hang the test.
  for (int fd : {a.read.get(), a.write.get(), b.read.get(), b.write.get()})
    ASSERT_THAT(::fcntl(fd, F_SETFL, O_NONBLOCK), SyscallSucceeds());
  loff_t zero = 0;
  EXPECT_THAT(::splice(a.read.get(), nullptr, a.write.get(), nullptr, 3, 0),
              SyscallFailsWithErrno(EINVAL))
      << "the same pipe";
  EXPECT_THAT(::splice(a.read.get(), &zero, b.write.get(), nullptr, 3, 0),
              SyscallFailsWithErrno(ESPIPE))
      << "an input offset on a pipe";
  EXPECT_THAT(::splice(a.read.get(), nullptr, b.write.get(), &zero, 3, 0),
              SyscallFailsWithErrno(ESPIPE))
      << "an output offset on a pipe";
  ipc::Fd append = FileWith(dir, "append", "", O_WRONLY | O_APPEND);
  EXPECT_THAT(::splice(a.read.get(), nullptr, append.get(), nullptr, 3, 0),
              SyscallFailsWithErrno(EINVAL))
      << "an O_APPEND target";
  ipc::Fd read_only = FileWith(dir, "ro", "", O_RDONLY);
  EXPECT_THAT(::splice(a.read.get(), nullptr, read_only.get(), nullptr, 3, 0),
              SyscallFailsWithErrno(EBADF))
      << "a read-only target";
  EXPECT_THAT(::splice(a.write.get(), nullptr, b.write.get(), nullptr, 3, 0),
              SyscallFailsWithErrno(EBADF))
      << "a write end as source";
  EXPECT_THAT(::splice(a.read.get(), nullptr, b.write.get(), nullptr, 3, 0x100),
              SyscallFailsWithErrno(EINVAL))
      << "an unknown flag";
  EXPECT_THAT(::splice(a.read.get(), nullptr, b.write.get(), nullptr, 0, 0),
              SyscallSucceedsWithValue(0));
  EXPECT_EQ(Unread(a.read.get()), 3) << "a refused splice moved bytes";
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_THAT(::sigaction(SIGPIPE, &ignore, &old), SyscallSucceeds());
  RawPipe no_reader;
  no_reader.read.reset();
  EXPECT_THAT(
      ::splice(a.read.get(), nullptr, no_reader.write.get(), nullptr, 3, 0),
      SyscallFailsWithErrno(EPIPE));
  ::sigaction(SIGPIPE, &old, nullptr);
}

// ---- PIPE-051 vmsplice -----------------------------------------------------

// Catches: a vmsplice that loses iovec order, cannot read out of a pipe's
// read end, or accepts a non-pipe, too many segments or unknown flags.
TEST(PipeOs, VmspliceCopiesIntoAndOutOfAPipe) {
  RawPipe a;
  struct iovec in[2] = {{const_cast<char*>("vm"), 2},
                        {const_cast<char*>("splice"), 6}};
  // ASSERT: a vmsplice that wrote nothing would leave the read below blocked.
  ASSERT_THAT(::vmsplice(a.write.get(), in, 2, 0), SyscallSucceedsWithValue(8));
  EXPECT_EQ(ReadExactly(a.read.get(), 8), "vmsplice");
  ASSERT_THAT(::write(a.write.get(), "readback", 8),
              SyscallSucceedsWithValue(8));
  char x[4], y[8];
  struct iovec out[2] = {{x, sizeof x}, {y, sizeof y}};
  EXPECT_THAT(::syscall(SYS_vmsplice, a.read.get(), out, 2, 0),
              SyscallSucceedsWithValue(8));
  EXPECT_EQ(std::string(x, 4) + std::string(y, 4), "readback");
  EXPECT_EQ(Unread(a.read.get()), 0);

  TempDir dir;
  ipc::Fd file = FileWith(dir, "f", "");
  EXPECT_THAT(::vmsplice(file.get(), in, 2, 0), SyscallFailsWithErrno(EBADF))
      << "not a pipe";
  std::vector<struct iovec> many(IOV_MAX + 1, in[0]);
  EXPECT_THAT(::vmsplice(a.write.get(), many.data(), many.size(), 0),
              SyscallFailsWithErrno(EINVAL))
      << "IOV_MAX + 1 segments";
  EXPECT_THAT(::vmsplice(a.write.get(), in, 2, 0x100),
              SyscallFailsWithErrno(EINVAL))
      << "an unknown flag";
  EXPECT_EQ(Unread(a.read.get()), 0) << "a refused vmsplice wrote";
}

// ---- PIPE-052 SPLICE_F_NONBLOCK --------------------------------------------

// Runs `call` (system call `nr`) on a thread. If it sleeps there instead of
// returning, `release` lets it finish and the result says so ("slept");
// otherwise its return value and errno.
struct NonblockingOutcome {
  bool slept = false;
  long result = 0;
  int error = 0;
};

NonblockingOutcome RunExpectingNoSleep(std::function<long()> call, long nr,
                                       const std::function<void()>& release) {
  NonblockingOutcome o;
  BackgroundCall c(std::move(call));
  o.slept = c.wait_blocked(nr).ok();
  if (o.slept) release();
  if (!c.wait_done()) return o;
  o.result = c.result();
  o.error = c.error();
  return o;
}

std::ostream& operator<<(std::ostream& os, const NonblockingOutcome& o) {
  if (o.slept) return os << "slept in the call";
  if (o.result >= 0) return os << "returned " << o.result;
  return os << "failed " << ::strerrorname_np(o.error);
}

bool FailedEagain(const NonblockingOutcome& o) {
  return !o.slept && o.result == -1 && o.error == EAGAIN;
}

// Catches: tee/splice/vmsplice that sleep despite SPLICE_F_NONBLOCK on
// blocking descriptors (a full target or an empty source with a writer), or
// that move part of the source first. A call that sleeps is seen asleep and
// released, so the deviation fails at once. The same splice without the flag
// is seen blocked: EAGAIN is the flag's doing.
TEST(PipeOs, SpliceNonblockFailsEagainOnAFullOrEmptyPipe) {
  RawPipe src, full, empty, sink;
  ASSERT_THAT(::write(src.write.get(), "abc", 3), SyscallSucceedsWithValue(3));
  std::size_t filled = FillPipe(full.write.get());
  ASSERT_GT(filled, 0u);
  auto drain = [&] { (void)ReadExactly(full.read.get(), 4096); };
  auto feed = [&] { (void)!::write(empty.write.get(), "e", 1); };
  static struct iovec one = {const_cast<char*>("y"), 1};
  static char buf[4];
  static struct iovec into = {buf, sizeof buf};
  struct Case {
    const char* what;
    std::function<long()> call;
    long nr;
    std::function<void()> release;
  };
  const Case cases[] = {
      {"splice into a full pipe",
       [&] {
         return static_cast<long>(::splice(src.read.get(), nullptr,
                                           full.write.get(), nullptr, 3,
                                           SPLICE_F_NONBLOCK));
       },
       SYS_splice, drain},
      {"tee into a full pipe",
       [&] {
         return static_cast<long>(
             ::tee(src.read.get(), full.write.get(), 3, SPLICE_F_NONBLOCK));
       },
       SYS_tee, drain},
      {"vmsplice into a full pipe",
       [&] {
         return static_cast<long>(
             ::vmsplice(full.write.get(), &one, 1, SPLICE_F_NONBLOCK));
       },
       SYS_vmsplice, drain},
      {"splice from an empty pipe",
       [&] {
         return static_cast<long>(::splice(empty.read.get(), nullptr,
                                           sink.write.get(), nullptr, 3,
                                           SPLICE_F_NONBLOCK));
       },
       SYS_splice, feed},
      {"tee from an empty pipe",
       [&] {
         return static_cast<long>(
             ::tee(empty.read.get(), sink.write.get(), 3, SPLICE_F_NONBLOCK));
       },
       SYS_tee, feed},
      {"vmsplice out of an empty pipe",
       [&] {
         return static_cast<long>(
             ::vmsplice(empty.read.get(), &into, 1, SPLICE_F_NONBLOCK));
       },
       SYS_vmsplice, feed},
  };
  for (const Case& c : cases) {
    NonblockingOutcome o = RunExpectingNoSleep(c.call, c.nr, c.release);
    EXPECT_TRUE(FailedEagain(o)) << c.what << ": " << o;
    if (o.slept) return;  // released: the pipes are no longer as set up
  }
  EXPECT_EQ(Unread(src.read.get()), 3) << "the source lost bytes";
  EXPECT_EQ(Unread(full.read.get()), static_cast<int>(filled));

  // Without the flag the same splice sleeps until the target drains.
  BackgroundCall splicer([&] {
    return static_cast<long>(
        ::splice(src.read.get(), nullptr, full.write.get(), nullptr, 3, 0));
  });
  ASSERT_OK(splicer.wait_blocked(SYS_splice));
  EXPECT_EQ(ReadExactly(full.read.get(), 4096).size(), 4096u);
  ASSERT_TRUE(splicer.wait_done());
  EXPECT_THAT(splicer.result(), SyscallSucceedsWithValue(3));
}

}  // namespace
