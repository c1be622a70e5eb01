// conformance/process_test.cc — run_program's containment: what it ends when
// the program has ended, and what it must leave alone.
//
// The program run is this binary again in a helper mode (--leave FD MODE):
// it forks a child that stays in its process group and a grandchild in a
// session of its own (MODE "env": with the inherited environment; "bare":
// re-exec'd with an empty one), writes their pids to FD, and exits with both
// still blocked. The caller's own earlier child — one it started itself, as a
// report started by a shell inherits the shell's other children — must
// survive the cleanup (under qemu-user, where PR_SET_CHILD_SUBREAPER fails,
// the report once killed such a process).
#include "conformance/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace conformance {
namespace {

// ---- the helper program ----------------------------------------------------

[[noreturn]] void block_forever() {
  for (;;) ::pause();
}

// Forks a child that blocks in our group, and a grandchild (in a new session)
// that blocks; writes "<child> <grandchild>\n" to `out_fd` once both exist.
int leave_processes(int out_fd, const std::string& mode) {
  pid_t child = ::fork();
  if (child < 0) return 2;
  if (child == 0) block_forever();
  int ready[2];  // made after that fork: the child holds no end of it
  if (::pipe2(ready, O_CLOEXEC) != 0) return 2;
  pid_t middle = ::fork();
  if (middle < 0) return 2;
  if (middle == 0) {
    ::setsid();
    pid_t grandchild = ::fork();
    if (grandchild < 0) ::_exit(2);
    if (grandchild == 0) {
      if (mode == "bare") {
        // Keeps `ready` open across exec: its end of the handshake.
        ::fcntl(ready[1], F_SETFD, 0);
        std::string fd = std::to_string(ready[1]);
        char* const argv[] = {const_cast<char*>("process_test"),
                              const_cast<char*>("--block"), fd.data(), nullptr};
        char* const envp[] = {nullptr};
        ::execve("/proc/self/exe", argv, envp);
        ::_exit(2);
      }
      pid_t self = ::getpid();
      if (::write(ready[1], &self, sizeof self) != sizeof self) ::_exit(2);
      block_forever();
    }
    ::_exit(0);  // the grandchild is an orphan now
  }
  ::close(ready[1]);
  pid_t grandchild = 0;
  if (::read(ready[0], &grandchild, sizeof grandchild) != sizeof grandchild)
    return 2;
  while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
  }
  std::string line =
      std::to_string(child) + " " + std::to_string(grandchild) + "\n";
  if (::write(out_fd, line.data(), line.size()) !=
      static_cast<ssize_t>(line.size()))
    return 2;
  return 0;  // exits with both still blocked
}

// --block FD: says its pid on FD, then blocks (the "bare" grandchild).
int block(int fd) {
  pid_t self = ::getpid();
  if (::write(fd, &self, sizeof self) != sizeof self) return 2;
  ::close(fd);
  block_forever();
}

// ---- the tests -------------------------------------------------------------

// True if `pid` has ended (no longer in /proc, or a zombie).
bool Ended(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (text.empty()) return true;
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() &&
         (text[close + 2] == 'Z' || text[close + 2] == 'X');
}

// A child of the test itself, blocked until killed.
class EarlierChild {
 public:
  EarlierChild() {
    pid_ = ::fork();
    if (pid_ == 0) block_forever();
  }
  ~EarlierChild() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // True while it is alive and still our child (not reaped by anyone).
  bool Alive() const {
    int st;
    return pid_ > 0 && ::waitpid(pid_, &st, WNOHANG) == 0;
  }

 private:
  pid_t pid_ = -1;
};

struct Left {
  RunResult run;
  pid_t child = 0, grandchild = 0;
};

// Runs the helper under `containment`; the pids it left.
Left RunLeaver(Containment containment, const std::string& mode) {
  Left left;
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);  // the write end is inherited by the helper
  RunOptions ro;
  ro.containment = containment;
  ro.timeout = std::chrono::seconds(60);
  auto r = run_program(
      {"/proc/self/exe", "--leave", std::to_string(fds[1]), mode}, ro);
  ::close(fds[1]);
  char buf[64] = "";
  ssize_t n = ::read(fds[0], buf, sizeof buf - 1);
  ::close(fds[0]);
  EXPECT_TRUE(r.ok()) << r.error().message();
  if (!r.ok()) return left;
  left.run = *r;
  EXPECT_TRUE(WIFEXITED(r->wait_status) && WEXITSTATUS(r->wait_status) == 0)
      << r->output;
  EXPECT_GT(n, 0) << "the helper said nothing: " << r->output;
  if (n > 0) {
    buf[n] = '\0';
    std::istringstream(buf) >> left.child >> left.grandchild;
  }
  return left;
}

class Containments : public ::testing::TestWithParam<Containment> {
 protected:
  void SetUp() override {
    if (GetParam() == Containment::kSubreaper) {
      if (!isolation_available(Isolation::kNone, Containment::kSubreaper))
        GTEST_SKIP() << "no PR_SET_CHILD_SUBREAPER here";
    } else {
      // The orphan must go to someone else, as it does where the report
      // cannot be a subreaper.
      ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
    }
  }
};

TEST_P(Containments, EndsTheGroupAndTheOrphanInItsOwnSession) {
  Left left = RunLeaver(GetParam(), "env");
  ASSERT_GT(left.child, 0);
  ASSERT_GT(left.grandchild, 0);
  EXPECT_TRUE(Ended(left.child)) << "the child in the program's group";
  EXPECT_TRUE(Ended(left.grandchild)) << "the orphan in its own session";
  EXPECT_GE(left.run.leftovers_killed, 2);
}

TEST_P(Containments, LeavesTheCallersOtherChildrenAlone) {
  EarlierChild earlier;
  ASSERT_GT(earlier.pid(), 0);
  Left left = RunLeaver(GetParam(), "env");
  EXPECT_TRUE(earlier.Alive())
      << "the cleanup killed or reaped pid " << earlier.pid()
      << ", a child the caller had before it ran the program";
  EXPECT_TRUE(Ended(left.grandchild));
}

INSTANTIATE_TEST_SUITE_P(
    Process, Containments,
    ::testing::Values(Containment::kSubreaper, Containment::kProcessGroup),
    [](const auto& info) {
      return std::string(
          info.param == Containment::kSubreaper ? "Subreaper" : "ProcessGroup");
    });

// As child subreaper, an orphan that left the group and the environment
// behind is still found: it was reparented to us after the program started.
TEST(Subreaper, EndsAnOrphanWithAnEmptyEnvironment) {
  if (!isolation_available(Isolation::kNone, Containment::kSubreaper))
    GTEST_SKIP() << "no PR_SET_CHILD_SUBREAPER here";
  EarlierChild earlier;
  Left left = RunLeaver(Containment::kSubreaper, "bare");
  ASSERT_GT(left.grandchild, 0);
  EXPECT_TRUE(Ended(left.grandchild));
  EXPECT_TRUE(earlier.Alive());
}

}  // namespace
}  // namespace conformance

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--leave") == 0)
    return conformance::leave_processes(std::atoi(argv[2]), argv[3]);
  if (argc == 3 && std::strcmp(argv[1], "--block") == 0)
    return conformance::block(std::atoi(argv[2]));
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
