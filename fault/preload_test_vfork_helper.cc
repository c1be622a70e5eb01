// fault/preload_test_vfork_helper.cc — a program that starts a child sharing
// its memory (vfork, posix_spawn) between calls of its own, for preload_test:
// the child must neither count on nor consume the parent's schedule, and the
// program the child execs must be injectable like any other.
//
//   preload_test_vfork_helper vfork FILE
//   preload_test_vfork_helper spawn FILE
// The parent reads a byte of FILE, starts a child, waits for it, reads
// another byte and closes a descriptor (its first close). A vfork child reads a
// byte and closes a descriptor itself before it execs; a posix_spawn child
// closes and duplicates descriptors (file actions, made inside libc). Both exec
//   preload_test_vfork_helper exec FILE
// which reads a byte of FILE. Every step prints one line, "WHO CALL: ok" or
// "WHO CALL: ERRNONAME", with the write system call itself (the child shares
// the parent's stdio buffers).
//
// Built without sanitizers in every configuration: ThreadSanitizer turns
// vfork into fork.
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

extern char** environ;

namespace {

void say(const char* who, const char* call, long result) {
  char line[128];
  int n = std::snprintf(line, sizeof line, "%s %s: %s\n", who, call,
                        result >= 0 ? "ok" : ::strerrorname_np(errno));
  ::syscall(SYS_write, 1, line, static_cast<std::size_t>(n));
}

int open_file(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::perror(path);
    std::exit(1);
  }
  return fd;
}

long read_byte(int fd) {
  char c;
  return ::read(fd, &c, 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s vfork|spawn|exec FILE\n", argv[0]);
    return 2;
  }
  const char* mode = argv[1];
  const char* path = argv[2];
  const int fd = open_file(path);
  const int extra = open_file(path);
  if (::strcmp(mode, "exec") == 0) {
    say("exec'd", "read", read_byte(fd));
    return 0;
  }
  say("parent", "read", read_byte(fd));
  char* child_argv[] = {argv[0], const_cast<char*>("exec"),
                        const_cast<char*>(path), nullptr};
  pid_t pid;
  if (::strcmp(mode, "vfork") == 0) {
    pid = ::vfork();
    if (pid == 0) {
      say("child", "read", read_byte(fd));
      say("child", "close", ::close(extra));
      ::execve(argv[0], child_argv, environ);
      ::_exit(127);
    }
    if (pid < 0) {
      std::perror("vfork");
      return 1;
    }
  } else if (::strcmp(mode, "spawn") == 0) {
    posix_spawn_file_actions_t actions;
    if (::posix_spawn_file_actions_init(&actions) != 0 ||
        ::posix_spawn_file_actions_addclose(&actions, extra) != 0 ||
        ::posix_spawn_file_actions_adddup2(&actions, fd, 9) != 0) {
      std::fprintf(stderr, "posix_spawn_file_actions failed\n");
      return 1;
    }
    int error =
        ::posix_spawn(&pid, argv[0], &actions, nullptr, child_argv, environ);
    if (error != 0) {
      std::fprintf(stderr, "posix_spawn: %s\n", ::strerror(error));
      return 1;
    }
    ::posix_spawn_file_actions_destroy(&actions);
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  int status;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "the child failed\n");
    return 1;
  }
  say("parent", "read", read_byte(fd));
  say("parent", "close", ::close(extra));
  return 0;
}
