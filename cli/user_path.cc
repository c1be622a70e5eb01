// cli/user_path.cc — see user_path.h.
#include "cli/user_path.h"

#include <cstdlib>

namespace cli {

std::string user_path(const std::string& path) {
  const char* wd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || wd == nullptr || *wd == '\0') {
    return path;
  }
  std::string p = wd;
  if (p.back() != '/') p += '/';
  return p + path;
}

}  // namespace cli
