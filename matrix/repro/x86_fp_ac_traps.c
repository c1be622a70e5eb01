// x86 exceptions that qemu's TCG CPU does not raise (HW-006, HW-017): an
// SSE division by zero with the exception unmasked in MXCSR (what
// feenableexcept(FE_DIVBYZERO) does, here without libm) must give SIGFPE
// with si_code FPE_FLTDIV (3); a misaligned load with EFLAGS.AC set must give
// SIGBUS with si_code BUS_ADRALN (1). Each runs in a child; the child reports
// the signal it caught, or that the instruction completed without one.
// x86-64 only. Run on this kernel, in a guest (matrix/qemu), or as
// `qemu-x86_64-static ./x86_fp_ac_traps` (the same TCG CPU in user mode).
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void handler(int sig, siginfo_t* si, void* ctx) {
  (void)ctx;
  // EFLAGS.AC may still be set: clear it before printf's unaligned accesses.
  __asm__ volatile("pushfq\n\tandq $~0x40000, (%%rsp)\n\tpopfq" ::: "cc");
  printf("  caught %s si_code %d\n", sig == SIGFPE ? "SIGFPE" : "SIGBUS",
         si->si_code);
  fflush(stdout);
  _exit(0);
}

static void in_child(void (*fn)(void)) {
  fflush(stdout);
  if (fork() == 0) {
    struct sigaction sa = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO};
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    fn();
    printf("  no signal: the instruction completed\n");
    fflush(stdout);
    _exit(1);
  }
  wait(NULL);
}

static volatile double zero = 0.0;

static void fp_divide(void) {
  unsigned mxcsr;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  mxcsr &= ~(1u << 9);  // ZM: divide-by-zero unmasked
  __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
  volatile double q = 1.0 / zero;
  (void)q;
}

static void misaligned_load(void) {
  static char buf[16] __attribute__((aligned(8)));
  unsigned v;
  __asm__ volatile(
      "pushfq\n\torq $0x40000, (%%rsp)\n\tpopfq\n\t"
      "movl 1(%1), %0\n\t"
      "pushfq\n\tandq $~0x40000, (%%rsp)\n\tpopfq"
      : "=r"(v)
      : "r"(buf)
      : "memory", "cc");
  (void)v;
}

int main(void) {
  printf("1.0/0.0 with divide-by-zero unmasked in MXCSR "
         "(SIGFPE FPE_FLTDIV = %d expected):\n", FPE_FLTDIV);
  in_child(fp_divide);
  printf("misaligned 4-byte load with EFLAGS.AC set "
         "(SIGBUS BUS_ADRALN = %d expected):\n", BUS_ADRALN);
  in_child(misaligned_load);
  return 0;
}
