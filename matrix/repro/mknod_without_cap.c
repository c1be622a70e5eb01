// mknod of a device node needs CAP_MKNOD, a FIFO does not (FIFO-005): root
// drops CAP_MKNOD from its effective set, then makes one of each.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(void) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  syscall(SYS_capget, &h, d);
  d[0].effective &= ~(1u << CAP_MKNOD);
  if (syscall(SYS_capset, &h, d) != 0) perror("capset");
  int r = mknod("/tmp/ipct-fifo", S_IFIFO | 0600, 0);
  printf("mknod(S_IFIFO) -> %d%s%s (0 expected)\n", r, r ? " errno " : "",
         r ? strerrorname_np(errno) : "");
  r = mknod("/tmp/ipct-null", S_IFCHR | 0600, makedev(1, 3));
  printf("mknod(S_IFCHR 1:3) -> %d%s%s (EPERM expected)\n", r, r ? " errno " : "",
         r ? strerrorname_np(errno) : "");
  unlink("/tmp/ipct-fifo");
  unlink("/tmp/ipct-null");
  return 0;
}
