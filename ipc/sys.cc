// ipc/sys.cc — default (libc) entries of the system-call seam.
#include "ipc/sys.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

namespace ipc::sys {
namespace {

// Each libc_<name> calls the libc function of the same name. Going through a
// small function (rather than taking &::read) keeps variadic and fortified
// libc declarations out of the table's types.
#define IPC_SYS_LIBC(name, ret, params, args) \
  ret libc_##name params { return ::name args; }
IPC_SYS_CALLS(IPC_SYS_LIBC)
#undef IPC_SYS_LIBC

constexpr const char* kNames[] = {
#define IPC_SYS_NAME(name, ret, params, args) #name,
    IPC_SYS_CALLS(IPC_SYS_NAME)
#undef IPC_SYS_NAME
};

const LibcTable kLibc = {
#define IPC_SYS_LIBC_ENTRY(name, ret, params, args) &libc_##name,
    IPC_SYS_CALLS(IPC_SYS_LIBC_ENTRY)
#undef IPC_SYS_LIBC_ENTRY
};

}  // namespace

namespace detail {
Table g_table = {
#define IPC_SYS_INIT(name, ret, params, args) {&libc_##name},
    IPC_SYS_CALLS(IPC_SYS_INIT)
#undef IPC_SYS_INIT
};
}  // namespace detail

Table& table() { return detail::g_table; }
const LibcTable& libc() { return kLibc; }

void reset_table() {
#define IPC_SYS_RESET(name, ret, params, args) \
  detail::g_table.name.store(kLibc.name, std::memory_order_relaxed);
  IPC_SYS_CALLS(IPC_SYS_RESET)
#undef IPC_SYS_RESET
}

const char* call_name(Call call) {
  auto i = static_cast<std::size_t>(call);
  return i < kCallCount ? kNames[i] : nullptr;
}

bool call_from_name(const char* name, Call* out) {
  for (std::size_t i = 0; i < kCallCount; ++i) {
    if (std::strcmp(kNames[i], name) == 0) {
      *out = static_cast<Call>(i);
      return true;
    }
  }
  return false;
}

}  // namespace ipc::sys
