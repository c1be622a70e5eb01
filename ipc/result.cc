// ipc/result.cc — formatting of Error messages, and what a misuse of a
// Result (value() of an error, error() of a value) does.
#include "ipc/result.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ipc {
namespace {

std::atomic<ResultMisuseHandler> g_misuse_handler{nullptr};

}  // namespace

ResultMisuseHandler set_result_misuse_handler(ResultMisuseHandler handler) {
  return g_misuse_handler.exchange(handler);
}

std::string result_misuse_message(const char* what, const Error* error) {
  std::string m = "ipc::Result: ";
  m += what;
  if (error != nullptr) {
    m += ": ";
    m += error->message();
  }
  return m;
}

void result_misuse(const char* what, const Error* error) {
  if (ResultMisuseHandler handler = g_misuse_handler.load()) {
    handler(what, error);
  }
  std::string m = result_misuse_message(what, error);
  m += '\n';
  std::fwrite(m.data(), 1, m.size(), stderr);
  std::fflush(stderr);
  std::abort();
}

std::string Error::message() const {
  std::string m = op_;
  m += '(';
  m += context_;
  m += "): ";
  char buf[128];
  // GNU strerror_r returns a pointer that may or may not be buf.
  m += ::strerror_r(code_, buf, sizeof buf);
  if (!detail_.empty()) {
    m += " (";
    m += detail_;
    m += ')';
  }
  if (transferred_ != 0) {
    m += " after ";
    m += std::to_string(transferred_);
    m += " bytes";
  }
  return m;
}

}  // namespace ipc
