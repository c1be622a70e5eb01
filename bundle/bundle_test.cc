// bundle/bundle_test.cc — the portable bundle is self-contained: unpacked
// into an empty directory, every program in it is statically linked, and its
// report runs some behaviours (one of them through the peer program) in a
// chroot that holds nothing but the bundle, /proc, /dev and an empty /tmp —
// no libc, no shell, no Bazel runfiles.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/json.h"
#include "conformance/ld_so.h"
#include "conformance/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace {

using ::conformance::Json;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Bundle : public ::testing::Test {
 protected:
  void SetUp() override {
    auto archive = conformance::runfile("bundle/bundle.tar.gz");
    ASSERT_TRUE(archive.ok()) << archive.error().message();
    root_ = dir_.path() + "/root";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0) << std::strerror(errno);
    auto tar = conformance::run_program(
        {"/bin/tar", "-xzf", *archive, "-C", root_}, {});
    ASSERT_TRUE(tar.ok()) << tar.error().message();
    ASSERT_EQ(tar->wait_status, 0) << tar->output;
  }

  TempDir dir_;
  std::string root_;
};

TEST_F(Bundle, HoldsOnlyStaticProgramsAndSaysWhatItIs) {
  std::string top = root_ + "/ipctorture";
  EXPECT_THAT(Slurp(top + "/BUNDLE"), HasSubstr("ipctorture portable bundle"));
  EXPECT_THAT(Slurp(top + "/BUNDLE"), HasSubstr("arch=x86_64"));
  std::vector<std::string> programs = {"report", "conformance/testing/peer"};
  std::istringstream suites(Slurp(top + "/conformance/suites.txt"));
  for (std::string s; std::getline(suites, s);) {
    if (!s.empty()) programs.push_back("conformance/" + s);
  }
  EXPECT_GE(programs.size(), 12u);
  for (const std::string& p : programs) {
    auto elf = conformance::read_elf(top + "/" + p);
    ASSERT_TRUE(elf.ok()) << p << ": " << elf.error().message();
    EXPECT_FALSE(elf->has_interp) << p << " needs ld.so";
    EXPECT_EQ(::access((top + "/" + p).c_str(), X_OK), 0) << p;
  }
  EXPECT_EQ(::access((top + "/conformance/catalog.txt").c_str(), R_OK), 0);
}

TEST_F(Bundle, ReportRunsInAChrootHoldingNothingElse) {
  for (const char* d : {"/proc", "/dev", "/tmp", "/out"})
    ASSERT_EQ(::mkdir((root_ + d).c_str(), 0755), 0) << d;
  ASSERT_EQ(::chmod((root_ + "/tmp").c_str(), 01777), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A private mount namespace: /proc, /dev (the host's devices) and an
    // empty tmpfs on /tmp, then chroot into the bundle.
    auto at = [&](const char* d) { return root_ + d; };
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      std::perror("unshare/mount private");
      ::_exit(10);
    }
    if (::mount("proc", at("/proc").c_str(), "proc", 0, nullptr) != 0 ||
        ::mount("/dev", at("/dev").c_str(), nullptr, MS_BIND | MS_REC,
                nullptr) != 0 ||
        ::mount("tmpfs", at("/tmp").c_str(), "tmpfs", 0, "mode=1777") != 0) {
      std::perror("mount");
      ::_exit(10);
    }
    if (::chroot(root_.c_str()) != 0 || ::chdir("/") != 0) {
      std::perror("chroot");
      ::_exit(10);
    }
    const char* argv[] = {"/ipctorture/report",
                          "--only",
                          "PIPE-00*,FIFO-007,MSG-00*,SIG-00*",
                          "--json",
                          "/out/r.json",
                          "--out",
                          "/out/r.md",
                          nullptr};
    const char* envp[] = {"PATH=/nonexistent", nullptr};
    ::execve(argv[0], const_cast<char**>(argv), const_cast<char**>(envp));
    std::perror("execve /ipctorture/report");
    ::_exit(11);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
    GTEST_SKIP() << "cannot build a chroot here (mount namespace)";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeWaitStatus(status) << "\n"
      << Slurp(root_ + "/out/r.md");
  auto doc = conformance::parse_json(Slurp(root_ + "/out/r.json"));
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  const Json* summary = doc->get("summary");
  ASSERT_NE(summary, nullptr);
  // Everything judged, nothing deviating; a test that needs uid 65534 skips
  // inside Bazel's sandbox, which maps only root.
  EXPECT_GE(summary->get("behaviours")->as_number(), 20);
  EXPECT_GE(summary->get("conforms")->as_number(), 20);
  EXPECT_EQ(summary->get("deviates")->as_number(), 0)
      << Slurp(root_ + "/out/r.md");
  EXPECT_EQ(summary->get("error")->as_number(), 0)
      << Slurp(root_ + "/out/r.md");
  EXPECT_EQ(doc->get("host")->get_string("suites_linkage"),
            "statically (portable bundle)");
  bool fifo_007 = false;
  for (const Json& b : doc->get("behaviours")->as_array())
    fifo_007 = fifo_007 || b.get_string("id") == "FIFO-007";
  EXPECT_TRUE(fifo_007) << "the peer program's behaviour was not run";
}

TEST_F(Bundle, ReportRefusesAPreload) {
  // The suites are static: ld.so never runs, so a preload cannot apply.
  auto r = conformance::run_program(
      {root_ + "/ipctorture/report", "--only", "PIPE-001", "--preload",
       "/lib/x86_64-linux-gnu/libc.so.6"},
      {});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(WIFEXITED(r->wait_status) && WEXITSTATUS(r->wait_status) == 2)
      << r->output;
  EXPECT_THAT(r->output, HasSubstr("statically linked"));
}

}  // namespace
