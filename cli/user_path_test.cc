// cli/user_path_test.cc — relative names follow BUILD_WORKING_DIRECTORY only
// when it is set and not empty.
#include "cli/user_path.h"

#include <stdlib.h>

#include "gtest/gtest.h"

namespace cli {
namespace {

TEST(UserPathTest, RelativeNamesAreTheUsersDirectorys) {
  ASSERT_EQ(::setenv("BUILD_WORKING_DIRECTORY", "/home/u", 1), 0);
  EXPECT_EQ(user_path("r.json"), "/home/u/r.json");
  EXPECT_EQ(user_path("d/r.json"), "/home/u/d/r.json");
  EXPECT_EQ(user_path("/tmp/r.json"), "/tmp/r.json");
  EXPECT_EQ(user_path(""), "");
  ASSERT_EQ(::setenv("BUILD_WORKING_DIRECTORY", "/", 1), 0);
  EXPECT_EQ(user_path("r.json"), "/r.json");
}

TEST(UserPathTest, UnsetOrEmptyVariableLeavesTheNameAlone) {
  ASSERT_EQ(::unsetenv("BUILD_WORKING_DIRECTORY"), 0);
  EXPECT_EQ(user_path("r.json"), "r.json");
  ASSERT_EQ(::setenv("BUILD_WORKING_DIRECTORY", "", 1), 0);
  EXPECT_EQ(user_path("r.json"), "r.json");
}

}  // namespace
}  // namespace cli
