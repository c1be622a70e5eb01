// cli/number_test.cc — the strict number rules, for signed and unsigned
// types, with the error naming the option.
#include "cli/number.h"

#include <cerrno>
#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace cli {
namespace {

using ::ipc::testing::FailsWith;
using ::testing::HasSubstr;

TEST(ParseNumberTest, AcceptsDecimalDigits) {
  EXPECT_EQ(*parse_number<int>("--n", "0"), 0);
  EXPECT_EQ(*parse_number<int>("--n", "10"), 10);
  EXPECT_EQ(*parse_number<int>("--n", "007"), 7);
  EXPECT_EQ(*parse_number<int>("--n", "-5"), -5);
  EXPECT_EQ(*parse_number<std::uint64_t>("--n", "18446744073709551615"),
            UINT64_MAX);
  EXPECT_EQ(*parse_number<std::int64_t>("--n", "-9223372036854775808"),
            INT64_MIN);
  EXPECT_EQ(*parse_number<std::int64_t>("--n", "9223372036854775807"),
            INT64_MAX);
}

TEST(ParseNumberTest, RejectsAnythingButTheNumber) {
  for (const char* text : {"", " 5", "5 ", "\t5", "5\n", "+5", "10abc", "abc",
                           "-", "--5", "0x10", "1e3", "1.5", "1_000", "5-"}) {
    SCOPED_TRACE(std::string("'") + text + "'");
    EXPECT_THAT(parse_number<int>("--n", text), FailsWith(EINVAL));
    EXPECT_THAT(parse_number<unsigned>("--n", text),
                FailsWith(text[0] == '-' ? ERANGE : EINVAL));
  }
}

TEST(ParseNumberTest, RejectsANegativeValueForAnUnsignedType) {
  EXPECT_THAT(parse_number<unsigned>("--n", "-5"), FailsWith(ERANGE));
  EXPECT_THAT(parse_number<std::uint64_t>("--n", "-0"), FailsWith(ERANGE));
  auto e = parse_number<std::uint64_t>("IPCFAULT_SEED", "-5");
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.error().message(), HasSubstr("must not be negative"));
  // A signed type limited to non-negative values says the same.
  EXPECT_THAT(parse_number<int>("--n", "-5", 0, 100), FailsWith(ERANGE));
}

TEST(ParseNumberTest, RejectsOverflowOfTheTypeAndOfTheRange) {
  EXPECT_THAT(parse_number<std::uint64_t>("--n", "18446744073709551616"),
              FailsWith(ERANGE));
  EXPECT_THAT(parse_number<std::int64_t>("--n", "9223372036854775808"),
              FailsWith(ERANGE));
  EXPECT_THAT(parse_number<std::int64_t>("--n", "-9223372036854775809"),
              FailsWith(ERANGE));
  EXPECT_THAT(parse_number<int>("--n", "2147483648"), FailsWith(ERANGE));
  EXPECT_THAT(parse_number<int>("--n", "-2147483649"), FailsWith(ERANGE));
  EXPECT_THAT(parse_number<std::uint8_t>("--n", "256"), FailsWith(ERANGE));
  EXPECT_THAT(parse_number<int>("--n", "99999999999999999999999"),
              FailsWith(ERANGE));
  EXPECT_EQ(*parse_number<int>("--n", "1", 1, 10), 1);
  EXPECT_EQ(*parse_number<int>("--n", "10", 1, 10), 10);
  EXPECT_THAT(parse_number<int>("--n", "0", 1, 10), FailsWith(ERANGE));
  EXPECT_THAT(parse_number<int>("--n", "11", 1, 10), FailsWith(ERANGE));
  EXPECT_THAT(parse_number<int>("--n", "-11", -10, 10), FailsWith(ERANGE));
  EXPECT_THAT(parse_number<unsigned>("--n", "0", 1, 10), FailsWith(ERANGE));
}

TEST(ParseNumberTest, TheErrorNamesTheOptionAndQuotesTheText) {
  auto e = parse_number<int>("--timeout", "10abc", 1, 86400);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message(),
            "--timeout('10abc'): Invalid argument (not a decimal number: "
            "'abc' after the digits)");
  auto r = parse_number<int>("--timeout", "0", 1, 86400);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "--timeout('0'): Numerical result out of range (out of range: "
            "expected 1 to 86400)");
  // What is echoed is escaped and bounded, whatever the input.
  std::string huge = "1" + std::string(100000, 'x') + "\r";
  auto h = parse_number<int>("--n", huge);
  ASSERT_FALSE(h.ok());
  EXPECT_LT(h.error().message().size(), 300u);
  EXPECT_EQ(h.error().message().find('\r'), std::string::npos);
}

}  // namespace
}  // namespace cli
