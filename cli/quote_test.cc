// cli/quote_test.cc — quote() escapes, cuts and says how much it cut.
#include "cli/quote.h"

#include <string>

#include "gtest/gtest.h"

namespace cli {
namespace {

TEST(QuotedTest, PrintableTextIsQuotedAsIs) {
  EXPECT_EQ(quote("10abc"), "'10abc'");
  EXPECT_EQ(quote(""), "''");
}

TEST(QuotedTest, ControlBytesQuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(quote("a\rb\nc\td"), "'a\\rb\\nc\\td'");
  EXPECT_EQ(quote("it's \\"), "'it\\'s \\\\'");
  EXPECT_EQ(quote(std::string("\0\x1b\x7f\xff", 4)), "'\\x00\\x1b\\x7f\\xff'");
}

TEST(QuotedTest, LongTextIsCutAndItsLengthGiven) {
  std::string word(120 * 1024, 'w');
  std::string q = quote(word, 40);
  EXPECT_EQ(q, "'" + std::string(40, 'w') + "'... (122880 bytes)");
  // Exactly the limit is not cut.
  EXPECT_EQ(quote(std::string(40, 'w'), 40), "'" + std::string(40, 'w') + "'");
}

}  // namespace
}  // namespace cli
