// conformance/testing/leak_listener_test.cc — the leak listener: parsing of
// /proc/sysvipc, the attribution rules, namespace detection, the fork
// recorder, and the proof that it catches real leaks: leaky_suite (each test
// leaks one kind of object) is run in a private IPC namespace (every object
// counts) and with the shared-namespace rules (attributable objects only),
// and must fail naming the object, then remove it.
#include "conformance/testing/leak_listener.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "conformance/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace conformance::testing {
namespace {

using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kMsgTable =
    "       key      msqid perms      cbytes       qnum lspid lrpid   uid   "
    "gid  cuid  cgid      "
    "stime      rtime      ctime\n"
    "         0      32769   600           8          1  4242     0     0     "
    "0     0     0 "
    "1700000000          0 1700000000\n"
    "1234567890          5   644           0          0     0  7777     0     "
    "0     0     0 "
    "0 0 1700000000\n";

constexpr const char* kShmTable =
    "       key      shmid perms                  size  cpid  lpid nattch   "
    "uid   gid  cuid  cgid "
    "     atime      dtime      ctime                   rss                  "
    "swap\n"
    "         0         11   600                  4096   100   200      0     "
    "0     0     0     0 "
    "         0          0 1700000000                     0                    "
    " 0\n";

TEST(ParseSysvipc, ReadsIdsKeysAndPidsByHeader) {
  auto msgs = parse_sysvipc(SysvObject::Kind::kMsg, kMsgTable);
  ASSERT_TRUE(msgs.ok()) << msgs.error().message();
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].id, 32769);
  EXPECT_EQ((*msgs)[0].key, 0);
  EXPECT_EQ((*msgs)[0].pids, (std::vector<long>{4242, 0}));
  EXPECT_EQ((*msgs)[1].key, 1234567890);
  EXPECT_EQ((*msgs)[1].pids, (std::vector<long>{0, 7777}));
  auto shms = parse_sysvipc(SysvObject::Kind::kShm, kShmTable);
  ASSERT_TRUE(shms.ok());
  ASSERT_EQ(shms->size(), 1u);
  EXPECT_EQ((*shms)[0].pids, (std::vector<long>{100, 200}));
  EXPECT_EQ((*shms)[0].describe(),
            "System V shared memory segment shmid=11 key=0x00000000 (cpid=100, "
            "lpid=200)");
}

TEST(ParseSysvipc, RejectsTablesWithoutTheColumnsItNeeds) {
  EXPECT_FALSE(parse_sysvipc(SysvObject::Kind::kMsg, "").ok());
  EXPECT_FALSE(parse_sysvipc(SysvObject::Kind::kMsg, "key msqid perms\n1 2 3\n")
                   .ok());  // no pids
  EXPECT_FALSE(
      parse_sysvipc(SysvObject::Kind::kShm, kMsgTable).ok());  // no shmid
  EXPECT_FALSE(
      parse_sysvipc(SysvObject::Kind::kMsg, "key msqid lspid lrpid\n1 2\n")
          .ok());
}

TEST(ParseSysvipc, ParsesThisMachinesTables) {
  for (auto [kind, path] :
       {std::pair{SysvObject::Kind::kMsg, "/proc/sysvipc/msg"},
        std::pair{SysvObject::Kind::kShm, "/proc/sysvipc/shm"},
        std::pair{SysvObject::Kind::kSem, "/proc/sysvipc/sem"}}) {
    std::ifstream in(path);
    if (!in) continue;
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    EXPECT_TRUE(parse_sysvipc(kind, text).ok()) << path;
  }
}

SysvObject Msg(long id, std::vector<long> pids) {
  SysvObject o;
  o.kind = SysvObject::Kind::kMsg;
  o.id = id;
  o.pids = std::move(pids);
  return o;
}

TEST(FindLeaks, SharedNamespaceCountsOnlyNewObjectsOfOurPids) {
  LeakRules rules;  // all_sysv = false: shared namespace
  Snapshot before, after;
  before.sysv = {Msg(1, {10, 0})};
  after.sysv = {Msg(1, {10, 0}), Msg(2, {10, 0}), Msg(3, {99, 0}),
                Msg(4, {0, 11})};
  Leaks leaks = find_leaks(before, after, rules, {10, 11});
  ASSERT_EQ(leaks.sysv.size(),
            2u);  // 2 (ours, sent) and 4 (ours, received); not 1 (old) or 3
  EXPECT_EQ(leaks.sysv[0].id, 2);
  EXPECT_EQ(leaks.sysv[1].id, 4);
}

TEST(FindLeaks, PrivateNamespaceCountsEveryNewObject) {
  LeakRules rules;
  rules.all_sysv = true;
  Snapshot before, after;
  after.sysv = {Msg(3, {99, 0}), Msg(5, {0, 0})};
  EXPECT_EQ(find_leaks(before, after, rules, {10}).sysv.size(), 2u);
}

TEST(FindLeaks, DevShmNamesCountByOurPrefixUnlessPrivate) {
  LeakRules rules;
  rules.dev_shm_prefix = "ipct-10-0badf00d-";
  Snapshot before, after;
  before.dev_shm = {"ipct-10-0badf00d-0-old"};
  after.dev_shm = {
      "ipct-10-0badf00d-0-old",     "ipct-10-0badf00d-1-new",
      "sem.ipct-10-0badf00d-2-sem", "ipct-10-12345678-0-same-pid-other-sandbox",
      "ipct-100-0badf00d-0-x",      "pulse-shm-1"};
  Leaks leaks = find_leaks(before, after, rules, {10});
  EXPECT_EQ(leaks.dev_shm,
            (std::vector<std::string>{"ipct-10-0badf00d-1-new",
                                      "sem.ipct-10-0badf00d-2-sem"}));
  rules.all_dev_shm = true;
  EXPECT_EQ(find_leaks(before, after, rules, {10}).dev_shm.size(), 5u);
}

TEST(DetectRules, DevShmPrefixIsOurUniqueNamePrefix) {
  LeakRules r = detect_rules("");
  EXPECT_EQ(r.dev_shm_prefix, ipc::testing::UniqueNamePrefix());
  EXPECT_EQ(ipc::testing::UniqueName("x").rfind(r.dev_shm_prefix, 0), 0u);
}

TEST(FindLeaks, NewFifosCount) {
  LeakRules rules;
  Snapshot before, after;
  before.fifos = {"/t/a"};
  after.fifos = {"/t/a", "/t/b"};
  EXPECT_EQ(find_leaks(before, after, rules, {}).fifos,
            (std::vector<std::string>{"/t/b"}));
  EXPECT_TRUE(find_leaks(before, before, rules, {}).empty());
}

TEST(ForkRecorder, ForkedChildrenAreOurs) {
  start_recording_forks();
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  int status = RunInChild([&] {
    pid_t me = ::getpid();
    return ::write(fds[1], &me, sizeof me) == sizeof me ? 0 : 1;
  });
  pid_t child = 0;
  ASSERT_EQ(::read(fds[0], &child, sizeof child),
            static_cast<ssize_t>(sizeof child));
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(status, 0);
  std::set<pid_t> ours = our_pids();
  EXPECT_TRUE(ours.count(child)) << "child " << child << " not recorded";
  EXPECT_TRUE(ours.count(::getpid()));
}

// A child that unshares its IPC namespace owns it alone.
TEST(NamespaceDetection, FreshlyUnsharedNamespaceIsPrivate) {
  int status = RunInChild([] {
    if (::unshare(CLONE_NEWIPC) != 0) return 10;
    std::string why;
    return ipc_namespace_is_private(&why) ? 0 : 1;
  });
  if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
    GTEST_SKIP() << "unshare(CLONE_NEWIPC) not permitted";
  EXPECT_EQ(status, 0) << DescribeWaitStatus(status);
}

// A process that joins (setns) another process's namespace does not own it.
TEST(NamespaceDetection, NamespaceJoinedFromOutsideIsShared) {
  int go[2], ready[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    ::close(go[1]);
    ::close(ready[0]);
    char ok = ::unshare(CLONE_NEWIPC) == 0 ? 'y' : 'n';
    if (::write(ready[1], &ok, 1) != 1) ::_exit(1);
    char c;
    ssize_t n = ::read(go[0], &c, 1);  // stay in the namespace until told
    ::_exit(n >= 0 ? 0 : 1);
  }
  ::close(go[0]);
  ::close(ready[1]);
  char ok = 'n';
  bool unshared = ::read(ready[0], &ok, 1) == 1 && ok == 'y';
  ::close(ready[0]);
  int status = unshared ? RunInChild([&] {
    std::string path = "/proc/" + std::to_string(owner) + "/ns/ipc";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWIPC) != 0) return 10;
    std::string why;
    return ipc_namespace_is_private(&why) ? 1 : 0;
  })
                        : -1;
  ::close(go[1]);
  int owner_status;
  ::waitpid(owner, &owner_status, 0);
  if (!unshared) GTEST_SKIP() << "unshare(CLONE_NEWIPC) not permitted";
  if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
    GTEST_SKIP() << "setns not permitted";
  EXPECT_EQ(status, 0) << DescribeWaitStatus(status) << " (1 = called private)";
}

TEST(DetectRules, EnvironmentOverrides) {
  ::setenv("IPCT_LEAK_CHECK", "attributable", 1);
  LeakRules r = detect_rules("/tmp/x");
  EXPECT_FALSE(r.all_sysv);
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.fifo_root, "/tmp/x");
  ::setenv("IPCT_LEAK_CHECK", "off", 1);
  EXPECT_FALSE(detect_rules("/tmp/x").enabled);
  ::unsetenv("IPCT_LEAK_CHECK");
}

// ---- proof: the listener catches real leaks --------------------------------

struct LeakyRun {
  int status = -1;
  std::string output;
  std::vector<std::string> announced;  // what the leaky test said it leaked
};

// Runs one leaky_suite test with TEST_TMPDIR = `tmp`.
LeakyRun RunLeaky(const std::string& test, Isolation iso,
                  const std::string& mode, const std::string& tmp) {
  LeakyRun out;
  auto bin = runfile("conformance/testing/leaky_suite");
  if (!bin) {
    out.output = bin.error().message();
    return out;
  }
  RunOptions opt;
  opt.isolation = iso;
  opt.env = {"TEST_TMPDIR=" + tmp, "IPCT_LEAK_CHECK=" + mode};
  auto r = run_program({*bin, "--gtest_filter=Leaky." + test}, opt);
  if (!r) {
    out.output = r.error().message();
    return out;
  }
  out.status = r->wait_status;
  out.output = r->output;
  std::istringstream lines(out.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("LEAKING ", 0) == 0) out.announced.push_back(line.substr(8));
  }
  return out;
}

struct Mode {
  const char* name;
  Isolation isolation;
  const char* leak_check;
};

class LeakProof : public ::testing::TestWithParam<Mode> {
 protected:
  void SetUp() override {
    if (GetParam().isolation != Isolation::kNone &&
        !isolation_available(GetParam().isolation)) {
      GTEST_SKIP() << "cannot create a private IPC namespace here";
    }
  }
  LeakyRun Run(const std::string& test) {
    return RunLeaky(test, GetParam().isolation, GetParam().leak_check,
                    dir_.path());
  }
  // In our own namespace we can check the object is gone afterwards.
  bool SameNamespace() const {
    return GetParam().isolation == Isolation::kNone;
  }

  TempDir dir_;
};

TEST_P(LeakProof, CleanTestPasses) {
  LeakyRun r = Run("Clean");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("leaked")));
}

TEST_P(LeakProof, MessageQueueIsReportedAndRemoved) {
  LeakyRun r = Run("MsgQueue");
  ASSERT_EQ(r.announced.size(), 1u) << r.output;
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1)
      << DescribeWaitStatus(r.status);
  std::string id = r.announced[0];  // "msqid=N"
  EXPECT_THAT(r.output, HasSubstr("leaked System V message queue " + id + " "));
  if (SameNamespace()) {
    EXPECT_THAT(::msgctl(std::stoi(id.substr(6)), IPC_STAT, nullptr),
                SyscallFailsWithErrno(EINVAL));
  }
}

TEST_P(LeakProof, MessageQueueOfAForkedChildIsReported) {
  LeakyRun r = Run("MsgQueueFromChild");
  ASSERT_EQ(r.announced.size(), 1u) << r.output;
  EXPECT_THAT(r.output, HasSubstr("leaked System V message queue " +
                                  r.announced[0] + " "));
  EXPECT_NE(r.status, 0);
}

TEST_P(LeakProof, SharedMemorySegmentIsReported) {
  LeakyRun r = Run("SharedMemorySegment");
  ASSERT_EQ(r.announced.size(), 1u) << r.output;
  EXPECT_THAT(r.output, HasSubstr("leaked System V shared memory segment " +
                                  r.announced[0] + " "));
  EXPECT_NE(r.status, 0);
}

TEST_P(LeakProof, SemaphoreSetIsReported) {
  LeakyRun r = Run("SemaphoreSet");
  ASSERT_EQ(r.announced.size(), 1u) << r.output;
  EXPECT_THAT(r.output, HasSubstr("leaked System V semaphore set " +
                                  r.announced[0] + " "));
  EXPECT_NE(r.status, 0);
}

TEST_P(LeakProof, PosixSharedMemoryIsReportedAndRemoved) {
  LeakyRun r = Run("PosixSharedMemory");
  ASSERT_EQ(r.announced.size(), 1u) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("leaked POSIX shared memory object " + r.announced[0]));
  EXPECT_NE(r.status, 0);
  struct stat st;
  EXPECT_THAT(::stat(r.announced[0].c_str(), &st),
              SyscallFailsWithErrno(ENOENT));
  ::unlink(r.announced[0].c_str());  // in case the listener under test did not
}

TEST_P(LeakProof, FifoIsReportedAndRemoved) {
  LeakyRun r = Run("Fifo");
  ASSERT_EQ(r.announced.size(), 1u) << r.output;
  EXPECT_THAT(r.output, HasSubstr("leaked FIFO " + r.announced[0]));
  EXPECT_NE(r.status, 0);
  struct stat st;
  EXPECT_THAT(::stat(r.announced[0].c_str(), &st),
              SyscallFailsWithErrno(ENOENT));
}

INSTANTIATE_TEST_SUITE_P(
    Modes, LeakProof,
    ::testing::Values(
        Mode{"PrivateNamespaceEveryObject", Isolation::kPrivateIpc, "auto"},
        Mode{"PrivateNamespaceAttributable", Isolation::kPrivateIpc,
             "attributable"},
        Mode{"OwnNamespaceAttributable", Isolation::kNone, "attributable"}),
    [](const ::testing::TestParamInfo<Mode>& info) {
      return std::string(info.param.name);
    });

// The listener must also say which rules it used: a private namespace is
// recognised as such (so every object counts there).
TEST(LeakProofRules, UnsharedSuiteComparesEveryObject) {
  if (!isolation_available(Isolation::kPrivateIpc))
    GTEST_SKIP() << "no private IPC namespace";
  TempDir dir;
  LeakyRun r = RunLeaky("Clean", Isolation::kPrivateIpc, "auto", dir.path());
  EXPECT_THAT(r.output, HasSubstr("System V: every new object"));
}

}  // namespace
}  // namespace conformance::testing
