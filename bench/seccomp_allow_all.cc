// bench/seccomp_allow_all.cc — runs a program under a seccomp filter of one
// instruction, "allow": what any seccomp filter costs each system call on this
// kernel, the floor under ipcfault --mechanism=seccomp's cost for the calls a
// plan does not name.
//
//   seccomp_allow_all PROGRAM [ARGS...]
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: seccomp_allow_all PROGRAM [ARGS...]\n");
    return 2;
  }
  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {1, allow};
  // The same flags as fault/seccomp_supervisor.cc, without the listener.
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog) != 0 &&
      (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
       ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                 SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog) != 0)) {
    std::fprintf(stderr, "seccomp_allow_all: seccomp: %s\n",
                 std::strerror(errno));
    return 2;
  }
  ::execv(argv[1], argv + 1);
  std::fprintf(stderr, "seccomp_allow_all: %s: %s\n", argv[1],
               std::strerror(errno));
  return 127;
}
