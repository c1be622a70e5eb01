// ipc/testing/test_util.cc — temp dirs, unique names, fork/thread helpers,
// pipes and scoped signal dispositions for tests.
#include "ipc/testing/test_util.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/random.h>
#include <sys/wait.h>
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
  if (!path_.empty()) ::nftw(path_.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const std::string& UniqueNamePrefix() {
  // The pid alone is not unique: Bazel's linux-sandbox gives every test its own
  // PID namespace (many tests are pid 12) while /dev/shm stays shared.
  static const std::string prefix = [] {
    std::uint32_t token = 0;
    if (::getrandom(&token, sizeof token, 0) != sizeof token) {
      token = static_cast<std::uint32_t>(::time(nullptr)) ^ static_cast<std::uint32_t>(::getpid());
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

int RunInChild(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return -1;
  }
  if (pid == 0) ::_exit(body());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      ADD_FAILURE() << "waitpid: " << std::strerror(errno);
      return -1;
    }
  }
  return status;
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

Child::Child(const std::function<int()>& body) : pid_(::fork()) {
  if (pid_ == 0) ::_exit(body());
  EXPECT_GT(pid_, 0) << "fork: " << std::strerror(errno);
}

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait();
  }
}

int Child::wait() {
  int status = -1;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

Worker::Worker(std::function<void()> body)
    : thread_([this, body = std::move(body)] {
        tid_.set_value(fault::current_tid());
        body();
      }),
      tid_value_(tid_.get_future().get()) {}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

RawPipe::RawPipe(int flags) {
  int fds[2] = {-1, -1};
  EXPECT_THAT(::pipe2(fds, O_CLOEXEC | flags), SyscallSucceeds());
  read.reset(fds[0]);
  write.reset(fds[1]);
}

namespace {
// One counter per signal number; lock-free, so safe to bump in a handler.
std::atomic<int> g_signal_counts[NSIG];
static_assert(std::atomic<int>::is_always_lock_free);
void count_signal(int sig) { g_signal_counts[sig].fetch_add(1); }
}  // namespace

CountingHandler::CountingHandler(int sig, int flags) : sig_(sig) {
  g_signal_counts[sig_].store(0);
  struct sigaction sa = {};
  sa.sa_handler = count_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = flags;
  EXPECT_THAT(::sigaction(sig_, &sa, &old_), SyscallSucceeds());
}

CountingHandler::~CountingHandler() { ::sigaction(sig_, &old_, nullptr); }

int CountingHandler::count() const { return g_signal_counts[sig_].load(); }

IgnoreSignal::IgnoreSignal(int sig) : sig_(sig) {
  struct sigaction sa = {};
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  EXPECT_THAT(::sigaction(sig_, &sa, &old_), SyscallSucceeds());
}

IgnoreSignal::~IgnoreSignal() { ::sigaction(sig_, &old_, nullptr); }

bool DropPrivileges() {
  return ::setresgid(65534, 65534, 65534) == 0 && ::setresuid(65534, 65534, 65534) == 0;
}

namespace {
void exit_on_segv(int) { ::_exit(kSegvExit); }
void exit_on_bus(int) { ::_exit(kBusExit); }
}  // namespace

bool ExitOnFaults() {
  struct sigaction sa = {};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = exit_on_segv;
  if (::sigaction(SIGSEGV, &sa, nullptr) != 0) return false;
  sa.sa_handler = exit_on_bus;
  return ::sigaction(SIGBUS, &sa, nullptr) == 0;
}

bool ExitedWith(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

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
