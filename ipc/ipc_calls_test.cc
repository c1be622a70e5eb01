// ipc/ipc_calls_test.cc — docs/ipc.md lists the calls of the system-call seam
// by hand ("exactly the list IPC_SYS_CALLS in ipc/sys.h"); this test holds the
// copy to the list: the same names in the same order.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/sys.h"

namespace ipc::sys {
namespace {

constexpr char kDoc[] = "docs/ipc.md";
// The sentence the list follows, as one code span after it.
constexpr char kLead[] = "exactly the list `IPC_SYS_CALLS` in `ipc/sys.h`:";

// The names in the first code span after kLead in `text` (which may run over
// several lines); an empty list if there is none.
std::vector<std::string> DocumentedCalls(const std::string& text) {
  std::size_t lead = text.find(kLead);
  if (lead == std::string::npos) return {};
  std::size_t open = text.find('`', lead + sizeof kLead - 1);
  if (open == std::string::npos) return {};
  std::size_t close = text.find('`', open + 1);
  if (close == std::string::npos) return {};
  std::istringstream words(text.substr(open + 1, close - open - 1));
  std::vector<std::string> out;
  for (std::string w; words >> w;) out.push_back(w);
  return out;
}

std::vector<std::string> SeamCalls() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < kCallCount; ++i)
    out.push_back(call_name(static_cast<Call>(i)));
  return out;
}

TEST(IpcCalls, ParserReadsTheSpanAfterTheLead) {
  EXPECT_THAT(DocumentedCalls(std::string("x ") + kLead +
                              "\n\n`read\nwrite  poll`\n`x`"),
              ::testing::ElementsAre("read", "write", "poll"));
  EXPECT_THAT(DocumentedCalls("no lead `read`"), ::testing::IsEmpty());
}

TEST(IpcCalls, DocsListExactlyTheSeamsCallsInOrder) {
  std::ifstream in(kDoc);
  ASSERT_TRUE(in) << "cannot open " << kDoc << " (a data file of this test)";
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> doc = DocumentedCalls(text.str());
  ASSERT_FALSE(doc.empty())
      << kDoc << " has no code span after \"" << kLead << "\"";
  std::vector<std::string> seam = SeamCalls();
  for (const std::string& c : seam) {
    EXPECT_NE(std::find(doc.begin(), doc.end(), c), doc.end())
        << c << " is in IPC_SYS_CALLS but not in " << kDoc;
  }
  for (const std::string& c : doc) {
    EXPECT_NE(std::find(seam.begin(), seam.end(), c), seam.end())
        << c << " is in " << kDoc << " but not in IPC_SYS_CALLS";
  }
  EXPECT_EQ(doc, seam) << kDoc << " lists the calls in another order than "
                       << "IPC_SYS_CALLS (ipc/sys.h)";
}

}  // namespace
}  // namespace ipc::sys
