// ipc/limits.cc — reading and strictly parsing single-number /proc/sys files.
#include "ipc/limits.h"

#include <fcntl.h>

#include <cctype>
#include <charconv>
#include <limits>
#include <string_view>
#include <system_error>

#include "ipc/fd.h"
#include "ipc/sys.h"

namespace ipc {
namespace {

// A sysctl holding one number is a few dozen bytes; anything longer is not one.
constexpr std::size_t kMaxSysctlBytes = 64;

// Reads the whole file (at most kMaxSysctlBytes) through the seam.
Result<std::string> read_small_file(const std::string& path) {
  Fd fd(sys::open(path.c_str(), O_RDONLY | O_CLOEXEC, 0));
  if (!fd) return Error::from_errno("open", path);
  char buf[kMaxSysctlBytes + 1];
  std::size_t len = 0;
  for (;;) {
    ssize_t n = sys::read(fd.get(), buf + len, sizeof buf - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("read", path);
    }
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
    if (len == sizeof buf) {
      return Error(EINVAL, "read_sysctl", path,
                   "longer than " + std::to_string(kMaxSysctlBytes) + " bytes");
    }
  }
  return std::string(buf, len);
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// The text quoted in an error, with unprintable bytes shown as '?'.
std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
  }
  return out;
}

// Parses the whole file as one decimal T: nothing but whitespace around it.
template <typename T>
Result<T> read_number(const std::string& path) {
  auto text = read_small_file(path);
  if (!text) return std::move(text).error();
  std::string_view s = trim(*text);
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Error(ERANGE, "read_sysctl", path,
                 "\"" + printable(s) + "\" does not fit");
  }
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return Error(EINVAL, "read_sysctl", path,
                 "not one integer: \"" + printable(s) + "\"");
  }
  return value;
}

Result<std::size_t> read_size(const std::string& path) {
  auto v = read_sysctl_u64(path);
  if (!v) return std::move(v).error();
  if constexpr (sizeof(std::size_t) < sizeof(std::uint64_t)) {
    if (*v > std::numeric_limits<std::size_t>::max()) {
      return Error(ERANGE, "read_sysctl", path,
                   std::to_string(*v) + " does not fit size_t");
    }
  }
  return static_cast<std::size_t>(*v);
}

}  // namespace

Result<long> read_sysctl(const std::string& path) {
  return read_number<long>(path);
}

Result<std::uint64_t> read_sysctl_u64(const std::string& path) {
  return read_number<std::uint64_t>(path);
}

Result<MsgLimits> msg_limits() {
  auto max = read_size("/proc/sys/kernel/msgmax");
  if (!max) return std::move(max).error();
  auto mnb = read_size("/proc/sys/kernel/msgmnb");
  if (!mnb) return std::move(mnb).error();
  auto mni = read_size("/proc/sys/kernel/msgmni");
  if (!mni) return std::move(mni).error();
  return MsgLimits{*max, *mnb, *mni};
}

Result<ShmLimits> shm_limits() {
  auto max = read_size("/proc/sys/kernel/shmmax");
  if (!max) return std::move(max).error();
  auto all = read_size("/proc/sys/kernel/shmall");
  if (!all) return std::move(all).error();
  auto mni = read_size("/proc/sys/kernel/shmmni");
  if (!mni) return std::move(mni).error();
  return ShmLimits{*max, *all, *mni};
}

Result<SemLimits> sem_limits() {
  return read_sem_limits("/proc/sys/kernel/sem");
}

Result<SemLimits> read_sem_limits(const std::string& path) {
  auto text = read_small_file(path);
  if (!text) return std::move(text).error();
  std::string_view s = trim(*text);
  std::size_t values[4];
  for (std::size_t i = 0; i < 4; ++i) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), values[i]);
    bool last = i == 3;
    if (ec != std::errc() ||
        (last ? end != s.data() + s.size()
              : end == s.data() + s.size() ||
                    !std::isspace(static_cast<unsigned char>(*end)))) {
      return Error(EINVAL, "read_sysctl", path,
                   "not four integers: \"" + printable(trim(*text)) + "\"");
    }
    s = trim(s.substr(static_cast<std::size_t>(end - s.data())));
  }
  return SemLimits{values[0], values[1], values[2], values[3]};
}

Result<std::size_t> pipe_max_size() {
  return read_size("/proc/sys/fs/pipe-max-size");
}

}  // namespace ipc
