// ipc/testing/matchers.h — GoogleTest matchers for the -1/errno convention of
// system calls and for ipc::Result, naming errnos ("EAGAIN", not "errno 11").
// Each takes a value or a matcher, as gVisor's do:
//
//   EXPECT_THAT(::msgget(k, 0), SyscallFailsWithErrno(ENOENT));
//   EXPECT_THAT(::mq_open(n, 0), SyscallFailsWithErrno(AnyOf(EINVAL, ENOENT)));
//   EXPECT_THAT(::read(fd, buf, n), SyscallSucceedsWithValue(Gt(0)));
//   EXPECT_THAT(q.receive(1, buf), FailsWith(ENOMSG));
//   ASSERT_OK(status);  auto q = ASSERT_OK_AND_VALUE(MessageQueue::create(k));
//
// The syscall matchers read errno when they match, so use them directly on the
// call: EXPECT_THAT(call(...), SyscallSucceeds()). A failure reads
//   Expected: fails with EAGAIN (Resource temporarily unavailable)
//     Actual: -1, failed with EINTR (Interrupted system call)
#pragma once

#include <cerrno>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/result.h"
#include "ipc/testing/errno_name.h"
#include "ipc/testing/failure_value.h"

namespace ipc {

// How GoogleTest prints a Result in a failed assertion: the error message
// ("msgrcv(qid=3): Interrupted system call") instead of the object's bytes.
template <typename T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  if (!r.ok()) {
    *os << "error: " << r.error().message();
  } else if constexpr (std::is_void_v<T>) {
    *os << "OK";
  } else {
    *os << "OK: " << ::testing::PrintToString(r.value());
  }
}

}  // namespace ipc

namespace ipc::testing {
namespace internal {

// The description of a matcher of errno values, with the numbers in it given
// by name: "(is equal to EINVAL) or (is equal to ENOENT)".
std::string DescribeErrnoMatcher(const ::testing::Matcher<int>& m,
                                 bool negation = false);

// The errno a matcher argument names when it is a number, else 0.
template <typename M>
int ExactErrno(const M& m) {
  if constexpr (std::is_integral_v<M>) {
    return static_cast<int>(m);
  } else {
    return 0;
  }
}

// A value, or a matcher, as a Matcher<T>. A plain number is converted to T
// first, so that SyscallSucceedsWithValue(s.size()) compares an ssize_t with
// a size_t without a sign warning.
template <typename T, typename M>
::testing::Matcher<T> AsMatcherOf(const M& m) {
  if constexpr (std::is_arithmetic_v<M> && std::is_arithmetic_v<T>) {
    return ::testing::Eq(static_cast<T>(m));
  } else {
    return ::testing::MatcherCast<T>(m);
  }
}

// What SyscallSucceeds() compares the value with: nothing.
struct AnyValue {};

// SyscallSucceedsWithValue(m): not the failure value, and `m` matches.
template <typename M>
class SyscallSucceedsMatcher {
 public:
  explicit SyscallSucceedsMatcher(M value) : value_(std::move(value)) {}

  template <typename T>
  bool MatchAndExplain(const T& arg,
                       ::testing::MatchResultListener* listener) const {
    int e = errno;
    if (IsFailureValue(arg)) {
      *listener << "failed with " << ErrnoString(e);
      return false;
    }
    if constexpr (std::is_same_v<M, AnyValue>) {
      return true;
    } else {
      ::testing::StringMatchResultListener inner;
      if (AsMatcherOf<T>(value_).MatchAndExplain(arg, &inner)) return true;
      *listener << "succeeded with " << ::testing::PrintToString(arg);
      if (!inner.str().empty()) *listener << ", " << inner.str();
      return false;
    }
  }
  void DescribeTo(std::ostream* os) const {
    *os << "succeeds";
    if constexpr (!std::is_same_v<M, AnyValue>) {
      *os << " with a value that ";
      AsMatcherOf<long long>(value_).DescribeTo(os);
    }
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "fails";
    if constexpr (!std::is_same_v<M, AnyValue>) {
      *os << ", or succeeds with a value that ";
      AsMatcherOf<long long>(value_).DescribeNegationTo(os);
    }
  }

 private:
  M value_;
};

// SyscallFailsWithErrno(m): the failure value, and `m` matches errno.
class SyscallFailsMatcher {
 public:
  // `exact`: the errno when `errno_m` was made from a number (0 otherwise),
  // for the description "fails with EAGAIN (Resource temporarily unavailable)".
  SyscallFailsMatcher(std::optional<::testing::Matcher<int>> errno_m, int exact)
      : errno_(std::move(errno_m)), exact_(exact) {}

  template <typename T>
  bool MatchAndExplain(const T& arg,
                       ::testing::MatchResultListener* listener) const {
    int e = errno;
    if (!IsFailureValue(arg)) {
      *listener << "succeeded with " << ::testing::PrintToString(arg);
      return false;
    }
    *listener << "failed with " << ErrnoString(e);
    return !errno_ || errno_->Matches(e);
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

 private:
  std::optional<::testing::Matcher<int>> errno_;
  int exact_;
};

// FailsWith(m) on a Result: an error whose code `m` matches.
class ResultFailsMatcher {
 public:
  ResultFailsMatcher(::testing::Matcher<int> code, int exact)
      : code_(std::move(code)), exact_(exact) {}

  template <typename R>
  bool MatchAndExplain(const R& r,
                       ::testing::MatchResultListener* listener) const {
    if (r.ok()) {
      *listener << "succeeded";
      return false;
    }
    *listener << r.error().message() << " [" << ErrnoName(r.error().code())
              << "]";
    return code_.Matches(r.error().code());
  }
  void DescribeTo(std::ostream* os) const;
  void DescribeNegationTo(std::ostream* os) const;

 private:
  ::testing::Matcher<int> code_;
  int exact_;
};

}  // namespace internal

// ---- system calls: -1 (or (void*)-1) and errno -----------------------------

// Not the failure value.
inline auto SyscallSucceeds() {
  return ::testing::MakePolymorphicMatcher(
      internal::SyscallSucceedsMatcher<internal::AnyValue>({}));
}

// Not the failure value, and equal to `value` or matched by it (a matcher).
template <typename M>
auto SyscallSucceedsWithValue(M value) {
  return ::testing::MakePolymorphicMatcher(
      internal::SyscallSucceedsMatcher<M>(std::move(value)));
}

// The failure value, whatever errno.
inline auto SyscallFails() {
  return ::testing::MakePolymorphicMatcher(
      internal::SyscallFailsMatcher(std::nullopt, 0));
}

// The failure value with an errno equal to `e` or matched by it (a matcher:
// AnyOf(EINVAL, ENOENT)).
template <typename M>
auto SyscallFailsWithErrno(M e) {
  return ::testing::MakePolymorphicMatcher(internal::SyscallFailsMatcher(
      ::testing::MatcherCast<int>(e), internal::ExactErrno(e)));
}

// ---- ipc::Result -----------------------------------------------------------

MATCHER(IsOk, "is OK") {
  if (arg.ok()) return true;
  *result_listener << arg.error().message();
  return false;
}

// An error whose code is equal to `code` or matched by it (a matcher).
template <typename M>
auto FailsWith(M code) {
  return ::testing::MakePolymorphicMatcher(internal::ResultFailsMatcher(
      ::testing::MatcherCast<int>(code), internal::ExactErrno(code)));
}

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::ipc::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::ipc::testing::IsOk())

// Evaluates a Result<T> expression, fails the test (returning from the test
// body) if it is an error, and yields the value.
#define ASSERT_OK_AND_VALUE(expr)                                     \
  ({                                                                  \
    auto ipct_result_ = (expr);                                       \
    ASSERT_TRUE(ipct_result_.ok()) << ipct_result_.error().message(); \
    std::move(ipct_result_).value();                                  \
  })

}  // namespace ipc::testing
