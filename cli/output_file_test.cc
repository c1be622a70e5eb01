// cli/output_file_test.cc — output files: replaced whole or not at all,
// special files written in place, planted links and files in sticky,
// world-writable directories refused, logs appended safely.
#include "cli/output_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace cli {
namespace {

using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void Spit(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool IsSymlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// A sticky, world-writable directory like /tmp, inside `dir`.
std::string MakeStickyDir(const TempDir& dir) {
  std::string sticky = dir.file("sticky");
  EXPECT_EQ(::mkdir(sticky.c_str(), 0700), 0);
  EXPECT_EQ(::chmod(sticky.c_str(), 01777), 0);
  return sticky;
}

// Gives `path` (not followed) to another user: true if the kernel allowed it.
bool GiveAway(const std::string& path) {
  return ::geteuid() == 0 && ::lchown(path.c_str(), 65534, 65534) == 0;
}

TEST(OutputFileTest, ANewFileAppearsWholeAtCommit) {
  TempDir dir;
  std::string path = dir.file("r.json");
  auto out = ASSERT_OK_AND_VALUE(OutputFile::open(path));
  // Until commit, only a temporary file exists, next to the name.
  auto names = Names(dir.path());
  ASSERT_EQ(names.size(), 1u);
  EXPECT_THAT(names[0], StartsWith(".r.json.tmp-"));
  ASSERT_OK(out.write("{\"a\":"));
  ASSERT_OK(out.write("1}\n"));
  EXPECT_EQ(::access(path.c_str(), F_OK), -1);
  ASSERT_OK(out.commit());
  EXPECT_EQ(Slurp(path), "{\"a\":1}\n");
  EXPECT_THAT(Names(dir.path()), ElementsAre("r.json"));
  EXPECT_THAT(out.write("x"), FailsWith(EBADF));
  EXPECT_THAT(out.commit(), FailsWith(EBADF));
}

TEST(OutputFileTest, AReplacedFileKeepsItsPermissionsAndStaysWholeUntilCommit) {
  TempDir dir;
  std::string path = dir.file("r.md");
  Spit(path, "old text");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto out = ASSERT_OK_AND_VALUE(OutputFile::open(path));
  ASSERT_OK(out.write("new"));
  EXPECT_EQ(Slurp(path), "old text");
  ASSERT_OK(out.commit());
  EXPECT_EQ(Slurp(path), "new");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST(OutputFileTest, NotCommittedLeavesNoTrace) {
  TempDir dir;
  std::string path = dir.file("r.md");
  Spit(path, "old");
  {
    auto out = ASSERT_OK_AND_VALUE(OutputFile::open(path));
    ASSERT_OK(out.write("half"));
  }
  EXPECT_EQ(Slurp(path), "old");
  EXPECT_THAT(Names(dir.path()), ElementsAre("r.md"));
  { auto out = ASSERT_OK_AND_VALUE(OutputFile::open(dir.file("new.md"))); }
  EXPECT_THAT(Names(dir.path()), ElementsAre("r.md"));
}

TEST(OutputFileTest, ACrashMidWriteNeverLeavesHalfAFile) {
  TempDir dir;
  std::string path = dir.file("r.json");
  Spit(path, "the old, whole report");
  int status = ipc::testing::RunInChild([&] {
    auto out = OutputFile::open(path);
    if (!out || !out->write("the new rep")) return 1;
    ::abort();  // dies between write and commit
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << ipc::testing::DescribeWaitStatus(status);
  EXPECT_EQ(Slurp(path), "the old, whole report");
}

TEST(OutputFileTest, BadNamesFailAtOpen) {
  TempDir dir;
  EXPECT_THAT(OutputFile::open(""), FailsWith(EINVAL));
  EXPECT_THAT(OutputFile::open(dir.path()), FailsWith(EISDIR));
  EXPECT_THAT(OutputFile::open(dir.path() + "/"), FailsWith(EISDIR));
  EXPECT_THAT(OutputFile::open(dir.file("no/such/dir/r.json")),
              FailsWith(ENOENT));
  std::string file = dir.file("plain");
  Spit(file, "x");
  EXPECT_THAT(OutputFile::open(file + "/r.json"), FailsWith(ENOTDIR));
  auto e = OutputFile::open(dir.file("missing/r.json"));
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.error().message(),
              HasSubstr("directory " + dir.file("missing")));
  EXPECT_THAT(write_output_file(dir.path(), "x"), FailsWith(EISDIR));
}

TEST(OutputFileTest, SpecialFilesAreWrittenInPlace) {
  ASSERT_OK(write_output_file("/dev/null", "discarded"));
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));

  TempDir dir;
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  ASSERT_OK(write_output_file(fifo, "through the fifo"));
  char buf[64] = {};
  EXPECT_EQ(::read(reader, buf, sizeof buf), 16);
  EXPECT_STREQ(buf, "through the fifo");
  ::close(reader);
}

TEST(OutputFileTest, ALinkOutsideStickyDirectoriesIsFollowed) {
  TempDir dir;
  std::string target = dir.file("target.json");
  std::string link = dir.file("link.json");
  Spit(target, "old");
  ASSERT_EQ(::symlink("target.json", link.c_str()), 0);
  ASSERT_OK(write_output_file(link, "new"));
  EXPECT_TRUE(IsSymlink(link));
  EXPECT_EQ(Slurp(target), "new");
  EXPECT_THAT(Names(dir.path()), ElementsAre("link.json", "target.json"));

  std::string to_null = dir.file("null");
  ASSERT_EQ(::symlink("/dev/null", to_null.c_str()), 0);
  ASSERT_OK(write_output_file(to_null, "x"));
  EXPECT_TRUE(IsSymlink(to_null));

  std::string dangling = dir.file("dangling");
  ASSERT_EQ(::symlink("nowhere/x", dangling.c_str()), 0);
  EXPECT_THAT(OutputFile::open(dangling), FailsWith(ENOENT));
}

TEST(OutputFileTest, OurOwnLinkInAStickyDirectoryIsFollowed) {
  TempDir dir;
  std::string sticky = MakeStickyDir(dir);
  std::string target = dir.file("target");
  Spit(target, "old");
  std::string link = sticky + "/r.json";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ASSERT_OK(write_output_file(link, "new"));
  EXPECT_EQ(Slurp(target), "new");
}

TEST(OutputFileTest, APlantedLinkInAStickyDirectoryIsRefusedAndItsTargetKept) {
  TempDir dir;
  std::string sticky = MakeStickyDir(dir);
  std::string target = dir.file("precious");
  Spit(target, "precious data");
  std::string link = sticky + "/r.json";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  if (!GiveAway(link)) {
    GTEST_SKIP() << "cannot give a file to uid 65534 here (not root, or an "
                    "IPC/user namespace that maps only uid 0)";
  }
  // Owned by neither us nor the directory's owner: not written through.
  auto out = OutputFile::open(link);
  ASSERT_THAT(out, FailsWith(EPERM));
  EXPECT_THAT(out.error().message(),
              HasSubstr("a symbolic link owned by uid 65534 in the sticky, "
                        "world-writable directory " +
                        sticky));
  EXPECT_EQ(Slurp(target), "precious data");
  EXPECT_TRUE(IsSymlink(link));
  EXPECT_THAT(open_log_for_append(link), FailsWith(ELOOP));
  EXPECT_EQ(Slurp(target), "precious data");

  // Once the directory is no longer sticky, the same link is followed.
  ASSERT_EQ(::chmod(sticky.c_str(), 0777), 0);
  ASSERT_OK(write_output_file(link, "replaced"));
  EXPECT_EQ(Slurp(target), "replaced");
}

TEST(OutputFileTest, PlantedFilesAndFifosInAStickyDirectoryAreRefused) {
  TempDir dir;
  std::string sticky = MakeStickyDir(dir);
  std::string file = sticky + "/r.json";
  Spit(file, "theirs");
  std::string fifo = sticky + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0);
  if (!GiveAway(file) || !GiveAway(fifo)) {
    GTEST_SKIP() << "cannot give a file to uid 65534 here";
  }
  EXPECT_THAT(OutputFile::open(file), FailsWith(EPERM));
  EXPECT_THAT(OutputFile::open(fifo), FailsWith(EPERM));  // would block
  EXPECT_THAT(open_log_for_append(file), FailsWith(EPERM));
  EXPECT_EQ(Slurp(file), "theirs");
  // A file of ours there is replaced as anywhere else.
  std::string mine = sticky + "/mine.json";
  Spit(mine, "old");
  ASSERT_OK(write_output_file(mine, "new"));
  EXPECT_EQ(Slurp(mine), "new");
}

TEST(OutputFileTest, TheTemporaryNameFitsEvenForTheLongestName) {
  TempDir dir;
  std::string path = dir.file(std::string(NAME_MAX, 'n'));
  ASSERT_OK(write_output_file(path, "x"));
  EXPECT_EQ(Slurp(path), "x");
  EXPECT_EQ(Names(dir.path()).size(), 1u);
}

TEST(OutputFileTest, WriteAndCommitIsWriteThenCommit) {
  TempDir dir;
  std::string path = dir.file("r.md");
  auto out = ASSERT_OK_AND_VALUE(OutputFile::open(path));
  ASSERT_OK(out.write_and_commit("# r\n"));
  EXPECT_EQ(Slurp(path), "# r\n");
  EXPECT_THAT(Names(dir.path()), ElementsAre("r.md"));
  EXPECT_THAT(out.write_and_commit("x"), FailsWith(EBADF));
  EXPECT_EQ(Slurp(path), "# r\n");
}

TEST(WriteResultTest, WritesTheFileOrStdoutAndNamesTheProgramOnFailure) {
  TempDir dir;
  std::string path = dir.file("r.md");
  std::optional<OutputFile> file;
  file.emplace(ASSERT_OK_AND_VALUE(OutputFile::open(path)));
  EXPECT_TRUE(write_result("prog", file, "# r\n"));
  EXPECT_EQ(Slurp(path), "# r\n");
  // Committed already: the second write fails and says so on stderr.
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(write_result("prog", file, "again"));
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), StartsWith("prog: "));
  EXPECT_EQ(Slurp(path), "# r\n");
  // No file: stdout.
  std::optional<OutputFile> none;
  ::testing::internal::CaptureStdout();
  EXPECT_TRUE(write_result("prog", none, "to stdout\n"));
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "to stdout\n");
}

TEST(OpenOutputFilesTest, OpensTheNamedOnesAndSkipsTheEmptyNames) {
  TempDir dir;
  std::string md = dir.file("r.md"), none, json = dir.file("r.json");
  std::optional<OutputFile> f_md, f_none, f_json;
  ASSERT_OK(
      open_output_files({{&md, &f_md}, {&none, &f_none}, {&json, &f_json}}));
  ASSERT_TRUE(f_md.has_value());
  EXPECT_EQ(f_md->path(), md);
  EXPECT_FALSE(f_none.has_value());
  ASSERT_TRUE(f_json.has_value());
  EXPECT_EQ(f_json->path(), json);
}

TEST(OpenOutputFilesTest, StopsAtTheFirstErrorAndReturnsIt) {
  TempDir dir;
  std::string md = dir.file("r.md"), bad = dir.path(),
              json = dir.file("r.json");
  std::optional<OutputFile> f_md, f_bad, f_json;
  auto s = open_output_files({{&md, &f_md}, {&bad, &f_bad}, {&json, &f_json}});
  ASSERT_THAT(s, FailsWith(EISDIR));
  EXPECT_TRUE(f_md.has_value());
  EXPECT_FALSE(f_bad.has_value());
  EXPECT_FALSE(f_json.has_value());  // not reached
}

TEST(OpenLogForAppendTest, CreatesPrivatelyAndAppends) {
  TempDir dir;
  std::string path = dir.file("fault.log");
  for (const char* line : {"one\n", "two\n"}) {
    int fd = ASSERT_OK_AND_VALUE(open_log_for_append(path));
    ASSERT_EQ(::write(fd, line, 4), 4);
    EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ::close(fd);
  }
  EXPECT_EQ(Slurp(path), "one\ntwo\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(open_log_for_append(""), FailsWith(EINVAL));
}

TEST(OpenLogForAppendTest, InAStickyDirectoryNoLinkIsFollowedOrExtended) {
  TempDir dir;
  std::string sticky = MakeStickyDir(dir);
  std::string target = dir.file("precious");
  Spit(target, "precious");
  // Even our own symbolic link is not followed there (O_NOFOLLOW).
  std::string link = sticky + "/fault.log";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  auto l = open_log_for_append(link);
  ASSERT_THAT(l, FailsWith(ELOOP));
  EXPECT_THAT(l.error().message(), HasSubstr("not followed"));
  // Nor is a second hard link to another file appended to.
  std::string hard = sticky + "/hard.log";
  ASSERT_EQ(::link(target.c_str(), hard.c_str()), 0);
  EXPECT_THAT(open_log_for_append(hard), FailsWith(EPERM));
  EXPECT_EQ(Slurp(target), "precious");
  // Outside a sticky directory the user's link is theirs to use.
  std::string plain_link = dir.file("fault.log");
  ASSERT_EQ(::symlink(target.c_str(), plain_link.c_str()), 0);
  int fd = ASSERT_OK_AND_VALUE(open_log_for_append(plain_link));
  ::close(fd);
}

}  // namespace
}  // namespace cli
