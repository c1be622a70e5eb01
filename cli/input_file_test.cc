// cli/input_file_test.cc — whole files read, directories and endless or huge
// inputs refused with a clear error after a bounded read.
#include "cli/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace cli {
namespace {

using ::ipc::testing::FailsWith;
using ::ipc::testing::TempDir;
using ::testing::HasSubstr;

TEST(ReadInputFileTest, ReadsTheWholeFileUpToTheLimit) {
  TempDir dir;
  std::string path = dir.file("r.json");
  std::string text(200 * 1024, 'x');  // several read(2) calls
  text += "end";
  std::ofstream(path, std::ios::binary) << text;
  EXPECT_EQ(*read_input_file(path, text.size()), text);
  auto over = read_input_file(path, text.size() - 1);
  ASSERT_THAT(over, FailsWith(EFBIG));
  EXPECT_THAT(over.error().message(),
              HasSubstr("longer than the limit of " +
                        std::to_string(text.size() - 1) + " bytes"));
  std::ofstream(dir.file("empty"));
  EXPECT_EQ(*read_input_file(dir.file("empty"), 0), "");
}

TEST(ReadInputFileTest, ADirectoryIsSaidToBeOne) {
  TempDir dir;
  auto r = read_input_file(dir.path(), 1 << 20);
  ASSERT_THAT(r, FailsWith(EISDIR));
  EXPECT_THAT(r.error().message(), HasSubstr("a directory, not a file"));
}

TEST(ReadInputFileTest, EndlessInputStopsAtTheLimit) {
  EXPECT_THAT(read_input_file("/dev/zero", 1 << 20), FailsWith(EFBIG));
}

TEST(ReadInputFileTest, MissingFileNamesIt) {
  auto r = read_input_file("/nonexistent/r.json", 100);
  ASSERT_THAT(r, FailsWith(ENOENT));
  EXPECT_THAT(r.error().message(), HasSubstr("/nonexistent/r.json"));
}

}  // namespace
}  // namespace cli
