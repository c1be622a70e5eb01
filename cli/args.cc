// cli/args.cc — see args.h.
#include "cli/args.h"

#include <sstream>

#include "cli/number.h"
#include "cli/quote.h"

namespace cli {

Args::Args(int argc, char** argv, std::string& err)
    : argc_(argc), argv_(argv), err_(err) {}

bool Args::next() {
  if (i_ + 1 >= argc_) {
    i_ = argc_;
    return false;
  }
  arg_ = argv_[++i_];
  return true;
}

bool Args::value(std::string& into) {
  if (i_ + 1 >= argc_) {
    err_ = arg_ + " needs a value";
    return false;
  }
  into = argv_[++i_];
  return true;
}

bool Args::number(int& into, int min, int max) {
  std::string v;
  if (!value(v)) return false;
  auto n = parse_number<int>(arg_, v, min, max);
  if (!n) {
    err_ = n.error().message();
    return false;
  }
  into = *n;
  return true;
}

bool Args::list(std::vector<std::string>& into) {
  std::string v;
  if (!value(v)) return false;
  std::stringstream parts(v);
  for (std::string p; std::getline(parts, p, ',');) {
    if (!p.empty()) into.push_back(p);
  }
  return true;
}

std::vector<std::string> Args::rest() {
  std::vector<std::string> out(argv_ + i_ + 1, argv_ + argc_);
  i_ = argc_;
  return out;
}

bool Args::unknown() {
  err_ =
      arg_ == "--help" || arg_ == "-h" ? "" : "unknown argument " + quote(arg_);
  return false;
}

}  // namespace cli
