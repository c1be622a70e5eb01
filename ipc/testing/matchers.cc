// ipc/testing/matchers.cc — descriptions of the errno matchers.
#include "ipc/testing/matchers.h"

#include <cctype>
#include <sstream>

namespace ipc::testing::internal {

std::string DescribeErrnoMatcher(const ::testing::Matcher<int>& m,
                                 bool negation) {
  std::ostringstream d;
  if (negation) {
    m.DescribeNegationTo(&d);
  } else {
    m.DescribeTo(&d);
  }
  // Every number in the description of a matcher of errno values is an errno.
  const std::string in = d.str();
  std::string out;
  for (std::size_t i = 0; i < in.size();) {
    bool starts_number =
        std::isdigit(static_cast<unsigned char>(in[i])) &&
        (i == 0 || !std::isalnum(static_cast<unsigned char>(in[i - 1])));
    if (!starts_number) {
      out += in[i++];
      continue;
    }
    std::size_t j = i;
    while (j < in.size() && std::isdigit(static_cast<unsigned char>(in[j])))
      ++j;
    const char* name = ErrnoName(std::stoi(in.substr(i, j - i)));
    out += name != nullptr ? std::string(name) : in.substr(i, j - i);
    i = j;
  }
  return out;
}

namespace {

// "EAGAIN (Resource temporarily unavailable)" for a matcher made from a
// number, "an errno that (is equal to EINVAL) or (is equal to ENOENT)" for any
// other.
void DescribeErrno(const ::testing::Matcher<int>& m, int exact,
                   std::ostream* os) {
  if (exact != 0) {
    *os << ErrnoString(exact);
  } else {
    *os << "an errno that " << DescribeErrnoMatcher(m);
  }
}

}  // namespace

void SyscallFailsMatcher::DescribeTo(std::ostream* os) const {
  *os << "fails";
  if (errno_) {
    *os << " with ";
    DescribeErrno(*errno_, exact_, os);
  }
}

void SyscallFailsMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "succeeds";
  if (errno_)
    *os << ", or fails with an errno that "
        << DescribeErrnoMatcher(*errno_, /*negation=*/true);
}

void ResultFailsMatcher::DescribeTo(std::ostream* os) const {
  *os << "is an error with ";
  DescribeErrno(code_, exact_, os);
}

void ResultFailsMatcher::DescribeNegationTo(std::ostream* os) const {
  *os << "is OK, or an error with an errno that "
      << DescribeErrnoMatcher(code_, /*negation=*/true);
}

}  // namespace ipc::testing::internal
