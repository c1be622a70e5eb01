// ipc/limits_test.cc — the limits readers against /proc and against crafted
// files.
#include "ipc/limits.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "ipc/sys.h"
#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

using ::ipc::testing::FailsWith;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;

// The file's text, read with the standard library (independently of the layer).
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::uint64_t proc_value(const std::string& path) {
  std::string text = slurp(path);
  EXPECT_FALSE(text.empty()) << path;
  return std::strtoull(text.c_str(), nullptr, 10);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

class LimitsTest : public ::testing::Test {
 protected:
  void TearDown() override { sys::reset_table(); }

  // A file in the temp dir holding `text`.
  std::string file_with(const std::string& text) {
    std::string path = dir_.file("sysctl" + std::to_string(files_++));
    write_file(path, text);
    return path;
  }

  TempDir dir_;
  int files_ = 0;
};

// ---- read_sysctl / read_sysctl_u64 -----------------------------------------

TEST_F(LimitsTest, ReadSysctlParsesTheFileLikeProcSys) {
  EXPECT_EQ(*read_sysctl(file_with("8192\n")), 8192);
  EXPECT_EQ(*read_sysctl(file_with("  42 \n")), 42);
  EXPECT_EQ(*read_sysctl(file_with("-1\n")), -1);  // e.g. msg_next_id
  EXPECT_EQ(*read_sysctl(file_with("0")), 0);
}

TEST_F(LimitsTest, ReadSysctlReadsARealProcFile) {
  auto v = read_sysctl("/proc/sys/kernel/msgmni");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(static_cast<std::uint64_t>(*v),
            proc_value("/proc/sys/kernel/msgmni"));
}

TEST_F(LimitsTest, ReadSysctlRejectsGarbage) {
  for (const char* text : {"", "\n", "abc\n", "12abc\n", "1 2\n", "0x10\n",
                           "+5\n", "4.5\n", "32000 1024000000 500 32000\n"}) {
    std::string path = file_with(text);
    auto v = read_sysctl(path);
    EXPECT_THAT(v, FailsWith(EINVAL)) << "text: \"" << text << "\"";
    if (!v.ok()) {
      EXPECT_THAT(v.error().message(), HasSubstr(path));
      EXPECT_THAT(v.error().detail(), HasSubstr("not one integer"));
    }
  }
}

TEST_F(LimitsTest, ReadSysctlShowsUnprintableBytesAsQuestionMarks) {
  auto v = read_sysctl(file_with(std::string("7\x01", 2)));
  ASSERT_THAT(v, FailsWith(EINVAL));
  EXPECT_EQ(v.error().detail(), "not one integer: \"7?\"");
}

TEST_F(LimitsTest, ReadSysctlRejectsLongFiles) {
  // 64 digits + newline: would be one number, but no sysctl number is that
  // long.
  std::string path = file_with(std::string(64, '1') + "\n");
  auto v = read_sysctl(path);
  ASSERT_THAT(v, FailsWith(EINVAL));
  EXPECT_THAT(v.error().detail(), HasSubstr("longer than 64 bytes"));
  // Exactly 64 bytes is still read (leading zeros are digits).
  EXPECT_EQ(*read_sysctl(file_with(std::string(62, '0') + "7\n")), 7);
}

TEST_F(LimitsTest, ReadSysctlOutOfRangeIsErange) {
  auto v = read_sysctl(
      file_with("18446744073692774399\n"));  // shmmax default > LONG_MAX
  ASSERT_THAT(v, FailsWith(ERANGE));
  EXPECT_THAT(v.error().detail(), HasSubstr("does not fit"));
}

TEST_F(LimitsTest, ReadSysctlMissingFileIsEnoentNamingThePath) {
  std::string path = dir_.file("no-such-sysctl");
  auto v = read_sysctl(path);
  ASSERT_THAT(v, FailsWith(ENOENT));
  EXPECT_EQ(v.error().op(), "open");
  EXPECT_THAT(v.error().message(), HasSubstr(path));
}

TEST_F(LimitsTest, ReadSysctlOfADirectoryFailsInRead) {
  auto v = read_sysctl(dir_.path());
  ASSERT_THAT(v, FailsWith(EISDIR));
  EXPECT_EQ(v.error().op(), "read");
  EXPECT_THAT(v.error().message(), HasSubstr(dir_.path()));
}

TEST_F(LimitsTest, ReadSysctlU64ParsesValuesAboveLongMax) {
  EXPECT_EQ(*read_sysctl_u64(file_with("18446744073692774399\n")),
            18446744073692774399ull);
  EXPECT_EQ(*read_sysctl_u64(file_with("18446744073709551615\n")),
            18446744073709551615ull);
  EXPECT_THAT(read_sysctl_u64(file_with("18446744073709551616\n")),
              FailsWith(ERANGE));
  EXPECT_THAT(read_sysctl_u64(file_with("-1\n")), FailsWith(EINVAL));
  EXPECT_THAT(read_sysctl_u64(file_with("1k\n")), FailsWith(EINVAL));
  EXPECT_THAT(read_sysctl_u64(dir_.file("missing")), FailsWith(ENOENT));
}

// ---- the seam: EINTR, short reads, failures --------------------------------

std::atomic<int> g_read_calls{0};

// First read: EINTR; then one byte at a time.
ssize_t read_eintr_then_bytewise(int fd, void* buf, size_t n) {
  if (g_read_calls++ == 0) {
    errno = EINTR;
    return -1;
  }
  return sys::libc().read(fd, buf, n > 0 ? 1 : 0);
}

ssize_t read_fails_eio(int, void*, size_t) {
  errno = EIO;
  return -1;
}

int open_fails_eacces(const char*, int, mode_t) {
  errno = EACCES;
  return -1;
}

std::atomic<int> g_open_flags{0};
int open_recording_flags(const char* path, int flags, mode_t mode) {
  g_open_flags = flags;
  return sys::libc().open(path, flags, mode);
}

TEST_F(LimitsTest, ReadSysctlRetriesEintrAndShortReads) {
  g_read_calls = 0;
  sys::table().read.store(&read_eintr_then_bytewise);
  auto v = read_sysctl(file_with("123456\n"));
  sys::reset_table();
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(*v, 123456);
  EXPECT_EQ(g_read_calls.load(), 1 + 7 + 1);  // EINTR, 7 bytes, EOF
}

TEST_F(LimitsTest, ReadSysctlOpensCloexecReadOnly) {
  sys::table().open.store(&open_recording_flags);
  auto v = read_sysctl(file_with("1\n"));
  sys::reset_table();
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(g_open_flags.load() & (O_CLOEXEC | O_ACCMODE),
            O_CLOEXEC | O_RDONLY);
}

TEST_F(LimitsTest, ReadErrorIsReturnedWithThePath) {
  std::string path = file_with("1\n");
  sys::table().read.store(&read_fails_eio);
  auto v = read_sysctl(path);
  sys::reset_table();
  ASSERT_THAT(v, FailsWith(EIO));
  EXPECT_EQ(v.error().context(), path);
}

TEST_F(LimitsTest, EveryLimitReaderPropagatesOpenFailure) {
  sys::table().open.store(&open_fails_eacces);
  auto msg = msg_limits();
  auto shm = shm_limits();
  auto pipe = pipe_max_size();
  auto sem = sem_limits();
  sys::reset_table();
  ASSERT_THAT(msg, FailsWith(EACCES));
  EXPECT_EQ(msg.error().context(), "/proc/sys/kernel/msgmax");
  ASSERT_THAT(shm, FailsWith(EACCES));
  EXPECT_EQ(shm.error().context(), "/proc/sys/kernel/shmmax");
  ASSERT_THAT(pipe, FailsWith(EACCES));
  EXPECT_EQ(pipe.error().context(), "/proc/sys/fs/pipe-max-size");
  ASSERT_THAT(sem, FailsWith(EACCES));
  EXPECT_EQ(sem.error().context(), "/proc/sys/kernel/sem");
}

// Fails the open of one chosen file, so the second and third reads of
// msg_limits/shm_limits are shown to propagate too.
std::atomic<const char*> g_fail_path{nullptr};
int open_fails_for_one_path(const char* path, int flags, mode_t mode) {
  const char* fail = g_fail_path.load();
  if (fail != nullptr && std::string(path) == fail) {
    errno = ENOENT;
    return -1;
  }
  return sys::libc().open(path, flags, mode);
}

TEST_F(LimitsTest, LaterReadsOfAGroupPropagateFailure) {
  sys::table().open.store(&open_fails_for_one_path);
  for (const char* path :
       {"/proc/sys/kernel/msgmnb", "/proc/sys/kernel/msgmni"}) {
    g_fail_path = path;
    auto msg = msg_limits();
    ASSERT_THAT(msg, FailsWith(ENOENT)) << path;
    EXPECT_EQ(msg.error().context(), path);
  }
  for (const char* path :
       {"/proc/sys/kernel/shmall", "/proc/sys/kernel/shmmni"}) {
    g_fail_path = path;
    auto shm = shm_limits();
    ASSERT_THAT(shm, FailsWith(ENOENT)) << path;
    EXPECT_EQ(shm.error().context(), path);
  }
  g_fail_path = nullptr;
}

// ---- the limits of this machine --------------------------------------------

TEST_F(LimitsTest, MsgLimitsMatchProc) {
  auto lim = msg_limits();
  ASSERT_TRUE(lim.ok()) << lim.error().message();
  EXPECT_EQ(lim->msgmax, proc_value("/proc/sys/kernel/msgmax"));
  EXPECT_EQ(lim->msgmnb, proc_value("/proc/sys/kernel/msgmnb"));
  EXPECT_EQ(lim->msgmni, proc_value("/proc/sys/kernel/msgmni"));
}

TEST_F(LimitsTest, ShmLimitsMatchProcIncludingHugeValues) {
  auto lim = shm_limits();
  ASSERT_TRUE(lim.ok()) << lim.error().message();
  EXPECT_EQ(lim->shmmax, proc_value("/proc/sys/kernel/shmmax"));
  EXPECT_EQ(lim->shmall, proc_value("/proc/sys/kernel/shmall"));
  EXPECT_EQ(lim->shmmni, proc_value("/proc/sys/kernel/shmmni"));
}

TEST_F(LimitsTest, SemLimitsMatchProc) {
  auto lim = sem_limits();
  ASSERT_TRUE(lim.ok()) << lim.error().message();
  std::istringstream in(slurp("/proc/sys/kernel/sem"));
  std::size_t msl, mns, opm, mni;
  ASSERT_TRUE(in >> msl >> mns >> opm >> mni);
  EXPECT_EQ(lim->semmsl, msl);
  EXPECT_EQ(lim->semmns, mns);
  EXPECT_EQ(lim->semopm, opm);
  EXPECT_EQ(lim->semmni, mni);
}

TEST_F(LimitsTest, SemLimitsAcceptFourNumbersSeparatedByAnyBlanks) {
  auto lim = read_sem_limits(file_with("250\t32000  32 128\n"));
  ASSERT_TRUE(lim.ok()) << lim.error().message();
  EXPECT_EQ(lim->semmsl, 250u);
  EXPECT_EQ(lim->semmns, 32000u);
  EXPECT_EQ(lim->semopm, 32u);
  EXPECT_EQ(lim->semmni, 128u);
}

TEST_F(LimitsTest, SemLimitsRejectAnythingButFourNumbers) {
  for (const char* text :
       {"", "1 2 3", "1 2 3 4 5", "1,2,3,4", "1 2 3 4x", "1x 2 3 4", "-1 2 3 4",
        "a b c d", "1 2 3 99999999999999999999999"}) {
    std::string path = file_with(text);
    auto lim = read_sem_limits(path);
    ASSERT_THAT(lim, FailsWith(EINVAL)) << "\"" << text << "\"";
    EXPECT_EQ(lim.error().context(), path);
    EXPECT_THAT(lim.error().detail(), HasSubstr("not four integers")) << text;
  }
}

TEST_F(LimitsTest, PipeMaxSizeMatchesProc) {
  auto v = pipe_max_size();
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(*v, proc_value("/proc/sys/fs/pipe-max-size"));
}

}  // namespace
}  // namespace ipc
