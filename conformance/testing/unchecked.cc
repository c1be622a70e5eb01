// conformance/testing/unchecked.cc — see unchecked.h.
#include "conformance/testing/unchecked.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "conformance/verdict.h"
#include "gtest/gtest.h"

namespace conformance::testing {

void NoteUnchecked(const std::string& what) {
  // Joined per test: RecordProperty keeps only the last value of a key.
  static std::string test, notes;
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::string current = info == nullptr ? ""
                                        : std::string(info->test_suite_name()) +
                                              "." + info->name();
  if (current != test) {
    test = current;
    notes.clear();
  }
  notes += (notes.empty() ? "" : "; ") + what;
  ::testing::Test::RecordProperty(kUncheckedProperty, notes);
}

std::string SysvipcUnavailable(const char* table) {
  std::string path = std::string("/proc/sysvipc/") + table;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return path + ": " + std::strerror(errno);
  char c;
  ssize_t n;
  do {
    n = ::read(fd, &c, 1);
  } while (n < 0 && errno == EINTR);
  int e = errno;
  ::close(fd);
  if (n < 0) return path + ": read: " + std::strerror(e);
  return "";
}

}  // namespace conformance::testing
