// ipc/testing/test_util.cc — temp dirs, unique names, threads and pipes for
// tests.
#include "ipc/testing/test_util.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "fault/blocked.h"

namespace ipc::testing {
namespace {

std::string temp_root() {
  for (const char* var : {"TEST_TMPDIR", "TMPDIR"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  return "/tmp";
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}

}  // namespace

TempDir::TempDir() {
  std::string templ = temp_root() + "/ipct-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp(" << templ << "): " << std::strerror(errno);
  }
  path_ = templ;
}

TempDir::~TempDir() {
  if (!path_.empty())
    ::nftw(path_.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const std::string& UniqueNamePrefix() {
  // The pid alone is not unique: Bazel's linux-sandbox gives every test its own
  // PID namespace (many tests are pid 12) while /dev/shm stays shared.
  static const std::string prefix = [] {
    std::uint32_t token = 0;
    if (::getrandom(&token, sizeof token, 0) != sizeof token) {
      token = static_cast<std::uint32_t>(::time(nullptr)) ^
              static_cast<std::uint32_t>(::getpid());
    }
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", token);
    return "ipct-" + std::to_string(::getpid()) + "-" + hex + "-";
  }();
  return prefix;
}

std::string UniqueName(const std::string& tag) {
  static std::atomic<unsigned> counter{0};
  return UniqueNamePrefix() + std::to_string(counter++) + "-" + tag;
}

std::string MakeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC | O_EXCL, 0600);
  if (fd < 0) {
    ADD_FAILURE() << "open(" << path << "): " << std::strerror(errno);
  } else {
    ::close(fd);
  }
  return path;
}

Worker::Worker(std::function<void()> body, std::function<void()> unblock)
    : unblock_(std::move(unblock)),
      thread_([this, body = std::move(body)] {
        tid_.set_value(fault::current_tid());
        body();
      }),
      tid_value_(tid_.get_future().get()) {}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

Mapping::Mapping(std::size_t len, int prot, int flags, int fd, off_t offset)
    : len_(len) {
  void* p = ::mmap(nullptr, len, prot, flags, fd, offset);
  addr_ = p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

Mapping::~Mapping() {
  if (addr_ != nullptr) ::munmap(addr_, len_);
}

int Mapping::unmap() {
  int rc = ::munmap(addr_, len_);
  if (rc == 0) addr_ = nullptr;
  return rc;
}

RawPipe::RawPipe(int flags) {
  int fds[2] = {-1, -1};
  EXPECT_THAT(::pipe2(fds, O_CLOEXEC | flags), SyscallSucceeds());
  read.reset(fds[0]);
  write.reset(fds[1]);
}

PipeReader::PipeReader() {
  std::promise<pid_t> tid;
  auto known = tid.get_future();
  thread_ = std::thread([this, &tid] {
    tid.set_value(fault::current_tid());
    result_ = ::read(pipe_.read.get(), buf_, sizeof buf_);
    errno_ = errno;
  });
  tid_ = known.get();
}

PipeReader::~PipeReader() {
  pipe_.write.reset();
  if (thread_.joinable()) thread_.join();
}

ssize_t PipeReader::write(const char* data, std::size_t n) {
  return ::write(pipe_.write.get(), data, n);
}

void PipeReader::join() { thread_.join(); }

}  // namespace ipc::testing
