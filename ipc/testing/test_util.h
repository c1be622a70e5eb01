// ipc/testing/test_util.h — the test toolbox shared by the ipc/, fault/ and
// conformance/ tests (in the spirit of gVisor's test/util). Including it
// brings all of it:
//
//   matchers.h    SyscallSucceeds(), SyscallFailsWithErrno(AnyOf(EINVAL,
//                 ENOENT)), SyscallSucceedsWithValue(Gt(0)), IsOk(),
//                 FailsWith(EAGAIN), ASSERT_OK_AND_VALUE; errnos by name
//   child.h       RunInChild / Child with TEST_CHECK, TEST_CHECK_ERRNO,
//                 CHILD_SKIP_UNLESS in the child and EXPECT_CHILD_OK in the
//                 parent; DropPrivileges, ExitOnFaults
//   cleanup.h     Cleanup c([&] { ... });  c.release();
//   eintr.h       RetryEINTR(::read)(fd, buf, n)
//   signals.h     ScopedSigaction, CountingHandler, ScopedBlock, SignalPending
//   errno_name.h  ErrnoName(EAGAIN) == "EAGAIN"
//   kernel_eintr.h  KernelEintrs: wait until an interceptor saw the kernel's
//                 EINTR (before checking that the layer retried)
//   sanitizers/probe.h  sanitizers::kThread, kAddress, ... (gcc and clang)
//
// and, in this file:
//   AsString(m->data) == "hi";  read_at(0, AsWritableBytes(s))  // bytes <-> text
//   TempDir dir;  std::string p = dir.path() + "/fifo";
//   UniqueName("shm")              // for names shared between programs
//   RawPipe p(O_NONBLOCK);         // pipe2(O_CLOEXEC | flags) into p.read / p.write
//   Mapping m(len, PROT_READ, MAP_SHARED, fd);  ASSERT_TRUE(m.ok());  m.get()
//   Worker w([&] { read(...); });  // a thread; w.tid() for fault/blocked.h; joins
//   Worker w([&] { q.receive(..); }, [&] { q.remove(); });  // unblocks if left early
//   PipeReader r;  interrupt_when_blocked(0, r.tid(), ...);  r.join();  r.result()  // one blocked read
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <future>
#include <ostream>
#include <span>
#include <string>
#include <thread>
#include <type_traits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/result.h"
#include "ipc/testing/child.h"
#include "ipc/testing/cleanup.h"
#include "ipc/testing/eintr.h"
#include "ipc/testing/errno_name.h"
#include "ipc/testing/kernel_eintr.h"
#include "ipc/testing/matchers.h"
#include "ipc/testing/signals.h"
#include "sanitizers/probe.h"

namespace ipc::testing {

// ---- bytes ------------------------------------------------------------------

// The bytes as text, to compare what a call read with a string.
inline std::string AsString(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The bytes of `s`, for the layer's span-taking reads.
inline std::span<std::byte> AsWritableBytes(std::string& s) {
  return std::as_writable_bytes(std::span(s));
}

// ---- the filesystem and names ----------------------------------------------

// A private directory, removed recursively on destruction. Under Bazel it is
// created inside $TEST_TMPDIR, elsewhere inside $TMPDIR or /tmp.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A name unique to this process and call: "ipct-<pid>-<random>-<n>-<tag>".
// Use it for POSIX shm names ("/" + UniqueName(..)) and anything else that
// lives in a namespace shared with other programs (/dev/shm is shared even
// between Bazel's sandboxes, whose PID namespaces reuse the same pids).
std::string UniqueName(const std::string& tag);
// The part every UniqueName of this process starts with:
// "ipct-<pid>-<random>-".
const std::string& UniqueNamePrefix();

// Creates an empty regular file (for ftok keys) and returns its path.
std::string MakeFile(const std::string& path);

// ---- threads ---------------------------------------------------------------

// Runs `body` on a thread; tid() is its kernel thread id (known before the
// constructor returns), for fault::wait_until_blocked / interrupt_when_blocked.
// Joins on destruction. If the test leaves before join() (an assertion
// failed), `unblock` runs first: it must make a blocked `body` return (e.g.
// remove the queue a blocked msgrcv waits on: EIDRM), so that a failing test
// never hangs.
class Worker {
 public:
  explicit Worker(std::function<void()> body,
                  std::function<void()> unblock = nullptr);
  ~Worker() {
    if (thread_.joinable() && unblock_) unblock_();
    join();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  pid_t tid() const { return tid_value_; }
  void join();

 private:
  std::function<void()> unblock_;
  std::promise<pid_t> tid_;
  std::thread thread_;
  pid_t tid_value_;
};

// ---- memory ----------------------------------------------------------------

// An mmap(2)'ed range, munmap'ed on destruction. ok() says whether mmap
// succeeded (errno is then mmap's); nothing is asserted, so tests about mmap
// failures can use it too.
class Mapping {
 public:
  Mapping(std::size_t len, int prot, int flags, int fd = -1, off_t offset = 0);
  ~Mapping();
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  bool ok() const { return addr_ != nullptr; }
  char* get() const { return addr_; }
  std::size_t size() const { return len_; }
  // munmap now (0 or -1 with errno); get() is then nullptr, so keep the
  // address first for use-after-unmap tests.
  int unmap();

 private:
  char* addr_ = nullptr;
  std::size_t len_;
};

// ---- pipes ---------------------------------------------------------------

// An anonymous pipe made with pipe2(O_CLOEXEC | flags); EXPECTs success.
struct RawPipe {
  explicit RawPipe(int flags = 0);
  Fd read;
  Fd write;
};

// A thread that makes one blocking read(2) (up to 64 bytes) on its own pipe
// and keeps the result: the target of signal-into-blocked-call tests. tid() is
// known when the constructor returns. The destructor closes the write end
// (EOF) before joining, so a failed assertion never leaves a test hanging.
class PipeReader {
 public:
  PipeReader();
  ~PipeReader();
  PipeReader(const PipeReader&) = delete;
  PipeReader& operator=(const PipeReader&) = delete;

  pid_t tid() const { return tid_; }
  // Writes to the pipe the thread reads from.
  ssize_t write(const char* data, std::size_t n);
  // Joins; then result(), error() and data() are valid.
  void join();
  ssize_t result() const { return result_; }
  int error() const { return errno_; }
  std::string data() const {
    return std::string(buf_, result_ > 0 ? result_ : 0);
  }

 private:
  RawPipe pipe_;
  std::thread thread_;
  pid_t tid_ = 0;
  ssize_t result_ = 0;
  int errno_ = 0;
  char buf_[64] = {};
};

}  // namespace ipc::testing
