// conformance/fifo_test.cc — FIFOs (named pipes): what mkfifo(3), mknod(2),
// fifo(7), open(2) and pipe(7) promise, checked on the raw OS calls (FifoOs)
// and, where ipc/fifo.h and ipc/fd.h expose the behaviour, on the layer
// (FifoLayer). Catalogue: conformance/catalog/fifo.txt (FIFO-001 … FIFO-032).
//
// Every test names the deviation it catches in its comment. Blocking is
// observed through /proc (BackgroundCall::wait_blocked, fault/blocked.h), never
// guessed with a sleep; signals reach a blocked open() only through
// fault::interrupt_when_blocked; forked children check with TEST_CHECK. The
// "unrelated process" tests use the separately exec'd peer program, which
// shares nothing with the test but the FIFO's path.
#include "ipc/fifo.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
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
#include "ipc/pipe.h"
#include "ipc/testing/test_util.h"

namespace {

using ::conformance::testing::AsWritableBytes;
using ::conformance::testing::BackgroundCall;
using ::conformance::testing::ByteCounts;
using ::conformance::testing::CheckRecordStream;
using ::conformance::testing::ExpectByteCountsOf;
using ::conformance::testing::FillPipe;
using ::conformance::testing::kPatience;
using ::conformance::testing::Pattern;
using ::conformance::testing::RaceReaders;
using ::conformance::testing::RaceRecordWriters;
using ::conformance::testing::ReadToEof;
using ::conformance::testing::ReadyWithin;
using ::conformance::testing::RunAsNobody;
using ::conformance::testing::RunUnrelatedPeer;
using ::conformance::testing::Unread;
using ::ipc::testing::Child;
using ::ipc::testing::ChildKilledBy;
using ::ipc::testing::ChildResult;
using ::ipc::testing::CountingHandler;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::DropPrivileges;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IgnoreSignal;
using ::ipc::testing::IsOk;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::testing::HasSubstr;

constexpr std::size_t kPipeBuf = PIPE_BUF;
constexpr int kLinuxDefaultCapacity = 65536;
constexpr uid_t kNobody = 65534;

// ---- helpers ---------------------------------------------------------------

// open(path, flags | O_CLOEXEC) for the Syscall* matchers.
int Open(const std::string& path, int flags) {
  return ::open(path.c_str(), flags | O_CLOEXEC);
}

// Opens a read end (O_NONBLOCK, so it does not wait) and then a write end of
// the FIFO at `path`; the read end is switched back to blocking unless asked.
bool OpenBothEnds(const std::string& path, ipc::Fd& r, ipc::Fd& w,
                  bool nonblocking_read = false) {
  r.reset(Open(path, O_RDONLY | O_NONBLOCK));
  if (!r) return false;
  w.reset(Open(path, O_WRONLY));
  if (!w) return false;
  if (!nonblocking_read) return ::fcntl(r.get(), F_SETFL, O_RDONLY) == 0;
  return true;
}

// Lets a runtime that defers signal handlers (TSan) run a pending one.
void LetDeferredHandlersRun() {
  sigset_t cur;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &cur);
}

// voluntary_ctxt_switches of thread `tid` of this process (-1 if unreadable):
// it grows each time the thread goes to sleep.
long VoluntarySwitches(pid_t tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
      return std::stol(line.substr(24));
  }
  return -1;
}

// Waits until thread `tid` has slept again (more voluntary switches than
// `before`) and is again asleep inside openat: a call restarted after a signal.
// Where /proc/<pid>/task/<tid>/status has no voluntary_ctxt_switches (gVisor;
// `before` is then -1), the handler having run (`handled`) and the thread
// being asleep afterwards is the evidence.
ipc::Status WaitBlockedAgainInOpen(pid_t tid, long before,
                                   const CountingHandler& handled) {
  ipc::Deadline deadline = ipc::deadline_in(kPatience);
  if (before < 0) {
    while (handled.count() == 0) {
      if (ipc::Clock::now() > *deadline)
        return ipc::Error(ETIMEDOUT, "WaitBlockedAgainInOpen", "",
                          "the handler never ran");
      ::sched_yield();
    }
  }
  for (;;) {
    ipc::Status s = fault::wait_until_blocked(0, tid, SYS_openat, deadline);
    if (!s.ok()) return s;
    if (before < 0 || VoluntarySwitches(tid) > before) return ipc::ok_status();
    ::sched_yield();
  }
}

// In a forked child: chdir into `dir` (so that only its own permissions
// matter), then become nobody. False if the kernel refuses.
bool EnterAndDropPrivileges(const std::string& dir) {
  return ::chdir(dir.c_str()) == 0 && DropPrivileges();
}

// The kernel's O_LARGEFILE bit, which F_GETFL reports on 64-bit Linux (glibc
// defines O_LARGEFILE as 0 there, so it is spelled out per architecture).
#if defined(__x86_64__)
constexpr int kKernelOLargefile = 0100000;
#elif defined(__aarch64__)
constexpr int kKernelOLargefile = 0400000;
#else
constexpr int kKernelOLargefile = -1;
#endif

// Fixture: a private directory with a FIFO (0600) at fifo_ for FifoOs; the
// FifoLayer fixture makes it through the layer.
class FifoOs : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_THAT(::mkfifo(fifo_.c_str(), 0600), SyscallSucceeds());
  }
  ipc::testing::TempDir dir_;
  std::string fifo_ = dir_.file("fifo");
};

class FifoLayer : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(ipc::make_fifo(fifo_)); }
  ipc::testing::TempDir dir_;
  std::string fifo_ = dir_.file("fifo");
};

// ---- FIFO-001 creating the node --------------------------------------------

// Catches: mkfifo creating something other than a FIFO node (or nothing).
TEST_F(FifoOs, MkfifoCreatesFifoNode) {
  std::string p = dir_.file("made");
  ASSERT_THAT(::mkfifo(p.c_str(), 0600), SyscallSucceedsWithValue(0));
  struct stat st;
  ASSERT_THAT(::lstat(p.c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << std::oct << st.st_mode;
  EXPECT_EQ(st.st_size, 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

// Catches: mknod/mknodat/mkfifoat not accepting S_IFIFO, or making another
// type.
TEST_F(FifoOs, MknodAndAtVariantsCreateFifoNodes) {
  std::string a = dir_.file("mknod");
  ASSERT_THAT(::mknod(a.c_str(), S_IFIFO | 0600, 0),
              SyscallSucceedsWithValue(0));
  ipc::Fd dfd(::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_THAT(dfd.get(), SyscallSucceeds());
  ASSERT_THAT(::mknodat(dfd.get(), "mknodat", S_IFIFO | 0600, 0),
              SyscallSucceedsWithValue(0));
  ASSERT_THAT(::mkfifoat(dfd.get(), "mkfifoat", 0600),
              SyscallSucceedsWithValue(0));
  for (const char* name : {"mknod", "mknodat", "mkfifoat"}) {
    struct stat st;
    ASSERT_THAT(::lstat(dir_.file(name).c_str(), &st), SyscallSucceeds())
        << name;
    EXPECT_TRUE(S_ISFIFO(st.st_mode)) << name << " " << std::oct << st.st_mode;
  }
}

// Catches: make_fifo creating the wrong type or a mode wider than owner-only.
TEST_F(FifoLayer, MakeFifoCreatesOwnerOnlyFifo) {
  struct stat st;
  ASSERT_THAT(::lstat(fifo_.c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
}

// ---- FIFO-002 permission bits and group ------------------------------------

// Catches: umask ignored, or bits added beyond `mode`. umask is per process, so
// the checks run in a child.
TEST_F(FifoOs, PermissionBitsAreModeMaskedByUmask) {
  struct Case {
    mode_t umask, mode, expected;
    std::string path;
  };
  std::vector<Case> cases = {{022, 0666, 0644, dir_.file("m0")},
                             {077, 0666, 0600, dir_.file("m1")},
                             {0, 0777, 0777, dir_.file("m2")},
                             {027, 0640, 0640, dir_.file("m3")}};
  EXPECT_CHILD_OK(RunInChild([&] {
    for (const Case& c : cases) {
      ::umask(c.umask);
      TEST_CHECK_SUCCESS(::mkfifo(c.path.c_str(), c.mode));
    }
  }));
  for (const Case& c : cases) {
    struct stat st;
    ASSERT_THAT(::stat(c.path.c_str(), &st), SyscallSucceeds());
    EXPECT_EQ(st.st_mode & 07777, c.expected)
        << std::oct << "umask " << c.umask << ", mode " << c.mode;
  }
}

// Catches: a FIFO in a set-group-ID directory not taking the directory's group
// (or one in a plain directory not taking the creator's group).
TEST_F(FifoOs, GroupFollowsSetgidDirectory) {
  constexpr gid_t kGroup = 4242;
  std::string sg = dir_.file("setgid"), plain = dir_.file("plain");
  ASSERT_THAT(::mkdir(sg.c_str(), 0700), SyscallSucceeds());
  ASSERT_THAT(::mkdir(plain.c_str(), 0700), SyscallSucceeds());
  if (::chown(sg.c_str(), static_cast<uid_t>(-1), kGroup) != 0 ||
      ::chown(plain.c_str(), static_cast<uid_t>(-1), kGroup) != 0) {
    GTEST_SKIP() << "cannot give a directory group " << kGroup << ": "
                 << std::strerror(errno)
                 << " (unmapped gid in a user namespace)";
  }
  ASSERT_THAT(::chmod(sg.c_str(), 02700), SyscallSucceeds());
  ASSERT_THAT(::mkfifo((sg + "/f").c_str(), 0600), SyscallSucceeds());
  ASSERT_THAT(::mkfifo((plain + "/f").c_str(), 0600), SyscallSucceeds());
  struct stat in_sg, in_plain;
  ASSERT_THAT(::stat((sg + "/f").c_str(), &in_sg), SyscallSucceeds());
  ASSERT_THAT(::stat((plain + "/f").c_str(), &in_plain), SyscallSucceeds());
  EXPECT_EQ(in_sg.st_gid, kGroup);
  EXPECT_EQ(in_plain.st_gid, ::getegid());
}

// Catches: make_fifo widening the mode past the umask.
TEST_F(FifoLayer, MakeFifoModeIsMaskedByUmask) {
  std::string p = dir_.file("masked");
  EXPECT_CHILD_OK(RunInChild([&] {
    ::umask(027);
    TEST_CHECK(ipc::make_fifo(p, 0666).ok());
    struct stat st;
    TEST_CHECK_SUCCESS(::stat(p.c_str(), &st));
    TEST_CHECK((st.st_mode & 07777) == 0640);
  }));
}

// ---- FIFO-003 existing path ------------------------------------------------

// Catches: an existing file, FIFO, directory or dangling symlink replaced, or
// the symlink followed (its target created).
TEST_F(FifoOs, MkfifoOnExistingPathFailsEexist) {
  std::string file = ipc::testing::MakeFile(dir_.file("file"));
  std::string dir = dir_.file("dir");
  ASSERT_THAT(::mkdir(dir.c_str(), 0700), SyscallSucceeds());
  std::string link = dir_.file("dangling"), target = dir_.file("target");
  ASSERT_THAT(::symlink(target.c_str(), link.c_str()), SyscallSucceeds());
  for (const std::string& p : {file, fifo_, dir, link}) {
    EXPECT_THAT(::mkfifo(p.c_str(), 0600), SyscallFailsWithErrno(EEXIST)) << p;
    EXPECT_THAT(::mknod(p.c_str(), S_IFIFO | 0600, 0),
                SyscallFailsWithErrno(EEXIST))
        << p;
  }
  struct stat st;
  EXPECT_THAT(::lstat(target.c_str(), &st), SyscallFailsWithErrno(ENOENT))
      << "symlink was followed";
  ASSERT_THAT(::lstat(file.c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(FifoLayer, MakeFifoOnExistingPathFailsEexist) {
  auto again = ipc::make_fifo(fifo_);
  EXPECT_THAT(again, FailsWith(EEXIST));
  if (!again.ok()) {
    EXPECT_THAT(again.error().message(), HasSubstr("path already exists"));
  }
}

// ---- FIFO-004 path errors --------------------------------------------------

// Catches: a wrong errno for a missing directory, an empty path, a file used as
// a directory, an over-long name or path, or a symlink loop.
TEST_F(FifoOs, MkfifoPathErrors) {
  EXPECT_THAT(::mkfifo(dir_.file("missing/f").c_str(), 0600),
              SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::mkfifo("", 0600), SyscallFailsWithErrno(ENOENT));
  std::string file = ipc::testing::MakeFile(dir_.file("file"));
  EXPECT_THAT(::mkfifo((file + "/f").c_str(), 0600),
              SyscallFailsWithErrno(ENOTDIR));
  std::string long_name(NAME_MAX + 1, 'n');
  EXPECT_THAT(::mkfifo(dir_.file(long_name).c_str(), 0600),
              SyscallFailsWithErrno(ENAMETOOLONG));
  std::string long_path = dir_.path();
  while (long_path.size() <= PATH_MAX) long_path += "/x";
  EXPECT_THAT(::mkfifo(long_path.c_str(), 0600),
              SyscallFailsWithErrno(ENAMETOOLONG));
  std::string a = dir_.file("loop_a"), b = dir_.file("loop_b");
  ASSERT_THAT(::symlink(b.c_str(), a.c_str()), SyscallSucceeds());
  ASSERT_THAT(::symlink(a.c_str(), b.c_str()), SyscallSucceeds());
  EXPECT_THAT(::mkfifo((a + "/f").c_str(), 0600), SyscallFailsWithErrno(ELOOP));
}

// Catches: a bad path pointer crashing the caller or creating something.
TEST_F(FifoOs, MkfifoBadPathPointerFailsEfault) {
  void* page =
      ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  // The raw system call: libc wrappers or sanitizer interceptors may touch the
  // string first; the kernel's answer is what is checked.
  EXPECT_THAT(::syscall(SYS_mknodat, AT_FDCWD, page, S_IFIFO | 0600, 0),
              SyscallFailsWithErrno(EFAULT));
  ::munmap(page, 4096);
}

// Catches: a FIFO created in a directory the caller may not write to.
TEST_F(FifoOs, MkfifoInUnwritableDirectoryFailsEacces) {
  std::string ro = dir_.file("ro"), rw = dir_.file("rw");
  ASSERT_THAT(::mkdir(ro.c_str(), 0555), SyscallSucceeds());
  ASSERT_THAT(::mkdir(rw.c_str(), 0777), SyscallSucceeds());
  ASSERT_THAT(::chmod(rw.c_str(), 0777), SyscallSucceeds());  // past the umask
  // Directory descriptors opened as root: only each directory's own
  // permissions are checked, not those of the path leading to it.
  ipc::Fd ro_fd(::open(ro.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ipc::Fd rw_fd(::open(rw.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_THAT(ro_fd.get(), SyscallSucceeds());
  ASSERT_THAT(rw_fd.get(), SyscallSucceeds());
  EXPECT_CHILD_OK(RunAsNobody([&] {
    // Writable: works unprivileged.
    TEST_CHECK_SUCCESS(::mkfifoat(rw_fd.get(), "ok", 0600));
    TEST_CHECK_ERRNO(::mkfifoat(ro_fd.get(), "f", 0600), EACCES);
  }));
}

// Catches: a FIFO created on a read-only filesystem. Uses a read-only tmpfs in
// a private mount namespace (needs CAP_SYS_ADMIN; skipped without it).
TEST_F(FifoOs, MkfifoOnReadOnlyFilesystemFailsErofs) {
  std::string mnt = dir_.file("rofs");
  ASSERT_THAT(::mkdir(mnt.c_str(), 0700), SyscallSucceeds());
  std::string node = mnt + "/f";
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(
        ::unshare(CLONE_NEWNS) == 0 &&
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
            ::mount("ipct-ro", mnt.c_str(), "tmpfs", MS_RDONLY, nullptr) == 0,
        "cannot mount a read-only tmpfs");
    TEST_CHECK_ERRNO(::mkfifo(node.c_str(), 0600), EROFS);
  }));
}

TEST_F(FifoLayer, MakeFifoInMissingDirectoryFailsEnoent) {
  auto s = ipc::make_fifo(dir_.file("missing/f"));
  EXPECT_THAT(s, FailsWith(ENOENT));
  if (!s.ok()) {
    EXPECT_THAT(s.error().message(),
                HasSubstr("mkfifo(" + dir_.file("missing/f")));
  }
}

// ---- FIFO-005 no privilege needed ------------------------------------------

// Drops CAP_MKNOD from this (child) process's capability sets.
bool DropCapMknod() {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &hdr, data) != 0) return false;
  unsigned bit = 1u << (CAP_MKNOD % 32);
  data[CAP_MKNOD / 32].effective &= ~bit;
  data[CAP_MKNOD / 32].permitted &= ~bit;
  data[CAP_MKNOD / 32].inheritable &= ~bit;
  return ::syscall(SYS_capset, &hdr, data) == 0;
}

// Catches: FIFO creation requiring CAP_MKNOD, or device nodes not requiring it.
TEST_F(FifoOs, FifoNeedsNoCapMknodButDevicesDo) {
  std::string f = dir_.file("f"), g = dir_.file("g"), chr = dir_.file("c"),
              blk = dir_.file("b");
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(DropCapMknod(), "capset refused");
    TEST_CHECK_SUCCESS(::mknod(f.c_str(), S_IFIFO | 0600, 0));
    TEST_CHECK_SUCCESS(::mkfifo(g.c_str(), 0600));
    TEST_CHECK_ERRNO(::mknod(chr.c_str(), S_IFCHR | 0600, makedev(1, 3)),
                     EPERM);
    TEST_CHECK_ERRNO(::mknod(blk.c_str(), S_IFBLK | 0600, makedev(7, 0)),
                     EPERM);
  }));
}

// Catches: FIFO creation refused to an ordinary user (uid nobody).
TEST_F(FifoOs, UnprivilegedUserCreatesFifo) {
  std::string open_dir = dir_.file("open");
  ASSERT_THAT(::mkdir(open_dir.c_str(), 0777), SyscallSucceeds());
  ASSERT_THAT(::chmod(open_dir.c_str(), 0777), SyscallSucceeds());
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(EnterAndDropPrivileges(open_dir),
                      "cannot drop privileges here");
    TEST_CHECK_SUCCESS(::mkfifo("mine", 0600));
    struct stat st;
    TEST_CHECK_SUCCESS(::stat("mine", &st));
    TEST_CHECK(S_ISFIFO(st.st_mode));
    TEST_CHECK(st.st_uid == kNobody);
  }));
}

// ---- FIFO-006 invalid file type --------------------------------------------

// Catches: mknod accepting a mode whose type bits name no file type.
TEST_F(FifoOs, MknodWithInvalidTypeFailsEinval) {
  for (mode_t type : {mode_t{0170000}, mode_t{0030000}, mode_t{0110000}}) {
    std::string p = dir_.file("bad");
    EXPECT_THAT(::mknod(p.c_str(), type | 0600, 0),
                SyscallFailsWithErrno(EINVAL))
        << std::oct << type;
    struct stat st;
    EXPECT_THAT(::lstat(p.c_str(), &st), SyscallFailsWithErrno(ENOENT));
  }
}

TEST_F(FifoLayer, MakeFifoRejectsModeBitsOutside07777) {
  std::string p = dir_.file("typed");
  auto s = ipc::make_fifo(p, S_IFREG | 0600);
  EXPECT_THAT(s, FailsWith(EINVAL));
  if (!s.ok()) {
    EXPECT_THAT(s.error().message(), HasSubstr("outside 07777"));
  }
  struct stat st;
  EXPECT_THAT(::lstat(p.c_str(), &st), SyscallFailsWithErrno(ENOENT));
}

// ---- FIFO-007 unrelated processes ------------------------------------------

// Catches: a FIFO not reachable by path from a separately exec'd program (the
// seed claim "named pipes work for unrelated processes"). Both sides open
// blocking: whichever comes first waits for the other.
TEST_F(FifoOs, UnrelatedProgramWritesThroughPath) {
  BackgroundCall reader(
      [&] { return static_cast<long>(Open(fifo_, O_RDONLY)); });
  auto run =
      RunUnrelatedPeer({"write-path", fifo_, "from an unrelated program"});
  bool opened = reader.wait_done();
  if (!opened) ipc::Fd release(Open(fifo_, O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(opened) << "our open(O_RDONLY) never met the peer's writer";
  ASSERT_THAT(reader.result(), SyscallSucceeds());
  ipc::Fd r(static_cast<int>(reader.result()));
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  ASSERT_TRUE(ReadyWithin(r.get(), POLLIN));
  EXPECT_EQ(ReadToEof(r.get()), "from an unrelated program");
}

// Catches: the other direction failing: an unrelated program reads what we
// write.
TEST_F(FifoOs, UnrelatedProgramReadsThroughPath) {
  BackgroundCall writer([&] {
    ipc::Fd w(Open(fifo_, O_WRONLY));
    if (!w) return -1L;
    return static_cast<long>(::write(w.get(), "to an unrelated program", 23));
  });
  auto run = RunUnrelatedPeer({"read-path", fifo_, "100"});
  bool done = writer.wait_done();
  if (!done) ipc::Fd release(Open(fifo_, O_RDONLY | O_NONBLOCK));
  ASSERT_TRUE(done) << "our open(O_WRONLY) never met the peer's reader";
  EXPECT_THAT(writer.result(), SyscallSucceedsWithValue(23));
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_EQ(run->output, "to an unrelated program");
}

TEST_F(FifoLayer, UnrelatedProgramWritesToOpenFifoReader) {
  ipc::Result<ipc::Fd> rd = ipc::Fd();
  BackgroundCall reader([&] {
    rd = ipc::open_fifo(fifo_, ipc::FifoEnd::kRead);
    return 0L;
  });
  auto run = RunUnrelatedPeer({"write-path", fifo_, "layer meets peer"});
  bool opened = reader.wait_done();
  if (!opened) ipc::Fd release(Open(fifo_, O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(opened);
  ASSERT_THAT(rd, IsOk());
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->wait_status, 0) << run->output;
  std::string buf(100, '\0');
  auto n = ipc::read_full(rd->get(), AsWritableBytes(buf),
                          ipc::deadline_in(kPatience));
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(buf.substr(0, *n), "layer meets peer");
}

// ---- FIFO-008 / FIFO-009 blocking rendezvous -------------------------------

// Catches: open(O_RDONLY) returning before any writer exists.
TEST_F(FifoOs, ReadOpenBlocksUntilWriterOpens) {
  BackgroundCall reader(
      [&] { return static_cast<long>(Open(fifo_, O_RDONLY)); });
  ASSERT_OK(reader.wait_blocked(SYS_openat));
  ipc::Fd w(Open(fifo_, O_WRONLY));
  ASSERT_THAT(w.get(), SyscallSucceeds());
  ASSERT_TRUE(reader.wait_done())
      << "reader still blocked after a writer opened";
  ASSERT_THAT(reader.result(), SyscallSucceeds());
  ipc::Fd r(static_cast<int>(reader.result()));
  ASSERT_THAT(::write(w.get(), "x", 1), SyscallSucceedsWithValue(1));
  char c = 0;
  EXPECT_THAT(::read(r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'x');
}

// Catches: open(O_WRONLY) returning before any reader exists.
TEST_F(FifoOs, WriteOpenBlocksUntilReaderOpens) {
  BackgroundCall writer(
      [&] { return static_cast<long>(Open(fifo_, O_WRONLY)); });
  ASSERT_OK(writer.wait_blocked(SYS_openat));
  ipc::Fd r(Open(fifo_, O_RDONLY));
  ASSERT_THAT(r.get(), SyscallSucceeds());
  ASSERT_TRUE(writer.wait_done())
      << "writer still blocked after a reader opened";
  ASSERT_THAT(writer.result(), SyscallSucceeds());
  ipc::Fd w(static_cast<int>(writer.result()));
  EXPECT_THAT(::write(w.get(), "y", 1), SyscallSucceedsWithValue(1));
}

TEST_F(FifoLayer, OpenFifoReadEndBlocksUntilWriter) {
  ipc::Result<ipc::Fd> rd = ipc::Fd();
  BackgroundCall reader([&] {
    rd = ipc::open_fifo(fifo_, ipc::FifoEnd::kRead);
    return 0L;
  });
  ASSERT_OK(reader.wait_blocked(SYS_openat));
  auto wr = ipc::open_fifo(fifo_, ipc::FifoEnd::kWrite);
  ASSERT_THAT(wr, IsOk());
  ASSERT_TRUE(reader.wait_done());
  EXPECT_THAT(rd, IsOk());
}

TEST_F(FifoLayer, OpenFifoWriteEndBlocksUntilReader) {
  ipc::Result<ipc::Fd> wr = ipc::Fd();
  BackgroundCall writer([&] {
    wr = ipc::open_fifo(fifo_, ipc::FifoEnd::kWrite);
    return 0L;
  });
  ASSERT_OK(writer.wait_blocked(SYS_openat));
  auto rd = ipc::open_fifo(fifo_, ipc::FifoEnd::kRead);
  ASSERT_THAT(rd, IsOk());
  ASSERT_TRUE(writer.wait_done());
  EXPECT_THAT(wr, IsOk());
}

// ---- FIFO-010 non-blocking read open ---------------------------------------

// Catches: O_RDONLY|O_NONBLOCK waiting for a writer or failing; and a read
// without any writer giving EAGAIN instead of 0.
TEST_F(FifoOs, NonBlockingReadOpenSucceedsWithoutWriter) {
  BackgroundCall opener(
      [&] { return static_cast<long>(Open(fifo_, O_RDONLY | O_NONBLOCK)); });
  bool done = opener.wait_done();
  if (!done) ipc::Fd release(Open(fifo_, O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(done) << "O_RDONLY|O_NONBLOCK waited for a writer";
  ASSERT_THAT(opener.result(), SyscallSucceeds());
  ipc::Fd r(static_cast<int>(opener.result()));
  char c;
  EXPECT_THAT(::read(r.get(), &c, 1), SyscallSucceedsWithValue(0));
}

TEST_F(FifoLayer, NonblockingReadEndOpensWithoutWriter) {
  auto rd = ipc::open_fifo(fifo_, ipc::FifoEnd::kRead, {.nonblocking = true});
  ASSERT_THAT(rd, IsOk());
  EXPECT_EQ(*ipc::is_nonblocking(rd->get()), true);
}

// ---- FIFO-011 non-blocking write open without reader -----------------------

// Catches: O_WRONLY|O_NONBLOCK without a reader succeeding or blocking, or
// failing even when a reader exists.
TEST_F(FifoOs, NonBlockingWriteOpenWithoutReaderFailsEnxio) {
  EXPECT_THAT(Open(fifo_, O_WRONLY | O_NONBLOCK), SyscallFailsWithErrno(ENXIO));
  ipc::Fd r(Open(fifo_, O_RDONLY | O_NONBLOCK));
  ASSERT_THAT(r.get(), SyscallSucceeds());
  ipc::Fd w(Open(fifo_, O_WRONLY | O_NONBLOCK));
  EXPECT_THAT(w.get(), SyscallSucceeds());
  r.reset();
  w.reset();
  EXPECT_THAT(Open(fifo_, O_WRONLY | O_NONBLOCK), SyscallFailsWithErrno(ENXIO))
      << "after the reader left";
}

TEST_F(FifoLayer, NonblockingWriteEndWithoutReaderFailsEnxio) {
  auto wr = ipc::open_fifo(fifo_, ipc::FifoEnd::kWrite, {.nonblocking = true});
  EXPECT_THAT(wr, FailsWith(ENXIO));
  if (!wr.ok()) {
    EXPECT_THAT(wr.error().message(), HasSubstr("no reader"));
  }
}

// ---- FIFO-012 O_RDWR (Linux) -----------------------------------------------

// Catches: O_RDWR blocking, or a descriptor that cannot read back its own
// write.
TEST_F(FifoOs, ReadWriteOpenDoesNotBlockAndRoundTrips) {
  BackgroundCall opener([&] { return static_cast<long>(Open(fifo_, O_RDWR)); });
  bool done = opener.wait_done();
  if (!done) ipc::Fd release(Open(fifo_, O_RDONLY | O_NONBLOCK));
  ASSERT_TRUE(done) << "O_RDWR blocked";
  ASSERT_THAT(opener.result(), SyscallSucceeds());
  ipc::Fd rw(static_cast<int>(opener.result()));
  EXPECT_EQ(::fcntl(rw.get(), F_GETFL) & O_ACCMODE, O_RDWR);
  ASSERT_THAT(::write(rw.get(), "loop", 4), SyscallSucceedsWithValue(4));
  char buf[8];
  EXPECT_THAT(::read(rw.get(), buf, sizeof buf), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "loop");
  // It counts as a reader: a non-blocking writer may now open.
  ipc::Fd w(Open(fifo_, O_WRONLY | O_NONBLOCK));
  EXPECT_THAT(w.get(), SyscallSucceeds());
}

// ---- FIFO-013 / FIFO-014 a signal into a blocked open ----------------------

// Catches: a blocked FIFO open restarted (or left asleep) although the handler
// has no SA_RESTART. Under TSan the handler may run after open returns; the
// count is read after the call.
TEST_F(FifoOs, BlockedOpenInterruptedWithoutSaRestartFailsEintr) {
  CountingHandler handler(SIGUSR1);
  BackgroundCall reader([&] {
    long fd = Open(fifo_, O_RDONLY);
    int e = errno;
    LetDeferredHandlersRun();
    errno = e;
    return fd;
  });
  ASSERT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_openat,
                                          ipc::deadline_in(kPatience)));
  bool done = reader.wait_done();
  if (!done) ipc::Fd release(Open(fifo_, O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(done) << "the interrupted open kept waiting";
  long fd = reader.result();
  if (fd >= 0) ::close(static_cast<int>(fd));
  EXPECT_THAT(fd, SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(handler.count(), 1);
}

// Catches: an SA_RESTART handler ending the open (EINTR) instead of restarting
// it. The thread must wake (its voluntary switch count grows), sleep again in
// openat, and finally complete when a writer comes.
TEST_F(FifoOs, BlockedOpenWithSaRestartHandlerKeepsWaiting) {
  CountingHandler handler(SIGUSR1, SA_RESTART);
  BackgroundCall reader([&] {
    long fd = Open(fifo_, O_RDONLY);
    int e = errno;
    LetDeferredHandlersRun();
    errno = e;
    return fd;
  });
  ASSERT_OK(reader.wait_blocked(SYS_openat));
  long before = VoluntarySwitches(reader.tid());  // -1: not shown here
  ASSERT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_openat,
                                          ipc::deadline_in(kPatience)));
  ipc::Status again = WaitBlockedAgainInOpen(reader.tid(), before, handler);
  bool returned_early = reader.done();
  ipc::Fd w(Open(
      fifo_,
      O_WRONLY | O_NONBLOCK));  // a reader exists if the open is still pending
  ASSERT_TRUE(reader.wait_done());
  long fd = reader.result();
  int err = errno;
  if (fd >= 0) ::close(static_cast<int>(fd));
  EXPECT_OK(again) << "the open did not go back to sleep after the handler";
  EXPECT_FALSE(returned_early);
  EXPECT_GE(fd, 0) << "open failed: " << std::strerror(err);
  EXPECT_THAT(w.get(), SyscallSucceeds());
  EXPECT_EQ(handler.count(), 1);
}

TEST_F(FifoLayer, OpenFifoSurfacesEintrByDefault) {
  CountingHandler handler(SIGUSR1);
  ipc::Result<ipc::Fd> rd = ipc::Fd();
  BackgroundCall reader([&] {
    rd = ipc::open_fifo(fifo_, ipc::FifoEnd::kRead);
    LetDeferredHandlersRun();
    return 0L;
  });
  ASSERT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_openat,
                                          ipc::deadline_in(kPatience)));
  bool done = reader.wait_done();
  if (!done) ipc::Fd release(Open(fifo_, O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(done);
  EXPECT_THAT(rd, FailsWith(EINTR));
  if (!rd.ok()) {
    EXPECT_THAT(rd.error().message(), HasSubstr("interrupted while waiting"));
  }
  EXPECT_EQ(handler.count(), 1);
}

// Catches: Eintr::kRetry giving up on EINTR (or not waiting again).
TEST_F(FifoLayer, OpenFifoRetryOptionKeepsWaitingAfterSignal) {
  CountingHandler handler(SIGUSR1);  // no SA_RESTART: the kernel returns EINTR
  ipc::Result<ipc::Fd> rd = ipc::Fd();
  BackgroundCall reader([&] {
    rd = ipc::open_fifo(fifo_, ipc::FifoEnd::kRead,
                        {.eintr = ipc::Eintr::kRetry});
    LetDeferredHandlersRun();
    return 0L;
  });
  ASSERT_OK(reader.wait_blocked(SYS_openat));
  long before = VoluntarySwitches(reader.tid());
  ASSERT_OK(fault::interrupt_when_blocked(0, reader.tid(), SIGUSR1, SYS_openat,
                                          ipc::deadline_in(kPatience)));
  ipc::Status again = WaitBlockedAgainInOpen(reader.tid(), before, handler);
  bool returned_early = reader.done();
  ipc::Fd w(Open(fifo_, O_WRONLY | O_NONBLOCK));
  ASSERT_TRUE(reader.wait_done());
  EXPECT_OK(again);
  EXPECT_FALSE(returned_early);
  EXPECT_THAT(rd, IsOk());
  EXPECT_THAT(w.get(), SyscallSucceeds());
  EXPECT_EQ(handler.count(), 1);
}

// ---- FIFO-015 pipe semantics once open -------------------------------------

// Catches: data lost at close or no EOF afterwards (PIPE-009 through a FIFO).
TEST_F(FifoOs, DataThenEofAfterLastWriterCloses) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  std::string data = Pattern(3000, 2);
  ASSERT_THAT(::write(w.get(), data.data(), data.size()),
              SyscallSucceedsWithValue(data.size()));
  w.reset();
  ASSERT_TRUE(ReadyWithin(r.get(), POLLIN));
  EXPECT_EQ(ReadToEof(r.get()), data);
  char c;
  EXPECT_THAT(::read(r.get(), &c, 1), SyscallSucceedsWithValue(0));
}

// Catches: a FIFO keeping write boundaries (PIPE-004 through a FIFO).
TEST_F(FifoOs, WritesCoalesceIntoOneRead) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  ASSERT_THAT(::write(w.get(), "abc", 3), SyscallSucceedsWithValue(3));
  ASSERT_THAT(::write(w.get(), "defg", 4), SyscallSucceedsWithValue(4));
  char buf[100];
  ASSERT_THAT(::read(r.get(), buf, sizeof buf), SyscallSucceedsWithValue(7));
  EXPECT_EQ(std::string(buf, 7), "abcdefg");
}

// Catches: a reader left asleep when the last writer goes (PIPE-010).
TEST_F(FifoOs, BlockedReaderWokenWithEofWhenLastWriterCloses) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  char buf[16];
  BackgroundCall reader(
      [&] { return static_cast<long>(::read(r.get(), buf, sizeof buf)); });
  ASSERT_OK(reader.wait_blocked(SYS_read));
  w.reset();
  ASSERT_TRUE(reader.wait_done())
      << "reader still blocked after the last writer closed";
  EXPECT_THAT(reader.result(), SyscallSucceedsWithValue(0));
}

// Catches: a non-blocking write of exactly PIPE_BUF split when the room is
// smaller (PIPE-023), or refused when it fits.
TEST_F(FifoOs, NonBlockingPipeBufWriteIsAllOrNothing) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w, /*nonblocking_read=*/true));
  ASSERT_THAT(::fcntl(w.get(), F_SETFL, O_WRONLY | O_NONBLOCK),
              SyscallSucceeds());
  std::size_t cap = FillPipe(w.get());
  std::string drain(kPipeBuf - 1, '\0');
  ASSERT_THAT(::read(r.get(), drain.data(), drain.size()),
              SyscallSucceedsWithValue(drain.size()));
  std::string rec = Pattern(kPipeBuf, 3);
  EXPECT_THAT(::write(w.get(), rec.data(), rec.size()),
              SyscallFailsWithErrno(EAGAIN));
  EXPECT_EQ(Unread(r.get()), static_cast<int>(cap - drain.size()))
      << "part of the record went in";
  ASSERT_THAT(::read(r.get(), drain.data(), 1),
              SyscallSucceedsWithValue(1));  // room == PIPE_BUF
  EXPECT_THAT(::write(w.get(), rec.data(), rec.size()),
              SyscallSucceedsWithValue(kPipeBuf));
}

// Catches: a FIFO capacity other than pipe(7)'s 65536 (L), or one that takes
// more or less than it reports.
TEST_F(FifoOs, DefaultCapacityIs65536AndExactlyThatFits) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  EXPECT_THAT(::fcntl(r.get(), F_GETPIPE_SZ),
              SyscallSucceedsWithValue(kLinuxDefaultCapacity));
  EXPECT_EQ(FillPipe(w.get()), static_cast<std::size_t>(kLinuxDefaultCapacity));
  EXPECT_EQ(Unread(r.get()), kLinuxDefaultCapacity);
  // F_SETPIPE_SZ works on a FIFO too (rounded to a power-of-two number of
  // pages).
  ipc::Fd r2, w2;
  std::string other = dir_.file("small");
  ASSERT_THAT(::mkfifo(other.c_str(), 0600), SyscallSucceeds());
  ASSERT_TRUE(OpenBothEnds(other, r2, w2));
  EXPECT_THAT(::fcntl(w2.get(), F_SETPIPE_SZ, 10000),
              SyscallSucceedsWithValue(16384));
  EXPECT_EQ(FillPipe(w2.get()), 16384u);
}

// Catches: a blocked writer left asleep when the last reader goes (PIPE-015).
TEST_F(FifoOs, WriterBlockedOnFullFifoGetsEpipeWhenReaderCloses) {
  IgnoreSignal ignore(SIGPIPE);
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  FillPipe(w.get());
  BackgroundCall writer(
      [&] { return static_cast<long>(::write(w.get(), "x", 1)); });
  ASSERT_OK(writer.wait_blocked(SYS_write));
  r.reset();
  ASSERT_TRUE(writer.wait_done())
      << "writer still blocked after the last reader closed";
  EXPECT_THAT(writer.result(), SyscallFailsWithErrno(EPIPE));
}

// Catches: a blocking write larger than the capacity returning early
// (PIPE-022).
TEST_F(FifoOs, BlockingWriteLargerThanCapacityReturnsFullCount) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  std::string data = Pattern(3 * kLinuxDefaultCapacity + 17, 4);
  // The writer closes the only write end when its call returns, so the reader
  // gets end of file after whatever the call moved: a short write fails the
  // comparison instead of leaving the reader waiting for bytes never sent.
  BackgroundCall writer([&] {
    long n = static_cast<long>(::write(w.get(), data.data(), data.size()));
    w.reset();
    return n;
  });
  ASSERT_OK(writer.wait_blocked(SYS_write));
  std::string got = ReadToEof(r.get());
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data) << "the bytes differ from what was written";
  ASSERT_TRUE(writer.wait_done());
  EXPECT_THAT(writer.result(), SyscallSucceedsWithValue(data.size()));
}

TEST_F(FifoLayer, WriteFullThenReadFullThroughFifo) {
  auto rd = ASSERT_OK_AND_VALUE(
      ipc::open_fifo(fifo_, ipc::FifoEnd::kRead, {.nonblocking = true}));
  auto wr = ASSERT_OK_AND_VALUE(ipc::open_fifo(fifo_, ipc::FifoEnd::kWrite));
  std::string data = Pattern(200000, 5);
  ipc::Result<std::size_t> sent = std::size_t{0};
  BackgroundCall writer([&] {
    sent = ipc::write_full(wr.get(), ipc::as_bytes(data));
    wr.reset();
    return 0L;
  });
  std::string back(data.size() + 10, '\0');
  auto got = ipc::read_full(rd.get(), AsWritableBytes(back),
                            ipc::deadline_in(kPatience));
  ASSERT_TRUE(writer.wait_done());
  ASSERT_THAT(sent, IsOk());
  EXPECT_EQ(*sent, data.size());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, data.size());  // short: EOF after the writer closed
  EXPECT_EQ(back.substr(0, *got), data);
}

// ---- FIFO-016 EAGAIN on an empty FIFO --------------------------------------

// Catches: a non-blocking read on an empty FIFO with a writer blocking or
// giving 0.
TEST_F(FifoOs, NonBlockingReadOnEmptyFifoWithWriterFailsEagain) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w, /*nonblocking_read=*/true));
  char c;
  EXPECT_THAT(::read(r.get(), &c, 1), SyscallFailsWithErrno(EAGAIN));
  w.reset();
  EXPECT_THAT(::read(r.get(), &c, 1), SyscallSucceedsWithValue(0))
      << "no EOF once the writer left";
}

TEST_F(FifoLayer, ReadSomeOnEmptyNonblockingFifoFailsEagain) {
  auto rd = ASSERT_OK_AND_VALUE(
      ipc::open_fifo(fifo_, ipc::FifoEnd::kRead, {.nonblocking = true}));
  auto wr = ASSERT_OK_AND_VALUE(ipc::open_fifo(fifo_, ipc::FifoEnd::kWrite));
  std::string buf(8, '\0');
  EXPECT_THAT(ipc::read_some(rd.get(), AsWritableBytes(buf)),
              FailsWith(EAGAIN));
}

// ---- FIFO-017 EAGAIN on a full FIFO ----------------------------------------

// Catches: a non-blocking write to a full FIFO blocking or writing something.
TEST_F(FifoOs, NonBlockingWriteToFullFifoFailsEagain) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  ASSERT_THAT(::fcntl(w.get(), F_SETFL, O_WRONLY | O_NONBLOCK),
              SyscallSucceeds());
  std::size_t cap = FillPipe(w.get());
  std::string big(kPipeBuf + 1, 'b');
  for (std::size_t n : {std::size_t{1}, kPipeBuf, kPipeBuf + 1}) {
    EXPECT_THAT(::write(w.get(), big.data(), n), SyscallFailsWithErrno(EAGAIN))
        << n << " bytes";
  }
  EXPECT_EQ(Unread(r.get()), static_cast<int>(cap));
}

TEST_F(FifoLayer, WriteSomeToFullNonblockingFifoFailsEagain) {
  auto rd = ASSERT_OK_AND_VALUE(
      ipc::open_fifo(fifo_, ipc::FifoEnd::kRead, {.nonblocking = true}));
  auto wr = ASSERT_OK_AND_VALUE(
      ipc::open_fifo(fifo_, ipc::FifoEnd::kWrite, {.nonblocking = true}));
  FillPipe(wr.get());
  EXPECT_THAT(ipc::write_some(wr.get(), ipc::as_bytes("x")), FailsWith(EAGAIN));
}

// ---- FIFO-018 writing without a reader -------------------------------------

// Catches: no SIGPIPE for a write into a FIFO whose readers all left.
TEST_F(FifoOs, WriteWithoutReaderKillsWithSigpipe) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  r.reset();
  EXPECT_THAT(RunInChild([&] {
                ::signal(SIGPIPE, SIG_DFL);
                sigset_t none;
                sigemptyset(&none);
                ::sigprocmask(SIG_SETMASK, &none, nullptr);
                TEST_CHECK_ERRNO(::write(w.get(), "x", 1), EPIPE);
                TEST_FAIL("the write failed EPIPE without SIGPIPE");
              }),
              ChildKilledBy(SIGPIPE));
}

// Catches: a write "succeeding" into a FIFO nobody can read (SIGPIPE ignored).
TEST_F(FifoOs, WriteWithoutReaderFailsEpipeWhenSigpipeIgnored) {
  IgnoreSignal ignore(SIGPIPE);
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  r.reset();
  EXPECT_THAT(::write(w.get(), "x", 1), SyscallFailsWithErrno(EPIPE));
}

TEST_F(FifoLayer, WriteSomeWithoutReaderFailsEpipe) {
  IgnoreSignal ignore(SIGPIPE);
  auto rd = ASSERT_OK_AND_VALUE(
      ipc::open_fifo(fifo_, ipc::FifoEnd::kRead, {.nonblocking = true}));
  auto wr = ASSERT_OK_AND_VALUE(ipc::open_fifo(fifo_, ipc::FifoEnd::kWrite));
  rd.reset();
  EXPECT_THAT(ipc::write_some(wr.get(), ipc::as_bytes("x")), FailsWith(EPIPE));
}

// ---- FIFO-019 data never reaches the filesystem (Linux) --------------------

// Catches: buffered FIFO data reported as file size (or stored in the node).
TEST_F(FifoOs, StatSizeStaysZeroWhileDataIsBuffered) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  std::string data = Pattern(5000, 6);
  ASSERT_THAT(::write(w.get(), data.data(), data.size()),
              SyscallSucceedsWithValue(data.size()));
  ASSERT_EQ(Unread(r.get()), 5000);
  struct stat by_path, by_fd;
  ASSERT_THAT(::stat(fifo_.c_str(), &by_path), SyscallSucceeds());
  ASSERT_THAT(::fstat(w.get(), &by_fd), SyscallSucceeds());
  EXPECT_EQ(by_path.st_size, 0);
  EXPECT_EQ(by_fd.st_size, 0);
  EXPECT_EQ(by_path.st_blocks, 0);
}

// ---- FIFO-020 data does not persist ----------------------------------------

// Catches: unread data kept in the FIFO after every descriptor closed (the
// next opener must see it empty).
TEST_F(FifoOs, UnreadDataDiscardedWhenLastDescriptorCloses) {
  {
    ipc::Fd r, w;
    ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
    ASSERT_THAT(::write(w.get(), "lost", 4), SyscallSucceedsWithValue(4));
  }
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w, /*nonblocking_read=*/true));
  EXPECT_EQ(Unread(r.get()), 0);
  char buf[8];
  EXPECT_THAT(::read(r.get(), buf, sizeof buf), SyscallFailsWithErrno(EAGAIN));
}

// Catches: data dropped while some descriptor still holds the FIFO open: the
// ends need not be connected at the same time as long as one stays open.
TEST_F(FifoOs, UnreadDataSurvivesWhileAnyDescriptorStaysOpen) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  ASSERT_THAT(::write(w.get(), "kept", 4), SyscallSucceedsWithValue(4));
  r.reset();  // no reader now; the writer keeps the FIFO alive
  ipc::Fd r2(Open(fifo_, O_RDONLY | O_NONBLOCK));
  ASSERT_THAT(r2.get(), SyscallSucceeds());
  w.reset();  // no writer; the new reader keeps it
  char buf[8];
  EXPECT_THAT(::read(r2.get(), buf, sizeof buf), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "kept");
}

// ---- FIFO-021 the node persists --------------------------------------------

// Catches: the node removed when its creator exits or its last user closes.
TEST_F(FifoOs, NodePersistsAfterCreatorExitsUntilUnlinked) {
  std::string p = dir_.file("by_child");
  ASSERT_CHILD_OK(RunInChild([&] {
    TEST_CHECK_SUCCESS(::mkfifo(p.c_str(), 0600));
    int r = ::open(p.c_str(), O_RDONLY | O_NONBLOCK);
    TEST_CHECK_SUCCESS(r);
    int w = ::open(p.c_str(), O_WRONLY);
    TEST_CHECK_SUCCESS(w);
    TEST_CHECK(::write(w, "z", 1) == 1);  // exits with both open
  }));
  struct stat st;
  ASSERT_THAT(::stat(p.c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ASSERT_THAT(::unlink(p.c_str()), SyscallSucceeds());
  EXPECT_THAT(::stat(p.c_str(), &st), SyscallFailsWithErrno(ENOENT));
}

// Catches: remove_fifo leaving the node, or removing something that is not a
// FIFO.
TEST_F(FifoLayer, RemoveFifoDeletesOnlyFifos) {
  ASSERT_OK(ipc::remove_fifo(fifo_));
  struct stat st;
  EXPECT_THAT(::lstat(fifo_.c_str(), &st), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(ipc::remove_fifo(fifo_), FailsWith(ENOENT));
  std::string file = ipc::testing::MakeFile(dir_.file("file"));
  auto refused = ipc::remove_fifo(file);
  EXPECT_THAT(refused, FailsWith(EINVAL));
  if (!refused.ok()) {
    EXPECT_THAT(refused.error().message(), HasSubstr("regular file"));
  }
  EXPECT_THAT(::lstat(file.c_str(), &st), SyscallSucceeds());
}

// Catches: remove_fifo following a symlink and removing (or accepting) it.
TEST_F(FifoLayer, RemoveFifoRefusesSymlinkToFifo) {
  std::string link = dir_.file("link");
  ASSERT_THAT(::symlink(fifo_.c_str(), link.c_str()), SyscallSucceeds());
  auto refused = ipc::remove_fifo(link);
  EXPECT_THAT(refused, FailsWith(EINVAL));
  if (!refused.ok()) {
    EXPECT_THAT(refused.error().message(), HasSubstr("symbolic link"));
  }
  struct stat st;
  EXPECT_THAT(::lstat(link.c_str(), &st), SyscallSucceeds());
  EXPECT_THAT(::lstat(fifo_.c_str(), &st), SyscallSucceeds());
}

// ---- FIFO-022 unlink while open --------------------------------------------

// Catches: open descriptors broken by unlink, or the path still opening.
TEST_F(FifoOs, UnlinkWhileOpenKeepsDescriptorsButPathIsGone) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  ASSERT_THAT(::unlink(fifo_.c_str()), SyscallSucceeds());
  ASSERT_THAT(::write(w.get(), "after", 5), SyscallSucceedsWithValue(5));
  char buf[8];
  EXPECT_THAT(::read(r.get(), buf, sizeof buf), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "after");
  struct stat st;
  ASSERT_THAT(::fstat(r.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_THAT(Open(fifo_, O_RDONLY | O_NONBLOCK),
              SyscallFailsWithErrno(ENOENT));
  // A new FIFO at the same path is a different object: it does not see our
  // data.
  ASSERT_THAT(::mkfifo(fifo_.c_str(), 0600), SyscallSucceeds());
  ipc::Fd r2(Open(fifo_, O_RDONLY | O_NONBLOCK));
  ASSERT_THAT(r2.get(), SyscallSucceeds());
  ASSERT_THAT(::write(w.get(), "old", 3), SyscallSucceedsWithValue(3));
  EXPECT_EQ(Unread(r2.get()), 0);
  EXPECT_THAT(Open(fifo_, O_WRONLY | O_NONBLOCK), SyscallSucceeds())
      << "new FIFO's reader is r2";
}

TEST_F(FifoLayer, OpenFifoAfterRemoveFailsEnoent) {
  auto rd = ASSERT_OK_AND_VALUE(
      ipc::open_fifo(fifo_, ipc::FifoEnd::kRead, {.nonblocking = true}));
  ASSERT_OK(ipc::remove_fifo(fifo_));
  auto again =
      ipc::open_fifo(fifo_, ipc::FifoEnd::kRead, {.nonblocking = true});
  EXPECT_THAT(again, FailsWith(ENOENT));
  if (!again.ok()) {
    EXPECT_THAT(again.error().message(), HasSubstr("open(" + fifo_));
  }
}

// ---- FIFO-023 lseek --------------------------------------------------------

// Catches: a seekable FIFO, or positioned I/O consuming data.
TEST_F(FifoOs, SeekAndPositionedIoFailEspipe) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  ASSERT_THAT(::write(w.get(), "abcd", 4), SyscallSucceedsWithValue(4));
  EXPECT_THAT(::lseek(r.get(), 0, SEEK_SET), SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::lseek(r.get(), 0, SEEK_CUR), SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::lseek(w.get(), 1, SEEK_END), SyscallFailsWithErrno(ESPIPE));
  char buf[4];
  EXPECT_THAT(::pread(r.get(), buf, 4, 0), SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(::pwrite(w.get(), "x", 1, 0), SyscallFailsWithErrno(ESPIPE));
  EXPECT_EQ(Unread(r.get()), 4);
}

// ---- FIFO-024 truncation (Linux) -------------------------------------------

// Catches: O_TRUNC refused or discarding buffered data; truncate/ftruncate
// accepted on a FIFO.
TEST_F(FifoOs, OTruncIgnoredAndTruncateFailsEinval) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  ASSERT_THAT(::write(w.get(), "abc", 3), SyscallSucceedsWithValue(3));
  ipc::Fd t(Open(fifo_, O_WRONLY | O_TRUNC));
  ASSERT_THAT(t.get(), SyscallSucceeds());
  EXPECT_EQ(Unread(r.get()), 3);
  EXPECT_THAT(::truncate(fifo_.c_str(), 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(::ftruncate(w.get(), 0), SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(Unread(r.get()), 3);
}

// ---- FIFO-025 F_GETFL (Linux, 64-bit) --------------------------------------

// Catches: F_GETFL not showing O_LARGEFILE (64-bit Linux forces it), or
// showing flags that were not asked for.
TEST_F(FifoOs, GetflIncludesLargefileOn64BitLinux) {
  if (kKernelOLargefile < 0)
    GTEST_SKIP() << "O_LARGEFILE bit not known for this architecture";
  ipc::Fd r(Open(fifo_, O_RDONLY | O_NONBLOCK));
  ASSERT_THAT(r.get(), SyscallSucceeds());
  ipc::Fd w(Open(fifo_, O_WRONLY));
  ASSERT_THAT(w.get(), SyscallSucceeds());
  EXPECT_EQ(::fcntl(r.get(), F_GETFL),
            O_RDONLY | O_NONBLOCK | kKernelOLargefile);
  EXPECT_EQ(::fcntl(w.get(), F_GETFL), O_WRONLY | kKernelOLargefile);
}

// Catches: open_fifo descriptors that are not close-on-exec, or in the wrong
// mode.
TEST_F(FifoLayer, OpenFifoDescriptorsAreCloexecWithExactFlags) {
  if (kKernelOLargefile < 0)
    GTEST_SKIP() << "O_LARGEFILE bit not known for this architecture";
  auto rd = ASSERT_OK_AND_VALUE(
      ipc::open_fifo(fifo_, ipc::FifoEnd::kRead, {.nonblocking = true}));
  auto wr = ASSERT_OK_AND_VALUE(ipc::open_fifo(fifo_, ipc::FifoEnd::kWrite));
  // open_fifo passes O_NOFOLLOW, which F_GETFL keeps reporting (O_NOCTTY and
  // O_CLOEXEC it does not).
  EXPECT_EQ(::fcntl(rd.get(), F_GETFL),
            O_RDONLY | O_NONBLOCK | O_NOFOLLOW | kKernelOLargefile);
  EXPECT_EQ(::fcntl(wr.get(), F_GETFL),
            O_WRONLY | O_NOFOLLOW | kKernelOLargefile);
  EXPECT_EQ(::fcntl(rd.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(::fcntl(wr.get(), F_GETFD), FD_CLOEXEC);
}

// ---- FIFO-026 permission on the node ---------------------------------------

// Catches: a FIFO opened for reading (writing) without read (write) permission.
// The node's owner is nobody, so the owner bits decide: 0200 → no read, 0400 →
// no write. Each allowed direction must pass the permission check (ENXIO or
// success), proving the refusal comes from the mode.
TEST_F(FifoOs, OpenWithoutPermissionFailsEacces) {
  std::string d = dir_.file("perm");
  ASSERT_THAT(::mkdir(d.c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(::chmod(d.c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(::mkfifo((d + "/wo").c_str(), 0600), SyscallSucceeds());
  ASSERT_THAT(::mkfifo((d + "/ro").c_str(), 0600), SyscallSucceeds());
  if (::chown((d + "/wo").c_str(), kNobody, kNobody) != 0 ||
      ::chown((d + "/ro").c_str(), kNobody, kNobody) != 0) {
    GTEST_SKIP() << "cannot chown to nobody: " << std::strerror(errno);
  }
  ASSERT_THAT(::chmod((d + "/wo").c_str(), 0200), SyscallSucceeds());
  ASSERT_THAT(::chmod((d + "/ro").c_str(), 0400), SyscallSucceeds());
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(EnterAndDropPrivileges(d), "cannot drop privileges here");
    TEST_CHECK_ERRNO(::open("wo", O_RDONLY | O_NONBLOCK | O_CLOEXEC), EACCES);
    TEST_CHECK_ERRNO(::open("wo", O_WRONLY | O_NONBLOCK | O_CLOEXEC), ENXIO);
    TEST_CHECK_ERRNO(::open("ro", O_WRONLY | O_NONBLOCK | O_CLOEXEC), EACCES);
    TEST_CHECK_SUCCESS(::open("ro", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    TEST_CHECK_ERRNO(::open("ro", O_RDWR | O_CLOEXEC), EACCES);
  }));
}

TEST_F(FifoLayer, OpenFifoWithoutPermissionFailsEacces) {
  std::string d = dir_.file("perm");
  ASSERT_THAT(::mkdir(d.c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(::chmod(d.c_str(), 0755), SyscallSucceeds());
  std::string p = d + "/root_only";
  ASSERT_OK(ipc::make_fifo(p));
  EXPECT_CHILD_OK(RunInChild([&] {
    CHILD_SKIP_UNLESS(EnterAndDropPrivileges(d), "cannot drop privileges here");
    auto rd =
        ipc::open_fifo("root_only", ipc::FifoEnd::kRead, {.nonblocking = true});
    TEST_CHECK(!rd.ok() && rd.error().code() == EACCES);
  }));
}

// ---- FIFO-027 a reader after EOF gets a later writer's data ----------------

// Catches: EOF made permanent on the read descriptor (a new writer's data
// lost).
TEST_F(FifoOs, ReaderAfterEofReceivesDataFromLaterWriter) {
  ipc::Fd r, w;
  ASSERT_TRUE(OpenBothEnds(fifo_, r, w));
  ASSERT_THAT(::write(w.get(), "one", 3), SyscallSucceedsWithValue(3));
  w.reset();
  char buf[8];
  ASSERT_THAT(::read(r.get(), buf, sizeof buf), SyscallSucceedsWithValue(3));
  ASSERT_THAT(::read(r.get(), buf, sizeof buf), SyscallSucceedsWithValue(0));
  ipc::Fd w2(
      Open(fifo_, O_WRONLY | O_NONBLOCK));  // r is still a reader: no ENXIO
  ASSERT_THAT(w2.get(), SyscallSucceeds());
  ASSERT_THAT(::write(w2.get(), "two", 3), SyscallSucceedsWithValue(3));
  ASSERT_TRUE(ReadyWithin(r.get(), POLLIN))
      << "the later writer's data never arrived";
  EXPECT_THAT(::read(r.get(), buf, sizeof buf), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "two");
  w2.reset();
  EXPECT_THAT(::read(r.get(), buf, sizeof buf), SyscallSucceedsWithValue(0));
}

// ---- FIFO-028 many writer processes (log collector) ------------------------

// The log-collector pattern: one reader holds the FIFO (capacity shrunk to
// 8 KiB so that writers contend); one process per entry of `sizes` opens the
// FIFO by path itself and writes per_writer records with
// write_record(fd, record) (RaceRecordWriters). Returns what the reader read
// until EOF; `results` gets each writer's ChildResult.
std::string CollectFromWriterProcesses(
    const std::string& path, const std::vector<std::size_t>& sizes,
    std::uint32_t per_writer,
    const std::function<bool(int, const std::string&)>& write_record,
    std::vector<ChildResult>* results) {
  ipc::Fd r, keep;
  if (!OpenBothEnds(path, r, keep)) return "cannot open the FIFO";
  ::fcntl(r.get(), F_SETPIPE_SZ, 8192);
  return RaceRecordWriters(
      r.get(), std::move(keep), sizes, per_writer,
      [&](int) { return ::open(path.c_str(), O_WRONLY | O_CLOEXEC); },
      write_record, results);
}

// Catches: a record of <= PIPE_BUF bytes split or interleaved with another
// writer's while several processes write to one FIFO (the seed's "not possible
// in FIFO" claim is contradicted by this working).
TEST_F(FifoOs, ManyWriterProcessesRecordsStayIntact) {
  std::vector<std::size_t> sizes = {kPipeBuf, kPipeBuf - 96, 1000, 17, 333};
  std::vector<ChildResult> results;
  std::string stream = CollectFromWriterProcesses(
      fifo_, sizes, 200,
      [](int fd, const std::string& rec) {
        return ::write(fd, rec.data(), rec.size()) ==
               static_cast<ssize_t>(rec.size());
      },
      &results);
  ASSERT_EQ(results.size(), sizes.size());
  for (const ChildResult& r : results) EXPECT_CHILD_OK(r);
  EXPECT_EQ(CheckRecordStream(stream, sizes, 200), "");
}

TEST_F(FifoLayer, WriteAtomicFromManyWriterProcessesStaysWhole) {
  std::vector<std::size_t> sizes = {ipc::pipe_buf(), 2500, 64};
  std::vector<ChildResult> results;
  std::string stream = CollectFromWriterProcesses(
      fifo_, sizes, 200,
      [](int fd, const std::string& rec) {
        return ipc::write_atomic(fd, ipc::as_bytes(rec)).ok();
      },
      &results);
  ASSERT_EQ(results.size(), sizes.size());
  for (const ChildResult& r : results) EXPECT_CHILD_OK(r);
  EXPECT_EQ(CheckRecordStream(stream, sizes, 200), "");
}

// ---- FIFO-029 several reader processes -------------------------------------

// Catches: a byte delivered to two readers, or to none, when several processes
// read one FIFO (contradicts the seed's "not possible in FIFO").
TEST_F(FifoOs, SeveralReaderProcessesConsumeEachByteOnce) {
  constexpr int kReaders = 3;
  constexpr std::size_t kBytes = 1 << 20;
  ipc::Fd dummy(Open(fifo_, O_RDONLY | O_NONBLOCK));
  ASSERT_THAT(dummy.get(), SyscallSucceeds());
  ipc::Fd w(Open(fifo_, O_WRONLY));
  ASSERT_THAT(w.get(), SyscallSucceeds());
  std::string payload = Pattern(kBytes, 11);
  std::vector<ChildResult> results;
  ByteCounts total = RaceReaders(
      kReaders,
      [&] {
        w.reset();
        dummy.reset();
        // A writer exists: no wait.
        return ::open(fifo_.c_str(), O_RDONLY | O_CLOEXEC);
      },
      [&] {
        dummy.reset();  // only the child readers remain
        EXPECT_THAT(ipc::write_full(w.get(), ipc::as_bytes(payload)), IsOk());
        w.reset();
      },
      &results);
  for (const ChildResult& r : results) EXPECT_CHILD_OK(r);
  ExpectByteCountsOf(total, payload);
}

// ---- FIFO-030 O_NOFOLLOW and symbolic links --------------------------------

// Catches: open() not following a symlink to a FIFO by default, or following it
// despite O_NOFOLLOW.
TEST_F(FifoOs, SymlinkToFifoIsFollowedUnlessONofollow) {
  std::string link = dir_.file("link");
  ASSERT_THAT(::symlink(fifo_.c_str(), link.c_str()), SyscallSucceeds());
  ipc::Fd r(Open(link, O_RDONLY | O_NONBLOCK));
  ASSERT_THAT(r.get(), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(::fstat(r.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_THAT(Open(link, O_RDONLY | O_NONBLOCK | O_NOFOLLOW),
              SyscallFailsWithErrno(ELOOP));
}

TEST_F(FifoLayer, OpenFifoRefusesSymlinkAtPath) {
  std::string link = dir_.file("link");
  ASSERT_THAT(::symlink(fifo_.c_str(), link.c_str()), SyscallSucceeds());
  auto rd = ipc::open_fifo(link, ipc::FifoEnd::kRead, {.nonblocking = true});
  EXPECT_THAT(rd, FailsWith(ELOOP));
  if (!rd.ok()) {
    EXPECT_THAT(rd.error().message(), HasSubstr("not followed"));
  }
}

// ---- FIFO-031 something else at the path -----------------------------------

// Catches: FIFO rendezvous (blocking) applied to a regular file opened by
// path; fstat must tell the type the caller really opened.
TEST_F(FifoOs, RegularFileAtFifoPathOpensWithoutRendezvous) {
  std::string file = ipc::testing::MakeFile(dir_.file("planted"));
  BackgroundCall opener(
      [&] { return static_cast<long>(Open(file, O_RDONLY)); });
  ASSERT_TRUE(opener.wait_done())
      << "open of a regular file waited like a FIFO";
  ASSERT_THAT(opener.result(), SyscallSucceeds());
  ipc::Fd fd(static_cast<int>(opener.result()));
  struct stat st;
  ASSERT_THAT(::fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_FALSE(S_ISFIFO(st.st_mode));
}

// Catches: open_fifo accepting a planted regular file (and leaking its
// descriptor).
TEST_F(FifoLayer, OpenFifoRefusesNonFifo) {
  std::string file = ipc::testing::MakeFile(dir_.file("planted"));
  auto rd = ipc::open_fifo(file, ipc::FifoEnd::kRead);
  EXPECT_THAT(rd, FailsWith(EINVAL));
  if (!rd.ok()) {
    EXPECT_THAT(rd.error().message(), HasSubstr("not a FIFO: regular file"));
  }
}

// Catches: open_fifo accepting a FIFO planted by another user.
TEST_F(FifoLayer, OpenFifoRefusesFifoOwnedByAnotherUid) {
  if (::chown(fifo_.c_str(), kNobody, kNobody) != 0) {
    GTEST_SKIP() << "cannot chown to nobody: " << std::strerror(errno);
  }
  auto rd = ipc::open_fifo(fifo_, ipc::FifoEnd::kRead, {.nonblocking = true});
  EXPECT_THAT(rd, FailsWith(EPERM));
  if (!rd.ok()) {
    EXPECT_THAT(rd.error().message(), HasSubstr("owned by uid 65534"));
  }
}

// ---- FIFO-032 poll() and readers that opened before any writer (Linux) -----

// Catches: POLLHUP reported to a reader that opened before any writer (an
// event loop could never wait for its first writer), or no POLLHUP once a
// writer has come and gone.
TEST_F(FifoOs, PollHupOnlyAfterAWriterHasComeAndGone) {
  ipc::Fd r(Open(fifo_, O_RDONLY | O_NONBLOCK));
  ASSERT_THAT(r.get(), SyscallSucceeds());
  struct pollfd pf = {r.get(), POLLIN, 0};
  EXPECT_THAT(::poll(&pf, 1, 0), SyscallSucceedsWithValue(0))
      << "revents " << pf.revents;
  ipc::Fd w(Open(fifo_, O_WRONLY));
  ASSERT_THAT(w.get(), SyscallSucceeds());
  EXPECT_THAT(::poll(&pf, 1, 0), SyscallSucceedsWithValue(0))
      << "revents " << pf.revents;
  w.reset();
  ASSERT_THAT(::poll(&pf, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_NE(pf.revents & POLLHUP, 0) << "revents " << pf.revents;
}

}  // namespace
