// sanitizers/broken.cc — deliberately broken snippets for the sanitizer
// self-tests.
//
//   broken <snippet> <number>
//
//   pipe2            N  nothing wrong: calls pipe2() and prints the outcome
//   heap_overflow    N  writes one byte past a malloc(N) block          ASan
//   leak             N  allocates N bytes and drops the only pointer     LSan
//   data_race        N  two threads each add 1 to a plain int N times    TSan
//   signed_overflow  N  computes N + 1 in int (pass 2147483647)           UBSan
//   shift            N  computes 1 << N in int (pass 40)                  UBSan
//   misaligned       N  loads an int at char offset N of a buffer (pass 1) UBSan
//
// Every input comes from argv so the compiler cannot fold the bug away. After
// the snippet returns the program prints "snippet <name> returned" to stderr
// and exits 0: without the sanitizer the bug goes unnoticed, which is exactly
// what the self-tests must detect. Exit 2 means a usage error.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

// The store is volatile: gcc deletes a plain store into a block that is freed
// right after (measured: no ASan report at all).
int heap_overflow(long n) {
  volatile char* p = static_cast<char*>(std::malloc(n));
  p[n] = 'x';  // one byte past the end
  std::free(const_cast<char*>(p));
  return 0;
}

// noinline + volatile local: the pointer lives only in this frame and is
// overwritten before return, so LeakSanitizer cannot find it anywhere.
__attribute__((noinline)) int leak(long n) {
  void* volatile p = std::malloc(n);
  p = nullptr;
  return p == nullptr ? 0 : 1;
}

int racy_counter;  // shared by two threads without synchronisation

int data_race(long n) {
  auto add = [n] {
    for (long i = 0; i < n; ++i) racy_counter = racy_counter + 1;
  };
  // Both threads start before either is joined: no happens-before between them.
  std::thread a(add);
  std::thread b(add);
  a.join();
  b.join();
  std::fprintf(stderr, "counter=%d\n", racy_counter);
  return 0;
}

int signed_overflow(long n) {
  int a = static_cast<int>(n);
  volatile int r = a + 1;
  return r == 0 ? 1 : 0;
}

int shift(long n) {
  int s = static_cast<int>(n);
  volatile int r = 1 << s;
  return r == 0 ? 1 : 0;
}

int misaligned(long n) {
  alignas(int) char buf[2 * sizeof(int)] = {};
  const int* p = reinterpret_cast<const int*>(buf + n);
  volatile int r = *p;
  return r == 0 ? 0 : 1;
}

// Not broken: reports what pipe2() returned, so a test can see whether an
// LD_PRELOAD shim's pipe2 was reached through the sanitizer's interceptor.
int call_pipe2(long) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "pipe2: %s\n", std::strerror(errno));
    return 1;
  }
  ::close(fds[0]);
  ::close(fds[1]);
  std::fprintf(stderr, "pipe2: ok\n");
  return 0;
}

struct Snippet {
  const char* name;
  int (*run)(long);
};

constexpr Snippet kSnippets[] = {
    {"pipe2", call_pipe2},
    {"heap_overflow", heap_overflow},
    {"leak", leak},
    {"data_race", data_race},
    {"signed_overflow", signed_overflow},
    {"shift", shift},
    {"misaligned", misaligned},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <snippet> <number>\n", argv[0]);
    return 2;
  }
  char* end = nullptr;
  long n = std::strtol(argv[2], &end, 10);
  if (*argv[2] == '\0' || *end != '\0') {
    std::fprintf(stderr, "broken: not a number: %s\n", argv[2]);
    return 2;
  }
  for (const Snippet& s : kSnippets) {
    if (std::strcmp(s.name, argv[1]) != 0) continue;
    int rc = s.run(n);
    std::fprintf(stderr, "snippet %s returned %d\n", s.name, rc);
    return 0;
  }
  std::fprintf(stderr, "broken: unknown snippet: %s\n", argv[1]);
  return 2;
}
