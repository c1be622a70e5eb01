// conformance/hw_test.cc — conformance tests for hardware-exception and
// terminal signals: the raw OS calls ("verifying OS behaviour") and our layer
// where it exposes the behaviour. Catalogue: conformance/catalog/hw.txt (HW-001
// … HW-027).
//
// Two families:
//  - Faults (SIGFPE, SIGSEGV, SIGBUS, SIGILL-like x86 traps). Every fault runs
//    in a forked child (RunFault): the child installs a SA_SIGINFO handler that
//    writes the siginfo fields to a pipe and leaves with _exit, or it lets the
//    default action kill it; the parent checks the record and the wait status.
//    The faulting code is in functions the sanitizers do not instrument
//    (kNoSanitize) or in x86-64 assembly, so neither the compiler (the C++
//    division by zero is undefined behaviour) nor ASan/TSan/UBSan stand between
//    the instruction and the kernel. The child sets RLIMIT_CORE to 0 so that no
//    core file is written unless a test asks for one.
//  - Terminal signals, on a pseudo-terminal (PtySession): a session leader
//    with the pty slave as controlling terminal, a second member of its
//    (foreground) process group, a background process group and a process in
//    another session. Each reports the signals it gets through a signalfd and a
//    report pipe; the test types on the master. Every process of the session is
//    killed and reaped by the fixture's destructor on every path.
//
// Every test says in its comment which deviation it catches.
#include <fcntl.h>
#include <fenv.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conformance/process.h"
#include "conformance/testing/background.h"
#include "conformance/testing/streams.h"
#include "conformance/testing/suite_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/fd.h"
#include "ipc/posix_shm.h"
#include "ipc/signals.h"
#include "ipc/sysv_shm.h"
#include "ipc/testing/test_util.h"

// Functions that fault on purpose: no sanitizer instrumentation (ASan/TSan
// would check the address in their shadow first, UBSan would report the null
// dereference or the division instead of letting the CPU trap), never inlined.
#define IPCT_FAULTING \
  __attribute__((noinline, no_sanitize("address", "thread", "undefined")))

// ---- instructions with known addresses -------------------------------------
// Each *_insn label is the faulting instruction, so a test can compare si_addr
// and the saved program counter with it exactly. x86-64 and i386 have the
// whole set (on i386 `long` is 32 bits, so ipct_idiv64 is an idivl too);
// AArch64 only the load (its divide does not trap, HW-004).
#if defined(__x86_64__) || defined(__i386__)
#define IPCT_X86 1
#endif
#if defined(__x86_64__)
asm(R"(
  .pushsection .text
  .globl ipct_idiv32, ipct_idiv32_insn
  .type ipct_idiv32, @function
ipct_idiv32:                 # int ipct_idiv32(int a, int b) = a / b (idivl)
  movl %edi, %eax
  cltd
ipct_idiv32_insn:
  idivl %esi
  ret
  .size ipct_idiv32, .-ipct_idiv32

  .globl ipct_idiv64, ipct_idiv64_insn
  .type ipct_idiv64, @function
ipct_idiv64:                 # long ipct_idiv64(long a, long b) = a / b (idivq)
  movq %rdi, %rax
  cqto
ipct_idiv64_insn:
  idivq %rsi
  ret
  .size ipct_idiv64, .-ipct_idiv64

  .globl ipct_divu32, ipct_divu32_insn
  .type ipct_divu32, @function
ipct_divu32:                 # unsigned ipct_divu32(unsigned a, unsigned b) = a / b (divl)
  movl %edi, %eax
  xorl %edx, %edx
ipct_divu32_insn:
  divl %esi
  ret
  .size ipct_divu32, .-ipct_divu32

  .globl ipct_load32, ipct_load32_insn, ipct_load32_ret
  .type ipct_load32, @function
ipct_load32:                 # int ipct_load32(const int* p) = *p
ipct_load32_insn:
  movl (%rdi), %eax
ipct_load32_ret:
  ret
  .size ipct_load32, .-ipct_load32

  .globl ipct_hlt
  .type ipct_hlt, @function
ipct_hlt:                    # privileged instruction in user mode
  hlt
  ret
  .size ipct_hlt, .-ipct_hlt

  .globl ipct_inb
  .type ipct_inb, @function
ipct_inb:                    # port I/O without ioperm
  movw $0x80, %dx
  inb %dx, %al
  ret
  .size ipct_inb, .-ipct_inb

  .globl ipct_int3, ipct_int3_next
  .type ipct_int3, @function
ipct_int3:                   # breakpoint trap
  int3
ipct_int3_next:
  ret
  .size ipct_int3, .-ipct_int3

  .globl ipct_unaligned_ac, ipct_unaligned_ac_insn
  .type ipct_unaligned_ac, @function
ipct_unaligned_ac:           # EFLAGS.AC on, misaligned load of 1(%rdi), AC off
  pushfq
  orq $0x40000, (%rsp)
  popfq
ipct_unaligned_ac_insn:
  movl 1(%rdi), %eax
  pushfq
  andq $~0x40000, (%rsp)
  popfq
  ret
  .size ipct_unaligned_ac, .-ipct_unaligned_ac
  .popsection
)");
#elif defined(__i386__)
asm(R"(
  .pushsection .text
  .globl ipct_idiv32, ipct_idiv32_insn
  .type ipct_idiv32, @function
ipct_idiv32:                 # int ipct_idiv32(int a, int b) = a / b (idivl)
  movl 4(%esp), %eax
  movl 8(%esp), %ecx
  cltd
ipct_idiv32_insn:
  idivl %ecx
  ret
  .size ipct_idiv32, .-ipct_idiv32

  .globl ipct_idiv64, ipct_idiv64_insn
  .type ipct_idiv64, @function
ipct_idiv64:                 # long ipct_idiv64(long a, long b): long is 32 bits
  movl 4(%esp), %eax
  movl 8(%esp), %ecx
  cltd
ipct_idiv64_insn:
  idivl %ecx
  ret
  .size ipct_idiv64, .-ipct_idiv64

  .globl ipct_divu32, ipct_divu32_insn
  .type ipct_divu32, @function
ipct_divu32:                 # unsigned ipct_divu32(unsigned a, unsigned b) = a / b (divl)
  movl 4(%esp), %eax
  movl 8(%esp), %ecx
  xorl %edx, %edx
ipct_divu32_insn:
  divl %ecx
  ret
  .size ipct_divu32, .-ipct_divu32

  .globl ipct_load32, ipct_load32_insn, ipct_load32_ret
  .type ipct_load32, @function
ipct_load32:                 # int ipct_load32(const int* p) = *p
  movl 4(%esp), %eax
ipct_load32_insn:
  movl (%eax), %eax
ipct_load32_ret:
  ret
  .size ipct_load32, .-ipct_load32

  .globl ipct_hlt
  .type ipct_hlt, @function
ipct_hlt:                    # privileged instruction in user mode
  hlt
  ret
  .size ipct_hlt, .-ipct_hlt

  .globl ipct_inb
  .type ipct_inb, @function
ipct_inb:                    # port I/O without ioperm
  movw $0x80, %dx
  inb %dx, %al
  ret
  .size ipct_inb, .-ipct_inb

  .globl ipct_int3, ipct_int3_next
  .type ipct_int3, @function
ipct_int3:                   # breakpoint trap
  int3
ipct_int3_next:
  ret
  .size ipct_int3, .-ipct_int3

  .globl ipct_unaligned_ac, ipct_unaligned_ac_insn
  .type ipct_unaligned_ac, @function
ipct_unaligned_ac:           # EFLAGS.AC on, misaligned load of 1(p), AC off
  movl 4(%esp), %ecx
  pushfl
  orl $0x40000, (%esp)
  popfl
ipct_unaligned_ac_insn:
  movl 1(%ecx), %eax
  pushfl
  andl $~0x40000, (%esp)
  popfl
  ret
  .size ipct_unaligned_ac, .-ipct_unaligned_ac
  .popsection
)");
#elif defined(__aarch64__)
asm(R"(
  .pushsection .text
  .globl ipct_load32, ipct_load32_insn, ipct_load32_ret
  .type ipct_load32, %function
ipct_load32:                 // int ipct_load32(const int* p) = *p
ipct_load32_insn:
  ldr w0, [x0]
ipct_load32_ret:
  ret
  .size ipct_load32, .-ipct_load32
  .popsection
)");
#endif
#if defined(IPCT_X86)
extern "C" {
int ipct_idiv32(int a, int b);
long ipct_idiv64(long a, long b);
unsigned ipct_divu32(unsigned a, unsigned b);
void ipct_hlt();
void ipct_inb();
void ipct_int3();
int ipct_unaligned_ac(const void* p);
extern const char ipct_idiv32_insn[], ipct_idiv64_insn[], ipct_divu32_insn[],
    ipct_int3_next[], ipct_unaligned_ac_insn[];
}
#endif
#if defined(IPCT_X86) || defined(__aarch64__)
#define IPCT_HAVE_LOAD32 1
extern "C" {
int ipct_load32(const int* p);
extern const char ipct_load32_insn[], ipct_load32_ret[];
}
#endif

namespace {

using ::conformance::testing::kPatience;
using ::ipc::testing::Child;
using ::ipc::testing::ChildExitedWith;
using ::ipc::testing::ChildKilledBy;
using ::ipc::testing::ChildResult;
using ::ipc::testing::DescribeWaitStatus;
using ::ipc::testing::ExitedWith;
using ::ipc::testing::FailsWith;
using ::ipc::testing::Mapping;
using ::ipc::testing::RawPipe;
using ::ipc::testing::RetryEINTR;
using ::ipc::testing::RunInChild;
using ::ipc::testing::SyscallSucceeds;
using ::ipc::testing::SyscallSucceedsWithValue;
using ::ipc::testing::TempDir;

#if defined(IPCT_X86)
constexpr bool kX86 = true;
#else
constexpr bool kX86 = false;
#endif
#define SKIP_UNLESS_X86()                                                     \
  do {                                                                        \
    if (!kX86)                                                                \
      GTEST_SKIP() << "x86 only (x86-64, i386): the instruction or its trap " \
                      "is x86-specific";                                      \
  } while (0)
#if defined(__x86_64__)
constexpr bool kX86_64 = true;
#else
constexpr bool kX86_64 = false;
#endif
#define SKIP_UNLESS_X86_64()                                             \
  do {                                                                   \
    if (!kX86_64)                                                        \
      GTEST_SKIP() << "x86-64 only: the registers checked are x86-64's"; \
  } while (0)
#if defined(IPCT_HAVE_LOAD32)
constexpr bool kLoad32 = true;
#else
constexpr bool kLoad32 = false;
#endif
#define SKIP_UNLESS_LOAD32()                                            \
  do {                                                                  \
    if (!kLoad32)                                                       \
      GTEST_SKIP() << "needs the load instruction written for x86-64, " \
                      "i386 or AArch64";                                \
  } while (0)

std::uintptr_t Addr(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p);
}

// ---- faults in a child -----------------------------------------------------

// An alternate signal stack of `size` bytes above a PROT_NONE guard page.
struct AltStack {
  char* guard = nullptr;
  char* base = nullptr;
  std::size_t size = 0;
};

AltStack g_alt;  // the fault child's alternate stack, if it made one (HW-015)

// What the child's handler saw.
struct FaultRecord {
  int signo = 0;
  int code = 0;
  std::uintptr_t addr = 0;   // si_addr
  std::uintptr_t pc = 0;     // saved program counter (0: not known here)
  pid_t tid = 0;             // thread that ran the handler
  int hits = 0;              // how many times the handler ran (HW-007)
  std::uintptr_t stack = 0;  // address of a local of the handler (HW-015)
  pid_t pid = 0;             // the child (its main thread's tid)
  pid_t faulting_tid = 0;    // g_faulting_tid: the thread that faulted (HW-009)
  std::uintptr_t alt_lo = 0, alt_hi = 0;  // g_alt's range (HW-015)
};

// Exit statuses of a fault child (what happened; a failed check in the child
// exits 1 with its message instead).
constexpr int kHandled = 0;  // the handler wrote its record and left
constexpr int kNoFault = 3;  // the faulting code returned

int g_report_fd = -1;
volatile sig_atomic_t g_hits = 0;
volatile sig_atomic_t g_hits_before_exit =
    1;  // HW-007: return from the handler this often - 1
volatile pid_t g_faulting_tid = 0;  // HW-009: set by the thread that faults

pid_t Gettid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

std::uintptr_t SavedPc(void* uc) {
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(
      static_cast<ucontext_t*>(uc)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__i386__)
  return static_cast<std::uintptr_t>(
      static_cast<ucontext_t*>(uc)->uc_mcontext.gregs[REG_EIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(
      static_cast<ucontext_t*>(uc)->uc_mcontext.pc);
#else
  (void)uc;
  return 0;
#endif
}

// Signal delivery leaves EFLAGS.AC as the fault left it (HW-017 sets it): any
// misaligned access on the handler's way through libc or a sanitizer runtime
// is a second #AC, which with SIGBUS blocked kills the child (seen under ASan
// and TSan). The handler clears it first.
IPCT_FAULTING void ClearAlignmentCheck() {
#if defined(__x86_64__)
  asm volatile("pushfq\n\tandq $~0x40000, (%%rsp)\n\tpopfq" ::: "memory", "cc");
#elif defined(__i386__)
  asm volatile("pushfl\n\tandl $~0x40000, (%%esp)\n\tpopfl" ::: "memory", "cc");
#endif
}

// The handler of every fault child: record, write, _exit (or return, to let
// the instruction run again, while g_hits < g_hits_before_exit).
IPCT_FAULTING void RecordFault(int sig, siginfo_t* si, void* uc) {
  ClearAlignmentCheck();
  g_hits = g_hits + 1;
  if (g_hits < g_hits_before_exit) return;
  volatile int local = 0;
  FaultRecord r;
  r.signo = sig;
  r.code = si->si_code;
  r.addr = Addr(si->si_addr);
  r.pc = SavedPc(uc);
  r.tid = Gettid();
  r.hits = g_hits;
  r.stack = Addr(const_cast<int*>(&local));
  r.pid = ::getpid();
  r.faulting_tid = g_faulting_tid;
  r.alt_lo = Addr(g_alt.base);
  r.alt_hi = Addr(g_alt.base) + g_alt.size;
  ssize_t n = ::write(g_report_fd, &r, sizeof r);
  TEST_CHECK_MSG(n == static_cast<ssize_t>(sizeof r),
                 "the handler could not write its record");
  ::_exit(kHandled);
}

// The signals a fault can raise. ASan and UBSan install their own handlers for
// some of them (a report, then exit 1), so a fault child first puts all of
// them back to SIG_DFL: it starts from the kernel's defaults in every build.
constexpr int kFaultSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};

bool DefaultFaultActions() {
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int sig : kFaultSignals) {
    if (::sigaction(sig, &sa, nullptr) != 0) return false;
  }
  return true;
}

// No core file from a child that is killed on purpose.
bool NoCoreDump() {
  struct rlimit rl = {0, 0};
  return ::setrlimit(RLIMIT_CORE, &rl) == 0;
}

bool InstallRecorder(int sig, int flags = 0) {
  struct sigaction sa = {};
  sa.sa_sigaction = RecordFault;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  return ::sigaction(sig, &sa, nullptr) == 0;
}

struct FaultOutcome {
  ChildResult status;                 // how the child ended
  std::optional<FaultRecord> record;  // what the handler saw, if it ran
};

// Forks (RunInChild: a child still running after kPatience — a fault loop on
// a deviating OS — is killed, and the result says so); the child sets
// RLIMIT_CORE to 0, installs RecordFault for every signal in `catch_sigs`,
// runs `setup` (a check: it must return true) and then `fault`, and exits
// kNoFault if that returns.
FaultOutcome RunFault(const std::vector<int>& catch_sigs,
                      const std::function<bool()>& setup,
                      const std::function<void()>& fault) {
  FaultOutcome out;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return out;
  }
  ipc::Fd r(fds[0]), w(fds[1]);
  out.status = RunInChild([&] {
    r.reset();
    g_report_fd = w.get();
    TEST_CHECK(NoCoreDump());
    TEST_CHECK(DefaultFaultActions());
    for (int sig : catch_sigs) TEST_CHECK(InstallRecorder(sig));
    TEST_CHECK_MSG(setup(), "the fault child's setup failed");
    fault();
    return kNoFault;
  });
  FaultRecord rec;
  if (::read(r.get(), &rec, sizeof rec) == static_cast<ssize_t>(sizeof rec))
    out.record = rec;
  return out;
}

FaultOutcome RunFault(const std::vector<int>& catch_sigs,
                      const std::function<void()>& fault) {
  return RunFault(
      catch_sigs, [] { return true; }, fault);
}

// ---- memory that faults ----------------------------------------------------

const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

IPCT_FAULTING int LoadFrom(const volatile int* p) { return *p; }
IPCT_FAULTING void StoreTo(volatile int* p, int v) { *p = v; }

// A C++ division whose operands the compiler cannot see (HW-005).
IPCT_FAULTING int DivideVolatile(int a, int b) {
  volatile int x = a;
  volatile int y = b;
  return x / y;
}
IPCT_FAULTING double DivideDouble(double a, double b) {
  volatile double x = a;
  volatile double y = b;
  return x / y;
}

// An anonymous private mapping of `pages` pages (ASSERT_TRUE(m.ok())).
Mapping AnonymousPages(std::size_t pages, int prot) {
  return Mapping(pages * kPage, prot, MAP_PRIVATE | MAP_ANONYMOUS);
}
// The int at `offset` bytes into `m`.
int* Word(const Mapping& m, std::size_t offset) {
  return reinterpret_cast<int*>(m.get() + offset);
}

// ---- stack overflow (HW-015) -----------------------------------------------

volatile int g_never = -1;  // a recursion bound that is never reached

// Eats about 1 KiB of stack per call until the stack runs out.
IPCT_FAULTING int Recurse(int depth) {
  volatile char pad[1024];
  pad[0] = static_cast<char>(depth);
  if (depth == g_never) return 0;
  return Recurse(depth + 1) + pad[0];
}

// A handler that overflows the stack it runs on.
IPCT_FAULTING void RecurseInHandler(int) { Recurse(0); }

// ============================================================================
// HW-001 … HW-005: integer division
// ============================================================================

// Catches: a kernel that ignores #DE, sends another signal, or a default
// action other than termination.
TEST(HwOs, IntegerDivisionByZeroKillsWithSigfpe) {
  SKIP_UNLESS_X86();
#if defined(IPCT_X86)
  FaultOutcome o = RunFault({}, [] { (void)ipct_idiv32(7, 0); });
  EXPECT_THAT(o.status, ChildKilledBy(SIGFPE));
  o = RunFault({}, [] { (void)ipct_divu32(7u, 0u); });
  EXPECT_THAT(o.status, ChildKilledBy(SIGFPE)) << "unsigned divl";
#endif
}

// Catches: a 64-bit divide that does not trap, or a SIGFPE that a handler
// cannot catch (the child would be killed instead of reporting).
TEST(HwOs, SixtyFourBitDivisionByZeroIsCaughtByASigfpeHandler) {
  SKIP_UNLESS_X86();
#if defined(IPCT_X86)
  FaultOutcome o = RunFault({SIGFPE}, [] { (void)ipct_idiv64(7, 0); });
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->signo, SIGFPE);
  EXPECT_EQ(o.record->addr, Addr(ipct_idiv64_insn));
  EXPECT_EQ(o.record->tid,
            o.record->pid);  // single-threaded child: its main thread
#endif
}

// Catches: a wrong si_code (FPE_INTOVF, FPE_FLTDIV, SI_KERNEL, SI_USER) or an
// si_addr that is not the idiv instruction itself (e.g. the next one, 0).
TEST(HwOs, DivisionByZeroSiginfoIsFpeIntdivAtTheDivideInstruction) {
  SKIP_UNLESS_X86();
#if defined(IPCT_X86)
  FaultOutcome o = RunFault({SIGFPE}, [] { (void)ipct_idiv32(7, 0); });
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->signo, SIGFPE);
  EXPECT_EQ(o.record->code, FPE_INTDIV);
  EXPECT_EQ(o.record->addr, Addr(ipct_idiv32_insn));
  EXPECT_EQ(o.record->pc,
            Addr(ipct_idiv32_insn));  // the instruction did not complete

  o = RunFault({SIGFPE}, [] { (void)ipct_divu32(1u, 0u); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->code, FPE_INTDIV);
  EXPECT_EQ(o.record->addr, Addr(ipct_divu32_insn));
#endif
}

// Catches: INT_MIN / -1 computed as INT_MIN (wrap) instead of trapping, or
// reported as FPE_INTOVF. x86 raises #DE for the quotient overflow and Linux
// does not tell it apart from a zero divisor.
TEST(HwOs, MostNegativeDividedByMinusOneRaisesFpeIntdiv) {
  SKIP_UNLESS_X86();
#if defined(IPCT_X86)
  FaultOutcome o = RunFault({SIGFPE}, [] { (void)ipct_idiv32(INT_MIN, -1); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->code, FPE_INTDIV);
  EXPECT_EQ(o.record->addr, Addr(ipct_idiv32_insn));

  o = RunFault({SIGFPE}, [] { (void)ipct_idiv64(LONG_MIN, -1); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->code, FPE_INTDIV);
  EXPECT_EQ(o.record->addr, Addr(ipct_idiv64_insn));

  // Neighbouring quotients that fit do not trap.
  EXPECT_EQ(ipct_idiv32(INT_MIN, 1), INT_MIN);
  EXPECT_EQ(ipct_idiv32(INT_MIN + 1, -1), INT_MAX);
#endif
}

// Catches: the suite assuming x86 semantics on an architecture whose divide
// instruction does not trap. AArch64 `sdiv` by zero gives 0 and RISC-V `div`
// gives -1, both without a signal; on x86 the test has nothing to check.
TEST(HwOs, DivisionByZeroDoesNotTrapWhereTheIsaDefinesAResult) {
#if defined(__aarch64__) || defined(__riscv)
  FaultOutcome o = RunFault({SIGFPE}, [] {
    int q = DivideVolatile(7, 0);
#if defined(__aarch64__)
    TEST_CHECK_MSG(q == 0, "sdiv by zero did not give 0");
#else
    TEST_CHECK_MSG(q == -1, "div by zero did not give -1");
#endif
  });
  EXPECT_THAT(o.status, ChildExitedWith(kNoFault));
  EXPECT_FALSE(o.record.has_value());
#else
  GTEST_SKIP() << "AArch64 / RISC-V only: this architecture's integer divide "
                  "traps (see HW-001)";
#endif
}

// Catches: a build in which the division (undefined behaviour in C++) was
// folded away — then the child returns kNoFault. With operands read from
// volatile objects the compiler must emit the divide instruction.
TEST(HwOs, VolatileOperandsKeepTheCxxDivisionAndItTraps) {
  SKIP_UNLESS_X86();
  FaultOutcome o = RunFault({SIGFPE}, [] { (void)DivideVolatile(7, 0); });
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->signo, SIGFPE);
  EXPECT_EQ(o.record->code, FPE_INTDIV);
  // The address is inside DivideVolatile (compiled code, so only a range).
  EXPECT_GE(o.record->addr,
            Addr(reinterpret_cast<const void*>(&DivideVolatile)));
  EXPECT_LT(o.record->addr,
            Addr(reinterpret_cast<const void*>(&DivideVolatile)) + 256);
}

// ============================================================================
// HW-006: floating point
// ============================================================================

// Catches: a kernel or libc that leaves FP exceptions unmasked (SIGFPE on
// 1.0/0.0), or a result other than +inf.
TEST(HwOs, FloatingDivisionByZeroIsMaskedAndGivesInfinity) {
  FaultOutcome o = RunFault({SIGFPE}, [] {
    double q = DivideDouble(1.0, 0.0);
    double n = DivideDouble(-1.0, 0.0);
    TEST_CHECK(q == __builtin_inf());
    TEST_CHECK(n == -__builtin_inf());
  });
  EXPECT_THAT(o.status, ChildExitedWith(kNoFault));
  EXPECT_FALSE(o.record.has_value());
}

// Catches: feenableexcept having no effect, or the unmasked trap reported as
// FPE_INTDIV instead of FPE_FLTDIV. Trapping floating-point exceptions is
// optional on AArch64 (most cores, and QEMU, have none: feenableexcept fails),
// so only x86 must support it.
TEST(HwOs, UnmaskedFloatingDivisionByZeroRaisesFpeFltdiv) {
  FaultOutcome o = RunFault({SIGFPE}, [] {
    int enabled = ::feenableexcept(FE_DIVBYZERO);
    if (!kX86) {
      CHILD_SKIP_UNLESS(enabled != -1,
                        "this CPU does not trap floating-point exceptions "
                        "(feenableexcept(FE_DIVBYZERO) failed)");
    }
    TEST_CHECK(enabled != -1);
    (void)DivideDouble(1.0, 0.0);
  });
  if (o.status.could_not_set_up()) GTEST_SKIP() << o.status.report;
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->signo, SIGFPE);
  EXPECT_EQ(o.record->code, FPE_FLTDIV);
}

// ============================================================================
// HW-007: returning from a fault handler
// ============================================================================

// Catches: a kernel that skips the faulting instruction after the handler
// returns (the child would reach kNoFault) — Linux re-executes it, so the
// handler runs again for the same address.
TEST(HwOs, ReturningFromAFaultHandlerReexecutesTheInstruction) {
  FaultOutcome o = RunFault(
      {SIGSEGV},
      [] {
        g_hits_before_exit = 3;
        return true;
      },
      [] { (void)LoadFrom(nullptr); });
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->hits, 3);
  EXPECT_EQ(o.record->addr, 0u);
}

sigjmp_buf g_recover;
IPCT_FAULTING void JumpBack(int) { siglongjmp(g_recover, 1); }

// Catches: siglongjmp out of a SIGSEGV handler leaving SIGSEGV blocked (the
// second fault would then kill the child) — sigsetjmp(env, 1) restores the
// mask.
TEST(HwOs, SiglongjmpRecoversFromAFaultTwice) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(NoCoreDump());
    struct sigaction sa = {};
    sa.sa_handler = JumpBack;
    sigemptyset(&sa.sa_mask);
    TEST_CHECK_SUCCESS(::sigaction(SIGSEGV, &sa, nullptr));
    int recovered = 0;
    for (int round = 0; round < 2; ++round) {
      if (sigsetjmp(g_recover, 1) == 0) {
        (void)LoadFrom(nullptr);
        TEST_FAIL("the null load did not fault");
      }
      ++recovered;
    }
    TEST_CHECK(recovered == 2);
  }));
}

#if defined(IPCT_HAVE_LOAD32)
// Resumes after ipct_load32's load with 77 as its result.
IPCT_FAULTING void SkipLoad(int, siginfo_t*, void* uc) {
  auto* ctx = static_cast<ucontext_t*>(uc);
#if defined(__x86_64__)
  ctx->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(Addr(ipct_load32_ret));
  ctx->uc_mcontext.gregs[REG_RAX] = 77;
#elif defined(__i386__)
  ctx->uc_mcontext.gregs[REG_EIP] = static_cast<greg_t>(Addr(ipct_load32_ret));
  ctx->uc_mcontext.gregs[REG_EAX] = 77;
#elif defined(__aarch64__)
  ctx->uc_mcontext.pc = Addr(ipct_load32_ret);
  ctx->uc_mcontext.regs[0] = 77;
#endif
}
#endif

// Catches: a kernel that ignores the handler's changes to the saved context
// (sigreturn must restore the PC and the result register from it).
TEST(HwOs, AdvancingTheSavedPcResumesAfterTheFault) {
  SKIP_UNLESS_LOAD32();
#if defined(IPCT_HAVE_LOAD32)
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(NoCoreDump());
    struct sigaction sa = {};
    sa.sa_sigaction = SkipLoad;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    TEST_CHECK_SUCCESS(::sigaction(SIGSEGV, &sa, nullptr));
    TEST_CHECK_MSG(ipct_load32(nullptr) == 77,
                   "the handler's result register was not restored");
  }));
#endif
}

// ============================================================================
// HW-008: blocked or ignored fault signals
// ============================================================================

bool BlockSignal(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  return ::sigprocmask(SIG_BLOCK, &set, nullptr) == 0;
}

bool IgnoreSig(int sig) {
  struct sigaction sa = {};
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  return ::sigaction(sig, &sa, nullptr) == 0;
}

// Catches: a blocked fault signal left pending (the child would loop or
// continue) or delivered to the handler anyway. Linux unblocks it, resets the
// action to SIG_DFL and the child dies; the handler never runs.
TEST(HwOs, BlockedSigsegvFromAFaultStillKills) {
  FaultOutcome o = RunFault(
      {SIGSEGV}, [] { return BlockSignal(SIGSEGV); },
      [] { (void)LoadFrom(nullptr); });
  EXPECT_THAT(o.status, ChildKilledBy(SIGSEGV));
  EXPECT_FALSE(o.record.has_value());
}

// Catches: SIG_IGN honoured for a hardware SIGSEGV (the load would be retried
// forever, or skipped).
TEST(HwOs, IgnoredSigsegvFromAFaultStillKills) {
  FaultOutcome o = RunFault(
      {}, [] { return IgnoreSig(SIGSEGV); }, [] { (void)LoadFrom(nullptr); });
  EXPECT_THAT(o.status, ChildKilledBy(SIGSEGV));
}

// Catches: the same for SIGFPE from a division.
TEST(HwOs, BlockedOrIgnoredSigfpeFromADivisionStillKills) {
  SKIP_UNLESS_X86();
#if defined(IPCT_X86)
  FaultOutcome o = RunFault(
      {SIGFPE}, [] { return BlockSignal(SIGFPE); },
      [] { (void)ipct_idiv32(1, 0); });
  EXPECT_THAT(o.status, ChildKilledBy(SIGFPE)) << "blocked";
  EXPECT_FALSE(o.record.has_value());
  o = RunFault(
      {}, [] { return IgnoreSig(SIGFPE); }, [] { (void)ipct_idiv32(1, 0); });
  EXPECT_THAT(o.status, ChildKilledBy(SIGFPE)) << "ignored";
#endif
}

// Catches: a kill()-sent SIGSEGV treated like a fault — the contrast that
// shows HW-008 is about hardware faults: a blocked, kill-sent SIGSEGV stays
// pending and the process lives.
TEST(HwOs, BlockedSigsegvSentByKillStaysPending) {
  EXPECT_CHILD_OK(RunInChild([] {
    TEST_CHECK(BlockSignal(SIGSEGV));
    TEST_CHECK_SUCCESS(::kill(::getpid(), SIGSEGV));
    sigset_t pending;
    sigemptyset(&pending);
    TEST_CHECK_SUCCESS(::sigpending(&pending));
    TEST_CHECK(sigismember(&pending, SIGSEGV) == 1);
  }));
}

// The layer's ScopedSignalMask cannot hold back a fault either (HW-008).
// Catches: a layer that documents blocking as protection against faults.
TEST(HwLayer, ScopedSignalMaskDoesNotHoldBackAFault) {
  FaultOutcome o = RunFault(
      {SIGSEGV},
      [] {
        auto mask = ipc::ScopedSignalMask::block(ipc::make_sigset({SIGSEGV}));
        if (!mask.ok()) return false;
        (void)LoadFrom(nullptr);
        return false;  // not reached
      },
      [] {});
  EXPECT_THAT(o.status, ChildKilledBy(SIGSEGV));
  EXPECT_FALSE(o.record.has_value());
}

// ============================================================================
// HW-009: thread-directed
// ============================================================================

IPCT_FAULTING void* FaultInThread(void*) {
  g_faulting_tid = Gettid();
  (void)LoadFrom(nullptr);
  return nullptr;
}

// Catches: a fault signal treated as process-directed — delivered to the main
// thread, which has SIGSEGV unblocked too and sits in pthread_join.
TEST(HwOs, FaultHandlerRunsInTheFaultingThreadNotTheMainThread) {
  FaultOutcome o = RunFault({SIGSEGV}, [] {
    pthread_t t;
    TEST_CHECK(::pthread_create(&t, nullptr, FaultInThread, nullptr) == 0);
    ::pthread_join(t, nullptr);
  });
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->code, SEGV_MAPERR);
  EXPECT_EQ(o.record->tid, o.record->faulting_tid);
  EXPECT_NE(o.record->tid, o.record->pid);  // not the main thread
}

// ============================================================================
// HW-010 … HW-013: invalid memory references
// ============================================================================

// Catches: a null load that is not SIGSEGV, a wrong si_code (SEGV_ACCERR,
// SI_KERNEL) or an si_addr other than the address loaded from.
TEST(HwOs, NullLoadIsSegvMaperrAtAddressZero) {
  FaultOutcome o = RunFault({SIGSEGV, SIGBUS}, [] { (void)LoadFrom(nullptr); });
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->signo, SIGSEGV);
  EXPECT_EQ(o.record->code, SEGV_MAPERR);
  EXPECT_EQ(o.record->addr, 0u);
  // A store just above null: si_addr is the exact byte address, not the page.
  o = RunFault({SIGSEGV}, [] { StoreTo(reinterpret_cast<int*>(0x10), 1); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->code, SEGV_MAPERR);
  EXPECT_EQ(o.record->addr, 0x10u);
}

// Catches: a store to a read-only page reported as SEGV_MAPERR (the page is
// mapped), or silently performed.
TEST(HwOs, StoreToReadOnlyPageIsSegvAccerrAtThatAddress) {
  Mapping m = AnonymousPages(1, PROT_READ);
  ASSERT_NE(m.get(), nullptr);
  int* target = Word(m, 100);
  FaultOutcome o = RunFault({SIGSEGV, SIGBUS}, [&] { StoreTo(target, 1); });
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->signo, SIGSEGV);
  EXPECT_EQ(o.record->code, SEGV_ACCERR);
  EXPECT_EQ(o.record->addr, Addr(target));
  EXPECT_EQ(LoadFrom(target),
            0);  // loads are allowed (and the store did not happen)
}

// Catches: PROT_NONE treated as unmapped (SEGV_MAPERR) or readable.
TEST(HwOs, LoadFromProtNonePageIsSegvAccerr) {
  Mapping m = AnonymousPages(1, PROT_NONE);
  ASSERT_NE(m.get(), nullptr);
  int* target = Word(m, 8);
  FaultOutcome o = RunFault({SIGSEGV, SIGBUS}, [&] { (void)LoadFrom(target); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->signo, SIGSEGV);
  EXPECT_EQ(o.record->code, SEGV_ACCERR);
  EXPECT_EQ(o.record->addr, Addr(target));
}

// Catches: mprotect that does not take effect on pages already touched.
TEST(HwOs, MprotectToReadOnlyMakesStoresFault) {
  Mapping m = AnonymousPages(2, PROT_READ | PROT_WRITE);
  ASSERT_NE(m.get(), nullptr);
  StoreTo(Word(m, kPage), 5);  // the page is populated and writable
  ASSERT_THAT(::mprotect(m.get() + kPage, kPage, PROT_READ), SyscallSucceeds());
  FaultOutcome o = RunFault({SIGSEGV}, [&] {
    StoreTo(Word(m, 0), 1);      // first page still writable
    StoreTo(Word(m, kPage), 6);  // faults
  });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->code, SEGV_ACCERR);
  EXPECT_EQ(o.record->addr, Addr(Word(m, kPage)));
  EXPECT_EQ(LoadFrom(Word(m, kPage)), 5);
}

// Catches: an address that stays accessible after munmap (stale TLB, lazy
// unmap) or that reports SEGV_ACCERR.
TEST(HwOs, LoadAfterMunmapIsSegvMaperr) {
  FaultOutcome o = RunFault({SIGSEGV, SIGBUS}, [] {
    void* p = ::mmap(nullptr, kPage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TEST_CHECK_SUCCESS(p);
    StoreTo(static_cast<int*>(p), 1);
    TEST_CHECK_SUCCESS(::munmap(p, kPage));
    g_faulting_tid = 0;
    (void)LoadFrom(static_cast<int*>(p) + 3);
  });
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->signo, SIGSEGV);
  EXPECT_EQ(o.record->code, SEGV_MAPERR);
  EXPECT_EQ(o.record->addr % kPage, 3 * sizeof(int));
}

// Catches: a SysV segment still reachable at its old address after shmdt.
TEST(HwOs, LoadAfterShmdtIsSegvMaperr) {
  int id = ::shmget(IPC_PRIVATE, kPage, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  ipc::ShmOwner owner(ipc::ShmSegment::from_id(id));
  void* p = ::shmat(id, nullptr, 0);
  ASSERT_NE(p, reinterpret_cast<void*>(-1)) << std::strerror(errno);
  StoreTo(static_cast<int*>(p), 9);
  ASSERT_THAT(::shmdt(p), SyscallSucceeds());
  FaultOutcome o = RunFault({SIGSEGV, SIGBUS},
                            [&] { (void)LoadFrom(static_cast<int*>(p)); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->signo, SIGSEGV);
  EXPECT_EQ(o.record->code, SEGV_MAPERR);
  EXPECT_EQ(o.record->addr, Addr(p));
}

// The layer: a detached ShmAttachment refuses view() with EINVAL, and the raw
// address it handed out faults (HW-012). Catches: a layer whose detach() does
// not really shmdt (then the load would succeed).
TEST(HwLayer, DetachedShmAttachmentAddressFaults) {
  auto seg = ASSERT_OK_AND_VALUE(ipc::ShmSegment::create_private(kPage));
  ipc::ShmOwner owner(seg);
  auto att = ASSERT_OK_AND_VALUE(ipc::ShmAttachment::attach(seg));
  auto view = ASSERT_OK_AND_VALUE(att.view(0, sizeof(int)));
  int* p = reinterpret_cast<int*>(view.data());
  ASSERT_OK(att.detach());
  EXPECT_THAT(att.view(0, sizeof(int)), FailsWith(EINVAL));
  FaultOutcome o = RunFault({SIGSEGV, SIGBUS}, [&] { (void)LoadFrom(p); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->signo, SIGSEGV);
  EXPECT_EQ(o.record->code, SEGV_MAPERR);
  EXPECT_EQ(o.record->addr, Addr(p));
}

// A file of `size` bytes in `dir`, open read-write.
ipc::Fd FileOfSize(const TempDir& dir, const char* name, off_t size) {
  ipc::Fd fd(
      ::open(dir.file(name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  EXPECT_GE(fd.get(), 0) << std::strerror(errno);
  EXPECT_THAT(::ftruncate(fd.get(), size), SyscallSucceeds());
  return fd;
}

// Catches: SIGSEGV instead of SIGBUS beyond EOF, a wrong si_code
// (BUS_ADRALN/BUS_OBJERR), zeros returned for the page past EOF, or a fault
// already in the partial last page (whose tail reads as zeros).
TEST(HwOs, FileMappingPageWhollyBeyondEofRaisesSigbusAdrerr) {
  TempDir dir;
  ipc::Fd fd = FileOfSize(dir, "short", 100);
  void* p = ::mmap(nullptr, 2 * kPage, PROT_READ, MAP_SHARED, fd.get(), 0);
  ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
  char* base = static_cast<char*>(p);
  FaultOutcome o = RunFault({SIGSEGV, SIGBUS}, [&] {
    TEST_CHECK_MSG(LoadFrom(reinterpret_cast<int*>(base + 200)) == 0,
                   "the page holding EOF does not read zeros past it");
    (void)LoadFrom(reinterpret_cast<int*>(base + kPage + 8));
  });
  ::munmap(p, 2 * kPage);
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->signo, SIGBUS);
  EXPECT_EQ(o.record->code, BUS_ADRERR);
  EXPECT_EQ(o.record->addr, Addr(base + kPage + 8));
}

// Catches: a mapping that keeps showing the old data after the file shrank
// under it (the page that was valid turns into SIGBUS).
TEST(HwOs, TruncatingTheFileTurnsMappedPagesIntoSigbus) {
  TempDir dir;
  ipc::Fd fd = FileOfSize(dir, "shrinks", 2 * static_cast<off_t>(kPage));
  void* p = ::mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED,
                   fd.get(), 0);
  ASSERT_NE(p, MAP_FAILED) << std::strerror(errno);
  int* second = reinterpret_cast<int*>(static_cast<char*>(p) + kPage);
  StoreTo(second, 7);
  ASSERT_EQ(LoadFrom(second), 7);
  ASSERT_THAT(::ftruncate(fd.get(), static_cast<off_t>(kPage)),
              SyscallSucceeds());
  FaultOutcome o = RunFault({SIGSEGV, SIGBUS}, [&] { (void)LoadFrom(second); });
  ::munmap(p, 2 * kPage);
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->signo, SIGBUS);
  EXPECT_EQ(o.record->code, BUS_ADRERR);
  EXPECT_EQ(o.record->addr, Addr(second));
}

// The layer: SharedMapping::read() refuses the range beyond the object's end
// with ENXIO, while a raw load there is SIGBUS (HW-013). Catches: a layer
// check that lets the copy fault, or a kernel that maps zeros past EOF.
TEST(HwLayer, SharedMappingBeyondObjectEndIsEnxioInTheLayerAndSigbusRaw) {
  std::string name = "/" + ipc::testing::UniqueName("hw-bus");
  ipc::ShmNameOwner owner(name);
  auto shm = ASSERT_OK_AND_VALUE(ipc::PosixShm::open(name));
  ASSERT_OK(shm.truncate(100));
  auto map =
      ASSERT_OK_AND_VALUE(ipc::SharedMapping::map(shm, 0, 2 * kPage, false));
  std::byte buf[8];
  EXPECT_THAT(map.read(shm, kPage, buf), FailsWith(ENXIO));
  int* beyond = reinterpret_cast<int*>(map.bytes().data() + kPage);
  FaultOutcome o = RunFault({SIGSEGV, SIGBUS}, [&] { (void)LoadFrom(beyond); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->signo, SIGBUS);
  EXPECT_EQ(o.record->code, BUS_ADRERR);
  EXPECT_EQ(o.record->addr, Addr(beyond));
}

// The layer's ScopedSigaction with a three-argument handler gets the fault's
// siginfo (HW-010). Catches: install() dropping SA_SIGINFO.
TEST(HwLayer, ScopedSigactionInfoHandlerSeesTheFaultSiginfo) {
  FaultOutcome o = RunFault(
      {},
      [] {
        auto act = ipc::ScopedSigaction::install(SIGSEGV, RecordFault);
        if (!act.ok()) return false;
        (void)LoadFrom(reinterpret_cast<int*>(0x20));
        return false;
      },
      [] {});
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->code, SEGV_MAPERR);
  EXPECT_EQ(o.record->addr, 0x20u);
}

// ============================================================================
// HW-014: the saved program counter
// ============================================================================

// Catches: a saved PC that points after the faulting load (then returning
// would skip it) or anywhere else.
TEST(HwOs, SavedPcIsTheFaultingLoad) {
  SKIP_UNLESS_LOAD32();
#if defined(IPCT_HAVE_LOAD32)
  FaultOutcome o = RunFault({SIGSEGV}, [] { (void)ipct_load32(nullptr); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->pc, Addr(ipct_load32_insn));
  EXPECT_EQ(o.record->addr, 0u);
#endif
}

// ============================================================================
// HW-015: stack overflow and the alternate stack
// ============================================================================

bool MakeAltStack(AltStack& s, std::size_t size) {
  void* p = ::mmap(nullptr, size + kPage, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  s.guard = static_cast<char*>(p);
  s.base = s.guard + kPage;
  s.size = size;
  if (::mprotect(s.guard, kPage, PROT_NONE) != 0) return false;
  stack_t ss = {};
  ss.ss_sp = s.base;
  ss.ss_size = size;
  return ::sigaltstack(&ss, nullptr) == 0;
}

// Catches: a kernel that delivers the overflow SIGSEGV on the exhausted stack
// (impossible) instead of the alternate one, or no altstack switch.
TEST(HwOs, StackOverflowIsCaughtOnTheAlternateStack) {
  FaultOutcome o = RunFault(
      {},
      [] {
        if (!MakeAltStack(g_alt, 64 * 1024)) return false;
        return InstallRecorder(SIGSEGV, SA_ONSTACK);
      },
      [] { (void)Recurse(0); });
  ASSERT_THAT(o.status, ChildExitedWith(kHandled));
  ASSERT_TRUE(o.record.has_value());
  EXPECT_EQ(o.record->signo, SIGSEGV);
  EXPECT_EQ(o.record->code,
            SEGV_MAPERR);  // the guard gap below the stack is unmapped
  ASSERT_NE(o.record->alt_lo, 0u);
  EXPECT_GE(o.record->stack,
            o.record->alt_lo);  // the handler's frame is on the altstack
  EXPECT_LT(o.record->stack, o.record->alt_hi);
}

// Catches: a handler without SA_ONSTACK somehow running after the stack
// overflowed: the kernel cannot build the frame and kills with SIGSEGV.
TEST(HwOs, StackOverflowWithoutAlternateStackKillsDespiteAHandler) {
  FaultOutcome o = RunFault({SIGSEGV}, [] { (void)Recurse(0); });
  EXPECT_THAT(o.status, ChildKilledBy(SIGSEGV));
  EXPECT_FALSE(o.record.has_value());
}

// Catches: an overflow of the alternate stack itself being caught (or
// corrupting memory silently): the handler runs on the altstack and overflows
// into its guard page while SIGSEGV is blocked (handlers block their own
// signal), so the kernel kills. (With SA_NODEFER Linux would not notice that
// the faulting sp is just below the altstack and would restart the handler at
// the altstack's top forever — measured, so the test does not do that.)
TEST(HwOs, OverflowingTheAlternateStackKillsWithSigsegv) {
  EXPECT_THAT(RunInChild([] {
                TEST_CHECK(NoCoreDump());
                TEST_CHECK(DefaultFaultActions());
                TEST_CHECK(MakeAltStack(g_alt, 64 * 1024));
                struct sigaction sa = {};
                sa.sa_handler = RecurseInHandler;
                // SIGSEGV stays blocked while the handler runs.
                sa.sa_flags = SA_ONSTACK;
                sigemptyset(&sa.sa_mask);
                TEST_CHECK_SUCCESS(::sigaction(SIGSEGV, &sa, nullptr));
                (void)LoadFrom(nullptr);
                TEST_FAIL("the null load did not fault");
              }),
              ChildKilledBy(SIGSEGV));
}

// ============================================================================
// HW-016: the default action and the wait status
// ============================================================================

// Forks a child that runs `body` (which must kill it); returns waitid's
// siginfo (read with WNOWAIT) and how the same child ended (its raw wait
// status in result.status).
struct Death {
  siginfo_t info = {};
  ChildResult result;
};
Death WaitForDeath(const std::function<void()>& body) {
  Death d;
  Child child([&] {
    TEST_CHECK(DefaultFaultActions());
    body();
    TEST_FAIL("the child was not killed");
  });
  (void)RetryEINTR(::waitid)(P_PID, static_cast<id_t>(child.pid()), &d.info,
                             WEXITED | WNOWAIT);
  d.result = child.wait();
  return d;
}

// Catches: a wait status without the signal, a core flag set although no
// core could be written (RLIMIT_CORE 0), or waitid reporting CLD_DUMPED.
TEST(HwOs, FaultDefaultActionKillsWithoutCoreWhenCoreLimitIsZero) {
  Death d = WaitForDeath([] {
    TEST_CHECK(NoCoreDump());
    (void)LoadFrom(nullptr);
  });
  ASSERT_TRUE(!d.result.timed_out && WIFSIGNALED(d.result.status))
      << d.result.describe();
  EXPECT_EQ(WTERMSIG(d.result.status), SIGSEGV);
  EXPECT_FALSE(WCOREDUMP(d.result.status));
  EXPECT_EQ(d.info.si_code, CLD_KILLED);
  EXPECT_EQ(d.info.si_status, SIGSEGV);
}

// The kernel's core_pattern, or "" if unreadable.
std::string CorePattern() {
  ipc::Fd fd(::open("/proc/sys/kernel/core_pattern", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return "";
  char buf[256];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string s(buf, static_cast<std::size_t>(n));
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// Catches: WCOREDUMP clear (or CLD_KILLED) although a core file was written —
// the parent's view must match what happened. Only where core_pattern writes
// a plain file named "core" into the crashing process's directory.
TEST(HwOs, FaultDefaultActionDumpsCoreWhenAllowed) {
  std::string pattern = CorePattern();
  if (pattern != "core") {
    GTEST_SKIP() << "core_pattern is \"" << pattern
                 << "\", not \"core\": where a core goes is not ours to decide";
  }
  if constexpr (sanitizers::kAddress || sanitizers::kThread) {
    GTEST_SKIP() << "ASan/TSan build: the runtime maps terabytes of shadow "
                    "memory, so a core dump would take long and be huge";
  }
  TempDir dir;
  Death d = WaitForDeath([&] {
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    TEST_CHECK_SUCCESS(::setrlimit(RLIMIT_CORE, &rl));
    TEST_CHECK_SUCCESS(::chdir(dir.path().c_str()));
    TEST_CHECK_SUCCESS(::prctl(PR_SET_DUMPABLE, 1));
    (void)LoadFrom(nullptr);
  });
  ASSERT_TRUE(!d.result.timed_out && WIFSIGNALED(d.result.status))
      << d.result.describe();
  EXPECT_EQ(WTERMSIG(d.result.status), SIGSEGV);
  EXPECT_TRUE(WCOREDUMP(d.result.status));
  EXPECT_EQ(d.info.si_code, CLD_DUMPED);
  struct stat st;
  bool plain = ::stat(dir.file("core").c_str(), &st) == 0;
  bool with_pid =
      ::stat(dir.file("core." + std::to_string(d.info.si_pid)).c_str(), &st) ==
      0;
  EXPECT_TRUE(plain || with_pid) << "no core file in " << dir.path();
}

// ============================================================================
// HW-017: other x86 exceptions
// ============================================================================

// Catches: hlt in user mode executed (halting?) or reported as SIGILL; Linux
// turns the #GP into SIGSEGV with si_code SI_KERNEL and si_addr 0.
TEST(HwOs, HltInUserModeIsSigsegvSiKernel) {
  SKIP_UNLESS_X86();
#if defined(IPCT_X86)
  FaultOutcome o = RunFault({SIGSEGV, SIGILL, SIGBUS}, [] { ipct_hlt(); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->signo, SIGSEGV);
  EXPECT_EQ(o.record->code, SI_KERNEL);
  EXPECT_EQ(o.record->addr, 0u);
  EXPECT_EQ(o.record->pc, Addr(reinterpret_cast<const void*>(&ipct_hlt)));
#endif
}

// Catches: port I/O allowed without ioperm/iopl, or reported as SIGILL.
TEST(HwOs, PortIoWithoutPermissionIsSigsegv) {
  SKIP_UNLESS_X86();
#if defined(IPCT_X86)
  FaultOutcome o = RunFault({SIGSEGV, SIGILL, SIGBUS}, [] { ipct_inb(); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->signo, SIGSEGV);
  EXPECT_EQ(o.record->code, SI_KERNEL);
#endif
}

// Catches: int3 reported as SIGSEGV/SIGILL, or a saved PC that points at the
// int3 instead of after it (int3 is a trap, not a fault).
TEST(HwOs, Int3IsSigtrapWithThePcAfterIt) {
  SKIP_UNLESS_X86();
#if defined(IPCT_X86)
  FaultOutcome o = RunFault({SIGTRAP, SIGSEGV, SIGILL}, [] { ipct_int3(); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->signo, SIGTRAP);
  EXPECT_EQ(o.record->code, SI_KERNEL);
  EXPECT_EQ(o.record->pc, Addr(ipct_int3_next));
  // Default action: killed by SIGTRAP.
  o = RunFault({}, [] { ipct_int3(); });
  EXPECT_THAT(o.status, ChildKilledBy(SIGTRAP));
#endif
}

// Catches: the alignment-check flag ignored (the misaligned load succeeds) or
// reported as SIGSEGV. With EFLAGS.AC set, a misaligned user load is #AC,
// which Linux turns into SIGBUS / BUS_ADRALN.
TEST(HwOs, MisalignedLoadWithAlignmentCheckIsSigbusAdraln) {
  SKIP_UNLESS_X86();
#if defined(IPCT_X86)
  alignas(8) static const char buf[16] = {};
  FaultOutcome o =
      RunFault({SIGSEGV, SIGBUS}, [] { (void)ipct_unaligned_ac(buf); });
  ASSERT_TRUE(o.record.has_value()) << o.status.describe();
  EXPECT_EQ(o.record->signo, SIGBUS);
  EXPECT_EQ(o.record->code, BUS_ADRALN);
  EXPECT_EQ(o.record->pc, Addr(ipct_unaligned_ac_insn));
#endif
}

// ============================================================================
// Terminals: a pseudo-terminal pair and a session on it
// ============================================================================

// A pty pair opened by the test process: the slave with O_NOCTTY, so it never
// becomes our controlling terminal. termios is set through the slave.
struct Pty {
  ipc::Fd master;
  ipc::Fd slave;
  std::string slave_path;
};

// Opens and configures a pty: c_lflag = `lflag` (ECHO off, so the master reads
// nothing back), then the c_cc overrides. An error message, or "" on success.
std::string OpenPty(Pty& pty, tcflag_t lflag,
                    const std::vector<std::pair<int, cc_t>>& cc = {}) {
  pty.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (pty.master.get() < 0)
    return std::string("posix_openpt: ") + std::strerror(errno);
  if (::grantpt(pty.master.get()) != 0)
    return std::string("grantpt: ") + std::strerror(errno);
  if (::unlockpt(pty.master.get()) != 0)
    return std::string("unlockpt: ") + std::strerror(errno);
  char name[128];
  if (::ptsname_r(pty.master.get(), name, sizeof name) != 0)
    return "ptsname_r failed";
  pty.slave_path = name;
  pty.slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (pty.slave.get() < 0)
    return "open(" + pty.slave_path + "): " + std::strerror(errno);
  struct termios t;
  if (::tcgetattr(pty.slave.get(), &t) != 0)
    return std::string("tcgetattr: ") + std::strerror(errno);
  t.c_lflag = lflag;
  for (const auto& [index, value] : cc) t.c_cc[index] = value;
  if (::tcsetattr(pty.slave.get(), TCSANOW, &t) != 0) {
    return std::string("tcsetattr: ") + std::strerror(errno);
  }
  return "";
}

bool WriteAll(int fd, const std::string& s) {
  return ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
}

// One read from the slave (a whole line in canonical mode), waiting at most
// kPatience for it. "<timeout>" if nothing came.
std::string ReadSlave(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  int r = RetryEINTR(::poll)(
      &p, 1, static_cast<int>(std::chrono::milliseconds(kPatience).count()));
  if (r != 1) return "<timeout>";
  char buf[256];
  ssize_t n = ::read(fd, buf, sizeof buf);
  return n < 0 ? std::string("<error ") + std::strerror(errno) + ">"
               : std::string(buf, static_cast<std::size_t>(n));
}

#define ASSERT_PTY(pty, ...)                            \
  do {                                                  \
    std::string pty_error_ = OpenPty(pty, __VA_ARGS__); \
    ASSERT_EQ(pty_error_, "") << "cannot set up a pty"; \
  } while (0)

// What one process of a PtySession reports through the report pipe (one
// write of a fixed size: atomic, so records of several processes never mix).
struct SessionRecord {
  char role;  // 'L' leader, 'M' member of the leader's group, 'B' background
              // group, 'O' other session
  char kind;  // 'P' forked (a = pid), 'R' ready (a = pid, b = pgid), 'S' signal
              // (a = signo, b = si_code), 'D' done, 'X' exit of a child of L (a
              // = wait status), 'E' error (a = errno, `what` the step)
  int a;
  int b;
  char what[24];  // for 'E': the call that failed
};

// A session on a pty:
//   L: setsid(), TIOCSCTTY on the slave, tcsetpgrp(own group) — the session
//      leader and controlling process; the foreground process group is L's;
//   M: forked by L, stays in L's group (foreground);
//   B: forked by L, setpgid(0, 0) — a background group of the same session;
//   O: forked by L, setsid() — another session without a terminal.
// Each blocks the watched signals and reads them from a signalfd, reporting
// each one. finish() tells them to stop; each drains its pending signals
// first. L reaps M, B and O and reports their wait statuses. The test types on
// the master. The destructor SIGKILLs and reaps whatever is still running; the
// test process is a child subreaper meanwhile, so that L's children, orphaned
// if L dies first, come back to it to be reaped.
class PtySession {
 public:
  struct Options {
    tcflag_t lflag = ISIG | ICANON;
    std::vector<std::pair<int, cc_t>> cc;
    std::vector<int> watch = {SIGINT, SIGQUIT, SIGTSTP, SIGHUP};
    bool member_default_sigint =
        false;  // M leaves SIGINT at SIG_DFL, unblocked
    bool background_is_foreground =
        false;  // L makes B's group the foreground group
  };

  explicit PtySession(Options options) : options_(std::move(options)) {
    ::prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper_);
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  ~PtySession() {
    for (const SessionRecord& r : records_) {
      if (r.kind == 'P' || r.kind == 'R') ::kill(r.a, SIGKILL);
    }
    if (leader_ > 0) conformance::testing::kill_and_reap(leader_);
    for (const SessionRecord& r : records_) {
      if (r.kind == 'P') {
        int st;
        (void)RetryEINTR(::waitpid)(r.a, &st, 0);
      }
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, was_subreaper_);
  }
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  // Opens the pty, starts the four processes and waits until each is ready.
  ipc::Status start();
  int master() const { return pty_.master.get(); }
  const Pty& pty() const { return pty_; }
  bool type(const std::string& s) { return WriteAll(pty_.master.get(), s); }
  void close_master() { pty_.master.reset(); }
  // Waits until `n` more signal records arrived; false on timeout or EOF.
  bool wait_signals(int n);
  // SIGKILLs the session leader and reaps it; its children become ours.
  void kill_leader() {
    conformance::testing::kill_and_reap(leader_);
    leader_ = -1;
  }
  // Lets everyone finish, collects the remaining records, reaps L (unless
  // killed) and any of L's children that were orphaned. L's wait status (0
  // after kill_leader()).
  int finish();

  // The signals `role` reported, in order.
  std::vector<int> signals_of(char role) const {
    std::vector<int> out;
    for (const SessionRecord& r : records_) {
      if (r.kind == 'S' && r.role == role) out.push_back(r.a);
    }
    return out;
  }
  std::vector<int> codes_of(char role) const {
    std::vector<int> out;
    for (const SessionRecord& r : records_) {
      if (r.kind == 'S' && r.role == role) out.push_back(r.b);
    }
    return out;
  }
  // The wait status L reported for `role` (M, B, O), or -1.
  int exit_status_of(char role) const {
    for (const SessionRecord& r : records_) {
      if (r.kind == 'X' && r.role == role) return r.a;
    }
    return -1;
  }
  const SessionRecord* ready(char role) const {
    for (const SessionRecord& r : records_) {
      if (r.kind == 'R' && r.role == role) return &r;
    }
    return nullptr;
  }
  std::string errors() const {
    std::string out;
    for (const SessionRecord& r : records_) {
      if (r.kind == 'E') {
        out += std::string(1, r.role) + ": " + r.what + ": " +
               std::strerror(r.a) + "; ";
      }
    }
    return out;
  }

 private:
  static void report(int fd, char role, char kind, int a, int b,
                     const char* what = "") {
    SessionRecord r = {role, kind, a, b, {}};
    std::strncpy(r.what, what, sizeof r.what - 1);
    (void)!::write(fd, &r, sizeof r);
  }
  // A step that failed: an 'E' record names it (errors() shows it); the
  // process then exits 1.
  static int fail(int fd, char role, const char* step) {
    report(fd, role, 'E', errno, 0, step);
    return 1;
  }
  // The loop every process runs once set up: report ready, then report each
  // watched signal until a byte arrives on `go` (non-blocking, shared by all:
  // whoever gets the byte stops, the others see EAGAIN and keep waiting).
  static int member(char role, const sigset_t& watch, int go, int out) {
    int sfd = ::signalfd(-1, &watch, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) return fail(out, role, "signalfd");
    report(out, role, 'R', ::getpid(), ::getpgrp());
    auto drain = [&] {
      struct signalfd_siginfo si;
      while (::read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        report(out, role, 'S', static_cast<int>(si.ssi_signo), si.ssi_code);
      }
    };
    for (;;) {
      struct pollfd p[2] = {{sfd, POLLIN, 0}, {go, POLLIN, 0}};
      if (RetryEINTR(::poll)(p, 2, -1) < 0) return fail(out, role, "poll");
      if (p[0].revents & POLLIN) drain();
      if (p[1].revents & (POLLIN | POLLHUP)) {
        char c;
        ssize_t n = ::read(go, &c, 1);
        if (n == 1 || n == 0) {  // told to stop, or the test is gone
          drain();
          report(out, role, 'D', 0, 0);
          return 0;
        }
      }
    }
  }
  int leader(int go, int out);
  bool next(SessionRecord& r);

  Options options_;
  int was_subreaper_ = 0;
  Pty pty_;
  ipc::Fd report_r_, go_w_;
  pid_t leader_ = -1;
  std::vector<SessionRecord> records_;
};

// The body of L (see the class comment); `go` and `out` as in member().
int PtySession::leader(int go, int out) {
  pid_t test = ::getppid();
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != test)
    return fail(out, 'L', "PR_SET_PDEATHSIG");
  pty_.master
      .reset();  // a hangup must come only from the test closing its master
  int slave = pty_.slave.get();
  if (::setsid() < 0) return fail(out, 'L', "setsid");
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) return fail(out, 'L', "TIOCSCTTY");
  if (::tcsetpgrp(slave, ::getpgrp()) != 0) return fail(out, 'L', "tcsetpgrp");
  sigset_t watch;
  sigemptyset(&watch);
  for (int sig : options_.watch) sigaddset(&watch, sig);
  if (::sigprocmask(SIG_BLOCK, &watch, nullptr) != 0)
    return fail(out, 'L', "sigprocmask");
  auto spawn = [&](char role, const std::function<int()>& setup) -> pid_t {
    pid_t pid = ::fork();
    if (pid == 0) {
      // No PR_SET_PDEATHSIG here: HW-027 kills L and watches what M gets. If
      // the test process dies, the members see EOF on `go` and leave.
      int rc = setup();
      ::_exit(rc != 0 ? rc : member(role, watch, go, out));
    }
    if (pid > 0) report(out, role, 'P', pid, 0);
    return pid;
  };
  pid_t m = spawn('M', [&] {
    if (!options_.member_default_sigint) return 0;
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    if (::sigaction(SIGINT, &sa, nullptr) != 0)
      return fail(out, 'M', "sigaction");
    sigdelset(&watch, SIGINT);
    if (::sigprocmask(SIG_SETMASK, &watch, nullptr) != 0)
      return fail(out, 'M', "sigprocmask");
    return 0;
  });
  pid_t b = spawn('B', [&] {
    return ::setpgid(0, 0) == 0 ? 0 : fail(out, 'B', "setpgid");
  });
  if (b > 0)
    (void)::setpgid(b, b);  // both sides, so the group exists when we go on
  pid_t o = spawn(
      'O', [&] { return ::setsid() >= 0 ? 0 : fail(out, 'O', "setsid"); });
  if (m < 0 || b < 0 || o < 0) return fail(out, 'L', "fork");
  if (options_.background_is_foreground && ::tcsetpgrp(slave, b) != 0)
    return fail(out, 'L', "tcsetpgrp(B)");
  int rc = member('L', watch, go, out);
  for (auto [role, pid] :
       {std::pair{'M', m}, std::pair{'B', b}, std::pair{'O', o}}) {
    int st = 0;
    (void)RetryEINTR(::waitpid)(pid, &st, 0);
    report(out, role, 'X', st, 0);
  }
  return rc;
}

ipc::Status PtySession::start() {
  std::string err = OpenPty(pty_, options_.lflag, options_.cc);
  if (!err.empty()) return ipc::Error(EIO, "pty", err);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ipc::Error(errno, "pipe2", "report");
  report_r_.reset(fds[0]);
  ipc::Fd report_w(fds[1]);
  if (::pipe2(fds, O_CLOEXEC) != 0) return ipc::Error(errno, "pipe2", "go");
  ipc::Fd go_r(fds[0]);
  go_w_.reset(fds[1]);
  if (::fcntl(go_r.get(), F_SETFL, O_NONBLOCK) != 0)
    return ipc::Error(errno, "fcntl", "go");
  leader_ = ::fork();
  if (leader_ < 0) return ipc::Error(errno, "fork", "session leader");
  if (leader_ == 0) {
    report_r_.reset();
    go_w_.reset();
    ::_exit(leader(go_r.get(), report_w.get()));
  }
  report_w.reset();  // EOF on report_r_ once all four have exited
  int ready = 0;
  SessionRecord r;
  while (ready < 4) {
    if (!next(r))
      return ipc::Error(
          EIO, "session", "start",
          "only " + std::to_string(ready) + " of 4 ready; " + errors());
    if (r.kind == 'R') ++ready;
  }
  return ipc::Status();
}

bool PtySession::next(SessionRecord& r) {
  struct pollfd p = {report_r_.get(), POLLIN, 0};
  int n = RetryEINTR(::poll)(
      &p, 1, static_cast<int>(std::chrono::milliseconds(kPatience).count()));
  if (n != 1 ||
      ::read(report_r_.get(), &r, sizeof r) != static_cast<ssize_t>(sizeof r))
    return false;
  records_.push_back(r);
  return true;
}

bool PtySession::wait_signals(int n) {
  SessionRecord r;
  while (n > 0) {
    if (!next(r)) return false;
    if (r.kind == 'S') --n;
  }
  return true;
}

int PtySession::finish() {
  (void)WriteAll(go_w_.get(), "qqqq");
  SessionRecord r;
  while (next(r)) {
  }
  int status = 0;
  if (leader_ > 0) {
    std::optional<int> st = conformance::testing::wait_exit(leader_, kPatience);
    if (!st) return -1;  // the destructor kills and reaps
    leader_ = -1;
    status = *st;
  }
  // EOF: every member has exited. Those L did not reap were reparented to us.
  for (const SessionRecord& rec : records_) {
    int st;
    if (rec.kind == 'P') (void)::waitpid(rec.a, &st, WNOHANG);
  }
  return status;
}

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// ---- HW-018 / HW-021: ^C reaches the foreground process group only ---------

// Catches: SIGINT to the session leader only (not its whole group), to the
// background group or to another session, a tty signal without ISIG semantics,
// or an si_code other than SI_KERNEL (Linux: the tty driver sends it, not a
// process).
TEST(HwOs, InterruptCharSignalsEveryForegroundProcessAndNoOneElse) {
  PtySession s({});
  ASSERT_OK(s.start());
  ASSERT_TRUE(s.type("\x03"));
  ASSERT_TRUE(s.wait_signals(2)) << s.errors();
  EXPECT_TRUE(ExitedWith(s.finish(), 0)) << s.errors();
  EXPECT_THAT(s.signals_of('L'), ElementsAre(SIGINT));
  EXPECT_THAT(s.signals_of('M'), ElementsAre(SIGINT));
  EXPECT_THAT(s.codes_of('M'), ElementsAre(SI_KERNEL));
  EXPECT_THAT(s.signals_of('B'), IsEmpty());
  EXPECT_THAT(s.signals_of('O'), IsEmpty());
  // The roles really were what they claim: B its own group, O its own session.
  ASSERT_NE(s.ready('B'), nullptr);
  EXPECT_EQ(s.ready('B')->a, s.ready('B')->b);
  EXPECT_EQ(s.ready('M')->b, s.ready('L')->a);
}

// Catches: ^C going to the session leader's group rather than to the group
// tcsetpgrp made the foreground one.
TEST(HwOs, InterruptCharFollowsTcsetpgrp) {
  PtySession::Options o;
  o.background_is_foreground = true;
  PtySession s(o);
  ASSERT_OK(s.start());
  ASSERT_TRUE(s.type("\x03"));
  ASSERT_TRUE(s.wait_signals(1)) << s.errors();
  EXPECT_TRUE(ExitedWith(s.finish(), 0)) << s.errors();
  EXPECT_THAT(s.signals_of('B'), ElementsAre(SIGINT));
  EXPECT_THAT(s.signals_of('L'), IsEmpty());
  EXPECT_THAT(s.signals_of('M'), IsEmpty());
  EXPECT_THAT(s.signals_of('O'), IsEmpty());
}

// ---- HW-019 / HW-020: the INTR byte as input -------------------------------

// Catches: the INTR byte delivered as data although ISIG is set, or the
// pending input not flushed.
TEST(HwOs, WithIsigTheInterruptByteIsConsumedAndFlushesInput) {
  Pty pty;
  ASSERT_PTY(pty, ISIG | ICANON);
  ASSERT_TRUE(WriteAll(pty.master.get(),
                       "ab\x03"
                       "cd\n"));
  EXPECT_EQ(ReadSlave(pty.slave.get()), "cd\n");
}

// Catches: NOFLSH ignored (input before ^C thrown away).
TEST(HwOs, WithNoflshTheInterruptByteIsConsumedButInputKept) {
  Pty pty;
  ASSERT_PTY(pty, ISIG | ICANON | NOFLSH);
  ASSERT_TRUE(WriteAll(pty.master.get(),
                       "ab\x03"
                       "cd\n"));
  EXPECT_EQ(ReadSlave(pty.slave.get()), "abcd\n");
}

// Catches: ^C interpreted although ISIG is clear (canonical and raw mode).
TEST(HwOs, WithoutIsigTheInterruptByteIsOrdinaryData) {
  Pty pty;
  ASSERT_PTY(pty, ICANON);
  ASSERT_TRUE(WriteAll(pty.master.get(),
                       "ab\x03"
                       "cd\n"));
  EXPECT_EQ(ReadSlave(pty.slave.get()),
            "ab\x03"
            "cd\n");
  Pty raw;
  ASSERT_PTY(raw, 0, {{VMIN, 1}, {VTIME, 0}});
  ASSERT_TRUE(WriteAll(raw.master.get(), "\x03"));
  EXPECT_EQ(ReadSlave(raw.slave.get()), "\x03");
}

// Catches: a signal sent for ^C although ISIG is clear: every process of the
// session keeps SIGINT unreceived, the byte is readable on the slave.
TEST(HwOs, WithoutIsigNoSignalIsSent) {
  PtySession::Options o;
  o.lflag = ICANON;
  PtySession s(o);
  ASSERT_OK(s.start());
  ASSERT_TRUE(s.type("\x03\n"));
  // Once the line is readable the ldisc has processed the ^C.
  EXPECT_EQ(ReadSlave(s.pty().slave.get()), "\x03\n");
  EXPECT_TRUE(ExitedWith(s.finish(), 0)) << s.errors();
  for (char role : {'L', 'M', 'B', 'O'})
    EXPECT_THAT(s.signals_of(role), IsEmpty()) << role;
}

// ---- HW-022: remapping and disabling VINTR ---------------------------------

// Catches: VINTR fixed at 0x03 regardless of c_cc.
TEST(HwOs, RemappedInterruptCharIsConsumedAndTheOldOneIsData) {
  Pty pty;
  ASSERT_PTY(pty, ISIG | ICANON, {{VINTR, '%'}});
  ASSERT_TRUE(WriteAll(pty.master.get(),
                       "a%b\x03"
                       "c\n"));
  EXPECT_EQ(ReadSlave(pty.slave.get()),
            "b\x03"
            "c\n");
}

// Catches: _POSIX_VDISABLE not honoured (0x03 or NUL still interrupts).
TEST(HwOs, DisabledInterruptCharIsData) {
  Pty pty;
  ASSERT_PTY(pty, ISIG | ICANON, {{VINTR, _POSIX_VDISABLE}});
  ASSERT_TRUE(WriteAll(pty.master.get(), std::string("a\x03"
                                                     "b",
                                                     3) +
                                             std::string(1, '\0') + "c\n"));
  EXPECT_EQ(ReadSlave(pty.slave.get()), std::string("a\x03"
                                                    "b",
                                                    3) +
                                            std::string(1, '\0') + "c\n");
}

// Catches: the remapped character not generating SIGINT.
TEST(HwOs, RemappedInterruptCharSignalsTheForegroundGroup) {
  PtySession::Options o;
  o.cc = {{VINTR, '%'}};
  PtySession s(o);
  ASSERT_OK(s.start());
  ASSERT_TRUE(s.type("%"));
  ASSERT_TRUE(s.wait_signals(2)) << s.errors();
  EXPECT_TRUE(ExitedWith(s.finish(), 0)) << s.errors();
  EXPECT_THAT(s.signals_of('L'), ElementsAre(SIGINT));
  EXPECT_THAT(s.signals_of('M'), ElementsAre(SIGINT));
  EXPECT_THAT(s.signals_of('B'), IsEmpty());
}

// ---- HW-023: VQUIT and VSUSP -----------------------------------------------

// Catches: ^\ or ^Z mapped to the wrong signal, or sent to the wrong group.
TEST(HwOs, QuitAndSuspendCharsSendSigquitAndSigtstp) {
  PtySession s({});
  ASSERT_OK(s.start());
  ASSERT_TRUE(s.type("\x1c"));  // ^\ (VQUIT)
  ASSERT_TRUE(s.wait_signals(2)) << s.errors();
  ASSERT_TRUE(s.type("\x1a"));  // ^Z (VSUSP)
  ASSERT_TRUE(s.wait_signals(2)) << s.errors();
  EXPECT_TRUE(ExitedWith(s.finish(), 0)) << s.errors();
  EXPECT_THAT(s.signals_of('L'), ElementsAre(SIGQUIT, SIGTSTP));
  EXPECT_THAT(s.signals_of('M'), ElementsAre(SIGQUIT, SIGTSTP));
  EXPECT_THAT(s.signals_of('B'), IsEmpty());
  EXPECT_THAT(s.signals_of('O'), IsEmpty());
}

// ---- HW-024: SIGINT's default action ---------------------------------------

// Catches: a foreground process with SIGINT at SIG_DFL surviving ^C, exiting
// instead of being killed, or dumping core (SIGINT's default is "terminate",
// not "core").
TEST(HwOs, InterruptCharKillsADefaultProcessWithoutCore) {
  PtySession::Options o;
  o.member_default_sigint = true;
  PtySession s(o);
  ASSERT_OK(s.start());
  ASSERT_TRUE(s.type("\x03"));
  ASSERT_TRUE(s.wait_signals(1)) << s.errors();  // L's
  EXPECT_TRUE(ExitedWith(s.finish(), 0)) << s.errors();
  int st = s.exit_status_of('M');
  ASSERT_TRUE(WIFSIGNALED(st)) << DescribeWaitStatus(st);
  EXPECT_EQ(WTERMSIG(st), SIGINT);
  EXPECT_FALSE(WCOREDUMP(st));
  EXPECT_TRUE(ExitedWith(s.exit_status_of('B'), 0));
}

// Catches: exec resetting an ignored SIGINT to SIG_DFL (a launcher that
// ignores ^C must pass that on, which is how `nohup`-style and background
// shells protect their children).
TEST(HwOs, IgnoredSigintSurvivesExec) {
  auto peer = conformance::runfile("conformance/testing/peer");
  ASSERT_TRUE(peer.ok()) << peer.error().message();
  ipc::testing::IgnoreSignal ignore(SIGINT);
  conformance::RunOptions opt;
  opt.timeout = kPatience;
  auto r = conformance::run_program({*peer, "sigstate", std::to_string(SIGINT)},
                                    opt);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(ExitedWith(r->wait_status, 0)) << r->output;
  EXPECT_THAT(r->output, ::testing::HasSubstr("handler=ignore"));
}

// ---- HW-025: controlling terminal set-up -----------------------------------

// Catches: /dev/tty usable without a controlling terminal, TIOCSCTTY allowed
// for a process that is not a session leader, tcsetpgrp accepting a group of
// another session, or /dev/tty not being the pty slave once it is the ctty.
TEST(HwOs, ControllingTerminalNeedsSessionLeaderAndTiocsctty) {
  Pty pty;
  ASSERT_PTY(pty, ISIG | ICANON);
  int slave = pty.slave.get();
  int master = pty.master.get();
  pid_t test_pgrp = ::getpgrp();
  // Not a session leader: TIOCSCTTY is refused.
  EXPECT_CHILD_OK(RunInChild([&] {
    TEST_CHECK_ERRNO(::ioctl(slave, TIOCSCTTY, 0), EPERM);
  })) << "TIOCSCTTY by a non-leader";
  EXPECT_CHILD_OK(RunInChild([&] {
    TEST_CHECK_SUCCESS(::setsid());
    TEST_CHECK_ERRNO(::open("/dev/tty", O_RDWR | O_CLOEXEC), ENXIO);
    TEST_CHECK_SUCCESS(::ioctl(slave, TIOCSCTTY, 0));
    int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
    TEST_CHECK_SUCCESS(tty);
    // /dev/tty is now our pty: what we write to it comes out of the master.
    char c = 0;
    struct pollfd p = {master, POLLIN, 0};
    TEST_CHECK(::write(tty, "Z", 1) == 1);
    TEST_CHECK(::poll(&p, 1, 30000) == 1);
    TEST_CHECK(::read(master, &c, 1) == 1 && c == 'Z');
    TEST_CHECK(::tcgetsid(slave) == ::getpid());
    TEST_CHECK(::tcgetpgrp(slave) == ::getpgrp());
    TEST_CHECK_ERRNO(::tcsetpgrp(slave, test_pgrp), EPERM);  // other session
  }));
}

// ---- HW-026: hangup --------------------------------------------------------

// Catches: closing the master without a hangup, or SIGHUP/SIGCONT sent to
// processes other than the controlling process. Linux (tty_vhangup) signals
// the session leader only: its foreground group partner M gets nothing (the
// survey's "and the foreground group" does not hold for a master close; see
// HW-027 for when the group does get SIGHUP).
TEST(HwOs, ClosingTheMasterHangsUpTheControllingProcess) {
  PtySession::Options o;
  o.watch = {SIGINT, SIGHUP, SIGCONT};
  PtySession s(o);
  ASSERT_OK(s.start());
  s.close_master();
  ASSERT_TRUE(s.wait_signals(2)) << s.errors();
  EXPECT_TRUE(ExitedWith(s.finish(), 0)) << s.errors();
  EXPECT_THAT(s.signals_of('L'), ElementsAre(SIGHUP, SIGCONT));
  EXPECT_THAT(s.signals_of('M'), IsEmpty());
  EXPECT_THAT(s.signals_of('B'), IsEmpty());
  EXPECT_THAT(s.signals_of('O'), IsEmpty());
}

// ---- HW-027: the controlling process exits ---------------------------------

// Catches: no SIGHUP to the foreground group when the controlling process
// dies (POSIX XSH _exit()), or SIGHUP to the background group / another
// session. Linux sends SIGHUP alone for a pty (SIGCONT only on TIOCNOTTY).
TEST(HwOs, ControllingProcessExitSendsSighupToTheForegroundGroup) {
  PtySession::Options o;
  o.watch = {SIGINT, SIGHUP, SIGCONT};
  PtySession s(o);
  ASSERT_OK(s.start());
  s.kill_leader();
  ASSERT_TRUE(s.wait_signals(1)) << s.errors();
  EXPECT_TRUE(ExitedWith(s.finish(), 0)) << s.errors();
  EXPECT_THAT(s.signals_of('M'), ElementsAre(SIGHUP));
  EXPECT_THAT(s.signals_of('B'), IsEmpty());
  EXPECT_THAT(s.signals_of('O'), IsEmpty());
}

// ---- HW-028 floating-point state across signal handlers --------------------

}  // namespace

#if defined(__x86_64__)
// The floating-point state a test sets, signals itself inside the same
// instruction sequence (so the compiler cannot save or restore anything
// around a call), and reads back.
asm(R"(
  .pushsection .text
  .globl ipct_fp_signal_self
  .type ipct_fp_signal_self, @function
# void ipct_fp_signal_self(pid_t pid, pid_t tid, int sig, uint64_t v,
#                          FpState* out): MXCSR and the x87 control word set to
# round down, xmm0/xmm1/xmm15 = v, tgkill(pid, tid, sig), then xmm0, xmm1,
# xmm15, MXCSR and FCW stored to *out; the caller's MXCSR and FCW restored.
ipct_fp_signal_self:
  subq $24, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movl $0x3f80, 8(%rsp)
  ldmxcsr 8(%rsp)
  movw $0x077f, 12(%rsp)
  fldcw 12(%rsp)
  movq %rcx, %xmm0
  movq %rcx, %xmm1
  movq %rcx, %xmm15
  movl $234, %eax              # SYS_tgkill; pid, tid, sig already in rdi, rsi, rdx
  syscall
  movq %xmm0, %rax
  movq %rax, 0(%r8)
  movq %xmm1, %rax
  movq %rax, 8(%r8)
  movq %xmm15, %rax
  movq %rax, 16(%r8)
  stmxcsr 24(%r8)
  fnstcw 28(%r8)
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $24, %rsp
  ret
  .size ipct_fp_signal_self, .-ipct_fp_signal_self

  .globl ipct_fp_spin
  .type ipct_fp_spin, @function
# int ipct_fp_spin(const volatile int* count, int target, uint64_t v):
# xmm0 = xmm15 = v and MXCSR round-down, then spins until *count >= target,
# checking them on every turn: 0, or 1 if an xmm register changed, 2 if MXCSR
# changed. The caller's MXCSR is restored.
ipct_fp_spin:
  subq $8, %rsp
  stmxcsr (%rsp)
  movl $0x3f80, 4(%rsp)
  ldmxcsr 4(%rsp)
  movq %rdx, %xmm0
  movq %rdx, %xmm15
1:
  movq %xmm0, %rax
  cmpq %rdx, %rax
  jne 8f
  movq %xmm15, %rax
  cmpq %rdx, %rax
  jne 8f
  stmxcsr 4(%rsp)
  cmpl $0x3f80, 4(%rsp)
  jne 9f
  movl (%rdi), %eax
  cmpl %esi, %eax
  jl 1b
  xorl %eax, %eax
  jmp 7f
8:
  movl $1, %eax
  jmp 7f
9:
  movl $2, %eax
7:
  ldmxcsr (%rsp)
  addq $8, %rsp
  ret
  .size ipct_fp_spin, .-ipct_fp_spin
  .popsection
)");

struct FpState {
  std::uint64_t xmm0, xmm1, xmm15;
  std::uint32_t mxcsr;
  std::uint16_t fcw, pad;
};

extern "C" {
void ipct_fp_signal_self(pid_t pid, pid_t tid, int sig, std::uint64_t v,
                         FpState* out);
int ipct_fp_spin(const volatile int* count, int target, std::uint64_t v);
}
#endif

namespace {

constexpr bool kHwUnderTsan = sanitizers::kThread;

constexpr std::uint64_t kFpValue = 0xdeadbeeffacefeedULL;
constexpr std::uint64_t kFpJunk = 0x1111222233334444ULL;
constexpr std::uint64_t kFpFrameValue = 0xfacefeedbaad1deaULL;

#if defined(__x86_64__)
// What the handler saw, for the parent of the child to compare.
struct FpSeen {
  std::uint32_t entry_mxcsr;
  std::uint16_t entry_fcw;
  std::uint64_t entry_xmm0;
  std::uint64_t frame_xmm0;
  std::uint32_t frame_mxcsr;
  int nested_kept;  // 1: xmm0 survived the nested handler
  int runs;
};

volatile FpSeen g_fp = {};
volatile int g_fp_rewrite_frame = 0;
// The asynchronous test's count of handled signals, in MAP_SHARED memory so
// that the sending parent sees it.
volatile int* g_fp_spin_count = nullptr;

// Records the state it starts with and the interrupted state in its frame,
// optionally rewrites the frame's xmm0, then clobbers xmm0/xmm1/xmm15, MXCSR
// and FCW. SIGUSR1 also signals itself SIGUSR2 (the same handler, nested)
// with xmm0 set and checks xmm0 afterwards.
void FpClobberHandler(int sig, siginfo_t*, void* uc) {
  std::uint32_t mxcsr;
  std::uint16_t fcw;
  std::uint64_t xmm0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fcw));
  asm volatile("movq %%xmm0, %0" : "=r"(xmm0));
  auto* fp = static_cast<ucontext_t*>(uc)->uc_mcontext.fpregs;
  if (sig == SIGUSR1) {
    g_fp.entry_mxcsr = mxcsr;
    g_fp.entry_fcw = fcw;
    g_fp.entry_xmm0 = xmm0;
    g_fp.frame_xmm0 =
        (std::uint64_t{fp->_xmm[0].element[1]} << 32) | fp->_xmm[0].element[0];
    g_fp.frame_mxcsr = fp->mxcsr;
    if (g_fp_rewrite_frame) {
      fp->_xmm[0].element[0] = static_cast<std::uint32_t>(kFpFrameValue);
      fp->_xmm[0].element[1] = static_cast<std::uint32_t>(kFpFrameValue >> 32);
    }
    long pid = ::getpid(), tid = ::syscall(SYS_gettid), r;
    std::uint64_t after;
    asm volatile(
        "movq %[junk], %%xmm0\n"
        "syscall\n"
        "movq %%xmm0, %[after]\n"
        : "=a"(r), [after] "=r"(after)
        : "a"(SYS_tgkill), "D"(pid), "S"(tid),
          "d"(long{SIGUSR2}), [junk] "r"(kFpJunk)
        : "rcx", "r11", "xmm0", "memory");
    g_fp.nested_kept = r == 0 && after == kFpJunk;
  }
  g_fp.runs = g_fp.runs + 1;
  std::uint32_t odd_mxcsr = 0x7f80 | 0x6000;  // round toward zero
  std::uint16_t odd_fcw = 0x0c7f;
  asm volatile(
      "movq %0, %%xmm0\n"
      "movq %0, %%xmm1\n"
      "movq %0, %%xmm15\n"
      "ldmxcsr %1\n"
      "fldcw %2\n"
      :
      : "r"(kFpJunk ^ static_cast<std::uint64_t>(sig)), "m"(odd_mxcsr),
        "m"(odd_fcw)
      : "xmm0", "xmm1", "xmm15");
}

void FpCountHandler(int) {
  std::uint64_t junk = kFpJunk;
  std::uint32_t odd_mxcsr = 0x7f80 | 0x6000;
  asm volatile(
      "movq %0, %%xmm0\n"
      "movq %0, %%xmm15\n"
      "ldmxcsr %1\n"
      :
      : "r"(junk), "m"(odd_mxcsr)
      : "xmm0", "xmm15");
  *g_fp_spin_count = *g_fp_spin_count + 1;
}
#endif

// Catches: an OS or emulator that does not restore the interrupted code's
// SSE/x87 state at sigreturn (a handler's floating-point work leaks into the
// code it interrupted), that gives the handler the interrupted rounding modes
// instead of the default state, or whose signal frame does not hold (or
// apply) the interrupted state.
TEST(HwOs, SignalHandlerPreservesFloatingPointState) {
  SKIP_UNLESS_X86_64();
#if defined(__x86_64__)
  RawPipe out;
  ipc::testing::ChildResult child = ipc::testing::RunInChild([&] {
    struct sigaction sa = {};
    sa.sa_sigaction = FpClobberHandler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    TEST_CHECK_SUCCESS(::sigaction(SIGUSR1, &sa, nullptr));
    TEST_CHECK_SUCCESS(::sigaction(SIGUSR2, &sa, nullptr));
    FpState state[2] = {};
    for (int round = 0; round < 2; ++round) {
      g_fp_rewrite_frame = round;
      ipct_fp_signal_self(::getpid(), Gettid(), SIGUSR1, kFpValue,
                          &state[round]);
    }
    FpSeen seen;
    std::memcpy(&seen, const_cast<FpSeen*>(&g_fp), sizeof seen);
    TEST_CHECK(::write(out.write.get(), state, sizeof state) == sizeof state);
    TEST_CHECK(::write(out.write.get(), &seen, sizeof seen) == sizeof seen);
  });
  out.write.reset();
  std::string bytes = conformance::testing::ReadToEof(out.read.get());
  ASSERT_CHILD_OK(child);
  ASSERT_EQ(bytes.size(), 2 * sizeof(FpState) + sizeof(FpSeen));
  FpState state[2];
  FpSeen seen;
  std::memcpy(state, bytes.data(), sizeof state);
  std::memcpy(&seen, bytes.data() + sizeof state, sizeof seen);
  // Restored by sigreturn: what the interrupted code had.
  EXPECT_EQ(state[0].xmm0, kFpValue);
  EXPECT_EQ(state[0].xmm1, kFpValue);
  EXPECT_EQ(state[0].xmm15, kFpValue);
  EXPECT_EQ(state[0].mxcsr, 0x3f80u) << "MXCSR (round down) not restored";
  EXPECT_EQ(state[0].fcw, 0x077fu) << "x87 control word not restored";
  EXPECT_EQ(state[1].xmm1, kFpValue);
  if (kHwUnderTsan) {
    // TSan's own handler takes the signal and runs ours later, outside the
    // signal frame: the restoration above (across TSan's handler) is the
    // kernel's; the rest is checked without TSan.
    return;
  }
  EXPECT_EQ(seen.runs, 4) << "two SIGUSR1 handlers, each with a nested SIGUSR2";
  EXPECT_EQ(seen.entry_mxcsr, 0x1f80u) << "handler starts with default MXCSR";
  EXPECT_EQ(seen.entry_fcw, 0x037fu) << "handler starts with default FCW";
  EXPECT_EQ(seen.entry_xmm0, 0u) << "handler starts with cleared registers";
  EXPECT_EQ(seen.frame_mxcsr, 0x3f80u)
      << "the frame holds the interrupted MXCSR";
  EXPECT_EQ(seen.nested_kept, 1) << "a nested handler clobbered xmm0";
  // Round 1 rewrote the frame's xmm0: sigreturn must load it.
  EXPECT_EQ(state[1].xmm0, kFpFrameValue);
  // Round 0's frame (recorded before round 1 overwrote g_fp) is checked
  // through round 1's record: the frame held the interrupted xmm0.
  EXPECT_EQ(seen.frame_xmm0, kFpValue)
      << "the frame holds the interrupted xmm0";
#endif
}

// Catches: an emulator that saves and restores the guest's SSE state only at
// system calls, so a signal arriving at an arbitrary instruction of a
// floating-point loop corrupts it. Another process sends SIGUSR1 one at a
// time (the next once the previous was handled) until the spinning child has
// handled 50 of them.
TEST(HwOs, AsynchronousSignalsPreserveFloatingPointState) {
  SKIP_UNLESS_X86_64();
  if (kHwUnderTsan)
    GTEST_SKIP() << "TSan delivers asynchronous signals only inside its "
                    "interceptors, which the spinning loop never enters";
#if defined(__x86_64__)
  constexpr int kSignals = 50;
  void* shared = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(shared, MAP_FAILED) << std::strerror(errno);
  g_fp_spin_count = static_cast<volatile int*>(shared);
  *g_fp_spin_count = 0;
  RawPipe ready;
  ipc::testing::Child child([&] {
    struct sigaction sa = {};
    sa.sa_handler = FpCountHandler;
    TEST_CHECK_SUCCESS(::sigaction(SIGUSR1, &sa, nullptr));
    TEST_CHECK(::write(ready.write.get(), "r", 1) == 1);
    int damage = ipct_fp_spin(g_fp_spin_count, kSignals, kFpValue);
    TEST_CHECK_MSG(damage != 1,
                   "an xmm register changed under an asynchronous signal");
    TEST_CHECK_MSG(damage != 2, "MXCSR changed under an asynchronous signal");
  });
  ready.write.reset();
  char c;
  ASSERT_THAT(::read(ready.read.get(), &c, 1), SyscallSucceedsWithValue(1))
      << "the child did not install its handler";
  // Whether the child has ended (it found damage), without reaping it.
  auto child_ended = [&child] {
    siginfo_t si = {};
    return ::waitid(P_PID, static_cast<id_t>(child.pid()), &si,
                    WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == child.pid();
  };
  auto deadline = std::chrono::steady_clock::now() + kPatience;
  int sent = 0;
  while (sent < kSignals && std::chrono::steady_clock::now() < deadline) {
    if (*g_fp_spin_count < sent) {  // the previous one is still on its way
      if (child_ended()) break;
      ::sched_yield();
      continue;
    }
    ::kill(child.pid(), SIGUSR1);
    ++sent;
  }
  ipc::testing::ChildResult result = child.wait();
  ::munmap(shared, 4096);
  g_fp_spin_count = nullptr;
  EXPECT_CHILD_OK(result);
#endif
}

}  // namespace
