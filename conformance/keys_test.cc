// conformance/keys_test.cc — System V IPC keys: what ftok(3), svipc(7) and the
// *get(2) calls promise about keys, checked on the raw OS calls (KeyOs) and,
// where ipc/keys.h and the SysV layer expose the behaviour, on the layer
// (KeyLayer). The catalogue IDs are KEY-001 … KEY-018
// (conformance/catalog/keys.txt).
//
// Every test names the deviation it catches in its comment. Keys come from
// files in a TempDir (or IPC_PRIVATE); every object is removed by an RAII
// owner, also when an assertion fails half-way. Unrelated processes are the
// separately exec'd peer (conformance/testing/peer); privilege tests drop to
// nobody in a forked child (RunAsNobody) and skip where that is impossible
// (Bazel sandbox). Forked children check with TEST_CHECK*
// (ipc/testing/child.h): a failure names the expression, errno and line.
#include "ipc/keys.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/background.h"
#include "conformance/testing/suite_util.h"
#include "conformance/testing/sysv.h"
#include "conformance/testing/unchecked.h"
#include "conformance/testing/unrelated.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/sysv_msg.h"
#include "ipc/testing/test_util.h"

namespace {

using ::conformance::testing::KeyCleanup;
using ::conformance::testing::kPatience;
using ::conformance::testing::NoteUnchecked;
using ::conformance::testing::RunAsNobody;
using ::conformance::testing::RunInPrivateIpcNamespace;
using ::conformance::testing::RunUnrelatedPeer;
using ::conformance::testing::SysvipcUnavailable;
using ::conformance::testing::WriteProc;
using ::ipc::testing::Child;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::FailsWith;
using ::ipc::testing::IsOk;
using ::ipc::testing::MakeFile;
using ::ipc::testing::RawPipe;
using ::ipc::testing::RetryEINTR;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallFailsWithErrno;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;

// ---- helpers ---------------------------------------------------------------

// The kind of System V object, for the RAII owners below.
enum class Kind { kMsg, kShm, kSem };

union SemUn {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

int RemoveId(Kind kind, int id) {
  switch (kind) {
    case Kind::kMsg:
      return ::msgctl(id, IPC_RMID, nullptr);
    case Kind::kShm:
      return ::shmctl(id, IPC_RMID, nullptr);
    case Kind::kSem:
      return ::semctl(id, 0, IPC_RMID);
  }
  return -1;
}

// Removes one object by id on destruction (if the id is >= 0).
class Owned {
 public:
  Owned(Kind kind, int id) : kind_(kind), id_(id) {}
  ~Owned() {
    if (id_ >= 0) RemoveId(kind_, id_);
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  int id() const { return id_; }
  // Removes now; the destructor then does nothing.
  int remove() {
    int rc = RemoveId(kind_, id_);
    id_ = -1;
    return rc;
  }

 private:
  Kind kind_;
  int id_;
};

struct stat StatOf(const std::string& path) {
  struct stat st = {};
  EXPECT_THAT(::stat(path.c_str(), &st), SyscallSucceeds()) << path;
  return st;
}

// glibc's sysvipc/ftok.c: id in bits 24-31, st_dev in 16-23, st_ino in 0-15.
key_t GlibcKey(const struct stat& st, int proj_id) {
  return static_cast<key_t>((static_cast<unsigned>(st.st_ino) & 0xffffu) |
                            ((static_cast<unsigned>(st.st_dev) & 0xffu) << 16) |
                            ((static_cast<unsigned>(proj_id) & 0xffu) << 24));
}

// Whether two files' keys must differ under the glibc formula.
bool KeysMustDiffer(const struct stat& a, const struct stat& b) {
  return ((a.st_ino ^ b.st_ino) & 0xffff) != 0 ||
         ((a.st_dev ^ b.st_dev) & 0xff) != 0;
}

std::string KeyText(key_t key) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key=0x%08x\n", static_cast<unsigned>(key));
  return buf;
}

// One message for msgsnd/msgrcv.
struct Msg {
  long type;
  char text[64];
};

int SendText(int qid, long type, const std::string& text) {
  Msg m = {type, {}};
  std::memcpy(m.text, text.data(), text.size());
  return ::msgsnd(qid, &m, text.size(), IPC_NOWAIT);
}

// Receives one message (IPC_NOWAIT) as "type:text", or "errno=N".
std::string ReceiveText(int qid, long type = 0) {
  Msg m = {};
  ssize_t n = ::msgrcv(qid, &m, sizeof m.text, type, IPC_NOWAIT);
  if (n < 0) return "errno=" + std::to_string(errno);
  return std::to_string(m.type) + ":" +
         std::string(m.text, static_cast<std::size_t>(n));
}

key_t MsgKeyOf(int qid) {
  struct msqid_ds ds = {};
  if (::msgctl(qid, IPC_STAT, &ds) != 0) return -1;
  return ds.msg_perm.__key;
}

// The test fixture: a key file in a private directory.
class KeyFileTest : public ::testing::Test {
 protected:
  KeyFileTest() : path_(MakeFile(dir_.file("anchor"))) {}
  TempDir dir_;
  std::string path_;
};

class KeyOs : public KeyFileTest {};
class KeyLayer : public KeyFileTest {};

// ---- KEY-001 same file and id, same key, in any process --------------------

// Catches: a key that depends on the calling process or on time.
TEST_F(KeyOs, SameFileAndIdGiveTheSameKeyInAForkedChild) {
  key_t key = ::ftok(path_.c_str(), 7);
  ASSERT_THAT(key, SyscallSucceeds());
  EXPECT_EQ(::ftok(path_.c_str(), 7), key);
  EXPECT_CHILD_OK(
      RunInChild([&] { TEST_CHECK(::ftok(path_.c_str(), 7) == key); }));
}

// Catches: a key that an unrelated program computes differently.
TEST_F(KeyOs, ExecdPeerComputesTheSameKey) {
  key_t key = ::ftok(path_.c_str(), 42);
  ASSERT_THAT(key, SyscallSucceeds());
  auto run = RunUnrelatedPeer({"ftok", path_, "42"});
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_EQ(run->output, KeyText(key));
}

// Catches: proj_id ignored (every id giving one key) or two ids sharing a key.
TEST_F(KeyOs, DifferentIdsOnOneFileGiveDistinctKeys) {
  std::set<key_t> keys;
  for (int id = 1; id <= 255; ++id) {
    key_t k = ::ftok(path_.c_str(), id);
    ASSERT_THAT(k, SyscallSucceeds());
    keys.insert(k);
  }
  EXPECT_EQ(keys.size(), 255u);
}

// Catches: make_key not being ftok, or key_to_string not printing what ipcs
// prints.
TEST_F(KeyLayer, MakeKeyEqualsFtokAndTheExecdPeersKey) {
  auto key = ASSERT_OK_AND_VALUE(ipc::make_key(path_, 9));
  EXPECT_EQ(key, ::ftok(path_.c_str(), 9));
  auto run = RunUnrelatedPeer({"ftok", path_, "9"});
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->wait_status, 0) << run->output;
  EXPECT_EQ("key=" + ipc::key_to_string(key) + "\n", run->output);
}

// ---- KEY-002 file identity, not path ---------------------------------------

// Catches: a key hashed from the path string.
TEST_F(KeyOs, HardLinkGivesTheSameKey) {
  std::string link = dir_.file("hardlink");
  ASSERT_THAT(::link(path_.c_str(), link.c_str()), SyscallSucceeds());
  EXPECT_EQ(::ftok(link.c_str(), 3), ::ftok(path_.c_str(), 3));
}

// Catches: ftok using lstat (the link's own inode) instead of stat.
TEST_F(KeyOs, SymlinkGivesTheSameKeyAsItsTarget) {
  std::string link = dir_.file("symlink");
  ASSERT_THAT(::symlink(path_.c_str(), link.c_str()), SyscallSucceeds());
  struct stat lst;
  ASSERT_THAT(::lstat(link.c_str(), &lst), SyscallSucceeds());
  ASSERT_NE(lst.st_ino, StatOf(path_).st_ino);
  EXPECT_EQ(::ftok(link.c_str(), 3), ::ftok(path_.c_str(), 3));
}

// Catches: relative, dotted or doubled-slash spellings giving other keys.
TEST_F(KeyOs, RelativeAndAbsoluteSpellingsGiveTheSameKey) {
  key_t key = ::ftok(path_.c_str(), 5);
  ASSERT_THAT(key, SyscallSucceeds());
  ASSERT_THAT(::mkdir(dir_.file("sub").c_str(), 0700), SyscallSucceeds());
  EXPECT_EQ(::ftok((dir_.path() + "/./anchor").c_str(), 5), key);
  EXPECT_EQ(::ftok((dir_.path() + "//anchor").c_str(), 5), key);
  EXPECT_EQ(::ftok((dir_.path() + "/sub/../anchor").c_str(), 5), key);
  // The working directory is per process: change it in a child only.
  std::string dir = dir_.path();
  EXPECT_CHILD_OK(RunInChild([&] {
    TEST_CHECK_SUCCESS(::chdir(dir.c_str()));
    TEST_CHECK(::ftok("anchor", 5) == key);
    TEST_CHECK(::ftok("./anchor", 5) == key);
    TEST_CHECK(::ftok("sub/../anchor", 5) == key);
  }));
}

// Catches: a key that changes when the file is renamed (the inode stays).
TEST_F(KeyOs, RenamedFileKeepsItsKey) {
  key_t key = ::ftok(path_.c_str(), 5);
  ASSERT_THAT(key, SyscallSucceeds());
  std::string moved = dir_.file("moved");
  ASSERT_THAT(::rename(path_.c_str(), moved.c_str()), SyscallSucceeds());
  EXPECT_EQ(::ftok(moved.c_str(), 5), key);
}

// Catches: a key that ignores the file (every file giving one key).
TEST_F(KeyOs, DifferentFileGivesADifferentKey) {
  std::string other = MakeFile(dir_.file("other"));
  if (!KeysMustDiffer(StatOf(path_), StatOf(other))) {
    GTEST_SKIP() << "the two files' inode numbers collide in their low 16 bits";
  }
  EXPECT_NE(::ftok(other.c_str(), 5), ::ftok(path_.c_str(), 5));
}

TEST_F(KeyLayer, MakeKeyOfAHardLinkEqualsTheOriginal) {
  std::string link = dir_.file("hardlink");
  ASSERT_THAT(::link(path_.c_str(), link.c_str()), SyscallSucceeds());
  auto a = ASSERT_OK_AND_VALUE(ipc::make_key(path_, 11));
  auto b = ASSERT_OK_AND_VALUE(ipc::make_key(link, 11));
  EXPECT_EQ(a, b);
}

// ---- KEY-003 low 8 bits of proj_id -----------------------------------------

// Catches: proj_id bits above the low 8 entering the key.
TEST_F(KeyOs, OnlyTheLow8BitsOfProjIdAreUsed) {
  key_t one = ::ftok(path_.c_str(), 1);
  ASSERT_THAT(one, SyscallSucceeds());
  EXPECT_EQ(::ftok(path_.c_str(), 0x101), one);
  EXPECT_EQ(::ftok(path_.c_str(), 0x7fffff01), one);
  EXPECT_EQ(::ftok(path_.c_str(), -255), one);  // -255 = 0x...ff01
  EXPECT_EQ(::ftok(path_.c_str(), -1), ::ftok(path_.c_str(), 0xff));
  EXPECT_NE(::ftok(path_.c_str(), 0x102), one);
}

// The layer refuses the ids that ftok would silently alias.
TEST_F(KeyLayer, MakeKeyRejectsProjIdsOutside1To255) {
  for (int id : {0, 256, 257, -1}) {
    auto k = ipc::make_key(path_, id);
    EXPECT_THAT(k, FailsWith(EINVAL)) << "proj_id " << id;
    if (!k.ok()) {
      EXPECT_THAT(k.error().message(), HasSubstr("proj_id")) << id;
    }
  }
  EXPECT_THAT(ipc::make_key(path_, 255), IsOk());
  EXPECT_THAT(ipc::make_key(path_, 1), IsOk());
}

// ---- KEY-004 proj_id 0 (glibc computes a key) ------------------------------

// Catches: a libc that rejects 0 or computes a key other than the aliasing one.
// Non-portable: ftok(3) leaves proj_id 0 unspecified; this is glibc's choice.
TEST_F(KeyOs, ProjIdZeroStillGivesAKeyEqualToProjId256) {
#ifndef __GLIBC__
  GTEST_SKIP() << "glibc behaviour";
#endif
  key_t zero = ::ftok(path_.c_str(), 0);
  ASSERT_THAT(zero, SyscallSucceeds());
  EXPECT_EQ(zero, ::ftok(path_.c_str(), 256));
  EXPECT_EQ(static_cast<unsigned>(zero) >> 24, 0u);
  EXPECT_EQ(zero, GlibcKey(StatOf(path_), 0));
  EXPECT_NE(zero, ::ftok(path_.c_str(), 1));
}

// ---- KEY-005 stat errors ---------------------------------------------------

// Catches: a key computed for a file that does not exist.
TEST_F(KeyOs, MissingPathFailsEnoent) {
  EXPECT_THAT(::ftok(dir_.file("missing").c_str(), 1),
              SyscallFailsWithErrno(ENOENT));
  std::string dangling = dir_.file("dangling");
  ASSERT_THAT(::symlink(dir_.file("nowhere").c_str(), dangling.c_str()),
              SyscallSucceeds());
  EXPECT_THAT(::ftok(dangling.c_str(), 1), SyscallFailsWithErrno(ENOENT));
}

// Catches: a regular file accepted as a directory component.
TEST_F(KeyOs, PathThroughARegularFileFailsEnotdir) {
  EXPECT_THAT(::ftok((path_ + "/x").c_str(), 1),
              SyscallFailsWithErrno(ENOTDIR));
}

// Catches: stat errnos other than the ones stat(2) gives (ELOOP, ENAMETOOLONG).
TEST_F(KeyOs, SymlinkLoopAndOverlongNameFailLikeStat) {
  std::string a = dir_.file("loop-a"), b = dir_.file("loop-b");
  ASSERT_THAT(::symlink(b.c_str(), a.c_str()), SyscallSucceeds());
  ASSERT_THAT(::symlink(a.c_str(), b.c_str()), SyscallSucceeds());
  EXPECT_THAT(::ftok(a.c_str(), 1), SyscallFailsWithErrno(ELOOP));
  std::string longname = dir_.file(std::string(NAME_MAX + 1, 'n'));
  EXPECT_THAT(::ftok(longname.c_str(), 1), SyscallFailsWithErrno(ENAMETOOLONG));
}

// A directory that user nobody can search (mode 0711) inside one that is
// private to root (0700): made outside the temp root, which nobody cannot
// traverse when the suite runs outside Bazel.
class SearchableDir {
 public:
  SearchableDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/ipct-keys-XXXXXX";
    if (::mkdtemp(templ.data()) != nullptr && ::chmod(templ.c_str(), 0711) == 0)
      path_ = templ;
  }
  ~SearchableDir() {
    if (!path_.empty()) {
      ::nftw(
          path_.c_str(),
          [](const char* p, const struct stat*, int, struct FTW*) {
            return ::remove(p);
          },
          8, FTW_DEPTH | FTW_PHYS);
    }
  }
  SearchableDir(const SearchableDir&) = delete;
  SearchableDir& operator=(const SearchableDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Catches: ftok that bypasses search permission on the path (no stat check).
TEST_F(KeyOs, UnsearchableDirectoryFailsEacces) {
  SearchableDir top;
  ASSERT_FALSE(top.path().empty()) << std::strerror(errno);
  std::string open_dir = top.path() + "/open",
              closed_dir = top.path() + "/closed";
  ASSERT_THAT(::mkdir(open_dir.c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(::mkdir(closed_dir.c_str(), 0700), SyscallSucceeds());
  std::string open_file = MakeFile(open_dir + "/f"),
              closed_file = MakeFile(closed_dir + "/f");
  EXPECT_CHILD_OK(RunAsNobody([&] {
    // control: the path itself is reachable
    TEST_CHECK_SUCCESS(::ftok(open_file.c_str(), 1));
    TEST_CHECK_ERRNO(::ftok(closed_file.c_str(), 1), EACCES);
  }));
}

TEST_F(KeyLayer, MakeKeyReportsTheStatErrnoAndNamesThePath) {
  std::string missing = dir_.file("missing");
  auto k = ipc::make_key(missing, 1);
  ASSERT_THAT(k, FailsWith(ENOENT));
  EXPECT_THAT(k.error().message(), HasSubstr(missing));
  EXPECT_THAT(k.error().message(), HasSubstr("ftok"));
  EXPECT_THAT(ipc::make_key(path_ + "/x", 1), FailsWith(ENOTDIR));
}

// ---- KEY-006 the glibc formula, and collisions -----------------------------

// Catches: a libc whose key is not (id & 0xff) << 24 | (dev & 0xff) << 16 |
// (ino & 0xffff).
TEST_F(KeyOs, KeyIsGlibcFormulaOfIdDeviceAndInode) {
#ifndef __GLIBC__
  GTEST_SKIP() << "glibc formula";
#endif
  // Also files on other file systems, so the device byte is not always 0
  // (the root file system here is 254:0, whose low 8 bits are 0).
  std::vector<std::string> files = {path_, MakeFile(dir_.file("b")),
                                    MakeFile(dir_.file("c")), "/"};
  bool nonzero_device_byte = false;
  for (const char* f : {"/proc", "/sys", "/dev", "/dev/shm", "/run"}) {
    struct stat st;
    if (::stat(f, &st) == 0) {
      files.push_back(f);
      nonzero_device_byte |= (st.st_dev & 0xff) != 0;
    }
  }
  EXPECT_TRUE(nonzero_device_byte) << "no file with a non-zero low device "
                                      "byte: the st_dev term went untested";
  for (const auto& f : files) {
    struct stat st = StatOf(f);
    for (int id : {1, 0x5a, 0xff}) {
      EXPECT_EQ(::ftok(f.c_str(), id), GlibcKey(st, id)) << f << " id " << id;
    }
  }
}

// Catches: a key derived from the whole inode number (no collisions), which
// would make the glibc NOTES warning wrong. Looks for two existing files on
// one device whose inode numbers agree in the low 16 bits (read-only: stat
// only); with a few thousand files such a pair is almost certain.
TEST_F(KeyOs, FilesWhoseInodesAgreeInTheLow16BitsCollide) {
#ifndef __GLIBC__
  GTEST_SKIP() << "glibc formula";
#endif
  static std::map<std::pair<unsigned, unsigned>, std::pair<ino_t, std::string>>*
      seen;
  static std::pair<std::string, std::string> found;
  static constexpr long kLimit = 60000;
  static long visited;
  std::map<std::pair<unsigned, unsigned>, std::pair<ino_t, std::string>> table;
  seen = &table;
  found = {};
  visited = 0;
  auto visit = [](const char* p, const struct stat* st, int type,
                  struct FTW*) -> int {
    if (type != FTW_F || !S_ISREG(st->st_mode)) return 0;
    if (++visited > kLimit) return 1;
    auto bucket = std::make_pair(static_cast<unsigned>(st->st_dev) & 0xffu,
                                 static_cast<unsigned>(st->st_ino) & 0xffffu);
    auto [it, fresh] =
        seen->emplace(bucket, std::make_pair(st->st_ino, std::string(p)));
    if (!fresh && it->second.first != st->st_ino) {
      found = {it->second.second, p};
      return 1;
    }
    return 0;
  };
  for (const char* root : {"/usr/lib", "/usr/share", "/usr"}) {
    if (!found.first.empty()) break;
    ::nftw(root, visit, 16, FTW_PHYS | FTW_MOUNT);
  }
  if (found.first.empty())
    GTEST_SKIP() << "no two files with colliding inode bits found";
  struct stat a = StatOf(found.first), b = StatOf(found.second);
  ASSERT_NE(a.st_ino, b.st_ino);
  EXPECT_EQ(::ftok(found.first.c_str(), 1), ::ftok(found.second.c_str(), 1))
      << found.first << " (ino " << a.st_ino << ") vs " << found.second
      << " (ino " << b.st_ino << ")";
}

// ---- KEY-007 recreated file, new key ---------------------------------------

// Catches: a key remembered by path; peers that computed it before and after
// the file was recreated agreeing; an old key finding the new file's objects.
TEST_F(KeyOs, RecreatedFileGetsANewKey) {
  key_t before = ::ftok(path_.c_str(), 1);
  ASSERT_THAT(before, SyscallSucceeds());
  auto peer_before = RunUnrelatedPeer({"ftok", path_, "1"});
  ASSERT_THAT(peer_before, IsOk());
  int qid = ::msgget(before, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(qid, SyscallSucceeds());
  Owned q(Kind::kMsg, qid);
  // Keep the old inode alive under another name so the file system cannot
  // hand the same inode number to the new file.
  struct stat old_st = StatOf(path_);
  ASSERT_THAT(::rename(path_.c_str(), dir_.file("old").c_str()),
              SyscallSucceeds());
  MakeFile(path_);
  struct stat new_st = StatOf(path_);
  ASSERT_NE(new_st.st_ino, old_st.st_ino);
  if (!KeysMustDiffer(old_st, new_st))
    GTEST_SKIP() << "old and new inode collide in their low 16 bits";
  key_t after = ::ftok(path_.c_str(), 1);
  ASSERT_THAT(after, SyscallSucceeds());
  EXPECT_NE(after, before);
  auto peer_after = RunUnrelatedPeer({"ftok", path_, "1"});
  ASSERT_THAT(peer_after, IsOk());
  EXPECT_EQ(peer_before->output, KeyText(before));
  EXPECT_EQ(peer_after->output, KeyText(after));
  EXPECT_THAT(::msgget(after, 0), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::msgget(before, 0), SyscallSucceedsWithValue(qid));
}

// ---- KEY-008 IPC_PRIVATE ---------------------------------------------------

// Catches: IPC_PRIVATE treated as an ordinary key (second call finding the
// first queue, or IPC_EXCL failing EEXIST).
TEST_F(KeyOs, IpcPrivateCreatesANewQueueEveryTime) {
  Owned a(Kind::kMsg, ::msgget(IPC_PRIVATE, 0600));
  Owned b(Kind::kMsg, ::msgget(IPC_PRIVATE, IPC_CREAT | 0600));
  Owned c(Kind::kMsg, ::msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_GE(a.id(), 0);
  ASSERT_GE(b.id(), 0);
  ASSERT_GE(c.id(), 0);
  EXPECT_EQ(std::set<int>({a.id(), b.id(), c.id()}).size(), 3u);
  // They are independent queues.
  ASSERT_THAT(SendText(a.id(), 1, "only-a"), SyscallSucceeds());
  EXPECT_EQ(ReceiveText(b.id()), "errno=" + std::to_string(ENOMSG));
  EXPECT_EQ(ReceiveText(a.id()), "1:only-a");
}

// Catches: the same for segments and semaphore sets.
TEST_F(KeyOs, IpcPrivateCreatesANewSegmentAndSemaphoreSetEveryTime) {
  Owned s1(Kind::kShm,
           ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0600));
  Owned s2(Kind::kShm,
           ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0600));
  Owned m1(Kind::kSem, ::semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600));
  Owned m2(Kind::kSem, ::semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_GE(s1.id(), 0);
  ASSERT_GE(s2.id(), 0);
  ASSERT_GE(m1.id(), 0);
  ASSERT_GE(m2.id(), 0);
  EXPECT_NE(s1.id(), s2.id());
  EXPECT_NE(m1.id(), m2.id());
}

TEST_F(KeyLayer, CreatePrivateGivesDistinctQueuesAndOpenRejectsIpcPrivate) {
  auto a = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner own_a(a);
  auto b = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_private());
  ipc::QueueOwner own_b(b);
  EXPECT_NE(a.id(), b.id());
  EXPECT_EQ(MsgKeyOf(a.id()), IPC_PRIVATE);
  EXPECT_THAT(ipc::MessageQueue::open(IPC_PRIVATE), FailsWith(EINVAL));
}

// ---- KEY-009 keys are global: an unrelated process finds the object --------

// Catches: keys private to a process tree (the exec'd peer's msgget(key, 0)
// failing, or reaching another queue).
TEST_F(KeyOs, ExecdPeerFindsTheQueueByKeyAndSendsToIt) {
  key_t key = ::ftok(path_.c_str(), 21);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned q(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  auto run = RunUnrelatedPeer({"msg-send", path_, "21", "7", "from the peer"});
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_EQ(ReceiveText(q.id()), "7:from the peer");
}

// Catches: the same in the other direction (the peer reads our message).
TEST_F(KeyOs, ExecdPeerReceivesWhatWeSentUnderTheKey) {
  key_t key = ::ftok(path_.c_str(), 22);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned q(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  ASSERT_THAT(SendText(q.id(), 3, "to the peer"), SyscallSucceeds());
  auto run = RunUnrelatedPeer({"msg-recv", path_, "22", "0", "64"});
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_EQ(run->output, "type=3 text=to the peer");
  EXPECT_EQ(ReceiveText(q.id()), "errno=" + std::to_string(ENOMSG))
      << "the peer did not take it";
}

// Catches: the same for a shared-memory segment.
TEST_F(KeyOs, ExecdPeerFindsTheSegmentByKey) {
  key_t key = ::ftok(path_.c_str(), 23);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned s(Kind::kShm, ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(s.id(), SyscallSucceeds());
  auto run = RunUnrelatedPeer({"shm-write", path_, "23", "100", "peer bytes"});
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  void* p = ::shmat(s.id(), nullptr, SHM_RDONLY);
  ASSERT_NE(p, reinterpret_cast<void*>(-1)) << std::strerror(errno);
  EXPECT_EQ(std::string(static_cast<char*>(p) + 100, 10), "peer bytes");
  ::shmdt(p);
}

TEST_F(KeyLayer, ExecdPeerSendsToAQueueCreatedWithMakeKey) {
  auto key = ASSERT_OK_AND_VALUE(ipc::make_key(path_, 24));
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_exclusive(key));
  ipc::QueueOwner owner(q);
  auto run = RunUnrelatedPeer({"msg-send", path_, "24", "5", "layer"});
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->wait_status, 0) << run->output;
  auto m = ASSERT_OK_AND_VALUE(q.receive(0, 64, {.nowait = true}));
  EXPECT_EQ(m.type, 5);
  EXPECT_EQ(
      std::string(reinterpret_cast<const char*>(m.data.data()), m.data.size()),
      "layer");
}

// ---- KEY-010 ids are global too --------------------------------------------

// In a child forked before the object exists: the id, learnt as a plain
// number through a pipe (the child never called msgget/shmget and inherited
// nothing).
int IdFromPipe(int read_fd) {
  int id = -1;
  TEST_CHECK(RetryEINTR(::read)(read_fd, &id, sizeof id) ==
             static_cast<ssize_t>(sizeof id));
  return id;
}

// Catches: ids valid only in the process that looked them up.
TEST_F(KeyOs, QueueIdWorksInAProcessThatNeverLookedItUp) {
  RawPipe p;
  Child child([&] {
    TEST_CHECK_SUCCESS(SendText(IdFromPipe(p.read.get()), 9, "by id"));
  });
  Owned q(Kind::kMsg, ::msgget(IPC_PRIVATE, 0600));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  int id = q.id();
  ASSERT_THAT(::write(p.write.get(), &id, sizeof id),
              SyscallSucceedsWithValue(sizeof id));
  ASSERT_CHILD_OK(child.wait());
  EXPECT_EQ(ReceiveText(q.id()), "9:by id");
}

// Catches: ids that work only in the creator's process tree: a program that
// descends from no process of the test, told the IPC_PRIVATE queue's id as a
// number on its command line, sends to it.
TEST_F(KeyOs, QueueIdWorksInAnUnrelatedProgramToldOnlyTheNumber) {
  Owned q(Kind::kMsg, ::msgget(IPC_PRIVATE, 0600));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  auto run = RunUnrelatedPeer(
      {"msg-send-id", std::to_string(q.id()), "8", "by number"});
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->wait_status, 0)
      << DescribeWaitStatus(run->wait_status) << ": " << run->output;
  EXPECT_EQ(ReceiveText(q.id()), "8:by number");
}

// Catches: the same for shmat on a segment id.
TEST_F(KeyOs, SegmentIdWorksInAProcessThatNeverLookedItUp) {
  RawPipe p;
  Child child([&] {
    void* m = ::shmat(IdFromPipe(p.read.get()), nullptr, 0);
    TEST_CHECK_SUCCESS(m);
    std::memcpy(m, "by id", 5);
    TEST_CHECK_SUCCESS(::shmdt(m));
  });
  Owned s(Kind::kShm, ::shmget(IPC_PRIVATE, 4096, 0600));
  ASSERT_THAT(s.id(), SyscallSucceeds());
  int id = s.id();
  ASSERT_THAT(::write(p.write.get(), &id, sizeof id),
              SyscallSucceedsWithValue(sizeof id));
  ASSERT_CHILD_OK(child.wait());
  void* m = ::shmat(s.id(), nullptr, SHM_RDONLY);
  ASSERT_NE(m, reinterpret_cast<void*>(-1));
  EXPECT_EQ(std::string(static_cast<char*>(m), 5), "by id");
  ::shmdt(m);
}

// ---- KEY-011 one key space per IPC type ------------------------------------

// Catches: a shared key space (EEXIST for the second type), or objects that
// affect each other (removing the queue freeing the segment's key).
TEST_F(KeyOs, OneKeyNamesAQueueASegmentAndASemaphoreSetIndependently) {
  key_t key = ::ftok(path_.c_str(), 31);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned q(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  Owned s(Kind::kShm, ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
  Owned m(Kind::kSem, ::semget(key, 2, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  ASSERT_THAT(s.id(), SyscallSucceeds());
  ASSERT_THAT(m.id(), SyscallSucceeds());
  ASSERT_THAT(q.remove(), SyscallSucceeds());
  EXPECT_THAT(::msgget(key, 0), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(::shmget(key, 0, 0), SyscallSucceedsWithValue(s.id()));
  EXPECT_THAT(::semget(key, 0, 0), SyscallSucceedsWithValue(m.id()));
  ASSERT_THAT(s.remove(), SyscallSucceeds());
  EXPECT_THAT(::semget(key, 0, 0), SyscallSucceedsWithValue(m.id()));
}

// ---- KEY-012 kernel persistence --------------------------------------------

// The /proc/sysvipc/<table> row whose id column is `id`: its "key" column.
std::optional<long> ProcKeyOf(const char* table, const char* id_column,
                              int id) {
  std::ifstream in(std::string("/proc/sysvipc/") + table);
  std::string header;
  if (!std::getline(in, header)) return std::nullopt;
  std::istringstream hs(header);
  std::vector<std::string> cols;
  for (std::string c; hs >> c;) cols.push_back(c);
  int key_col = -1, id_col = -1;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (cols[i] == "key") key_col = static_cast<int>(i);
    if (cols[i] == id_column) id_col = static_cast<int>(i);
  }
  if (key_col < 0 || id_col < 0) return std::nullopt;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::vector<std::string> f;
    for (std::string x; ls >> x;) f.push_back(x);
    if (static_cast<int>(f.size()) > std::max(key_col, id_col) &&
        std::stol(f[id_col]) == id) {
      return std::stol(f[key_col]);
    }
  }
  return std::nullopt;
}

// Catches: a queue destroyed when its creator exits (or its message lost).
TEST_F(KeyOs, QueueAndItsMessageOutliveTheProcessThatCreatedIt) {
  key_t key = ::ftok(path_.c_str(), 41);
  ASSERT_THAT(key, SyscallSucceeds());
  KeyCleanup cleanup(key);
  ASSERT_CHILD_OK(RunInChild([&] {
    int qid = ::msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    TEST_CHECK_SUCCESS(qid);
    TEST_CHECK_SUCCESS(SendText(qid, 4, "left behind"));
  }));
  int qid = ::msgget(key, 0);
  ASSERT_THAT(qid, SyscallSucceeds()) << "the queue died with its creator";
  if (std::string why = SysvipcUnavailable("msg"); !why.empty()) {
    NoteUnchecked("listed in /proc/sysvipc/msg with its key (" + why + ")");
  } else {
    auto listed = ProcKeyOf("msg", "msqid", qid);
    ASSERT_TRUE(listed.has_value()) << "not in /proc/sysvipc/msg";
    EXPECT_EQ(static_cast<key_t>(*listed), key);
  }
  EXPECT_EQ(ReceiveText(qid), "4:left behind");
}

// Catches: the same for a segment and its contents (SysV "not persistent"
// only means not across a reboot).
TEST_F(KeyOs, SegmentAndItsBytesOutliveTheProcessThatCreatedIt) {
  key_t key = ::ftok(path_.c_str(), 42);
  ASSERT_THAT(key, SyscallSucceeds());
  KeyCleanup cleanup(key);
  ASSERT_CHILD_OK(RunInChild([&] {
    int id = ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    TEST_CHECK_SUCCESS(id);
    void* m = ::shmat(id, nullptr, 0);
    TEST_CHECK_SUCCESS(m);
    std::memcpy(m, "kept", 4);
    TEST_CHECK_SUCCESS(::shmdt(m));
  }));
  int id = ::shmget(key, 0, 0);
  ASSERT_THAT(id, SyscallSucceeds()) << "the segment died with its creator";
  if (std::string why = SysvipcUnavailable("shm"); !why.empty()) {
    NoteUnchecked("listed in /proc/sysvipc/shm with its key (" + why + ")");
  } else {
    auto listed = ProcKeyOf("shm", "shmid", id);
    ASSERT_TRUE(listed.has_value()) << "not in /proc/sysvipc/shm";
    EXPECT_EQ(static_cast<key_t>(*listed), key);
  }
  void* m = ::shmat(id, nullptr, SHM_RDONLY);
  ASSERT_NE(m, reinterpret_cast<void*>(-1));
  EXPECT_EQ(std::string(static_cast<char*>(m), 4), "kept");
  ::shmdt(m);
}

// ---- KEY-013 after IPC_RMID the key is free, the old id dead ---------------

// Catches: a key still bound after removal, or an old id reaching the new
// queue.
TEST_F(KeyOs, RemovedQueueFreesItsKeyAndItsOldIdFailsEinval) {
  key_t key = ::ftok(path_.c_str(), 51);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned first(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(first.id(), SyscallSucceeds());
  int old_id = first.id();
  ASSERT_THAT(first.remove(), SyscallSucceeds());
  EXPECT_THAT(::msgget(key, 0), SyscallFailsWithErrno(ENOENT));
  Owned second(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(second.id(), SyscallSucceeds());
  EXPECT_NE(second.id(), old_id) << "Linux ids carry a sequence number";
  struct msqid_ds ds;
  EXPECT_THAT(::msgctl(old_id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(SendText(old_id, 1, "x"), SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(ReceiveText(second.id()), "errno=" + std::to_string(ENOMSG));
}

// Catches: the same for segments.
TEST_F(KeyOs, RemovedSegmentFreesItsKeyAndItsOldIdFailsEinval) {
  key_t key = ::ftok(path_.c_str(), 52);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned first(Kind::kShm, ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(first.id(), SyscallSucceeds());
  int old_id = first.id();
  ASSERT_THAT(first.remove(), SyscallSucceeds());
  EXPECT_THAT(::shmget(key, 0, 0), SyscallFailsWithErrno(ENOENT));
  Owned second(Kind::kShm, ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(second.id(), SyscallSucceeds());
  EXPECT_NE(second.id(), old_id);
  EXPECT_EQ(::shmat(old_id, nullptr, 0), reinterpret_cast<void*>(-1));
  EXPECT_EQ(errno, EINVAL);
}

TEST_F(KeyLayer, CreateExclusiveSucceedsAgainAfterRemove) {
  auto key = ASSERT_OK_AND_VALUE(ipc::make_key(path_, 53));
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_exclusive(key));
  ipc::QueueOwner owner(q);
  EXPECT_THAT(ipc::MessageQueue::create_exclusive(key), FailsWith(EEXIST));
  ASSERT_OK(q.remove());
  owner.release();
  EXPECT_THAT(ipc::MessageQueue::open(key), FailsWith(ENOENT));
  auto again = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_exclusive(key));
  ipc::QueueOwner owner2(again);
  EXPECT_NE(again.id(), q.id());
  EXPECT_THAT(q.stat(), FailsWith(EINVAL));
}

// ---- KEY-014 ipc_perm.__key ------------------------------------------------

// Catches: a stat that loses or rewrites the creating key (or invents one for
// IPC_PRIVATE), for each of the three types.
TEST_F(KeyOs, IpcStatReportsTheCreatingKey) {
  key_t key = ::ftok(path_.c_str(), 61);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned q(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  Owned s(Kind::kShm, ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
  Owned m(Kind::kSem, ::semget(key, 1, IPC_CREAT | IPC_EXCL | 0600));
  Owned qp(Kind::kMsg, ::msgget(IPC_PRIVATE, 0600));
  ASSERT_GE(q.id(), 0);
  ASSERT_GE(s.id(), 0);
  ASSERT_GE(m.id(), 0);
  ASSERT_GE(qp.id(), 0);
  EXPECT_EQ(MsgKeyOf(q.id()), key);
  EXPECT_EQ(MsgKeyOf(qp.id()), IPC_PRIVATE);
  struct shmid_ds sds = {};
  ASSERT_THAT(::shmctl(s.id(), IPC_STAT, &sds), SyscallSucceeds());
  EXPECT_EQ(sds.shm_perm.__key, key);
  struct semid_ds mds = {};
  SemUn arg;
  arg.buf = &mds;
  ASSERT_THAT(::semctl(m.id(), 0, IPC_STAT, arg), SyscallSucceeds());
  EXPECT_EQ(mds.sem_perm.__key, key);
}

TEST_F(KeyLayer, MsgStatReportsTheCreatingKey) {
  auto key = ASSERT_OK_AND_VALUE(ipc::make_key(path_, 62));
  auto q = ASSERT_OK_AND_VALUE(ipc::MessageQueue::create_exclusive(key));
  ipc::QueueOwner owner(q);
  auto st = ASSERT_OK_AND_VALUE(q.stat());
  EXPECT_EQ(st.key, key);
}

// ---- KEY-015 IPC namespaces ------------------------------------------------

// Catches: keys or ids that leak across IPC namespaces.
TEST_F(KeyOs, NewIpcNamespaceHidesKeysAndIds) {
  key_t key = ::ftok(path_.c_str(), 71);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned q(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  int outer_id = q.id();
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([&] {
    TEST_CHECK_ERRNO(::msgget(key, 0), ENOENT);  // the key is not visible
    struct msqid_ds ds;
    TEST_CHECK_ERRNO(::msgctl(outer_id, IPC_STAT, &ds), EINVAL);  // nor the id
    int inner = ::msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    TEST_CHECK_SUCCESS(inner);  // the key is free in here
    TEST_CHECK_SUCCESS(SendText(inner, 1, "inner"));
    ::msgctl(inner, IPC_RMID, nullptr);
  }));  // the namespace, and the inner queue in any case, die with the child
  EXPECT_THAT(::msgget(key, 0), SyscallSucceedsWithValue(outer_id));
  EXPECT_EQ(ReceiveText(outer_id), "errno=" + std::to_string(ENOMSG))
      << "the inner message arrived outside";
}

// ---- KEY-016 lookup checks requested access against the mode ---------------

// Catches: a lookup that ignores the access bits in the flags, or one that
// checks access even when none is requested (Linux: flags 0 always finds).
TEST_F(KeyOs, QueueLookupChecksRequestedAccessAgainstTheMode) {
  key_t key = ::ftok(path_.c_str(), 81);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned q(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0644));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  int id = q.id();
  EXPECT_CHILD_OK(RunAsNobody([key, id] {
    TEST_CHECK(::msgget(key, 0) == id);     // nothing requested
    TEST_CHECK(::msgget(key, 0444) == id);  // read: granted to others
    TEST_CHECK(::msgget(key, 0004) == id);
    TEST_CHECK_ERRNO(::msgget(key, 0200), EACCES);  // write: denied
    TEST_CHECK_ERRNO(::msgget(key, 0600), EACCES);
    TEST_CHECK_ERRNO(::msgget(key, IPC_CREAT | 0666), EACCES);
  }));
}

// Catches: EACCES reported before EEXIST for an exclusive create of a key in
// use (Linux checks existence first), or a foreign create succeeding.
TEST_F(KeyOs, ExclusiveCreateOfAForeignKeyFailsEexistNotEacces) {
  key_t key = ::ftok(path_.c_str(), 82);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned q(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  EXPECT_CHILD_OK(RunAsNobody([key] {
    TEST_CHECK_ERRNO(::msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
  }));
}

// Catches: the same checks missing for segments.
TEST_F(KeyOs, SegmentLookupChecksRequestedAccessAgainstTheMode) {
  key_t key = ::ftok(path_.c_str(), 83);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned s(Kind::kShm, ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_THAT(s.id(), SyscallSucceeds());
  int id = s.id();
  EXPECT_CHILD_OK(RunAsNobody([key, id] {
    TEST_CHECK(::shmget(key, 0, 0) == id);  // nothing requested
    TEST_CHECK_ERRNO(::shmget(key, 0, 0400), EACCES);
    TEST_CHECK_ERRNO(::shmget(key, 4096, IPC_CREAT | 0600), EACCES);
  }));
}

// ---- KEY-017 *_next_id sysctls (in a private IPC namespace) ----------------

// Writes `value` to /proc/sys/kernel/<name>; false on failure.
bool WriteSysctl(const char* name, long value) {
  return WriteProc(std::string("/proc/sys/kernel/") + name,
                   std::to_string(value));
}

long ReadSysctl(const char* name) {
  std::ifstream in(std::string("/proc/sys/kernel/") + name);
  long v = -2;
  in >> v;
  return in ? v : -2;
}

// Catches: a next_id sysctl that is ignored or that stays set after use.
// Runs in a child with its own IPC namespace (the sysctls are per namespace),
// so nothing on the machine is changed.
TEST_F(KeyOs, NextIdSysctlsChooseTheNextIdOnceThenReset) {
  if (::access("/proc/sys/kernel/msg_next_id", F_OK) != 0) {
    GTEST_SKIP() << "no msg_next_id (kernel without CONFIG_CHECKPOINT_RESTORE)";
  }
  EXPECT_CHILD_OK(RunInPrivateIpcNamespace([] {
    CHILD_SKIP_UNLESS(
        WriteSysctl("msg_next_id", 4321),
        "cannot write kernel.msg_next_id in a private IPC namespace");
    int q = ::msgget(IPC_PRIVATE, 0600);
    TEST_CHECK(q == 4321);
    TEST_CHECK(ReadSysctl("msg_next_id") == -1);
    TEST_CHECK(WriteSysctl("shm_next_id", 5432));
    int s = ::shmget(IPC_PRIVATE, 4096, 0600);
    TEST_CHECK(s == 5432);
    TEST_CHECK(ReadSysctl("shm_next_id") == -1);
    TEST_CHECK(WriteSysctl("sem_next_id", 6543));
    int m = ::semget(IPC_PRIVATE, 1, 0600);
    TEST_CHECK(m == 6543);
    TEST_CHECK(ReadSysctl("sem_next_id") == -1);
    ::msgctl(q, IPC_RMID, nullptr);
    ::shmctl(s, IPC_RMID, nullptr);
    ::semctl(m, 0, IPC_RMID);
  }));
}

// ---- KEY-018 exclusive create of a key in use; the free-key search ---------

// Catches: IPC_EXCL ignored (the existing object returned) for any of the
// three types, or IPC_CREAT alone creating a second object.
TEST_F(KeyOs, ExclusiveCreateOfAKeyInUseFailsEexistForEachType) {
  key_t key = ::ftok(path_.c_str(), 91);
  ASSERT_THAT(key, SyscallSucceeds());
  Owned q(Kind::kMsg, ::msgget(key, IPC_CREAT | IPC_EXCL | 0600));
  Owned s(Kind::kShm, ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
  Owned m(Kind::kSem, ::semget(key, 1, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_GE(q.id(), 0);
  ASSERT_GE(s.id(), 0);
  ASSERT_GE(m.id(), 0);
  EXPECT_THAT(::msgget(key, IPC_CREAT | IPC_EXCL | 0600),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(::semget(key, 1, IPC_CREAT | IPC_EXCL | 0600),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(::msgget(key, IPC_CREAT | 0600),
              SyscallSucceedsWithValue(q.id()));
  EXPECT_THAT(::shmget(key, 4096, IPC_CREAT | 0600),
              SyscallSucceedsWithValue(s.id()));
  EXPECT_THAT(::semget(key, 1, IPC_CREAT | 0600),
              SyscallSucceedsWithValue(m.id()));
}

ipc::Result<int> CreateQueueExclusive(key_t key) {
  auto q = ipc::MessageQueue::create_exclusive(key);
  if (!q) return std::move(q).error();
  return q->id();
}

// Catches: a search that stops at the first taken id, or returns the taken one.
TEST_F(KeyLayer, CreateWithFreeKeySkipsTakenProjIds) {
  key_t k1 = ::ftok(path_.c_str(), 1), k2 = ::ftok(path_.c_str(), 2),
        k3 = ::ftok(path_.c_str(), 3);
  Owned taken1(Kind::kMsg, ::msgget(k1, IPC_CREAT | IPC_EXCL | 0600));
  Owned taken2(Kind::kMsg, ::msgget(k2, IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_GE(taken1.id(), 0);
  ASSERT_GE(taken2.id(), 0);
  auto got = ipc::create_with_free_key(path_, 1, CreateQueueExclusive);
  ASSERT_THAT(got, IsOk());
  Owned made(Kind::kMsg, got->id);
  EXPECT_EQ(got->proj_id, 3);
  EXPECT_EQ(got->key, k3);
  EXPECT_EQ(MsgKeyOf(got->id), k3);
}

// Catches: errors other than EEXIST treated as "taken" (the search going on).
TEST_F(KeyLayer, CreateWithFreeKeyReturnsOtherErrorsAtOnce) {
  int calls = 0;
  auto got =
      ipc::create_with_free_key(path_, 1, [&](key_t) -> ipc::Result<int> {
        ++calls;
        return ipc::Error(ENOSPC, "msgget", "test", "table full");
      });
  EXPECT_THAT(got, FailsWith(ENOSPC));
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(
      ipc::create_with_free_key(dir_.file("missing"), 1, CreateQueueExclusive),
      FailsWith(ENOENT));
}

// Catches: a search past 255 (aliasing id 0/1) or a wrong error when all are
// taken.
TEST_F(KeyLayer, CreateWithFreeKeyFailsEexistWhenEveryIdIsTaken) {
  Owned t254(Kind::kMsg,
             ::msgget(::ftok(path_.c_str(), 254), IPC_CREAT | IPC_EXCL | 0600));
  Owned t255(Kind::kMsg,
             ::msgget(::ftok(path_.c_str(), 255), IPC_CREAT | IPC_EXCL | 0600));
  ASSERT_GE(t254.id(), 0);
  ASSERT_GE(t255.id(), 0);
  auto got = ipc::create_with_free_key(path_, 254, CreateQueueExclusive);
  if (got.ok()) {
    RemoveId(Kind::kMsg, got->id);
  }
  ASSERT_THAT(got, FailsWith(EEXIST));
  EXPECT_THAT(got.error().message(),
              HasSubstr("every proj_id from 254 to 255 is taken"));
  EXPECT_THAT(ipc::create_with_free_key(path_, 256, CreateQueueExclusive),
              FailsWith(EINVAL));
}

// ---- KEY-012 semaphore sets, and ipcs ---------------------------------------

// Catches: the same kernel persistence missing for semaphore sets, or a set
// not listed in /proc/sysvipc/sem.
TEST_F(KeyOs, SemaphoreSetAndItsValuesOutliveTheProcessThatCreatedIt) {
  key_t key = ::ftok(path_.c_str(), 43);
  ASSERT_THAT(key, SyscallSucceeds());
  KeyCleanup cleanup(key);
  ASSERT_CHILD_OK(RunInChild([&] {
    int id = ::semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    TEST_CHECK_SUCCESS(id);
    SemUn arg;
    arg.val = 7;
    TEST_CHECK_SUCCESS(::semctl(id, 1, SETVAL, arg));
  }));
  int id = ::semget(key, 0, 0);
  ASSERT_THAT(id, SyscallSucceeds()) << "the set died with its creator";
  auto listed = ProcKeyOf("sem", "semid", id);
  ASSERT_TRUE(listed.has_value()) << "not in /proc/sysvipc/sem";
  EXPECT_EQ(static_cast<key_t>(*listed), key);
  EXPECT_EQ(::semctl(id, 1, GETVAL), 7);
}

// The ipcs program (util-linux), or "" if it is not installed.
std::string IpcsPath() {
  for (const char* p : {"/usr/bin/ipcs", "/bin/ipcs"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

// Whether `ipcs_output` has a line "<key as 0x%08x> <id> ...".
bool IpcsLists(const std::string& ipcs_output, key_t key, int id) {
  char want[32];
  std::snprintf(want, sizeof want, "0x%08x", static_cast<unsigned>(key));
  std::istringstream in(ipcs_output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string k;
    int i = -1;
    if (words >> k >> i && k == want && i == id) return true;
  }
  return false;
}

// Catches: objects that the system's own listing tool cannot see once their
// creator is gone — the way users find (and remove) what a crashed program
// left behind.
TEST_F(KeyOs, IpcsListsAQueueASegmentAndASetAfterTheirCreatorExited) {
  std::string ipcs = IpcsPath();
  if (ipcs.empty())
    GTEST_SKIP() << "ipcs (util-linux) is not installed; /proc/sysvipc is "
                    "checked by the other KEY-012 tests";
  key_t keys[3];
  for (int i = 0; i < 3; ++i) {
    keys[i] = ::ftok(path_.c_str(), 44 + i);
    ASSERT_THAT(keys[i], SyscallSucceeds());
  }
  KeyCleanup c0(keys[0]), c1(keys[1]), c2(keys[2]);
  ASSERT_CHILD_OK(RunInChild([&] {
    TEST_CHECK_SUCCESS(::msgget(keys[0], IPC_CREAT | IPC_EXCL | 0600));
    TEST_CHECK_SUCCESS(::shmget(keys[1], 4096, IPC_CREAT | IPC_EXCL | 0600));
    TEST_CHECK_SUCCESS(::semget(keys[2], 1, IPC_CREAT | IPC_EXCL | 0600));
  }));
  int ids[3] = {::msgget(keys[0], 0), ::shmget(keys[1], 0, 0),
                ::semget(keys[2], 0, 0)};
  const char* flags[3] = {"-q", "-m", "-s"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(ids[i], SyscallSucceeds());
    conformance::RunOptions opt;
    opt.timeout = kPatience;
    auto run = conformance::run_program({ipcs, flags[i]}, opt);
    ASSERT_THAT(run, IsOk());
    ASSERT_EQ(run->wait_status, 0)
        << "ipcs " << flags[i] << ": " << run->output;
    EXPECT_TRUE(IpcsLists(run->output, keys[i], ids[i]))
        << "ipcs " << flags[i] << " does not list key 0x" << std::hex << keys[i]
        << std::dec << " id " << ids[i] << ":\n"
        << run->output;
  }
}

// ---- KEY-019 every time field of IPC_STAT in full ---------------------------

// A System V time field within [lo, hi] (whole seconds).
::testing::AssertionResult TimeIn(const char* what, long long t, time_t lo,
                                  time_t hi) {
  if (t >= lo && t <= hi) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os << what << " = " << t << " (0x" << std::hex << t << std::dec
     << "), not within [" << lo << ", " << hi << "]";
  return ::testing::AssertionFailure() << os.str();
}

// Catches: an IPC_STAT that writes only part of a time field (a 32-bit
// layout, or the low word only) so the buffer's old bytes leak into it. The
// buffers are filled with 0xA5 first; every time is set (a send, a receive,
// an attach and detach, a semop) and must be now.
TEST_F(KeyOs, IpcStatWritesEveryTimeFieldInFull) {
  time_t lo = ::time(nullptr);
  Owned q(Kind::kMsg, ::msgget(IPC_PRIVATE, IPC_CREAT | 0600));
  Owned m(Kind::kShm, ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
  Owned s(Kind::kSem, ::semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  ASSERT_THAT(m.id(), SyscallSucceeds());
  ASSERT_THAT(s.id(), SyscallSucceeds());
  ASSERT_THAT(SendText(q.id(), 1, "t"), SyscallSucceeds());
  EXPECT_EQ(ReceiveText(q.id()), "1:t");
  void* a = ::shmat(m.id(), nullptr, 0);
  ASSERT_NE(a, reinterpret_cast<void*>(-1));
  ASSERT_THAT(::shmdt(a), SyscallSucceeds());
  struct sembuf up = {0, 1, 0};
  ASSERT_THAT(::semop(s.id(), &up, 1), SyscallSucceeds());
  time_t hi = ::time(nullptr);

  struct msqid_ds md;
  std::memset(&md, 0xA5, sizeof md);
  ASSERT_THAT(::msgctl(q.id(), IPC_STAT, &md), SyscallSucceeds());
  EXPECT_TRUE(TimeIn("msg_stime", md.msg_stime, lo, hi));
  EXPECT_TRUE(TimeIn("msg_rtime", md.msg_rtime, lo, hi));
  EXPECT_TRUE(TimeIn("msg_ctime", md.msg_ctime, lo, hi));
  struct shmid_ds sd;
  std::memset(&sd, 0xA5, sizeof sd);
  ASSERT_THAT(::shmctl(m.id(), IPC_STAT, &sd), SyscallSucceeds());
  EXPECT_TRUE(TimeIn("shm_atime", sd.shm_atime, lo, hi));
  EXPECT_TRUE(TimeIn("shm_dtime", sd.shm_dtime, lo, hi));
  EXPECT_TRUE(TimeIn("shm_ctime", sd.shm_ctime, lo, hi));
  struct semid_ds xd;
  std::memset(&xd, 0xA5, sizeof xd);
  SemUn arg;
  arg.buf = &xd;
  ASSERT_THAT(::semctl(s.id(), 0, IPC_STAT, arg), SyscallSucceeds());
  EXPECT_TRUE(TimeIn("sem_otime", xd.sem_otime, lo, hi));
  EXPECT_TRUE(TimeIn("sem_ctime", xd.sem_ctime, lo, hi));
}

#if defined(__x86_64__)
// The 32-bit (i386) ABI's IPC_STAT layouts, whose times are split into a low
// and a high word.
struct CompatPerm {
  std::uint32_t key, uid, gid, cuid, cgid;
  std::uint16_t mode, pad1, seq, pad2;
  std::uint32_t unused1, unused2;
};
struct CompatMsqid64 {
  CompatPerm perm;
  std::uint32_t stime, stime_high, rtime, rtime_high, ctime, ctime_high;
  std::uint32_t cbytes, qnum, qbytes;
  std::int32_t lspid, lrpid;
  std::uint32_t unused4, unused5;
};
struct CompatShmid64 {
  CompatPerm perm;
  std::uint32_t segsz;
  std::uint32_t atime, atime_high, dtime, dtime_high, ctime, ctime_high;
  std::int32_t cpid, lpid;
  std::uint32_t nattch, unused4, unused5;
};
struct CompatSemid64 {
  CompatPerm perm;
  std::uint32_t otime, otime_high, ctime, ctime_high, nsems, unused3, unused4;
};

// A 32-bit system call through int $0x80 (the i386 entry) from this 64-bit
// process; pointers must be below 4 GiB.
long Syscall32(long nr, long a, long b, long c, long d) {
  long r;
  asm volatile("int $0x80"
               : "=a"(r)
               : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
               : "memory", "r8", "r9", "r10", "r11");
  return r;
}
constexpr long kI386Getpid = 20, kI386Semctl = 394, kI386Shmctl = 396,
               kI386Msgctl = 402;
#endif

// Catches: a 32-bit compat layer (the kernel's, an emulator's) that fills
// only the low words of IPC_STAT's times and leaves the *_high words as the
// caller's buffer had them — wrong dates for 32-bit programs, and after 2038
// wrong ones everywhere. The i386 calls are made through int $0x80 with the
// buffers below 4 GiB (MAP_32BIT).
TEST_F(KeyOs, CompatIpcStatFillsTheHighTimeWords) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the 32-bit compat entry is checked on x86-64 only; a "
                  "32-bit build checks the split layout natively";
#else
  ipc::testing::ChildResult probe = RunInChild(
      [] { TEST_CHECK(Syscall32(kI386Getpid, 0, 0, 0, 0) == ::getpid()); });
  if (!probe.ok())
    GTEST_SKIP() << "no 32-bit system call entry here (IA32 emulation off): "
                 << probe.describe();
  void* page = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  ASSERT_NE(page, MAP_FAILED) << std::strerror(errno);
  long addr = reinterpret_cast<long>(page);
  time_t lo = ::time(nullptr);
  Owned q(Kind::kMsg, ::msgget(IPC_PRIVATE, IPC_CREAT | 0600));
  Owned m(Kind::kShm, ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
  Owned s(Kind::kSem, ::semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
  ASSERT_THAT(q.id(), SyscallSucceeds());
  ASSERT_THAT(m.id(), SyscallSucceeds());
  ASSERT_THAT(s.id(), SyscallSucceeds());
  ASSERT_THAT(SendText(q.id(), 1, "t"), SyscallSucceeds());
  void* a = ::shmat(m.id(), nullptr, 0);
  ASSERT_NE(a, reinterpret_cast<void*>(-1));
  ASSERT_THAT(::shmdt(a), SyscallSucceeds());
  struct sembuf up = {0, 1, 0};
  ASSERT_THAT(::semop(s.id(), &up, 1), SyscallSucceeds());
  time_t hi = ::time(nullptr);
  auto high = [](time_t t) {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(t) >> 32);
  };

  std::memset(page, 0x0A, 4096);
  ASSERT_EQ(Syscall32(kI386Msgctl, q.id(), IPC_STAT, addr, 0), 0);
  auto* md = static_cast<CompatMsqid64*>(page);
  EXPECT_TRUE(TimeIn("msg_stime", md->stime, lo, hi));
  EXPECT_TRUE(TimeIn("msg_ctime", md->ctime, lo, hi));
  EXPECT_EQ(md->stime_high, high(hi));
  EXPECT_EQ(md->rtime_high, 0u) << "msg_rtime_high (never received)";
  EXPECT_EQ(md->ctime_high, high(hi));
  EXPECT_EQ(md->qnum, 1u);

  std::memset(page, 0x0A, 4096);
  ASSERT_EQ(Syscall32(kI386Shmctl, m.id(), IPC_STAT, addr, 0), 0);
  auto* sd = static_cast<CompatShmid64*>(page);
  EXPECT_TRUE(TimeIn("shm_atime", sd->atime, lo, hi));
  EXPECT_TRUE(TimeIn("shm_dtime", sd->dtime, lo, hi));
  EXPECT_EQ(sd->atime_high, high(hi));
  EXPECT_EQ(sd->dtime_high, high(hi));
  EXPECT_EQ(sd->ctime_high, high(hi));
  EXPECT_EQ(sd->segsz, 4096u);

  std::memset(page, 0x0A, 4096);
  ASSERT_EQ(Syscall32(kI386Semctl, s.id(), 0, IPC_STAT, addr), 0);
  auto* xd = static_cast<CompatSemid64*>(page);
  EXPECT_TRUE(TimeIn("sem_otime", xd->otime, lo, hi));
  EXPECT_EQ(xd->otime_high, high(hi));
  EXPECT_EQ(xd->ctime_high, high(hi));
  EXPECT_EQ(xd->nsems, 1u);
  ::munmap(page, 4096);
#endif
}

}  // namespace
