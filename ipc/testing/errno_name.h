// ipc/testing/errno_name.h — errno values by name, for messages a reader
// understands at once ("EAGAIN", not "errno 11").
//
//   ErrnoName(EAGAIN)    → "EAGAIN"   (nullptr for a value with no name)
//   ErrnoString(EAGAIN)  → "EAGAIN (Resource temporarily unavailable)"
#pragma once

#include <string>

namespace ipc::testing {

// The symbolic name of `e`, or nullptr if it has none. Async-signal-safe (a
// lookup in a constant table): forked children use it in TEST_CHECK messages.
const char* ErrnoName(int e);

// "EAGAIN (Resource temporarily unavailable)"; "errno 999 (Unknown error
// 999)" for a value with no name.
std::string ErrnoString(int e);

}  // namespace ipc::testing
