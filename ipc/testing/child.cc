// ipc/testing/child.cc — forking, waiting and the child-side check report.
#include "ipc/testing/child.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "ipc/testing/errno_name.h"

namespace ipc::testing {
namespace {

// The process that runs the tests: a check failing here is a misuse.
const pid_t g_test_process = ::getpid();
// Set in a child made by StartChild (and so in everything it forks). A pid
// alone cannot tell: a child's own PID namespace numbers its processes from
// 1, and the report runs each suite as pid 2 of a namespace of its own.
bool g_in_child = false;
// Where a failed check writes: the report pipe in a child made by StartChild.
int g_report_fd = STDERR_FILENO;

// Appends to a fixed buffer without allocating (async-signal-safe).
class Line {
 public:
  void add(const char* s) {
    while (s != nullptr && *s != '\0' && n_ < sizeof buf_ - 1)
      buf_[n_++] = *s++;
  }
  void add(long long v) {
    char digits[24];
    int k = 0;
    unsigned long long u = v < 0 ? 0ULL - static_cast<unsigned long long>(v)
                                 : static_cast<unsigned long long>(v);
    do {
      digits[k++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (v < 0) add("-");
    while (k > 0 && n_ < sizeof buf_ - 1) buf_[n_++] = digits[--k];
  }
  void add_errno(int e) {
    const char* name = ErrnoName(e);
    if (name != nullptr) {
      add(name);
    } else {
      add("errno ");
      add(static_cast<long long>(e));
    }
  }
  void write_to(int fd) {
    buf_[n_++] = '\n';
    const char* p = buf_;
    std::size_t left = n_;
    while (left > 0) {
      ssize_t w = ::write(fd, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      p += w;
      left -= static_cast<std::size_t>(w);
    }
  }

 private:
  char buf_[1024];
  std::size_t n_ = 0;
};

std::string ReadAvailable(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t k = ::read(fd, buf, sizeof buf);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    out.append(buf, static_cast<std::size_t>(k));
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Waits until `pid` exits, at most `patience`; false if it is still running.
bool WaitForExit(pid_t pid, std::chrono::milliseconds patience) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return true;  // no pidfds (old kernel): wait unbounded
  struct pollfd p = {pidfd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + patience;
  int r;
  do {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    r = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
  } while (r < 0 && errno == EINTR);
  ::close(pidfd);
  return r != 0;
}

int Reap(pid_t pid) {
  int status = -1;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

}  // namespace

// ---- results ---------------------------------------------------------------

bool ChildResult::ok() const { return !timed_out && ExitedWith(status, 0); }

bool ChildResult::exited_with(int code) const {
  return !timed_out && ExitedWith(status, code);
}

bool ChildResult::killed_by(int sig) const {
  return !timed_out && status != -1 && WIFSIGNALED(status) &&
         WTERMSIG(status) == sig;
}

bool ChildResult::could_not_set_up() const { return exited_with(kCannotSetUp); }

std::string ChildResult::describe() const {
  std::string d;
  if (timed_out) {
    d = "still running after " + std::to_string(patience.count()) +
        " ms (killed)";
  } else if (status == -1) {
    d = "not started or not reaped";
  } else {
    d = DescribeWaitStatus(status);
  }
  if (!report.empty()) d += ": " + report;
  return d;
}

void PrintTo(const ChildResult& r, std::ostream* os) { *os << r.describe(); }

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "wait status " + std::to_string(status);
}

bool ExitedWith(int status, int code) {
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

// ---- forking and waiting ---------------------------------------------------

pid_t internal::StartChild(const std::function<int()>& body, int* report_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << ErrnoString(errno);
    return -1;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    g_report_fd = fds[1];
    g_in_child = true;
    int code = 1;
    try {
      code = body();
    } catch (const std::exception& e) {
      Line line;
      line.add("uncaught exception: ");
      line.add(e.what());
      line.write_to(g_report_fd);
    } catch (...) {
      Line line;
      line.add("uncaught exception");
      line.write_to(g_report_fd);
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << ErrnoString(errno);
    ::close(fds[0]);
    return -1;
  }
  // Read after the child is reaped, without waiting for grandchildren that
  // may still hold the write end.
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  *report_fd = fds[0];
  return pid;
}

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Reap(pid_);
  }
  if (report_fd_ >= 0) ::close(report_fd_);
}

ChildResult Child::wait(std::chrono::milliseconds patience) {
  ChildResult r;
  if (pid_ <= 0) return r;
  if (!WaitForExit(pid_, patience)) {
    ::kill(pid_, SIGKILL);
    r.timed_out = true;
    r.patience = patience;
  }
  r.status = Reap(pid_);
  pid_ = -1;
  if (report_fd_ >= 0) {
    r.report = ReadAvailable(report_fd_);
    ::close(report_fd_);
    report_fd_ = -1;
  }
  return r;
}

// ---- in the child ----------------------------------------------------------

void internal::FailCheck(const CheckFailure& f) {
  Line line;
  bool skip = f.exit_status == kCannotSetUp;
  if (!skip) {
    line.add(f.file);
    line.add(":");
    line.add(static_cast<long long>(f.line));
    line.add(": ");
    line.add(f.check);
    line.add(" failed");
    if (f.what != nullptr) line.add(": ");
  }
  line.add(f.what);
  if (f.has_value) {
    line.add(": returned ");
    line.add(f.value);
  }
  if (f.has_errno) {
    line.add(f.has_value ? ", " : ": ");
    line.add_errno(f.err);
  }
  if (skip) {
    line.add(" (");
    line.add(f.file);
    line.add(":");
    line.add(static_cast<long long>(f.line));
    line.add(")");
  }
  if (!g_in_child && ::getpid() == g_test_process) {
    line.add(" [a child's check failed in the test process itself]");
    line.write_to(STDERR_FILENO);
    std::abort();
  }
  line.write_to(g_report_fd);
  ::_exit(f.exit_status);
}

bool DropPrivileges() {
  return ::setresgid(65534, 65534, 65534) == 0 &&
         ::setresuid(65534, 65534, 65534) == 0;
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

}  // namespace ipc::testing
