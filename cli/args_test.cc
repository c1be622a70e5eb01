// cli/args_test.cc — Args walks argv, takes values, numbers and lists, and
// words the usual mistakes the same way for every program.
#include "cli/args.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cli {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// argv for Args: "prog" followed by `words`.
class Argv {
 public:
  explicit Argv(std::vector<std::string> words) : words_(std::move(words)) {
    words_.insert(words_.begin(), "prog");
    for (auto& w : words_) ptrs_.push_back(w.data());
  }
  int argc() const { return static_cast<int>(ptrs_.size()); }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> words_;
  std::vector<char*> ptrs_;
};

TEST(ArgsTest, WalksEveryArgumentAfterTheProgramName) {
  Argv in({"--a", "b", "-c"});
  std::string err;
  Args args(in.argc(), in.argv(), err);
  std::vector<std::string> seen;
  while (args.next()) seen.push_back(args.arg());
  EXPECT_THAT(seen, ElementsAre("--a", "b", "-c"));
  EXPECT_FALSE(args.next());  // stays at the end
  EXPECT_EQ(err, "");
}

TEST(ArgsTest, NoArgumentsIsAnEmptyWalk) {
  Argv in({});
  std::string err;
  Args args(in.argc(), in.argv(), err);
  EXPECT_FALSE(args.next());
}

TEST(ArgsTest, ValueTakesTheNextArgument) {
  Argv in({"--out", "--weird-but-a-value", "--last"});
  std::string err, v;
  Args args(in.argc(), in.argv(), err);
  ASSERT_TRUE(args.next());
  ASSERT_TRUE(args.value(v));
  EXPECT_EQ(v, "--weird-but-a-value");
  ASSERT_TRUE(args.next());
  EXPECT_EQ(args.arg(), "--last");
  EXPECT_FALSE(args.next());
}

TEST(ArgsTest, ValueMissingNamesTheOption) {
  Argv in({"--out"});
  std::string err, v = "kept";
  Args args(in.argc(), in.argv(), err);
  ASSERT_TRUE(args.next());
  EXPECT_FALSE(args.value(v));
  EXPECT_EQ(err, "--out needs a value");
  EXPECT_EQ(v, "kept");
}

TEST(ArgsTest, NumberIsStrictAndBounded) {
  Argv in({"--jobs", "8", "--jobs", "65", "--jobs", "10abc", "--jobs"});
  std::string err;
  int n = 0;
  Args args(in.argc(), in.argv(), err);
  ASSERT_TRUE(args.next());
  ASSERT_TRUE(args.number(n, 1, 64));
  EXPECT_EQ(n, 8);
  ASSERT_TRUE(args.next());
  EXPECT_FALSE(args.number(n, 1, 64));
  EXPECT_EQ(err,
            "--jobs('65'): Numerical result out of range (out of range: "
            "expected 1 to 64)");
  ASSERT_TRUE(args.next());
  EXPECT_FALSE(args.number(n, 1, 64));
  EXPECT_EQ(err,
            "--jobs('10abc'): Invalid argument (not a decimal number: 'abc' "
            "after the digits)");
  ASSERT_TRUE(args.next());
  EXPECT_FALSE(args.number(n, 1, 64));
  EXPECT_EQ(err, "--jobs needs a value");
  EXPECT_EQ(n, 8);  // untouched by the refusals
}

TEST(ArgsTest, ListSplitsAtCommasSkippingEmptyParts) {
  Argv in({"--only", "A-1,,B-*,", "--only", "C"});
  std::string err;
  std::vector<std::string> only;
  Args args(in.argc(), in.argv(), err);
  while (args.next()) ASSERT_TRUE(args.list(only));
  EXPECT_THAT(only, ElementsAre("A-1", "B-*", "C"));
}

TEST(ArgsTest, RestIsEverythingAfterTheArgumentAndEndsTheWalk) {
  Argv in({"--list", "--", "--only", "X"});
  std::string err;
  Args args(in.argc(), in.argv(), err);
  ASSERT_TRUE(args.next());
  ASSERT_TRUE(args.next());
  EXPECT_EQ(args.arg(), "--");
  EXPECT_THAT(args.rest(), ElementsAre("--only", "X"));
  EXPECT_FALSE(args.next());
}

TEST(ArgsTest, RestAtTheLastArgumentIsEmpty) {
  Argv in({"--"});
  std::string err;
  Args args(in.argc(), in.argv(), err);
  ASSERT_TRUE(args.next());
  EXPECT_THAT(args.rest(), IsEmpty());
}

TEST(ArgsTest, UnknownQuotesTheArgumentButHelpAsksForTheUsage) {
  for (const char* help : {"--help", "-h"}) {
    Argv in({help});
    std::string err = "x";
    Args args(in.argc(), in.argv(), err);
    ASSERT_TRUE(args.next());
    EXPECT_FALSE(args.unknown());
    EXPECT_EQ(err, "") << help;
  }
  Argv in({"--frobnicate=1\n"});
  std::string err;
  Args args(in.argc(), in.argv(), err);
  ASSERT_TRUE(args.next());
  EXPECT_FALSE(args.unknown());
  EXPECT_EQ(err, "unknown argument '--frobnicate=1\\n'");
}

}  // namespace
}  // namespace cli
