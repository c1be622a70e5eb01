// fault/isolated_run.cc — namespaces, private mounts, the init that reaps,
// and the inventory of what a run left.
#include "fault/isolated_run.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/quote.h"

namespace fault {
namespace {

constexpr int kReportFd = 3;

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// An overlay over `dir` whose upper layer lives on the scratch tmpfs; the
// returned descriptor (or -1) reads the upper layer after the run.
struct Overlay {
  std::string dir;
  int upper_fd = -1;
  std::string why_not;
};

Overlay overlay(const std::string& dir, const std::string& scratch,
                const std::string& tag) {
  Overlay o;
  o.dir = dir;
  std::string upper = scratch + "/" + tag + "-upper";
  std::string work = scratch + "/" + tag + "-work";
  if (::mkdir(upper.c_str(), 0755) != 0 || ::mkdir(work.c_str(), 0755) != 0) {
    o.why_not = errno_text("mkdir " + upper);
    return o;
  }
  std::string options =
      "lowerdir=" + dir + ",upperdir=" + upper + ",workdir=" + work;
  if (::mount("overlay", dir.c_str(), "overlay", 0, options.c_str()) != 0) {
    o.why_not = errno_text("mount overlay on " + dir);
    return o;
  }
  o.upper_fd = ::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return o;
}

// FIFOs under the directory `fd` (recursively), reported as paths under
// `shown`.
void find_fifos(int fd, const std::string& shown,
                std::vector<std::string>* out) {
  int dup = ::dup(fd);
  if (dup < 0) return;
  DIR* d = ::fdopendir(dup);
  if (d == nullptr) {
    ::close(dup);
    return;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISFIFO(st.st_mode)) {
      out->push_back(shown + "/" + name);
    } else if (S_ISDIR(st.st_mode)) {
      int sub = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub >= 0) {
        find_fifos(sub, shown + "/" + name, out);
        ::close(sub);
      }
    }
  }
  ::closedir(d);
}

// "KEY" of every object listed in /proc/sysvipc/<kind> (this IPC namespace).
std::vector<std::string> sysv_objects(const char* kind) {
  std::ifstream in(std::string("/proc/sysvipc/") + kind);
  std::vector<std::string> keys;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    long long key = 0;
    if (fields >> key) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%llx", key);
      keys.push_back(buf);
    }
  }
  return keys;
}

std::vector<std::string> dir_entries(const char* path) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(path)) {
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    ::closedir(d);
  }
  return out;
}

// Execs the command (in a child of the caller); never returns.
[[noreturn]] void exec_command(char** command) {
  ::execv(command[0], command);
  std::fprintf(stderr, "ipcfault: cannot run %s: %s\n", command[0],
               std::strerror(errno));
  ::_exit(127);
}

// Runs the command without namespaces: only its status is reported.
int run_plain(char** command, const std::string& why) {
  pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) exec_command(command);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  write_all(kReportFd, "isolation none: " + why + "\nstatus " +
                           std::to_string(status) + "\n");
  return 0;
}

// Waits for any child until `deadline`; returns its pid, 0 at the deadline,
// -1 when there is no child left. SIGCHLD is blocked (sigtimedwait wakes us).
pid_t reap_until(const struct timespec* deadline, int* status) {
  for (;;) {
    pid_t r = ::waitpid(-1, status, WNOHANG);
    if (r > 0) return r;
    if (r < 0 && errno == ECHILD) return -1;
    if (r < 0 && errno == EINTR) continue;
    sigset_t chld;
    ::sigemptyset(&chld);
    ::sigaddset(&chld, SIGCHLD);
    if (deadline == nullptr) {
      ::sigwaitinfo(&chld, nullptr);
      continue;
    }
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    long long left = (deadline->tv_sec - now.tv_sec) * 1000000000LL +
                     (deadline->tv_nsec - now.tv_nsec);
    if (left <= 0) return 0;
    struct timespec wait = {static_cast<time_t>(left / 1000000000LL),
                            static_cast<long>(left % 1000000000LL)};
    ::sigtimedwait(&chld, nullptr, &wait);
  }
}

// PID 1 of the new namespaces.
[[noreturn]] void init_main(char** command,
                            const std::vector<std::string>& keep) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::string report = "isolation namespaces\n";
  std::vector<std::string> off;
  char cwd_buf[4096];
  std::string cwd = ::getcwd(cwd_buf, sizeof cwd_buf) ? cwd_buf : "";
  // Directories to bind back after the overlays (opened before they hide
  // them).
  std::vector<std::pair<std::string, int>> kept;
  for (const std::string& k : keep) {
    kept.push_back({k, ::open(k.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)});
  }
  bool mounts =
      ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
  if (!mounts) off.push_back("all mounts: " + errno_text("make / private"));
  bool devshm = mounts && ::mount("ipcfault-shm", "/dev/shm", "tmpfs",
                                  MS_NOSUID | MS_NODEV, "mode=1777") == 0;
  if (mounts && !devshm) off.push_back(errno_text("dev-shm: mount tmpfs"));
  if (mounts && ::mount("proc", "/proc", "proc",
                        MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    off.push_back(errno_text("proc: mount"));
  }
  std::vector<Overlay> overlays;
  if (devshm) {
    // Scratch space for the overlays' upper layers: a tmpfs mounted inside
    // the private /dev/shm, then detached (the overlays keep it alive), so
    // that the command sees an empty /dev/shm.
    std::string scratch = "/dev/shm/.ipcfault-scratch";
    if (::mkdir(scratch.c_str(), 0700) == 0 &&
        ::mount("ipcfault-scratch", scratch.c_str(), "tmpfs", 0, "mode=0700") ==
            0) {
      std::vector<std::string> dirs = {"/tmp"};
      if (!cwd.empty() && cwd != "/" && cwd != "/tmp") dirs.push_back(cwd);
      for (std::size_t i = 0; i < dirs.size(); ++i) {
        Overlay o = overlay(dirs[i], scratch, "o" + std::to_string(i));
        if (o.upper_fd < 0)
          off.push_back("fifo in " + o.dir + ": " + o.why_not);
        overlays.push_back(o);
      }
      ::umount2(scratch.c_str(), MNT_DETACH);
      ::rmdir(scratch.c_str());
    } else {
      off.push_back(errno_text("fifo: scratch tmpfs"));
    }
  }
  for (auto& [path, fd] : kept) {
    if (fd < 0) continue;
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    if (::mount(self.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC,
                nullptr) != 0) {
      off.push_back(errno_text("keep " + path));
    }
    ::close(fd);
  }
  // Enter the overlay of the working directory.
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
    off.push_back(errno_text("chdir " + cwd));
  }

  sigset_t chld;
  ::sigemptyset(&chld);
  ::sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  pid_t program = ::fork();
  if (program < 0) {
    write_all(kReportFd, report + errno_text("fork") + "\n");
    ::_exit(1);
  }
  if (program == 0) {
    ::sigprocmask(SIG_UNBLOCK, &chld, nullptr);
    ::prctl(PR_SET_PDEATHSIG, 0);
    exec_command(command);
  }
  int status = 0;
  for (;;) {
    int st = 0;
    pid_t r = reap_until(nullptr, &st);
    if (r == program) {
      status = st;
      break;
    }
    if (r < 0) break;
  }
  report += "status " + std::to_string(status) + "\n";
  // Processes still running (a helper cleaning up, a daemon, the seccomp
  // supervisor finishing): a second to end, then killed.
  struct timespec deadline;
  ::clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += 1;
  int st = 0;
  pid_t r;
  while ((r = reap_until(&deadline, &st)) > 0) {
  }
  int lingering = 0;
  if (r == 0) {
    for (const std::string& name : dir_entries("/proc")) {
      if (name.find_first_not_of("0123456789") == std::string::npos &&
          name != "1")
        ++lingering;
    }
    ::kill(-1, SIGKILL);
  }
  // What is left once every process of the run has ended (a helper such as
  // Python's resource tracker cleans up after its parent exits).
  for (const char* kind : {"msg", "shm", "sem"}) {
    for (const std::string& key : sysv_objects(kind))
      report += std::string("left sysv-") + kind + " " + key + "\n";
  }
  if (devshm) {
    for (const std::string& name : dir_entries("/dev/shm"))
      report += "left dev-shm " + cli::quote(name, 200) + "\n";
  }
  for (const Overlay& o : overlays) {
    if (o.upper_fd < 0) continue;
    std::vector<std::string> fifos;
    find_fifos(o.upper_fd, o.dir, &fifos);
    for (const std::string& f : fifos)
      report += "left fifo " + cli::quote(f, 300) + "\n";
  }
  report += "lingering " + std::to_string(lingering) + "\n";
  for (const std::string& o : off) report += "check-off " + o + "\n";
  write_all(kReportFd, report);
  ::_exit(0);
}

}  // namespace

int isolated_run_main(int argc, char** argv) {
  std::vector<std::string> keep;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--keep" && i + 1 < argc) {
      keep.push_back(argv[++i]);
      continue;
    }
    std::fprintf(stderr, "ipcfault --isolated-run: bad argument %s\n",
                 cli::quote(a).c_str());
    return 2;
  }
  if (i >= argc) {
    std::fprintf(stderr, "ipcfault --isolated-run: no command\n");
    return 2;
  }
  char** command = argv + i;
  // The report descriptor must not reach the command.
  if (::fcntl(kReportFd, F_SETFD, FD_CLOEXEC) != 0) {
    std::fprintf(stderr, "ipcfault --isolated-run: descriptor 3: %s\n",
                 std::strerror(errno));
    return 2;
  }
  if (::unshare(CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS) != 0) {
    return run_plain(command, errno_text("unshare"));
  }
  pid_t init = ::fork();
  if (init < 0) return run_plain(command, errno_text("fork in the namespace"));
  if (init == 0) init_main(command, keep);
  int status = 0;
  while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

IsolatedReport parse_isolated_report(std::string_view text) {
  IsolatedReport r;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(at, end - at));
    at = end + 1;
    auto rest = [&](std::size_t n) { return line.substr(n); };
    if (line == "isolation namespaces") {
      r.isolated = true;
    } else if (line.rfind("isolation none: ", 0) == 0) {
      r.not_isolated_why = rest(16);
    } else if (line.rfind("status ", 0) == 0) {
      r.status = std::atoi(rest(7).c_str());
      r.complete = true;
    } else if (line.rfind("left ", 0) == 0) {
      r.left.push_back(rest(5));
    } else if (line.rfind("lingering ", 0) == 0) {
      r.lingering = std::atoi(rest(10).c_str());
    } else if (line.rfind("check-off ", 0) == 0) {
      r.checks_off.push_back(rest(10));
    }
  }
  return r;
}

}  // namespace fault
