// ipc/result.cc — formatting of Error messages.
#include "ipc/result.h"

#include <cstring>

namespace ipc {

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
