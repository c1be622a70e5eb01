// conformance/testing/unchecked.h — a test that passes although part of what
// it should check cannot be observed on this OS says so, and the report then
// calls the behaviour "partial" (partly verified) instead of "conforms".
//
//   if (std::string why = SysvipcUnavailable("msg"); !why.empty()) {
//     NoteUnchecked("listed in /proc/sysvipc/msg: " + why);
//   } else {
//     EXPECT_TRUE(ListedInProcSysvipc(id));
//   }
//
// Use it only for a check whose observation point is missing (a /proc file,
// a counter), never to excuse a wrong result: what the OS did that can be
// observed is still asserted.
#pragma once

#include <string>

namespace conformance::testing {

// Records, as the test property conformance::kUncheckedProperty, that `what`
// was not checked (several calls in one test are joined with "; ").
void NoteUnchecked(const std::string& what);

// Why /proc/sysvipc/<table> ("msg", "shm", "sem") cannot be read here, e.g.
// "open: No such file or directory"; "" if it can.
std::string SysvipcUnavailable(const char* table);

}  // namespace conformance::testing
