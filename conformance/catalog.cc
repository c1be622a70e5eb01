// conformance/catalog.cc — parser for conformance/catalog.txt.
#include "conformance/catalog.h"

#include <fnmatch.h>

#include <array>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace conformance {
namespace {

constexpr std::array<const char*, 6> kFields = {"id",   "title", "expected",
                                                "spec", "scope", "tests"};
constexpr std::array<const char*, 5> kScopes = {"P", "XSI", "P(opt)", "L", "A"};
// Fields an entry may leave out.
constexpr std::array<const char*, 1> kOptionalFields = {"arch"};
// The `arch` names: what uname -m says on each (i386 for every 32-bit x86).
constexpr std::array<const char*, 4> kArches = {"x86_64", "i386", "aarch64",
                                                "riscv64"};

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_';
}
bool is_name(char c) { return is_upper(c) || is_lower_or_digit(c) || c == '/'; }

// "PIPE-004": capitals, '-', three or more digits.
bool valid_id(const std::string& id) {
  auto dash = id.find('-');
  if (dash == 0 || dash == std::string::npos || id.size() - dash - 1 < 3)
    return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (i < dash ? !is_upper(id[i]) : i > dash && !is_digit(id[i]))
      return false;
  }
  return true;
}

// "<target>:<Suite>.<Name>" → ref; false if malformed.
bool parse_test_ref(const std::string& item, TestRef& ref) {
  auto colon = item.find(':');
  if (colon == 0 || colon == std::string::npos) return false;
  auto dot = item.find('.', colon);
  if (dot == std::string::npos || dot == colon + 1 || dot + 1 == item.size())
    return false;
  ref = TestRef{item.substr(0, colon), item.substr(colon + 1, dot - colon - 1),
                item.substr(dot + 1)};
  for (char c : ref.binary) {
    if (!is_lower_or_digit(c)) return false;
  }
  for (char c : ref.suite + ref.name) {
    if (!is_name(c)) return false;
  }
  return true;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    out.push_back(trim(
        s.substr(start, pos == std::string_view::npos ? pos : pos - start)));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// One block of "field: value" lines before validation.
struct RawBlock {
  int line = 0;
  std::map<std::string, std::string> fields;
  std::map<std::string, int> field_lines;
};

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  // `line` counts lines of the whole text; a "#@ source FILE" line (the
  // genrule that joins conformance/catalog/*.txt writes one before each file)
  // makes errors name FILE and the line within it instead.
  void error(int line, const std::string& what) {
    errors_.push_back(where(line) + ": " + what);
  }

  std::string where(int line) const {
    std::string file = source_;
    int local = line;
    for (const Origin& o : origins_) {
      if (o.first_line > line) break;
      file = o.file;
      local = line - o.first_line + 1;
    }
    return file + ":" + std::to_string(local);
  }

  std::vector<RawBlock> blocks(std::string_view text) {
    std::vector<RawBlock> out;
    RawBlock cur;
    std::string last_field;
    int line_no = 0;
    std::istringstream in{std::string(text)};
    std::string line;
    auto finish = [&] {
      if (cur.line != 0) out.push_back(std::move(cur));
      cur = RawBlock{};
      last_field.clear();
    };
    while (std::getline(in, line)) {
      ++line_no;
      std::string t = trim(line);
      if (t.empty()) {
        finish();
        continue;
      }
      if (t.rfind("#@ source ", 0) == 0) {
        origins_.push_back({line_no + 1, trim(t.substr(10))});
        continue;
      }
      if (t[0] == '#') continue;
      if (line[0] == ' ' || line[0] == '\t') {
        if (last_field.empty()) {
          error(line_no, "continuation line without a field before it");
        } else {
          std::string& v = cur.fields[last_field];
          v += (v.empty() || v.back() == ',' ? "" : " ") + t;
        }
        continue;
      }
      auto colon = t.find(':');
      if (colon == std::string::npos) {
        error(line_no, "expected \"field: value\", got \"" + t + "\"");
        continue;
      }
      std::string field = trim(t.substr(0, colon));
      std::string value = trim(t.substr(colon + 1));
      if (cur.line == 0) cur.line = line_no;
      bool known = false;
      for (const char* f : kFields) known = known || field == f;
      for (const char* f : kOptionalFields) known = known || field == f;
      if (!known) {
        error(line_no, "unknown field \"" + field + "\"");
        last_field.clear();
        continue;
      }
      if (cur.fields.count(field) != 0) {
        error(line_no, "field \"" + field + "\" given twice (first on line " +
                           std::to_string(cur.field_lines[field]) + ")");
        last_field.clear();
        continue;
      }
      cur.fields[field] = value;
      cur.field_lines[field] = line_no;
      last_field = field;
    }
    finish();
    return out;
  }

  void check_scope(const RawBlock& b, const std::string& scope) {
    for (const std::string& tok : split(scope, '/')) {
      bool ok = false;
      for (const char* s : kScopes) ok = ok || tok == s;
      if (!ok) {
        error(b.field_lines.at("scope"), "scope \"" + tok +
                                             "\" is not one of P, XSI, P(opt), "
                                             "L, A (join several with '/')");
      }
    }
  }

  // An arch list: names from kArches, comma separated; only for behaviours
  // whose scope says they are architecture-dependent (A).
  std::vector<std::string> parse_arch(const RawBlock& b,
                                      const std::string& scope) {
    std::vector<std::string> arch;
    auto it = b.fields.find("arch");
    if (it == b.fields.end()) return arch;
    int line = b.field_lines.at("arch");
    for (const std::string& name : split(it->second, ',')) {
      bool ok = false;
      for (const char* a : kArches) ok = ok || name == a;
      if (!ok) {
        error(line, "arch \"" + name +
                        "\" is not one of x86_64, i386, aarch64, riscv64 "
                        "(comma separated)");
      } else {
        arch.push_back(name);
      }
    }
    bool dependent = false;
    for (const std::string& tok : split(scope, '/')) {
      dependent = dependent || tok == "A";
    }
    if (!dependent) {
      error(line, "arch is given but scope \"" + scope + "\" lacks A");
    }
    return arch;
  }

  std::vector<TestRef> parse_tests(const RawBlock& b,
                                   const std::string& value) {
    std::vector<TestRef> tests;
    int line = b.field_lines.at("tests");
    if (value.empty())
      return tests;  // the consistency test reports entries without tests
    for (const std::string& item : split(value, ',')) {
      TestRef ref;
      if (!parse_test_ref(item, ref)) {
        error(line, "test \"" + item + "\" is not <target>:<Suite>.<Name>");
        continue;
      }
      for (const TestRef& t : tests) {
        if (t == ref) error(line, "test " + ref.str() + " listed twice");
      }
      tests.push_back(std::move(ref));
    }
    return tests;
  }

  ipc::Result<Catalog> parse(std::string_view text) {
    Catalog cat;
    std::map<std::string, int> id_lines;
    for (RawBlock& b : blocks(text)) {
      bool complete = true;
      for (const char* f : kFields) {
        if (b.fields.count(f) == 0) {
          error(b.line, std::string("entry has no \"") + f + "\" field");
          complete = false;
        } else if (std::string(f) != "tests" && b.fields[f].empty()) {
          error(b.field_lines[f], std::string("field \"") + f + "\" is empty");
        }
      }
      if (!complete) continue;
      Behaviour beh;
      beh.line = b.line;
      beh.id = b.fields["id"];
      beh.title = b.fields["title"];
      beh.expected = b.fields["expected"];
      beh.spec = b.fields["spec"];
      beh.scope = b.fields["scope"];
      if (!valid_id(beh.id)) {
        error(b.field_lines["id"],
              "id \"" + beh.id + "\" is not like PIPE-004");
      }
      auto [it, fresh] = id_lines.emplace(beh.id, b.field_lines["id"]);
      if (!fresh) {
        error(b.field_lines["id"], "duplicate id " + beh.id + " (first at " +
                                       where(it->second) + ")");
      }
      check_scope(b, beh.scope);
      beh.arch = parse_arch(b, beh.scope);
      beh.tests = parse_tests(b, b.fields["tests"]);
      cat.behaviours.push_back(std::move(beh));
    }
    if (!errors_.empty()) {
      std::string all;
      for (const std::string& e : errors_) all += (all.empty() ? "" : "\n") + e;
      return ipc::Error(EINVAL, "parse", source_, all);
    }
    return cat;
  }

 private:
  struct Origin {
    int first_line;  // first line of the text that belongs to `file`
    std::string file;
  };
  std::string source_;
  std::vector<Origin> origins_;
  std::vector<std::string> errors_;
};

}  // namespace

bool Behaviour::applies_to(std::string_view machine) const {
  if (arch.empty()) return true;
  for (const std::string& a : arch) {
    if (a == machine) return true;
  }
  return false;
}

const char* build_arch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__i386__)
  return "i386";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

const Behaviour* Catalog::find(std::string_view id) const {
  for (const Behaviour& b : behaviours) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

std::vector<std::string> Catalog::binaries() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const Behaviour& b : behaviours) {
    for (const TestRef& t : b.tests) {
      if (seen.insert(t.binary).second) out.push_back(t.binary);
    }
  }
  return out;
}

ipc::Result<Catalog> parse_catalog(std::string_view text,
                                   const std::string& source) {
  return Parser(source).parse(text);
}

ipc::Result<Catalog> load_catalog(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ipc::Error(errno != 0 ? errno : ENOENT, "open", path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_catalog(text.str(), path);
}

bool id_matches(std::string_view pattern, std::string_view id) {
  return ::fnmatch(std::string(pattern).c_str(), std::string(id).c_str(), 0) ==
         0;
}

}  // namespace conformance
