// ipc/testing/result_misuse.cc — in tests, a misused ipc::Result (value() of
// an error, error() of a value) fails the test instead of aborting the test
// binary.
//
// Linked into every binary that depends on //ipc/testing (alwayslink). On the
// main thread of the process the test binary started as, the handler throws
// ResultMisuse: GoogleTest catches it, reports
//   C++ exception with description "ipc::Result: value() of an error:
//   msgrcv(qid=3): No message of desired type" thrown in the test body.
// and runs the next test. Anywhere else (a forked child, another thread),
// where an exception would unwind into code that is not the test's, it
// returns, and the layer prints the same message and aborts.
#include <unistd.h>

#include <stdexcept>

#include "ipc/result.h"

namespace ipc::testing {
namespace {

// The process and main thread that ran the static initialisers.
pid_t g_test_pid = 0;

class ResultMisuse : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

void ThrowInTestThread(const char* what, const Error* error) {
  if (::getpid() != g_test_pid || ::gettid() != g_test_pid) return;
  throw ResultMisuse(result_misuse_message(what, error));
}

[[maybe_unused]] const bool g_installed = [] {
  g_test_pid = ::getpid();
  set_result_misuse_handler(&ThrowInTestThread);
  return true;
}();

}  // namespace
}  // namespace ipc::testing
