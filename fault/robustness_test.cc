// fault/robustness_test.cc — the IPC layer under every single fault, end to end
// between two processes.
//
// This process runs the layer under a fault plan (the seam is per process); a
// forked peer runs unfaulted raw libc code that writes or reads a known
// sequence and reports what it saw through a pipe. For every public operation
// and every single-fault schedule of EINTR, short counts and EAGAIN
// (ForEachSingleFault: the fault on call 1, call 2, ... until it is no longer
// reached), the operation either succeeds with the right result or fails with
// the error its contract names — and the bytes, frames, messages or signals
// that arrive are compared with a model: nothing lost, duplicated or reordered.
// When an error is surfaced the test retries as a real caller would, resuming
// from what the error says was transferred. A randomised section then mixes
// faults at p=0.3 from a fixed list of seeds (the plan, with its seed, is in
// every failure message and replays it).
//
// Faults that the kernel cannot produce for a call are still injected where
// they test the layer's handling (e.g. EINTR from msgctl must be passed on and
// change nothing). Calls whose failure would leak an object by design (shmdt,
// munmap, shm_unlink, IPC_RMID in destructors, close) are never faulted here;
// every object is also removed by a raw-libc guard.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fault/blocked.h"
#include "fault/exhaustive.h"
#include "fault/inprocess.h"
#include "fault/libc_syscalls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/fifo.h"
#include "ipc/frame.h"
#include "ipc/pipe.h"
#include "ipc/posix_shm.h"
#include "ipc/signals.h"
#include "ipc/sys.h"
#include "ipc/sysv_msg.h"
#include "ipc/sysv_shm.h"
#include "ipc/testing/test_util.h"

namespace fault {
namespace {

using ::ipc::Deadline;
using ::ipc::Eintr;
using ::ipc::testing::AsString;
using ::ipc::testing::AsWritableBytes;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::ExitedWith;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Generous: a deadline only turns a bug that would hang into a failure.
constexpr auto kLongWait = 20s;

// ---- data, and raw (never faulted) I/O for the harness ---------------------

std::string pattern(std::size_t n, unsigned salt) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 131 + salt * 17 + i / 251) & 0xff);
  return s;
}

Deadline deadline_if(bool use) {
  return use ? ipc::deadline_in(kLongWait) : ipc::kNoDeadline;
}

bool raw_write_all(int fd, std::string_view s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool raw_read_exact(int fd, void* p, std::size_t len) {
  std::size_t done = 0;
  while (done < len) {
    ssize_t n = ::read(fd, static_cast<char*>(p) + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Everything until EOF.
std::string raw_read_all(int fd) {
  std::string all;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return all;
    all.append(buf, static_cast<std::size_t>(n));
  }
}

// "same" or where the first difference is, for readable failures.
std::string compare(const std::string& want, const std::string& got) {
  if (want == got) return "same";
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  return "want " + std::to_string(want.size()) + " bytes, got " +
         std::to_string(got.size()) + "; first difference at offset " +
         std::to_string(i);
}
#define EXPECT_SAME_BYTES(want, got) EXPECT_EQ(compare((want), (got)), "same")

// ---- the peer process ------------------------------------------------------

// A forked child running unfaulted code: it resets the seam (the fork copied
// the interceptors), closes `close_in_child`, and runs `body`, which talks raw
// libc only. Commands go parent -> child one byte at a time; the child answers
// with length-prefixed replies, or streams a report until it exits.
class Peer {
 public:
  struct Io {
    int cmd;     // read commands here (EOF: the parent is done)
    int report;  // write replies / the report here
  };

  Peer(const std::vector<int>& close_in_child,
       const std::function<int(Io)>& body) {
    int c[2], r[2];
    EXPECT_EQ(::pipe2(c, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(r, O_CLOEXEC), 0);
    child_ = std::make_unique<ipc::testing::Child>([&]() -> int {
      ipc::sys::reset_table();
      ::close(c[1]);
      ::close(r[0]);
      for (int fd : close_in_child) ::close(fd);
      return body(Io{c[0], r[1]});
    });
    pid_ = child_->pid();
    ::close(c[0]);
    ::close(r[1]);
    cmd_ = ipc::Fd(c[1]);
    report_ = ipc::Fd(r[0]);
  }

  pid_t pid() const { return pid_; }

  // Sends one command and returns the child's reply.
  std::string ask(char cmd) {
    if (!raw_write_all(cmd_.get(), std::string_view(&cmd, 1)))
      return "<peer gone>";
    return receive();
  }

  // The child's next reply (for a child that speaks first).
  std::string receive() {
    std::uint32_t len = 0;
    if (!raw_read_exact(report_.get(), &len, sizeof len)) return "<peer gone>";
    std::string reply(len, '\0');
    if (!raw_read_exact(report_.get(), reply.data(), len)) return "<peer gone>";
    return reply;
  }

  // Closes the command pipe (the child sees EOF), reads the report until the
  // child closes it, and waits for the child, which must exit 0.
  std::string finish() {
    cmd_.reset();
    std::string all = raw_read_all(report_.get());
    wait_ok();
    return all;
  }

  void wait_ok() {
    if (waited_) return;
    waited_ = true;
    int status = child_->wait();
    EXPECT_TRUE(ExitedWith(status, 0)) << "peer " << DescribeWaitStatus(status);
  }

  // Child side.
  static int next_cmd(Io io) {
    char c;
    return raw_read_exact(io.cmd, &c, 1) ? c : -1;
  }
  static bool reply(Io io, std::string_view s) {
    std::uint32_t len = static_cast<std::uint32_t>(s.size());
    return raw_write_all(
               io.report,
               std::string_view(reinterpret_cast<char*>(&len), sizeof len)) &&
           raw_write_all(io.report, s);
  }

 private:
  std::unique_ptr<ipc::testing::Child> child_;
  pid_t pid_ = -1;
  ipc::Fd cmd_;
  ipc::Fd report_;
  bool waited_ = false;
};

// Number of the scheduled call in a ForEachSingleFault plan ("read:EINTR@3" ->
// 3).
std::uint64_t schedule_of(const std::string& plan) {
  auto at = plan.rfind('@');
  return at == std::string::npos ? 0 : std::stoull(plan.substr(at + 1));
}

// What a run of ForEachSingleFault must show: the fault was reached at least
// once, and errors were surfaced exactly once per schedule that reached it
// when the contract surfaces this fault (never otherwise).
void expect_schedules(int runs, int surfaced, int expected_error) {
  EXPECT_GE(runs, 2)
      << "the fault was never reached: the test exercises nothing";
  EXPECT_EQ(surfaced, expected_error != 0 ? runs - 1 : 0);
}

// Checks a surfaced error against the one the contract allows.
#define EXPECT_SURFACED(err, expected_error)                                   \
  do {                                                                         \
    EXPECT_NE((expected_error), 0) << "unexpected error: " << (err).message(); \
    EXPECT_EQ((err).code(), (expected_error)) << (err).message();              \
  } while (0)

// ---- streams: pipes and FIFOs ----------------------------------------------

enum class Channel { kPipe, kFifo };

std::string channel_name(Channel c) {
  return c == Channel::kPipe ? "pipe" : "FIFO";
}

// This process's end of a channel whose other end belongs to a peer.
struct Stream {
  std::unique_ptr<TempDir> dir;
  ipc::Fd fd;
  std::unique_ptr<Peer> peer;
};

// The peer writes `data` into the channel and closes it. With `settle`, the
// peer has written everything and exited when this returns (data must fit in
// the pipe), so the number of reads, hence of schedules, is deterministic.
void stream_from_peer(Channel channel, const std::string& data, bool settle,
                      Stream* s) {
  if (channel == Channel::kPipe) {
    auto p = ipc::make_pipe();
    ASSERT_OK(p);
    int wfd = p->write.get();
    s->peer = std::make_unique<Peer>(
        std::vector<int>{p->read.get()},
        [&](Peer::Io) { return raw_write_all(wfd, data) ? 0 : 1; });
    s->fd = std::move(p->read);
  } else {
    s->dir = std::make_unique<TempDir>();
    std::string path = s->dir->file("fifo");
    ASSERT_OK(ipc::make_fifo(path));
    s->peer = std::make_unique<Peer>(std::vector<int>{}, [&](Peer::Io) {
      int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      return fd >= 0 && raw_write_all(fd, data) ? 0 : 1;
    });
    auto fd = ipc::open_fifo(path, ipc::FifoEnd::kRead);
    ASSERT_OK(fd);
    s->fd = std::move(fd).value();
  }
  if (settle) s->peer->wait_ok();
}

// Waits (bounded by kLongWait) until the pipe behind `fd` holds as many bytes
// as it can: a writer then finds it full, whatever the scheduler does.
void wait_until_full(int fd) {
  const int capacity = ::fcntl(fd, F_GETPIPE_SZ);
  const auto give_up = std::chrono::steady_clock::now() + kLongWait;
  int queued = 0;
  while (capacity > 0 && ::ioctl(fd, FIONREAD, &queued) == 0 &&
         queued < capacity && std::chrono::steady_clock::now() < give_up) {
    ::sched_yield();
  }
}

// The peer reads the channel until EOF and reports every byte (Peer::finish).
// With `when_full`, it starts reading only once the pipe is full, so the
// writer's first write that does not fit must wait.
void stream_to_peer(Channel channel, Stream* s, bool when_full = false) {
  if (channel == Channel::kPipe) {
    auto p = ipc::make_pipe();
    ASSERT_OK(p);
    int rfd = p->read.get();
    s->peer = std::make_unique<Peer>(
        std::vector<int>{p->write.get()}, [&, when_full](Peer::Io io) {
          if (when_full) wait_until_full(rfd);
          std::string all = raw_read_all(rfd);
          return raw_write_all(io.report, all) ? 0 : 1;
        });
    s->fd = std::move(p->write);
  } else {
    s->dir = std::make_unique<TempDir>();
    std::string path = s->dir->file("fifo");
    ASSERT_OK(ipc::make_fifo(path));
    s->peer =
        std::make_unique<Peer>(std::vector<int>{}, [&, when_full](Peer::Io io) {
          int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
          if (fd >= 0 && when_full) wait_until_full(fd);
          return fd >= 0 && raw_write_all(io.report, raw_read_all(fd)) ? 0 : 1;
        });
    auto fd = ipc::open_fifo(path, ipc::FifoEnd::kWrite);
    ASSERT_OK(fd);
    s->fd = std::move(fd).value();
  }
}

// A fault rule and the error the operation must surface for it, by Eintr mode.
struct StreamFault {
  const char* rule;
  int with_surface;  // expected error with Eintr::kSurface (0 = none: absorbed)
  int with_retry;    // with Eintr::kRetry
  bool needs_deadline = false;  // poll is only called with a deadline
  // With a deadline the error means "pipe full": the write waits in poll(2)
  // and retries instead of returning it (ipc/fd.h).
  bool waits_with_deadline = false;
};

const std::vector<StreamFault> kReadFaults = {
    {"read:EINTR", EINTR, 0},       {"read:short=1", 0, 0},
    {"read:short=half", 0, 0},      {"read:EAGAIN", EAGAIN, EAGAIN},
    {"poll:EINTR", EINTR, 0, true},
};
// No poll rule here: a write with a deadline tries the write first and polls
// only when the pipe is full (ipc/fd.cc), which these 10000-byte transfers
// never make it. LargeConcurrentTransferUnderEverySingleFault reaches it.
const std::vector<StreamFault> kWriteFaults = {
    {"write:EINTR", EINTR, 0},
    {"write:short=1", 0, 0},
    {"write:short=half", 0, 0},
    {"write:EAGAIN", EAGAIN, EAGAIN, false, true},
};

// Frames of every awkward size: empty, shorter than / equal to / longer than a
// header, larger than a read chunk of the test.
struct TestFrame {
  std::uint16_t type;
  std::string payload;
};
const std::vector<TestFrame> kFrames = {
    {1, ""},
    {2, "x"},
    {4, pattern(12, 4)},
    {5, pattern(13, 5)},
    {65535, pattern(4096, 7)},
    {7, "end"},
};
constexpr std::size_t kMaxPayload = 4096;

std::string encoded_frames() {
  std::string all;
  for (const auto& f : kFrames)
    all += AsString(ipc::encode_frame(f.type, ipc::as_bytes(f.payload)));
  return all;
}

std::string describe(const std::vector<TestFrame>& frames) {
  std::string s;
  for (const auto& f : frames)
    s += std::to_string(f.type) + ":" + std::to_string(f.payload.size()) + " ";
  return s;
}

// Reads frames until EOF; errors the contract allows are counted and the read
// resumed with the same decoder (a partly read frame stays in it).
std::vector<TestFrame> read_all_frames(int fd, bool use_deadline,
                                       int expected_error, int* surfaced) {
  ipc::FrameDecoder decoder(kMaxPayload);
  std::vector<TestFrame> got;
  for (int guard = 0; guard < 100000; ++guard) {
    auto f = ipc::read_frame(fd, decoder, deadline_if(use_deadline));
    if (!f) {
      EXPECT_SURFACED(f.error(), expected_error);
      if (f.error().code() != expected_error) return got;
      ++*surfaced;
      continue;
    }
    if (!*f) return got;
    got.push_back({(*f)->type, AsString((*f)->payload)});
  }
  ADD_FAILURE() << "read_frame never reached EOF";
  return got;
}

class StreamTest : public ::testing::TestWithParam<Channel> {
 protected:
  ipc::testing::IgnoreSignal no_sigpipe_{
      SIGPIPE};  // a dead peer must fail writes, not kill us
};

TEST_P(StreamTest, ReadSomeLosesNothingUnderEverySingleFault) {
  const std::string data = pattern(10000, 1);
  for (Eintr eintr : {Eintr::kSurface, Eintr::kRetry}) {
    for (bool use_deadline : {false, true}) {
      for (const StreamFault& f : kReadFaults) {
        if (f.needs_deadline && !use_deadline) continue;
        int expected = eintr == Eintr::kSurface ? f.with_surface : f.with_retry;
        SCOPED_TRACE(std::string(f.rule) +
                     (eintr == Eintr::kSurface ? ", kSurface" : ", kRetry") +
                     (use_deadline ? ", deadline" : ""));
        int surfaced = 0;
        int runs = ForEachSingleFault(f.rule, [&](const std::string&) {
          Stream s;
          stream_from_peer(GetParam(), data, /*settle=*/true, &s);
          if (HasFatalFailure()) return;
          std::string got;
          char buf[4096];
          for (int guard = 0; guard < 100000; ++guard) {
            auto n = ipc::read_some(s.fd.get(),
                                    std::as_writable_bytes(std::span(buf)),
                                    eintr, deadline_if(use_deadline));
            if (!n) {
              EXPECT_SURFACED(n.error(), expected);
              if (n.error().code() != expected) break;
              ++surfaced;
              continue;
            }
            EXPECT_LE(*n, sizeof buf);
            if (*n == 0) break;
            got.append(buf, *n);
          }
          EXPECT_SAME_BYTES(data, got);
        });
        expect_schedules(runs, surfaced, expected);
      }
    }
  }
}

TEST_P(StreamTest, ReadFullLosesNothingUnderEverySingleFault) {
  const std::string data = pattern(10000, 2);
  for (bool use_deadline : {false, true}) {
    for (const StreamFault& f : kReadFaults) {
      if (f.needs_deadline && !use_deadline) continue;
      SCOPED_TRACE(std::string(f.rule) + (use_deadline ? ", deadline" : ""));
      int runs = ForEachSingleFault(f.rule, [&](const std::string&) {
        Stream s;
        stream_from_peer(GetParam(), data, /*settle=*/true, &s);
        if (HasFatalFailure()) return;
        std::string got(data.size() + 16,
                        '\0');  // larger: read_full stops at EOF
        auto n = ipc::read_full(s.fd.get(), AsWritableBytes(got),
                                deadline_if(use_deadline));
        ASSERT_OK(n);
        EXPECT_EQ(*n, data.size());
        got.resize(std::min(*n, got.size()));
        EXPECT_SAME_BYTES(data, got);
      });
      expect_schedules(runs, 0, 0);
    }
  }
}

TEST_P(StreamTest, ReadFrameLosesNoFrameUnderEverySingleFault) {
  const std::string wire = encoded_frames();
  for (bool use_deadline : {false, true}) {
    for (const StreamFault& f : kReadFaults) {
      if (f.needs_deadline && !use_deadline) continue;
      // read_frame retries EINTR itself; EAGAIN (from a non-blocking
      // descriptor) is returned, and the frame resumes on the next call.
      int expected = f.with_retry;
      SCOPED_TRACE(std::string(f.rule) + (use_deadline ? ", deadline" : ""));
      int surfaced = 0;
      int runs = ForEachSingleFault(f.rule, [&](const std::string&) {
        Stream s;
        stream_from_peer(GetParam(), wire, /*settle=*/true, &s);
        if (HasFatalFailure()) return;
        auto got =
            read_all_frames(s.fd.get(), use_deadline, expected, &surfaced);
        ASSERT_EQ(got.size(), kFrames.size()) << describe(got);
        for (std::size_t i = 0; i < got.size(); ++i) {
          EXPECT_EQ(got[i].type, kFrames[i].type) << "frame " << i;
          EXPECT_SAME_BYTES(kFrames[i].payload, got[i].payload)
              << "frame " << i;
        }
      });
      expect_schedules(runs, surfaced, expected);
    }
  }
}

TEST_P(StreamTest, WriteSomeLosesNothingUnderEverySingleFault) {
  const std::string data = pattern(10000, 3);
  for (Eintr eintr : {Eintr::kSurface, Eintr::kRetry}) {
    for (bool use_deadline : {false, true}) {
      for (const StreamFault& f : kWriteFaults) {
        if (f.needs_deadline && !use_deadline) continue;
        int expected = eintr == Eintr::kSurface ? f.with_surface : f.with_retry;
        if (use_deadline && f.waits_with_deadline) expected = 0;
        SCOPED_TRACE(std::string(f.rule) +
                     (eintr == Eintr::kSurface ? ", kSurface" : ", kRetry") +
                     (use_deadline ? ", deadline" : ""));
        int surfaced = 0;
        int runs = ForEachSingleFault(f.rule, [&](const std::string&) {
          Stream s;
          stream_to_peer(GetParam(), &s);
          if (HasFatalFailure()) return;
          auto all = ipc::as_bytes(data);
          std::size_t done = 0;
          for (int guard = 0; done < data.size() && guard < 100000; ++guard) {
            auto n = ipc::write_some(s.fd.get(), all.subspan(done), eintr,
                                     deadline_if(use_deadline));
            if (!n) {
              EXPECT_SURFACED(n.error(), expected);
              EXPECT_EQ(n.error().transferred(),
                        0u);  // one write(2): nothing went
              if (n.error().code() != expected) break;
              ++surfaced;
              continue;
            }
            EXPECT_GT(*n, 0u);
            EXPECT_LE(*n, data.size() - done);
            done += *n;
          }
          s.fd.reset();
          EXPECT_SAME_BYTES(data, s.peer->finish());
        });
        expect_schedules(runs, surfaced, expected);
      }
    }
  }
}

TEST_P(StreamTest, WriteFullLosesNothingUnderEverySingleFault) {
  const std::string data = pattern(10000, 4);
  for (bool use_deadline : {false, true}) {
    for (const StreamFault& f : kWriteFaults) {
      if (f.needs_deadline && !use_deadline) continue;
      SCOPED_TRACE(std::string(f.rule) + (use_deadline ? ", deadline" : ""));
      int runs = ForEachSingleFault(f.rule, [&](const std::string&) {
        Stream s;
        stream_to_peer(GetParam(), &s);
        if (HasFatalFailure()) return;
        auto n = ipc::write_full(s.fd.get(), ipc::as_bytes(data),
                                 deadline_if(use_deadline));
        ASSERT_OK(n);
        EXPECT_EQ(*n, data.size());
        s.fd.reset();
        EXPECT_SAME_BYTES(data, s.peer->finish());
      });
      expect_schedules(runs, 0, 0);
    }
  }
}

TEST_P(StreamTest, WriteFrameLosesNoFrameUnderEverySingleFault) {
  const std::string wire = encoded_frames();
  for (bool use_deadline : {false, true}) {
    for (const StreamFault& f : kWriteFaults) {
      if (f.needs_deadline && !use_deadline) continue;
      SCOPED_TRACE(std::string(f.rule) + (use_deadline ? ", deadline" : ""));
      int runs = ForEachSingleFault(f.rule, [&](const std::string&) {
        Stream s;
        stream_to_peer(GetParam(), &s);
        if (HasFatalFailure()) return;
        for (const auto& fr : kFrames) {
          ASSERT_OK(ipc::write_frame(s.fd.get(), fr.type,
                                     ipc::as_bytes(fr.payload), kMaxPayload,
                                     deadline_if(use_deadline)));
        }
        s.fd.reset();
        EXPECT_SAME_BYTES(wire, s.peer->finish());
      });
      expect_schedules(runs, 0, 0);
    }
  }
}

// Four times the pipe buffer while the peer writes or reads at the same
// time: many partial transfers, whose number depends on timing.
TEST_P(StreamTest, LargeConcurrentTransferUnderEverySingleFault) {
  const std::string data = pattern(256 * 1024, 5);
  for (const char* rule : {"read:EINTR", "read:short=half", "read:EAGAIN"}) {
    SCOPED_TRACE(rule);
    int runs = ForEachSingleFault(rule, [&](const std::string&) {
      Stream s;
      stream_from_peer(GetParam(), data, /*settle=*/false, &s);
      if (HasFatalFailure()) return;
      std::string got(data.size(), '\0');
      auto n = ipc::read_full(s.fd.get(), AsWritableBytes(got));
      ASSERT_OK(n);
      EXPECT_EQ(*n, data.size());
      EXPECT_SAME_BYTES(data, got);
      s.peer->wait_ok();
    });
    EXPECT_GE(runs, 2);
  }
  for (const char* rule : {"write:EINTR", "write:short=half", "write:EAGAIN"}) {
    SCOPED_TRACE(rule);
    int runs = ForEachSingleFault(rule, [&](const std::string&) {
      Stream s;
      stream_to_peer(GetParam(), &s);
      if (HasFatalFailure()) return;
      ASSERT_OK(ipc::write_full(s.fd.get(), ipc::as_bytes(data)));
      s.fd.reset();
      EXPECT_SAME_BYTES(data, s.peer->finish());
    });
    EXPECT_GE(runs, 2);
  }
  // A deadline write polls once the pipe is full (the peer starts reading only
  // then), and an interrupted poll must lose nothing.
  {
    SCOPED_TRACE("poll:EINTR, deadline");
    int runs = ForEachSingleFault("poll:EINTR", [&](const std::string&) {
      Stream s;
      stream_to_peer(GetParam(), &s, /*when_full=*/true);
      if (HasFatalFailure()) return;
      ASSERT_OK(ipc::write_full(s.fd.get(), ipc::as_bytes(data),
                                ipc::deadline_in(kLongWait)));
      s.fd.reset();
      EXPECT_SAME_BYTES(data, s.peer->finish());
    });
    EXPECT_GE(runs, 2);
  }
}

// A surfaced error after a partial transfer: transferred() counts exactly the
// bytes that moved, and those — no more, no less — reached the other side.
TEST_P(StreamTest, ErrorAfterAPartialTransferAccountsForEveryByte) {
  const std::string data = pattern(10000, 17);
  {
    Stream s;
    stream_to_peer(GetParam(), &s);
    ASSERT_FALSE(HasFatalFailure());
    {
      ScopedFaultPlan faults("write:short=half@1; write:EIO@2");
      auto n = ipc::write_full(s.fd.get(), ipc::as_bytes(data));
      ASSERT_THAT(n, ipc::testing::FailsWith(EIO));
      EXPECT_EQ(n.error().transferred(), data.size() / 2);
    }
    s.fd.reset();
    EXPECT_SAME_BYTES(data.substr(0, data.size() / 2), s.peer->finish());
  }
  {
    Stream s;
    stream_from_peer(GetParam(), data, /*settle=*/true, &s);
    ASSERT_FALSE(HasFatalFailure());
    std::string got(data.size(), '\0');
    {
      ScopedFaultPlan faults("read:short=half@1; read:EIO@2");
      auto n = ipc::read_full(s.fd.get(), AsWritableBytes(got));
      ASSERT_THAT(n, ipc::testing::FailsWith(EIO));
      EXPECT_EQ(n.error().transferred(), data.size() / 2);
    }
    got.resize(data.size() / 2);
    got += raw_read_all(s.fd.get());  // the rest is still in the channel
    EXPECT_SAME_BYTES(data, got);
  }
}

INSTANTIATE_TEST_SUITE_P(Channels, StreamTest,
                         ::testing::Values(Channel::kPipe, Channel::kFifo),
                         [](const auto& info) {
                           return channel_name(info.param);
                         });

// ---- FIFO open -------------------------------------------------------------

struct FifoOpenCase {
  ipc::FifoEnd end;
  bool nonblocking;
  Eintr eintr;
  const char* rule;
  int expected;  // the error open_fifo surfaces (0: absorbed)
};

TEST(FifoOpen, EverySingleFaultSurfacesOrRetriesAndTheRendezvousHolds) {
  using E = ipc::FifoEnd;
  const std::vector<FifoOpenCase> cases = {
      {E::kRead, false, Eintr::kSurface, "open:EINTR", EINTR},
      {E::kRead, false, Eintr::kRetry, "open:EINTR", 0},
      {E::kWrite, false, Eintr::kSurface, "open:EINTR", EINTR},
      {E::kWrite, false, Eintr::kRetry, "open:EINTR", 0},
      {E::kRead, true, Eintr::kSurface, "open:EINTR", EINTR},
      {E::kRead, true, Eintr::kRetry, "open:EINTR", 0},
      {E::kWrite, true, Eintr::kSurface, "open:EINTR", EINTR},
      {E::kWrite, true, Eintr::kRetry, "open:EINTR", 0},
      // O_NONBLOCK opens may fail EAGAIN (a lease): passed on, never retried.
      {E::kRead, true, Eintr::kRetry, "open:EAGAIN", EAGAIN},
      {E::kWrite, true, Eintr::kRetry, "open:EAGAIN", EAGAIN},
  };
  const std::string data = pattern(5000, 6);
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.end == E::kRead ? "read end" : "write end") +
                 (c.nonblocking ? ", nonblocking, " : ", blocking, ") + c.rule +
                 (c.eintr == Eintr::kSurface ? ", kSurface" : ", kRetry"));
    int surfaced = 0;
    int runs = ForEachSingleFault(c.rule, [&](const std::string&) {
      TempDir dir;
      std::string path = dir.file("fifo");
      ASSERT_OK(ipc::make_fifo(path));
      auto open_mine = [&]() -> ipc::Fd {
        for (int attempt = 0; attempt < 10; ++attempt) {
          auto fd = ipc::open_fifo(
              path, c.end, {.nonblocking = c.nonblocking, .eintr = c.eintr});
          if (fd) return std::move(fd).value();
          EXPECT_SURFACED(fd.error(), c.expected);
          if (fd.error().code() != c.expected) return ipc::Fd();
          if (c.expected == EINTR) {
            EXPECT_THAT(fd.error().message(), HasSubstr("interrupted"));
          }
          ++surfaced;
        }
        return ipc::Fd();
      };
      if (c.end == E::kRead) {
        // The peer opens the write end (blocking: it waits for our reader),
        // writes, closes and exits; then we read.
        Peer peer({}, [&](Peer::Io) {
          int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
          return fd >= 0 && raw_write_all(fd, data) ? 0 : 1;
        });
        ipc::Fd mine = open_mine();
        ASSERT_TRUE(mine.valid());
        peer.wait_ok();
        std::string got(data.size() + 1, '\0');
        auto n = ipc::read_full(mine.get(), AsWritableBytes(got));
        ASSERT_OK(n);
        got.resize(*n);
        EXPECT_SAME_BYTES(data, got);
      } else {
        // The peer opens the read end first (non-blocking so that it cannot
        // wait for us), says so, and reads everything once we are done.
        Peer peer({}, [&](Peer::Io io) {
          int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
          if (fd < 0 || !Peer::reply(io, "ready")) return 1;
          while (Peer::next_cmd(io) >= 0) {
          }
          if (::fcntl(fd, F_SETFL, 0) != 0) return 2;
          return raw_write_all(io.report, raw_read_all(fd)) ? 0 : 3;
        });
        EXPECT_EQ(peer.receive(), "ready");
        ipc::Fd mine;
        mine = open_mine();
        ASSERT_TRUE(mine.valid());
        ASSERT_OK(ipc::write_full(mine.get(), ipc::as_bytes(data)));
        mine.reset();
        EXPECT_SAME_BYTES(data, peer.finish());
      }
    });
    expect_schedules(runs, surfaced, c.expected);
  }
}

// ---- System V message queues -----------------------------------------------

// Removes a queue with raw libc whatever the faults did.
struct RawQueueGuard {
  int id;
  ~RawQueueGuard() { (void)::msgctl(id, IPC_RMID, nullptr); }
};

struct TestMessage {
  long type;
  std::string data;
  bool operator==(const TestMessage&) const = default;
};

std::string describe(const std::vector<TestMessage>& ms) {
  std::string s;
  for (const auto& m : ms)
    s += std::to_string(m.type) + ":" + std::to_string(m.data.size()) + " ";
  return s;
}

// Total under the default msgmnb (16384): sends never block.
const std::vector<TestMessage> kMessages = {
    {1, "a"},  {2, pattern(300, 8)}, {3, "ccc"}, {1, pattern(2000, 9)}, {4, ""},
    {2, "bb"}, {5, pattern(50, 10)},
};

// Peer side: drains the queue without waiting and reports type, length, bytes.
int drain_queue_to(int qid, int report) {
  std::vector<long> buf(1 + 8192 / sizeof(long));
  std::string out;
  for (;;) {
    ssize_t n = ::msgrcv(qid, buf.data(), 8192, 0, IPC_NOWAIT);
    if (n < 0) return errno == ENOMSG && raw_write_all(report, out) ? 0 : 1;
    std::uint32_t len = static_cast<std::uint32_t>(n);
    out.append(reinterpret_cast<const char*>(&buf[0]), sizeof(long));
    out.append(reinterpret_cast<const char*>(&len), sizeof len);
    out.append(reinterpret_cast<const char*>(&buf[1]), len);
  }
}

std::vector<TestMessage> parse_messages(const std::string& report) {
  std::vector<TestMessage> ms;
  std::size_t at = 0;
  while (at + sizeof(long) + 4 <= report.size()) {
    long type;
    std::uint32_t len;
    std::memcpy(&type, report.data() + at, sizeof type);
    std::memcpy(&len, report.data() + at + sizeof type, sizeof len);
    at += sizeof type + sizeof len;
    ms.push_back({type, report.substr(at, len)});
    at += len;
  }
  return ms;
}

bool raw_send(int qid, const TestMessage& m) {
  std::vector<long> buf(2 + m.data.size() / sizeof(long));
  buf[0] = m.type;
  std::memcpy(&buf[1], m.data.data(), m.data.size());
  return ::msgsnd(qid, buf.data(), m.data.size(), 0) == 0;
}

// Retries `op` (returning a Result or Status) while it fails with `expected`,
// as a caller would after a surfaced error; `after_failure` checks that the
// failure changed nothing. Any other error is a test failure.
template <typename Op, typename Check>
auto retry_surfaced(Op op, int expected, int* surfaced, Check after_failure) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto r = op();
    if (r || r.error().code() != expected || expected == 0) {
      if (!r) ADD_FAILURE() << "unexpected error: " << r.error().message();
      return r;
    }
    ++*surfaced;
    after_failure();
  }
  return op();
}
template <typename Op>
auto retry_surfaced(Op op, int expected, int* surfaced) {
  return retry_surfaced(op, expected, surfaced, [] {});
}

// Sends kMessages; a surfaced error means nothing was queued, so the message
// is sent again. The peer then drains the queue: exactly kMessages, in order.
void send_all_messages(bool nowait, Eintr eintr, int expected, int* surfaced) {
  auto q = ipc::MessageQueue::create_private();
  ASSERT_OK(q);
  RawQueueGuard guard{q->id()};
  int qid = q->id();
  Peer peer({}, [&](Peer::Io io) {
    while (Peer::next_cmd(io) >= 0) {
    }
    return drain_queue_to(qid, io.report);
  });
  for (const auto& m : kMessages) {
    auto s = retry_surfaced(
        [&] {
          return q->send(m.type, ipc::as_bytes(m.data),
                         {.nowait = nowait, .eintr = eintr});
        },
        expected, surfaced);
    EXPECT_OK(s);
  }
  auto got = parse_messages(peer.finish());
  EXPECT_EQ(got, kMessages) << describe(got);
}

struct SendCase {
  bool nowait;
  Eintr eintr;
  const char* rule;
  int expected;
};

TEST(MessageQueueSend, NoMessageLostOrDuplicatedUnderEverySingleFault) {
  const std::vector<SendCase> cases = {
      {false, Eintr::kRetry, "msgsnd:EINTR", 0},
      {false, Eintr::kSurface, "msgsnd:EINTR", EINTR},
      {true, Eintr::kRetry, "msgsnd:EINTR", 0},
      {true, Eintr::kSurface, "msgsnd:EINTR", EINTR},
      {true, Eintr::kRetry, "msgsnd:EAGAIN", EAGAIN},  // "queue full"
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.rule) + (c.nowait ? ", nowait" : "") +
                 (c.eintr == Eintr::kSurface ? ", kSurface" : ", kRetry"));
    int surfaced = 0;
    int runs = ForEachSingleFault(c.rule, [&](const std::string&) {
      send_all_messages(c.nowait, c.eintr, c.expected, &surfaced);
    });
    expect_schedules(runs, surfaced, c.expected);
  }
}

TEST(MessageQueueSend, QueueFullErrorSaysSo) {
  ScopedFaultPlan faults("msgsnd:EAGAIN@1");
  auto q = ipc::MessageQueue::create_private();
  ASSERT_OK(q);
  RawQueueGuard guard{q->id()};
  auto s = q->send(1, ipc::as_bytes("x"), {.nowait = true});
  ASSERT_THAT(s, ipc::testing::FailsWith(EAGAIN));
  EXPECT_THAT(s.error().message(), HasSubstr("queue full"));
}

// The kernel's choice for msgrcv, as a model: which queued message a receive
// takes, and what it returns.
struct ReceiveStep {
  long msgtyp;
  std::size_t capacity;
  bool nowait, except, truncate;
};

struct ModelResult {
  int error = 0;  // E2BIG, ENOMSG; -1: the call would block
  TestMessage message;
};

ModelResult model_receive(std::vector<TestMessage>& queue,
                          const ReceiveStep& s) {
  auto match = queue.end();
  if (s.msgtyp == 0) {
    match = queue.begin();
  } else if (s.msgtyp > 0) {
    for (auto it = queue.begin(); it != queue.end(); ++it) {
      if ((it->type == s.msgtyp) != s.except) {
        match = it;
        break;
      }
    }
  } else {
    for (auto it = queue.begin(); it != queue.end(); ++it) {
      if (it->type <= -s.msgtyp &&
          (match == queue.end() || it->type < match->type))
        match = it;
    }
  }
  if (match == queue.end()) return {s.nowait ? ENOMSG : -1, {}};
  if (match->data.size() > s.capacity && !s.truncate) return {E2BIG, {}};
  TestMessage m = *match;
  m.data.resize(std::min(m.data.size(), s.capacity));
  queue.erase(match);
  return {0, m};
}

// Each option and error of receive: by type, except, truncate, E2BIG (the
// message stays queued), negative msgtyp, ENOMSG with nowait, an empty message.
const std::vector<ReceiveStep> kReceiveScript = {
    {2, 8192, false, false, false}, {1, 8192, false, true, false},
    {0, 100, false, false, false},  {1, 100, false, false, false},
    {1, 100, false, false, true},   {-3, 8192, false, false, false},
    {3, 8192, true, false, false},  {0, 8192, false, false, false},
    {-10, 10, false, false, true},  {0, 8192, true, false, false},
};

// The peer queues kMessages and exits; the script's receives must agree with
// the model step by step, and leave the queue empty.
void receive_script(Eintr eintr, int expected, int* surfaced) {
  auto q = ipc::MessageQueue::create_private();
  ASSERT_OK(q);
  RawQueueGuard guard{q->id()};
  int qid = q->id();
  Peer peer({}, [&](Peer::Io) {
    for (const auto& m : kMessages) {
      if (!raw_send(qid, m)) return 1;
    }
    return 0;
  });
  peer.wait_ok();
  std::vector<TestMessage> model = kMessages;
  for (std::size_t i = 0; i < kReceiveScript.size(); ++i) {
    const ReceiveStep& st = kReceiveScript[i];
    SCOPED_TRACE("script step " + std::to_string(i));
    ModelResult want = model_receive(model, st);
    ASSERT_NE(want.error, -1) << "the script would block";
    ipc::ReceiveOptions opts{.nowait = st.nowait,
                             .except = st.except,
                             .truncate = st.truncate,
                             .eintr = eintr};
    ipc::MessageBuffer buffer(st.capacity);
    // Both overloads, alternately.
    auto once = [&]() -> ipc::Result<ipc::Message> {
      if (i % 2 == 0) return q->receive(st.msgtyp, st.capacity, opts);
      auto v = q->receive(st.msgtyp, buffer, opts);
      if (!v) return std::move(v).error();
      return ipc::Message{v->type, {v->data.begin(), v->data.end()}};
    };
    ipc::Result<ipc::Message> got = once();
    for (int attempt = 0; attempt < 50 && !got && expected != 0 &&
                          got.error().code() == expected;
         ++attempt) {
      ++*surfaced;  // nothing was taken: receive again
      got = once();
    }
    if (want.error != 0) {
      ASSERT_FALSE(got.ok()) << "received type " << got->type;
      EXPECT_EQ(got.error().code(), want.error) << got.error().message();
      continue;
    }
    ASSERT_OK(got);
    EXPECT_EQ(got->type, want.message.type);
    EXPECT_SAME_BYTES(want.message.data, AsString(got->data));
  }
  EXPECT_TRUE(model.empty()) << describe(model);
  struct msqid_ds ds {};
  ASSERT_EQ(::msgctl(qid, IPC_STAT, &ds), 0);
  EXPECT_EQ(ds.msg_qnum, 0u) << "a message was left behind";
}

TEST(MessageQueueReceive, EveryOptionAgreesWithTheModelUnderEverySingleFault) {
  for (Eintr eintr : {Eintr::kRetry, Eintr::kSurface}) {
    int expected = eintr == Eintr::kSurface ? EINTR : 0;
    SCOPED_TRACE(eintr == Eintr::kSurface ? "kSurface" : "kRetry");
    int surfaced = 0;
    int runs = ForEachSingleFault("msgrcv:EINTR", [&](const std::string&) {
      receive_script(eintr, expected, &surfaced);
    });
    expect_schedules(runs, surfaced, expected);
  }
}

// msgget and msgctl cannot be interrupted by the kernel; an error from them
// must still be passed on unchanged and leave the queue as it was.
TEST(MessageQueueControl,
     CreateStatSetQbytesRemoveSurfaceTheErrorAndChangeNothing) {
  for (const char* rule : {"msgget|msgctl:EINTR", "msgget|msgctl:EAGAIN"}) {
    const int expected = std::string(rule).ends_with("EINTR") ? EINTR : EAGAIN;
    SCOPED_TRACE(rule);
    int surfaced = 0;
    int runs = ForEachSingleFault(rule, [&](const std::string&) {
      auto q =
          retry_surfaced([] { return ipc::MessageQueue::create_private(); },
                         expected, &surfaced);
      ASSERT_OK(q);
      RawQueueGuard guard{q->id()};
      int qid = q->id();
      // The peer looks at the queue from outside: its qbytes, or "gone".
      Peer peer({}, [&](Peer::Io io) {
        while (Peer::next_cmd(io) >= 0) {
          struct msqid_ds ds {};
          std::string r = ::msgctl(qid, IPC_STAT, &ds) == 0
                              ? std::to_string(ds.msg_qbytes)
                              : "gone";
          if (!Peer::reply(io, r)) return 1;
        }
        return 0;
      });
      const std::string initial = peer.ask('?');
      ASSERT_NE(initial, "gone");
      auto unchanged = [&](const std::string& want) {
        return [&peer, want] {
          EXPECT_EQ(peer.ask('?'), want) << "a failed call changed the queue";
        };
      };
      auto st = retry_surfaced([&] { return q->stat(); }, expected, &surfaced,
                               unchanged(initial));
      ASSERT_OK(st);
      EXPECT_EQ(std::to_string(st->qbytes), initial);
      EXPECT_EQ(st->qnum, 0u);
      ASSERT_OK(retry_surfaced([&] { return q->set_qbytes(4096); }, expected,
                               &surfaced, unchanged(initial)));
      EXPECT_EQ(peer.ask('?'), "4096");
      ASSERT_OK(retry_surfaced([&] { return q->remove(); }, expected, &surfaced,
                               unchanged("4096")));
      EXPECT_EQ(peer.ask('?'), "gone");
      peer.finish();
    });
    expect_schedules(runs, surfaced, expected);
  }
}

// ---- System V shared memory ------------------------------------------------

struct RawShmGuard {
  int id = -1;
  ~RawShmGuard() {
    if (id >= 0) (void)::shmctl(id, IPC_RMID, nullptr);
  }
};

// Attachments of a segment as the kernel counts them; -1 once it is gone.
long raw_nattch(int id) {
  struct shmid_ds ds {};
  return ::shmctl(id, IPC_STAT, &ds) == 0 ? static_cast<long>(ds.shm_nattch)
                                          : -1;
}

// shmget/shmat/shmctl cannot fail with EINTR or EAGAIN on Linux; injected,
// the error must be passed on, and a failed attach must leave no attachment.
TEST(SysvShm, CreateAttachReadWriteStatRemoveUnderEverySingleFault) {
  const std::string a = pattern(4096, 11), b = pattern(4096, 12);
  for (const char* rule :
       {"shmget|shmat|shmctl:EINTR", "shmget|shmat|shmctl:EAGAIN"}) {
    const int expected = std::string(rule).ends_with("EINTR") ? EINTR : EAGAIN;
    SCOPED_TRACE(rule);
    int surfaced = 0;
    int runs = ForEachSingleFault(rule, [&](const std::string&) {
      auto seg =
          retry_surfaced([] { return ipc::ShmSegment::create_private(8192); },
                         expected, &surfaced);
      ASSERT_OK(seg);
      RawShmGuard guard{seg->id()};
      int id = seg->id();
      // The peer attaches, writes `a` into the first half and says so; on
      // command it reports the second half, which we write.
      Peer peer({}, [&](Peer::Io io) {
        void* p = ::shmat(id, nullptr, 0);
        if (p == reinterpret_cast<void*>(-1)) return 1;
        std::memcpy(p, a.data(), a.size());
        if (!Peer::reply(io, "written")) return 2;
        while (Peer::next_cmd(io) >= 0) {
          if (!Peer::reply(io, std::string(static_cast<char*>(p) + 4096, 4096)))
            return 3;
        }
        return 0;
      });
      ASSERT_EQ(peer.receive(), "written");
      auto at = retry_surfaced(
          [&] { return ipc::ShmAttachment::attach(*seg); }, expected, &surfaced,
          [&] {
            EXPECT_EQ(raw_nattch(id), 1) << "a failed attach stayed attached";
          });
      ASSERT_OK(at);
      EXPECT_EQ(at->size(), 8192u);
      std::string first(4096, '\0');
      ASSERT_OK(at->read(0, AsWritableBytes(first)));
      EXPECT_SAME_BYTES(a, first);
      ASSERT_OK(at->write(4096, ipc::as_bytes(b)));
      EXPECT_SAME_BYTES(b, peer.ask('?'));
      auto st =
          retry_surfaced([&] { return seg->stat(); }, expected, &surfaced);
      ASSERT_OK(st);
      EXPECT_EQ(st->nattch, 2u);
      EXPECT_EQ(st->size, 8192u);
      peer.finish();
      ASSERT_OK(at->detach());  // shmdt is never faulted here
      ASSERT_OK(retry_surfaced(
          [&] { return seg->remove(); }, expected, &surfaced,
          [&] { EXPECT_EQ(raw_nattch(id), 0) << "a failed remove removed"; }));
      EXPECT_EQ(raw_nattch(id), -1);
    });
    expect_schedules(runs, surfaced, expected);
  }
}

// ---- POSIX shared memory ---------------------------------------------------

struct RawShmNameGuard {
  std::string name;
  ~RawShmNameGuard() { (void)::shm_unlink(name.c_str()); }
};

// Writes `data` at `offset` with write_at, resuming after a surfaced error
// from what its transferred() says was written.
void write_at_resuming(ipc::PosixShm& shm, std::size_t offset,
                       const std::string& data, int expected, int* surfaced) {
  auto all = ipc::as_bytes(data);
  std::size_t done = 0;
  for (int attempt = 0; attempt < 100 && done < data.size(); ++attempt) {
    auto n = shm.write_at(offset + done, all.subspan(done));
    if (n) {
      EXPECT_EQ(*n, data.size() - done);
      done = data.size();
      break;
    }
    EXPECT_SURFACED(n.error(), expected);
    if (n.error().code() != expected) return;
    EXPECT_LT(n.error().transferred(), data.size() - done);
    done += n.error().transferred();
    ++*surfaced;
  }
  EXPECT_EQ(done, data.size());
}

// Reads `len` bytes at `offset` with read_at the same way; short only at the
// end.
std::string read_at_resuming(const ipc::PosixShm& shm, std::size_t offset,
                             std::size_t len, int expected, int* surfaced) {
  std::string got(len, '\0');
  auto all = AsWritableBytes(got);
  std::size_t done = 0;
  for (int attempt = 0; attempt < 100 && done < len; ++attempt) {
    auto n = shm.read_at(offset + done, all.subspan(done));
    if (n) {
      done += *n;
      break;
    }
    EXPECT_SURFACED(n.error(), expected);
    if (n.error().code() != expected) break;
    EXPECT_LT(n.error().transferred(), len - done);
    done += n.error().transferred();
    ++*surfaced;
  }
  got.resize(done);
  return got;
}

constexpr std::size_t kShmSize = 16384;

void posix_shm_round_trip(int expected, int* surfaced) {
  const std::string a = pattern(5000, 13), b = pattern(6000, 14),
                    c = pattern(3000, 15);
  const std::string name = "/" + ipc::testing::UniqueName("robust");
  RawShmNameGuard guard{name};
  auto shm = retry_surfaced([&] { return ipc::PosixShm::open(name); }, expected,
                            surfaced);
  ASSERT_OK(shm);
  ASSERT_OK(retry_surfaced([&] { return shm->truncate(kShmSize); }, expected,
                           surfaced));
  // The peer opens the object by name and reads or writes on command.
  Peer peer({}, [&](Peer::Io io) {
    int fd = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) return 1;
    auto region = [fd](off_t off, std::size_t len) {
      std::string s(len, '\0');
      return ::pread(fd, s.data(), len, off) == static_cast<ssize_t>(len)
                 ? s
                 : "<pread failed>";
    };
    for (int cmd; (cmd = Peer::next_cmd(io)) >= 0;) {
      std::string r;
      if (cmd == 'a') r = region(100, a.size());
      if (cmd == 'b')
        r = ::pwrite(fd, b.data(), b.size(), 9000) == 6000 ? "ok"
                                                           : "<pwrite failed>";
      if (cmd == 'c') r = region(5200, c.size());
      if (!Peer::reply(io, r)) return 2;
    }
    return 0;
  });
  write_at_resuming(*shm, 100, a, expected, surfaced);
  EXPECT_SAME_BYTES(a, peer.ask('a'));
  ASSERT_EQ(peer.ask('b'), "ok");
  EXPECT_SAME_BYTES(b,
                    read_at_resuming(*shm, 9000, b.size(), expected, surfaced));
  // Past the end: short, never more.
  EXPECT_SAME_BYTES(std::string(384, '\0'),
                    read_at_resuming(*shm, 16000, 1000, expected, surfaced));

  auto m = retry_surfaced(
      [&] { return ipc::SharedMapping::map(*shm, 0, kShmSize, true); },
      expected, surfaced);
  ASSERT_OK(m);
  std::string out(a.size(), '#');
  ASSERT_OK(retry_surfaced(
      [&] { return m->read(*shm, 100, AsWritableBytes(out)); }, expected,
      surfaced,
      [&] {
        EXPECT_EQ(out, std::string(a.size(), '#')) << "failed read copied";
      }));
  EXPECT_SAME_BYTES(a, out);
  ASSERT_OK(retry_surfaced(
      [&] { return m->write(*shm, 5200, ipc::as_bytes(c)); }, expected,
      surfaced,
      [&] { EXPECT_SAME_BYTES(std::string(c.size(), '\0'), peer.ask('c')); }));
  EXPECT_SAME_BYTES(c, peer.ask('c'));
  peer.finish();
}

TEST(PosixShm, ErrorAfterAPartialTransferAccountsForEveryByte) {
  const std::string data = pattern(6000, 18);
  const std::string name = "/" + ipc::testing::UniqueName("robust-acct");
  RawShmNameGuard guard{name};
  auto shm = ipc::PosixShm::open(name);
  ASSERT_OK(shm);
  ASSERT_OK(shm->truncate(kShmSize));
  {
    ScopedFaultPlan faults("pwrite:short=half@1; pwrite:EAGAIN@2");
    auto n = shm->write_at(1000, ipc::as_bytes(data));
    ASSERT_THAT(n, ipc::testing::FailsWith(EAGAIN));
    EXPECT_EQ(n.error().transferred(), data.size() / 2);
  }
  // Seen from another process: exactly the first half, the rest still zero.
  Peer peer({}, [&](Peer::Io io) {
    int fd = ::shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
    std::string s(data.size(), '\0');
    if (fd < 0 ||
        ::pread(fd, s.data(), s.size(), 1000) != static_cast<ssize_t>(s.size()))
      return 1;
    return raw_write_all(io.report, s) ? 0 : 2;
  });
  EXPECT_SAME_BYTES(
      data.substr(0, data.size() / 2) + std::string(data.size() / 2, '\0'),
      peer.finish());
  ASSERT_OK(shm->write_at(1000, ipc::as_bytes(data)));
  std::string got(data.size(), '#');
  {
    ScopedFaultPlan faults("pread:short=half@1; pread:EAGAIN@2");
    auto n = shm->read_at(1000, AsWritableBytes(got));
    ASSERT_THAT(n, ipc::testing::FailsWith(EAGAIN));
    EXPECT_EQ(n.error().transferred(), data.size() / 2);
  }
  EXPECT_SAME_BYTES(data.substr(0, data.size() / 2),
                    got.substr(0, data.size() / 2));
}

TEST(PosixShm, OpenTruncateReadWriteMapUnderEverySingleFault) {
  struct Case {
    const char* rule;
    int expected;
  };
  for (const Case& c : {
           Case{"pread|pwrite:EINTR", 0},
           Case{"pread|pwrite:short=1", 0},
           Case{"pread|pwrite:short=half", 0},
           // pread/pwrite on tmpfs cannot return EAGAIN; injected, it is
           // surfaced with the bytes already moved in transferred().
           Case{"pread|pwrite:EAGAIN", EAGAIN},
           // Passed on unchanged; nothing copied by a failed mapping access.
           Case{"shm_open|ftruncate|fstat|mmap:EINTR", EINTR},
           Case{"shm_open|ftruncate|fstat|mmap:EAGAIN", EAGAIN},
       }) {
    SCOPED_TRACE(c.rule);
    int surfaced = 0;
    int runs = ForEachSingleFault(c.rule, [&](const std::string&) {
      posix_shm_round_trip(c.expected, &surfaced);
    });
    expect_schedules(runs, surfaced, c.expected);
  }
}

// ---- signals ---------------------------------------------------------------

// Peer side: queues `count` instances of `sig` with values 0..count-1 at one
// thread of the parent (rt_tgsigqueueinfo), in order.
int queue_signals(pid_t pid, pid_t tid, int sig, int count) {
  for (int i = 0; i < count; ++i) {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = SI_QUEUE;
    info.si_pid = ::getpid();
    info.si_uid = ::getuid();
    info.si_value.sival_int = i;
    if (::syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, &info) != 0) return 1;
  }
  return 0;
}

constexpr int kSignals = 5;

// Nothing of `set` is left pending (raw sigtimedwait, zero timeout).
void expect_none_pending(const sigset_t& set) {
  struct timespec zero = {};
  siginfo_t info;
  EXPECT_EQ(::sigtimedwait(&set, &info, &zero), -1)
      << "a signal was left pending (duplicate?)";
}

TEST(Signals, WaitSignalTakesEveryQueuedSignalOnceInOrder) {
  const int sig = SIGRTMIN + 1;
  const sigset_t set = ipc::make_sigset({sig});
  auto mask = ipc::ScopedSignalMask::block(set);
  ASSERT_OK(mask);
  struct Case {
    const char* rule;
    Eintr eintr;
    bool timeout;
    int expected;
  };
  for (const Case& c : {
           Case{"sigtimedwait:EINTR", Eintr::kRetry, false, 0},
           Case{"sigtimedwait:EINTR", Eintr::kRetry, true, 0},
           Case{"sigtimedwait:EINTR", Eintr::kSurface, false, EINTR},
           Case{"sigtimedwait:EINTR", Eintr::kSurface, true, EINTR},
           // EAGAIN is sigtimedwait's timeout: reported as "timed out".
           Case{"sigtimedwait:EAGAIN", Eintr::kRetry, true, EAGAIN},
       }) {
    SCOPED_TRACE(std::string(c.rule) +
                 (c.eintr == Eintr::kSurface ? ", kSurface" : ", kRetry") +
                 (c.timeout ? ", timeout" : ""));
    int surfaced = 0;
    int runs = ForEachSingleFault(c.rule, [&](const std::string&) {
      pid_t self = ::getpid(), tid = static_cast<pid_t>(::syscall(SYS_gettid));
      Peer peer({}, [&](Peer::Io) {
        return queue_signals(self, tid, sig, kSignals);
      });
      peer.wait_ok();
      std::optional<std::chrono::nanoseconds> timeout;
      if (c.timeout) timeout = kLongWait;
      for (int i = 0; i < kSignals; ++i) {
        auto info = retry_surfaced(
            [&] { return ipc::wait_signal(set, timeout, c.eintr); }, c.expected,
            &surfaced);
        ASSERT_OK(info);
        EXPECT_EQ(info->si_signo, sig);
        EXPECT_EQ(info->si_code, SI_QUEUE);
        EXPECT_EQ(info->si_pid, peer.pid());
        EXPECT_EQ(info->si_value.sival_int, i)
            << "lost, duplicated or reordered";
      }
      expect_none_pending(set);
    });
    expect_schedules(runs, surfaced, c.expected);
  }
}

TEST(Signals, WaitSignalTimeoutErrorSaysSo) {
  const int sig = SIGRTMIN + 1;
  const sigset_t set = ipc::make_sigset({sig});
  auto mask = ipc::ScopedSignalMask::block(set);
  ASSERT_OK(mask);
  ScopedFaultPlan faults("sigtimedwait:EAGAIN@1");
  auto info = ipc::wait_signal(set, std::chrono::milliseconds(250));
  ASSERT_THAT(info, ipc::testing::FailsWith(EAGAIN));
  EXPECT_THAT(info.error().message(), HasSubstr("timed out after 250 ms"));
}

TEST(Signals, SignalFdReadTakesEveryQueuedSignalOnceInOrder) {
  const int sig = SIGRTMIN + 2;
  const sigset_t set = ipc::make_sigset({sig});
  auto mask = ipc::ScopedSignalMask::block(set);
  ASSERT_OK(mask);
  struct Case {
    const char* rule;
    bool deadline;
    int expected;
  };
  for (const Case& c : {
           Case{"read:EINTR", false, 0},
           Case{"read:EINTR", true, 0},
           Case{"poll:EINTR", true, 0},
           // Without a deadline EAGAIN is passed on (the non-blocking answer);
           // with one, it is waited out.
           Case{"read:EAGAIN", false, EAGAIN},
           Case{"read:EAGAIN", true, 0},
           // A signalfd read is all-or-nothing: the kernel refuses a count
           // smaller than one record with EINVAL and dequeues nothing.
           Case{"read:short=1", false, EINVAL},
           Case{"read:short=half", true, EINVAL},
       }) {
    SCOPED_TRACE(std::string(c.rule) + (c.deadline ? ", deadline" : ""));
    int surfaced = 0;
    int runs = ForEachSingleFault(c.rule, [&](const std::string&) {
      auto sfd = ipc::SignalFd::create(set);
      ASSERT_OK(sfd);
      pid_t self = ::getpid(), tid = static_cast<pid_t>(::syscall(SYS_gettid));
      Peer peer({}, [&](Peer::Io) {
        return queue_signals(self, tid, sig, kSignals);
      });
      peer.wait_ok();
      for (int i = 0; i < kSignals; ++i) {
        auto info =
            retry_surfaced([&] { return sfd->read(deadline_if(c.deadline)); },
                           c.expected, &surfaced);
        ASSERT_OK(info);
        EXPECT_EQ(static_cast<int>(info->ssi_signo), sig);
        EXPECT_EQ(static_cast<pid_t>(info->ssi_pid), peer.pid());
        EXPECT_EQ(info->ssi_int, i) << "lost, duplicated or reordered";
      }
      expect_none_pending(set);
    });
    expect_schedules(runs, surfaced, c.expected);
  }
}

constexpr int kNotifications = 5;

TEST(Notifier, WaitAndDrainCountEveryNotificationOnce) {
  struct Case {
    const char* rule;
    bool use_wait;
    bool deadline;
    int expected;
  };
  for (const Case& c : {
           Case{"read:EINTR", true, false, 0},
           Case{"read:EINTR", false, false, 0},
           Case{"read:EAGAIN", true, true,
                0},  // wait(): polled, then read again
           Case{"read:EAGAIN", false, false,
                0},  // drain(): 0 now, the count stays
           // An eventfd read needs 8 bytes: EINVAL, the counter is untouched.
           Case{"read:short=1", true, false, EINVAL},
           Case{"read:short=half", false, false, EINVAL},
       }) {
    SCOPED_TRACE(std::string(c.rule) + (c.use_wait ? ", wait" : ", drain") +
                 (c.deadline ? ", deadline" : ""));
    int surfaced = 0;
    int runs = ForEachSingleFault(c.rule, [&](const std::string&) {
      auto n = ipc::Notifier::create();
      ASSERT_OK(n);
      int efd = n->fd();
      Peer peer({}, [&](Peer::Io) {
        for (int i = 0; i < kNotifications; ++i) {
          std::uint64_t one = 1;
          if (::write(efd, &one, sizeof one) != sizeof one) return 1;
        }
        return 0;
      });
      peer.wait_ok();
      std::uint64_t total = 0;
      for (int round = 0; round < 10 && total < kNotifications; ++round) {
        auto got = retry_surfaced(
            [&] {
              return c.use_wait ? n->wait(deadline_if(c.deadline)) : n->drain();
            },
            c.expected, &surfaced);
        ASSERT_OK(got);
        total += *got;
      }
      EXPECT_EQ(total, static_cast<std::uint64_t>(kNotifications));
      std::uint64_t rest = 0;
      EXPECT_EQ(::read(efd, &rest, sizeof rest), -1) << "left over: " << rest;
    });
    expect_schedules(runs, surfaced, c.expected);
  }
}

// wait() with nothing notified yet polls; the peer notifies once this thread
// sleeps in poll(2) (fault::wait_until_blocked), so every poll and read of
// the wait is a schedule.
TEST(Notifier, BlockedWaitCountsEveryNotificationOnce) {
  for (const char* rule : {"poll:EINTR", "read:EINTR", "read:EAGAIN"}) {
    for (bool use_deadline : {false, true}) {
      SCOPED_TRACE(std::string(rule) + (use_deadline ? ", deadline" : ""));
      int runs = ForEachSingleFault(rule, [&](const std::string&) {
        auto n = ipc::Notifier::create();
        ASSERT_OK(n);
        int efd = n->fd();
        pid_t self = ::getpid(),
              tid = static_cast<pid_t>(::syscall(SYS_gettid));
        Peer peer({}, [&](Peer::Io) {
          if (!fault::wait_until_blocked(self, tid, fault::kSysPoll,
                                         ipc::deadline_in(kLongWait)))
            return 1;
          std::uint64_t three = 3;
          return ::write(efd, &three, sizeof three) == sizeof three ? 0 : 2;
        });
        auto got = n->wait(deadline_if(use_deadline));
        ASSERT_OK(got);
        EXPECT_EQ(*got, 3u);
        peer.wait_ok();
        std::uint64_t rest = 0;
        EXPECT_EQ(::read(efd, &rest, sizeof rest), -1) << "left over: " << rest;
      });
      EXPECT_GE(runs, 2);
    }
  }
}

// notify() ignores failures by contract (the only real one is a full counter).
// Under an injected failure of its write(2) exactly that notification is
// missing — never more, never a duplicate — and errno is left alone.
TEST(Notifier, NotifyLosesAtMostTheFaultedNotification) {
  for (const char* rule :
       {"write:EINTR", "write:EAGAIN", "write:short=1", "write:short=half"}) {
    SCOPED_TRACE(rule);
    int runs = ForEachSingleFault(rule, [&](const std::string& plan) {
      auto n = ipc::Notifier::create();
      ASSERT_OK(n);
      int efd = n->fd();
      Peer peer({}, [&](Peer::Io io) {
        if (Peer::next_cmd(io) < 0) return 1;
        std::uint64_t count = 0;
        if (::read(efd, &count, sizeof count) < 0 && errno != EAGAIN) return 2;
        return Peer::reply(io, std::to_string(count)) ? 0 : 3;
      });
      for (int i = 0; i < kNotifications; ++i) {
        errno = 12345;
        n->notify();
        EXPECT_EQ(errno, 12345);
      }
      const bool faulted =
          schedule_of(plan) <= static_cast<std::uint64_t>(kNotifications);
      EXPECT_EQ(peer.ask('?'),
                std::to_string(kNotifications - (faulted ? 1 : 0)));
      peer.finish();
    });
    EXPECT_EQ(runs, kNotifications + 1);
  }
}

// ---- randomised: several faults per run, from fixed seeds ------------------

// Each seed is part of the plan text, which every failure message carries
// (SCOPED_TRACE): rerun with that plan to replay the exact schedule.
const std::vector<std::uint64_t> kSeeds = {1,    2,     3,       42,
                                           1234, 99991, 2718281, 31415926};

// Runs `body` under `plan`; on a new failure, prints the injected faults.
void run_seeded(const std::string& plan, const std::function<void()>& body) {
  SCOPED_TRACE("plan: " + plan);
  const bool failed_before = ::testing::Test::HasFailure();
  ScopedFaultPlan faults(plan);
  body();
  EXPECT_TRUE(faults.reached());
  if (!failed_before && ::testing::Test::HasFailure()) {
    ADD_FAILURE() << "replay with plan \"" << plan << "\"; faults injected:\n"
                  << faults.format_log();
  }
}

TEST_P(StreamTest, RandomisedFaultsLoseNothing) {
  const std::string data = pattern(128 * 1024, 16);
  const std::string wire = encoded_frames();
  for (std::uint64_t seed : kSeeds) {
    const std::string plan =
        "read|write|poll:EINTR@p=0.3; read|write:short=random@p=0.3; "
        "read|write:EAGAIN@p=0.3; seed=" +
        std::to_string(seed);
    run_seeded(plan, [&] {
      {
        Stream s;
        stream_from_peer(GetParam(), data, /*settle=*/false, &s);
        ASSERT_FALSE(HasFatalFailure());
        std::string got(data.size(), '\0');
        auto n = ipc::read_full(s.fd.get(), AsWritableBytes(got),
                                deadline_if(seed % 2 == 0));
        ASSERT_OK(n);
        EXPECT_SAME_BYTES(data, got);
        s.peer->wait_ok();
      }
      {
        Stream s;
        stream_to_peer(GetParam(), &s);
        ASSERT_FALSE(HasFatalFailure());
        ASSERT_OK(ipc::write_full(s.fd.get(), ipc::as_bytes(data),
                                  deadline_if(seed % 2 == 1)));
        for (const auto& fr : kFrames) {
          ASSERT_OK(ipc::write_frame(s.fd.get(), fr.type,
                                     ipc::as_bytes(fr.payload), kMaxPayload));
        }
        s.fd.reset();
        EXPECT_SAME_BYTES(data + wire, s.peer->finish());
      }
      {
        Stream s;
        stream_from_peer(GetParam(), wire, /*settle=*/false, &s);
        ASSERT_FALSE(HasFatalFailure());
        int surfaced = 0;
        auto got =
            read_all_frames(s.fd.get(), seed % 2 == 0, EAGAIN, &surfaced);
        ASSERT_EQ(got.size(), kFrames.size()) << describe(got);
        for (std::size_t i = 0; i < got.size(); ++i) {
          EXPECT_EQ(got[i].type, kFrames[i].type);
          EXPECT_SAME_BYTES(kFrames[i].payload, got[i].payload);
        }
        s.peer->wait_ok();
      }
    });
  }
}

TEST(Randomised, MessageQueuesLoseNothing) {
  for (std::uint64_t seed : kSeeds) {
    const std::string plan =
        "msgsnd|msgrcv:EINTR@p=0.3; seed=" + std::to_string(seed);
    run_seeded(plan, [&] {
      int surfaced = 0;
      send_all_messages(seed % 2 == 0, Eintr::kSurface, EINTR, &surfaced);
      receive_script(Eintr::kSurface, EINTR, &surfaced);
      send_all_messages(false, Eintr::kRetry, 0, &surfaced);
      receive_script(Eintr::kRetry, 0, &surfaced);
    });
  }
}

TEST(Randomised, PosixShmLosesNothing) {
  for (std::uint64_t seed : kSeeds) {
    const std::string plan =
        "pread|pwrite:short=random@p=0.3; pread|pwrite:EAGAIN@p=0.3; "
        "pread|pwrite:EINTR@p=0.3; "
        "seed=" +
        std::to_string(seed);
    run_seeded(plan, [&] {
      int surfaced = 0;
      posix_shm_round_trip(EAGAIN, &surfaced);
    });
  }
}

}  // namespace
}  // namespace fault
