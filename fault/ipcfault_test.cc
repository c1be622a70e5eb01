// fault/ipcfault_test.cc — the ipcfault CLI refuses, before the program
// starts, everything that would make a run inject nothing or write where it
// should not: a second --plan, a bad number, an unwritable or planted --log, a
// library path that ld.so would split.
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fault/subprocess.h"
#include "fault/test_files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace {

using ::fault::testing::Built;
using ::fault::testing::ReadFile;
using ::fault::testing::WriteFile;
using ::testing::HasSubstr;

void CopyFile(const std::string& from, const std::string& to) {
  std::ofstream(to, std::ios::binary) << ReadFile(from);
  ::chmod(to.c_str(), 0755);
}

class IpcfaultCliTest : public ::testing::Test {
 protected:
  // ipcfault ARGS... -- /bin/sh -c 'echo ran > MARK'
  fault::Completed Run(std::vector<std::string> args,
                       const std::string& ipcfault = "") {
    fault::Command c;
    c.argv = {ipcfault.empty() ? ipcfault_ : ipcfault};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.argv.insert(c.argv.end(),
                  {"--", "/bin/sh", "-c", "echo ran > \"$0\"", mark_});
    auto done = fault::run_command(c);
    EXPECT_TRUE(done.ok());
    return done.ok() ? std::move(done).value() : fault::Completed{};
  }
  bool Ran() { return ::access(mark_.c_str(), F_OK) == 0; }
  static int ExitCode(const fault::Completed& c) {
    return WIFEXITED(c.status) ? WEXITSTATUS(c.status) : -1;
  }

  std::string ipcfault_ = Built("ipcfault");
  ipc::testing::TempDir dir_;
  std::string mark_ = dir_.file("mark");
};

TEST_F(IpcfaultCliTest, TheProgramRunsWhenAllIsWell) {
  for (const char* m : {"--mechanism=preload", "--mechanism=seccomp"}) {
    ::unlink(mark_.c_str());
    fault::Completed c = Run(
        {m, "--plan", "read:EIO@1", "--seed", "7", "--log", dir_.file("l")});
    EXPECT_EQ(ExitCode(c), 0) << m << ": " << c.err.data;
    EXPECT_TRUE(Ran()) << m;
  }
}

TEST_F(IpcfaultCliTest, ASecondPlanIsAnError) {
  fault::Completed c = Run({"--plan", "read:EIO@1", "--plan", "write:EIO@1"});
  EXPECT_EQ(ExitCode(c), 2);
  EXPECT_THAT(c.err.data, HasSubstr("--plan given twice"));
  EXPECT_FALSE(Ran());
}

TEST_F(IpcfaultCliTest, NumbersAreStrict) {
  for (const char* seed :
       {"10abc", " 5", "-5", "+5", "", "99999999999999999999"}) {
    fault::Completed c = Run({"--plan", "read:EIO@1", "--seed", seed});
    EXPECT_EQ(ExitCode(c), 2) << "'" << seed << "'";
    EXPECT_THAT(c.err.data, HasSubstr("--seed")) << seed;
    EXPECT_FALSE(Ran()) << seed;
  }
  fault::Completed c = Run({"--plan", "read:EIO@1", "--mechanism=ptrace"});
  EXPECT_EQ(ExitCode(c), 2);
  EXPECT_THAT(c.err.data, HasSubstr("auto, preload or seccomp"));
}

TEST_F(IpcfaultCliTest, AnUnwritableLogFailsBeforeTheProgramRuns) {
  for (const char* m : {"--mechanism=preload", "--mechanism=seccomp"}) {
    fault::Completed c =
        Run({m, "--plan", "read:EIO@1", "--log", dir_.file("no/such/dir/log")});
    EXPECT_EQ(ExitCode(c), 2) << m;
    EXPECT_THAT(c.err.data, HasSubstr("--log")) << m;
    EXPECT_FALSE(Ran()) << m;
  }
}

TEST_F(IpcfaultCliTest, APlantedLinkInAStickyDirectoryIsNotFollowed) {
  std::string sticky = dir_.file("sticky");
  ASSERT_EQ(::mkdir(sticky.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(sticky.c_str(), 01777), 0);
  std::string victim = dir_.file("victim");
  std::ofstream(victim) << "precious\n";
  ASSERT_EQ(::symlink(victim.c_str(), (sticky + "/log").c_str()), 0);
  for (const char* m : {"--mechanism=preload", "--mechanism=seccomp"}) {
    fault::Completed c =
        Run({m, "--plan", "read:EIO@1", "--log", sticky + "/log"});
    EXPECT_EQ(ExitCode(c), 2) << m;
    EXPECT_THAT(c.err.data, HasSubstr("not followed")) << m;
    EXPECT_FALSE(Ran()) << m;
  }
  EXPECT_EQ(ReadFile(victim), "precious\n");
}

TEST_F(IpcfaultCliTest, ALibraryPathThatLdSoWouldSplitIsRefused) {
  // ld.so splits LD_PRELOAD at spaces and colons and runs the program without
  // what it cannot load; ipcfault must not let that pass for a run.
  for (const char* name : {"with space", "with:colon"}) {
    std::string dir = dir_.file(name);
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
    CopyFile(ipcfault_, dir + "/ipcfault");
    CopyFile(Built("libipcfault.so"), dir + "/libipcfault.so");
    fault::Completed c =
        Run({"--mechanism=preload", "--plan", "read:EIO@1"}, dir + "/ipcfault");
    EXPECT_EQ(ExitCode(c), 2) << name;
    EXPECT_THAT(c.err.data, HasSubstr("space or a colon")) << name;
    EXPECT_FALSE(Ran()) << name;
    // The seccomp mechanism needs no library.
    c = Run({"--mechanism=seccomp", "--plan", "read:EIO@1"}, dir + "/ipcfault");
    EXPECT_EQ(ExitCode(c), 0) << name << ": " << c.err.data;
    EXPECT_TRUE(Ran()) << name;
    ::unlink(mark_.c_str());
  }
}

TEST_F(IpcfaultCliTest, AProgramThatCannotBeFoundExits127) {
  fault::Command c;
  c.argv = {ipcfault_, "--plan", "read:EIO@1", "--", "no-such-program-here"};
  auto done = fault::run_command(c);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(ExitCode(*done), 127);
  EXPECT_THAT(done->err.data, HasSubstr("no-such-program-here"));
}

}  // namespace
