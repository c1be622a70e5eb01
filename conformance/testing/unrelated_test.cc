// conformance/testing/unrelated_test.cc — proves RunUnrelatedPeer keeps its
// promises: the peer does not descend from the test, has a session of its
// own, inherits no descriptor, mask or ignored disposition, reports its exit
// status, and a hanging peer is killed and gone when the call returns.
#include "conformance/testing/unrelated.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace conformance::testing {
namespace {

using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::IsOk;
using ::testing::Contains;
using ::testing::Not;

// The state letter of /proc/<pid>/stat, or 0 if there is no such process.
char ProcessState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  std::size_t close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size()
             ? 0
             : stat[close + 2];
}

// Catches: a launcher that leaves the peer in our process tree (a plain
// fork+exec, or a double fork whose middle process stays alive) or in our
// session, or that leaks our descriptors into it.
TEST(UnrelatedPeer, IsNotOurDescendantAndInheritsNoDescriptor) {
  auto run = RunUnrelatedPeer({"fds"});
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_EQ(run->output, "0 1 2\n");
  ASSERT_FALSE(run->ancestry.empty());
  EXPECT_THAT(run->ancestry, Not(Contains(::getpid())));
  EXPECT_THAT(run->ancestry, Not(Contains(::getppid())))
      << "the peer's chain meets ours below the top";
  EXPECT_NE(run->session, ::getsid(0));
  EXPECT_GT(run->pid, 0);
}

// Catches: a peer that starts with our ignored SIGPIPE or our blocked signals
// (exec keeps both), which would make "unrelated" programs behave unlike
// anyone else's.
TEST(UnrelatedPeer, StartsWithDefaultDispositionsAndAnEmptyMask) {
  struct sigaction ignore = {}, old_pipe = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old_pipe), 0);
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask), 0);
  auto pipe_state = RunUnrelatedPeer({"sigstate", std::to_string(SIGPIPE)});
  auto usr1_state = RunUnrelatedPeer({"sigstate", std::to_string(SIGUSR1)});
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  ASSERT_THAT(pipe_state, IsOk());
  EXPECT_EQ(pipe_state->output, "handler=default blocked=0 pending=0\n");
  ASSERT_THAT(usr1_state, IsOk());
  EXPECT_EQ(usr1_state->output, "handler=default blocked=0 pending=0\n");
}

// Catches: a launcher that loses the peer's exit status.
TEST(UnrelatedPeer, ReportsThePeersExitStatus) {
  auto run = RunUnrelatedPeer({"msg-send-id", "-1", "1", "x"});
  ASSERT_THAT(run, IsOk());
  EXPECT_TRUE(WIFEXITED(run->wait_status) && WEXITSTATUS(run->wait_status) == 4)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_THAT(run->output, ::testing::HasSubstr("msgsnd"));
}

// Catches: a peer that outlives the call (nobody would reap or kill it: it is
// not our child). The one-second timeout is the stimulus, not a margin: the
// peer waits in pause() forever.
TEST(UnrelatedPeer, HangingPeerIsKilledAtTheTimeoutAndIsGone) {
  auto run = RunUnrelatedPeer({"pause"}, std::chrono::seconds(1));
  ASSERT_THAT(run, IsOk());
  EXPECT_TRUE(run->timed_out);
  ASSERT_GT(run->pid, 0);
  char state = ProcessState(run->pid);
  EXPECT_TRUE(state == 0 || state == 'Z')
      << "peer " << run->pid << " still in state " << state;
  ASSERT_FALSE(run->ancestry.empty());
  char launcher = ProcessState(run->ancestry.front());
  EXPECT_TRUE(launcher == 0 || launcher == 'Z')
      << "launcher " << run->ancestry.front() << " still in state " << launcher;
}

}  // namespace
}  // namespace conformance::testing
