// ipc/fifo_test.cc — named pipes on the real kernel: creation and umask,
// blocking rendezvous of the two ends, ENXIO without a reader, refusal of
// symlinks / non-FIFOs / foreign FIFOs, EINTR while blocked in open, removal.
#include "ipc/fifo.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <future>
#include <optional>
#include <thread>

#include "fault/blocked.h"
#include "ipc/sys.h"
#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

using ::ipc::testing::CountingHandler;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::ExitedWith;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::MakeFile;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::TempDir;
using ::ipc::testing::Worker;
using ::testing::HasSubstr;

constexpr auto kBlockTimeout = std::chrono::seconds(20);

// Number of open descriptors of this process (to catch leaks on refusal).
int open_fd_count() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int n = 0;
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n;
}

std::optional<struct stat> lstat_of(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return st;
}

// fstat through the seam, reporting the file as owned by uid 4242.
int fstat_foreign_owner(int fd, struct stat* st) {
  int r = sys::libc().fstat(fd, st);
  if (r == 0) st->st_uid = 4242;
  return r;
}

int fstat_eio(int, struct stat*) {
  errno = EIO;
  return -1;
}
int unlink_erofs(const char*) {
  errno = EROFS;
  return -1;
}

// An attacker inside remove_fifo's window: before the call it intercepts, the
// FIFO at g_swap_name is renamed to g_swap_name + ".moved" and a regular file
// is put at g_swap_name.
std::string g_swap_name;
void swap_in_a_regular_file() {
  std::string moved = g_swap_name + ".moved";
  std::string file = g_swap_name + ".planted";
  ASSERT_THAT(::rename(g_swap_name.c_str(), moved.c_str()), SyscallSucceeds());
  MakeFile(file);
  ASSERT_THAT(::rename(file.c_str(), g_swap_name.c_str()), SyscallSucceeds());
}
// Swaps just before the last check: the open of the name through the pinned
// directory (the only open of a /proc/self/fd/D/NAME path).
int open_after_swap(const char* path, int flags, mode_t mode) {
  std::string p = path;
  if (p.rfind("/proc/self/fd/", 0) == 0 &&
      p.find('/', sizeof "/proc/self/fd/") != std::string::npos) {
    swap_in_a_regular_file();
  }
  return sys::libc().open(path, flags, mode);
}
int unlink_after_swap(const char* path) {
  swap_in_a_regular_file();
  return sys::libc().unlink(path);
}

class FifoTest : public ::testing::Test {
 protected:
  void TearDown() override { sys::reset_table(); }
  TempDir dir_;
  std::string path_ = dir_.file("fifo");
};

// ---- make_fifo -------------------------------------------------------------

TEST_F(FifoTest, MakeFifoCreatesAnOwnerOnlyFifoByDefault) {
  int status = RunInChild([&] {
    ::umask(022);
    if (!make_fifo(path_)) return 1;
    auto st = lstat_of(path_);
    if (!st || !S_ISFIFO(st->st_mode)) return 2;
    return (st->st_mode & 07777) == 0600 ? 0 : 3;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeWaitStatus(status);
}

TEST_F(FifoTest, UmaskRemovesBitsButTheCallerMayAskForMore) {
  int status = RunInChild([&] {
    ::umask(077);
    if (!make_fifo(path_ + "1", 0666)) return 1;
    ::umask(0);
    if (!make_fifo(path_ + "2", 0640)) return 2;
    auto a = lstat_of(path_ + "1");
    auto b = lstat_of(path_ + "2");
    if (!a || (a->st_mode & 07777) != 0600) return 3;
    if (!b || (b->st_mode & 07777) != 0640) return 4;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeWaitStatus(status);
}

TEST_F(FifoTest, MakeFifoOnAnExistingPathFailsEexist) {
  ASSERT_OK(make_fifo(path_));
  Status again = make_fifo(path_);
  ASSERT_THAT(again, FailsWith(EEXIST));
  EXPECT_EQ(
      again.error().message(),
      "mkfifo(" + path_ + ", mode 0600): File exists (path already exists)");
  MakeFile(dir_.file("plain"));
  EXPECT_THAT(make_fifo(dir_.file("plain")), FailsWith(EEXIST));
  ASSERT_THAT(::symlink("nowhere", dir_.file("dangling").c_str()),
              SyscallSucceeds());
  EXPECT_THAT(make_fifo(dir_.file("dangling")), FailsWith(EEXIST));
  EXPECT_FALSE(lstat_of(dir_.file("nowhere")).has_value());
}

TEST_F(FifoTest, MakeFifoInAMissingDirectoryFailsEnoent) {
  EXPECT_THAT(make_fifo(dir_.file("no/such/fifo")), FailsWith(ENOENT));
}

TEST_F(FifoTest, MakeFifoRefusesModeBitsOutsidePermissions) {
  Status s = make_fifo(path_, S_IFREG | 0600);
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_THAT(s.error().detail(), HasSubstr("07777"));
  EXPECT_FALSE(lstat_of(path_).has_value());
}

// ---- open_fifo: rendezvous -------------------------------------------------

TEST_F(FifoTest, ReaderBlocksUntilAWriterOpens) {
  ASSERT_OK(make_fifo(path_));
  Result<Fd> reader = Error(0, "unset");
  Worker w([&] { reader = open_fifo(path_, FifoEnd::kRead); });
  ASSERT_OK(fault::wait_until_blocked(0, w.tid(), SYS_openat,
                                      deadline_in(kBlockTimeout)));
  Fd writer = ASSERT_OK_AND_VALUE(open_fifo(path_, FifoEnd::kWrite));
  w.join();
  ASSERT_OK(reader);
  EXPECT_NE(::fcntl(reader->get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(writer.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_EQ(::fcntl(reader->get(), F_GETFL) & (O_ACCMODE | O_NONBLOCK),
            O_RDONLY);
  EXPECT_EQ(::fcntl(writer.get(), F_GETFL) & (O_ACCMODE | O_NONBLOCK),
            O_WRONLY);
  ASSERT_THAT(::write(writer.get(), "fifo", 4), SyscallSucceeds());
  char buf[8];
  ASSERT_EQ(::read(reader->get(), buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "fifo");
}

TEST_F(FifoTest, WriterBlocksUntilAReaderOpens) {
  ASSERT_OK(make_fifo(path_));
  Result<Fd> writer = Error(0, "unset");
  Worker w([&] { writer = open_fifo(path_, FifoEnd::kWrite); });
  ASSERT_OK(fault::wait_until_blocked(0, w.tid(), SYS_openat,
                                      deadline_in(kBlockTimeout)));
  Fd reader = ASSERT_OK_AND_VALUE(open_fifo(path_, FifoEnd::kRead));
  w.join();
  ASSERT_OK(writer);
  ASSERT_THAT(::write(writer->get(), "x", 1), SyscallSucceeds());
  char c;
  EXPECT_EQ(::read(reader.get(), &c, 1), 1);
}

TEST_F(FifoTest, NonblockingReaderOpensAloneAndSeesEof) {
  ASSERT_OK(make_fifo(path_));
  Fd reader = ASSERT_OK_AND_VALUE(
      open_fifo(path_, FifoEnd::kRead, {.nonblocking = true}));
  EXPECT_NE(::fcntl(reader.get(), F_GETFL) & O_NONBLOCK, 0);
  char c;
  EXPECT_EQ(::read(reader.get(), &c, 1), 0);  // no writer: EOF, not EAGAIN
}

TEST_F(FifoTest, NonblockingWriterWithoutReaderFailsEnxio) {
  ASSERT_OK(make_fifo(path_));
  auto w = open_fifo(path_, FifoEnd::kWrite, {.nonblocking = true});
  ASSERT_THAT(w, FailsWith(ENXIO));
  EXPECT_EQ(
      w.error().message(),
      "open(" + path_ +
          ", write end, nonblocking): No such device or address (no reader)");
  Fd reader = ASSERT_OK_AND_VALUE(
      open_fifo(path_, FifoEnd::kRead, {.nonblocking = true}));
  EXPECT_OK(open_fifo(path_, FifoEnd::kWrite, {.nonblocking = true}));
}

// ---- open_fifo: what is at the path ----------------------------------------

TEST_F(FifoTest, SymlinkAtThePathIsNotFollowed) {
  ASSERT_OK(make_fifo(path_));
  std::string link = dir_.file("link");
  ASSERT_THAT(::symlink(path_.c_str(), link.c_str()), SyscallSucceeds());
  int fds_before = open_fd_count();
  auto r = open_fifo(link, FifoEnd::kRead, {.nonblocking = true});
  ASSERT_THAT(r, FailsWith(ELOOP));
  EXPECT_THAT(r.error().detail(), HasSubstr("symbolic link"));
  EXPECT_EQ(open_fd_count(), fds_before);
}

TEST_F(FifoTest, RegularFileIsRefusedAndClosed) {
  std::string file = MakeFile(dir_.file("plain"));
  int fds_before = open_fd_count();
  auto r = open_fifo(file, FifoEnd::kRead);
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_EQ(r.error().message(),
            "open_fifo(" + file +
                ", read end): Invalid argument (not a FIFO: regular file)");
  EXPECT_EQ(open_fd_count(), fds_before);
  EXPECT_THAT(open_fifo(file, FifoEnd::kWrite), FailsWith(EINVAL));
  EXPECT_EQ(open_fd_count(), fds_before);
}

TEST_F(FifoTest, DirectoryIsRefused) {
  auto r = open_fifo(dir_.path(), FifoEnd::kRead);
  ASSERT_THAT(r, FailsWith(EINVAL));
  EXPECT_THAT(r.error().detail(), HasSubstr("directory"));
}

TEST_F(FifoTest, FifoOwnedByAnotherUserIsRefusedAndClosed) {
  ASSERT_OK(make_fifo(path_));
  if (::chown(path_.c_str(), 65534, 65534) != 0) {
    GTEST_SKIP() << "chown to 65534: " << std::strerror(errno);
  }
  int fds_before = open_fd_count();
  auto r = open_fifo(path_, FifoEnd::kRead, {.nonblocking = true});
  ASSERT_THAT(r, FailsWith(EPERM));
  EXPECT_EQ(r.error().detail(), "owned by uid 65534");
  EXPECT_EQ(open_fd_count(), fds_before);
}

TEST_F(FifoTest, ForeignOwnerSeenByFstatIsRefusedAndClosed) {
  // The same check without privileges: Bazel's sandbox maps only uid 0, so
  // the chown above is skipped there; here fstat reports another owner.
  ASSERT_OK(make_fifo(path_));
  sys::table().fstat.store(&fstat_foreign_owner);
  int fds_before = open_fd_count();
  auto r = open_fifo(path_, FifoEnd::kRead, {.nonblocking = true});
  ASSERT_THAT(r, FailsWith(EPERM));
  EXPECT_EQ(r.error().message(), "open_fifo(" + path_ +
                                     ", read end, nonblocking): Operation not "
                                     "permitted (owned by uid 4242)");
  EXPECT_EQ(open_fd_count(), fds_before);
}

TEST_F(FifoTest, FstatFailureIsReportedAndTheDescriptorClosed) {
  ASSERT_OK(make_fifo(path_));
  sys::table().fstat.store(&fstat_eio);
  int fds_before = open_fd_count();
  auto r = open_fifo(path_, FifoEnd::kRead, {.nonblocking = true});
  ASSERT_THAT(r, FailsWith(EIO));
  EXPECT_EQ(r.error().op(), "fstat");
  EXPECT_EQ(open_fd_count(), fds_before);
}

TEST_F(FifoTest, MissingPathFailsEnoent) {
  auto r = open_fifo(path_, FifoEnd::kRead, {.nonblocking = true});
  ASSERT_THAT(r, FailsWith(ENOENT));
  EXPECT_EQ(r.error().op(), "open");
}

// ---- open_fifo: EINTR ------------------------------------------------------

TEST_F(FifoTest, SignalDuringBlockedOpenSurfacesEintr) {
  CountingHandler handler;
  ASSERT_OK(make_fifo(path_));
  Result<Fd> reader = Error(0, "unset");
  Worker w([&] {
    reader = open_fifo(path_, FifoEnd::kRead, {.eintr = Eintr::kSurface});
  });
  ASSERT_OK(fault::interrupt_when_blocked(0, w.tid(), SIGUSR1, SYS_openat,
                                          deadline_in(kBlockTimeout)));
  w.join();
  ASSERT_THAT(reader, FailsWith(EINTR));
  EXPECT_THAT(reader.error().detail(), HasSubstr("interrupted"));
}

TEST_F(FifoTest, SignalDuringBlockedOpenIsRetriedWhenAsked) {
  CountingHandler handler;
  ASSERT_OK(make_fifo(path_));
  Result<Fd> reader = Error(0, "unset");
  Worker w([&] {
    reader = open_fifo(path_, FifoEnd::kRead, {.eintr = Eintr::kRetry});
  });
  ASSERT_OK(fault::interrupt_when_blocked(0, w.tid(), SIGUSR1, SYS_openat,
                                          deadline_in(kBlockTimeout)));
  // Woken by the signal, then waiting in open(2) again: the retry.
  ASSERT_OK(fault::wait_until_blocked(0, w.tid(), SYS_openat,
                                      deadline_in(kBlockTimeout)));
  // A waiting reader counts as a reader, so a non-blocking writer can open.
  Fd writer = ASSERT_OK_AND_VALUE(
      open_fifo(path_, FifoEnd::kWrite, {.nonblocking = true}));
  w.join();
  EXPECT_OK(reader);
}

// ---- remove_fifo -----------------------------------------------------------

TEST_F(FifoTest, RemoveFifoUnlinksIt) {
  ASSERT_OK(make_fifo(path_));
  EXPECT_OK(remove_fifo(path_));
  EXPECT_FALSE(lstat_of(path_).has_value());
  EXPECT_THAT(remove_fifo(path_), FailsWith(ENOENT));
}

TEST_F(FifoTest, RemoveFifoKeepsOpenDescriptorsWorking) {
  ASSERT_OK(make_fifo(path_));
  Fd reader = ASSERT_OK_AND_VALUE(
      open_fifo(path_, FifoEnd::kRead, {.nonblocking = true}));
  Fd writer = ASSERT_OK_AND_VALUE(
      open_fifo(path_, FifoEnd::kWrite, {.nonblocking = true}));
  ASSERT_OK(remove_fifo(path_));
  ASSERT_THAT(::write(writer.get(), "k", 1), SyscallSucceeds());
  char c;
  EXPECT_EQ(::read(reader.get(), &c, 1), 1);
}

TEST_F(FifoTest, RemoveFifoRefusesARegularFile) {
  std::string file = MakeFile(dir_.file("plain"));
  Status s = remove_fifo(file);
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_THAT(s.error().detail(), HasSubstr("regular file"));
  EXPECT_TRUE(lstat_of(file).has_value());
}

TEST_F(FifoTest, RemoveFifoRefusesASymlinkToAFifo) {
  ASSERT_OK(make_fifo(path_));
  std::string link = dir_.file("link");
  ASSERT_THAT(::symlink(path_.c_str(), link.c_str()), SyscallSucceeds());
  Status s = remove_fifo(link);
  ASSERT_THAT(s, FailsWith(EINVAL));
  EXPECT_THAT(s.error().detail(), HasSubstr("symbolic link"));
  EXPECT_TRUE(lstat_of(link).has_value());
  EXPECT_TRUE(lstat_of(path_).has_value());
}

TEST_F(FifoTest, RemoveFifoReportsFstatAndUnlinkFailures) {
  ASSERT_OK(make_fifo(path_));
  int fds_before = open_fd_count();
  sys::table().fstat.store(&fstat_eio);
  Status s = remove_fifo(path_);
  ASSERT_THAT(s, FailsWith(EIO));
  EXPECT_EQ(s.error().op(), "fstat");
  sys::reset_table();
  sys::table().unlink.store(&unlink_erofs);
  s = remove_fifo(path_);
  ASSERT_THAT(s, FailsWith(EROFS));
  EXPECT_EQ(s.error().message(),
            "unlink(" + path_ + "): Read-only file system");
  EXPECT_EQ(open_fd_count(), fds_before);
  EXPECT_TRUE(lstat_of(path_).has_value());
}

TEST_F(FifoTest, RemoveFifoRefusesADirectory) {
  std::string sub = dir_.file("sub");
  ASSERT_THAT(::mkdir(sub.c_str(), 0700), SyscallSucceeds());
  EXPECT_THAT(remove_fifo(sub), FailsWith(EINVAL));
  EXPECT_THAT(remove_fifo(sub + "/"), FailsWith(EINVAL));
  EXPECT_THAT(remove_fifo(sub + "/.."), FailsWith(EINVAL));
  EXPECT_TRUE(lstat_of(sub).has_value());
}

TEST_F(FifoTest, RemoveFifoWorksWithARelativeName) {
  ASSERT_OK(make_fifo(path_));
  int status = RunInChild([&] {
    if (::chdir(dir_.path().c_str()) != 0) return 1;
    if (!remove_fifo("fifo")) return 2;
    return lstat_of(path_).has_value() ? 3 : 0;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST_F(FifoTest, RemoveFifoRemovesNothingWhenTheNameChangesBeforeTheLastCheck) {
  // The entry is swapped after the FIFO was opened and checked, before the
  // check of the name in the pinned directory: caught, nothing removed.
  ASSERT_OK(make_fifo(path_));
  g_swap_name = path_;
  sys::table().open.store(&open_after_swap);
  Status s = remove_fifo(path_);
  ASSERT_THAT(s, FailsWith(EAGAIN));
  EXPECT_THAT(s.error().detail(), HasSubstr("nothing removed"));
  auto planted = lstat_of(path_);
  ASSERT_TRUE(planted.has_value());
  EXPECT_TRUE(S_ISREG(planted->st_mode));
  EXPECT_TRUE(lstat_of(path_ + ".moved").has_value());
}

TEST_F(FifoTest, RemoveFifoReportsAnEntryPutInPlaceJustBeforeTheUnlink) {
  // The window that cannot be closed (fifo.h): the entry swapped in between
  // the last check and the unlink is removed instead of the FIFO, and
  // remove_fifo says so; the FIFO itself survives where it was moved.
  ASSERT_OK(make_fifo(path_));
  g_swap_name = path_;
  sys::table().unlink.store(&unlink_after_swap);
  Status s = remove_fifo(path_);
  ASSERT_THAT(s, FailsWith(ESTALE));
  EXPECT_THAT(s.error().detail(), HasSubstr("the entry removed was not the"));
  EXPECT_FALSE(lstat_of(path_).has_value());
  auto moved = lstat_of(path_ + ".moved");
  ASSERT_TRUE(moved.has_value());
  EXPECT_TRUE(S_ISFIFO(moved->st_mode));
}

}  // namespace
}  // namespace ipc
