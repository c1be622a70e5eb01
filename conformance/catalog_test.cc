// conformance/catalog_test.cc — the catalogue parser, and the consistency of
// conformance/catalog.txt with the conformance binaries: every entry names a
// test, every named test exists (each binary is asked with
// --gtest_list_tests), every test of every binary is claimed by an entry, and
// every binary reaches the OS through the dynamically linked libc.
#include "conformance/catalog.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "conformance/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace conformance {
namespace {

using ::ipc::testing::FailsWith;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kEntry = R"(# a comment
id: PIPE-004
title: A pipe is a byte stream
expected: one read returns two writes
spec: pipe(7); POSIX XSH read()
scope: P
tests: pipe_test:PipeOs.WritesCoalesce,
  pipe_test:PipeLayer.Frames
)";

// ---- parser ----------------------------------------------------------------

TEST(CatalogParser, ParsesAnEntryWithContinuationLines) {
  auto cat =
      parse_catalog(std::string(kEntry) +
                        "\nid: MSG-012\ntitle: t\nexpected: e\n"
                        "spec: s\nscope: XSI/L\ntests: sysv_msg_test:Msg.X\n",
                    "cat.txt");
  ASSERT_TRUE(cat.ok()) << cat.error().message();
  ASSERT_EQ(cat->behaviours.size(), 2u);
  const Behaviour& b = cat->behaviours[0];
  EXPECT_EQ(b.id, "PIPE-004");
  EXPECT_EQ(b.title, "A pipe is a byte stream");
  EXPECT_EQ(b.spec, "pipe(7); POSIX XSH read()");
  EXPECT_EQ(b.line, 2);
  ASSERT_EQ(b.tests.size(), 2u);
  EXPECT_EQ(b.tests[0].str(), "pipe_test:PipeOs.WritesCoalesce");
  EXPECT_EQ(b.tests[1].binary, "pipe_test");
  EXPECT_EQ(b.tests[1].gtest_name(), "PipeLayer.Frames");
  EXPECT_EQ(cat->behaviours[1].scope, "XSI/L");
  EXPECT_EQ(cat->find("MSG-012"), &cat->behaviours[1]);
  EXPECT_EQ(cat->find("MSG-013"), nullptr);
  EXPECT_THAT(cat->binaries(), ElementsAre("pipe_test", "sysv_msg_test"));
}

TEST(CatalogParser, ContinuationOfProseJoinsWithASpace) {
  auto cat = parse_catalog(
      "id: A-001\ntitle: first half\n  second half\nexpected: e\nspec: "
      "s\nscope: P\ntests: t:S.N\n",
      "c");
  ASSERT_TRUE(cat.ok()) << cat.error().message();
  EXPECT_EQ(cat->behaviours[0].title, "first half second half");
}

TEST(CatalogParser, UnknownFieldIsAnErrorWithItsLine) {
  std::string text = kEntry;
  text.insert(text.find("spec:"), "titel: typo\n");
  auto cat = parse_catalog(text, "cat.txt");
  EXPECT_THAT(cat, FailsWith(EINVAL));
  EXPECT_THAT(cat.error().message(),
              HasSubstr("cat.txt:5: unknown field \"titel\""));
}

TEST(CatalogParser, DuplicateIdNamesBothLines) {
  auto cat = parse_catalog(std::string(kEntry) + "\n" + kEntry, "cat.txt");
  EXPECT_THAT(cat, FailsWith(EINVAL));
  EXPECT_THAT(
      cat.error().message(),
      HasSubstr("cat.txt:11: duplicate id PIPE-004 (first at cat.txt:2)"));
}

TEST(CatalogParser, SourceMarkersMakeErrorsNameTheJoinedFile) {
  // What the genrule that joins conformance/catalog/*.txt produces.
  std::string text = "#@ source a.txt\n" + std::string(kEntry) +
                     "\n#@ source b.txt\n# note\n" + kEntry;
  auto cat = parse_catalog(text, "catalog.txt");
  EXPECT_THAT(cat, FailsWith(EINVAL));
  EXPECT_THAT(cat.error().message(),
              HasSubstr("b.txt:3: duplicate id PIPE-004 (first at a.txt:2)"));
}

TEST(CatalogParser, MissingFieldIsAnError) {
  auto cat = parse_catalog(
      "id: A-001\ntitle: t\nexpected: e\nscope: P\ntests: t:S.N\n", "c");
  EXPECT_THAT(cat, FailsWith(EINVAL));
  EXPECT_THAT(cat.error().message(),
              HasSubstr("c:1: entry has no \"spec\" field"));
}

TEST(CatalogParser, FieldGivenTwiceIsAnError) {
  auto cat = parse_catalog(
      "id: A-001\ntitle: t\ntitle: u\nexpected: e\nspec: s\nscope: P\ntests: "
      "t:S.N\n",
      "c");
  EXPECT_THAT(cat, FailsWith(EINVAL));
  EXPECT_THAT(cat.error().message(),
              HasSubstr("c:3: field \"title\" given twice (first on line 2)"));
}

TEST(CatalogParser, EmptyProseFieldIsAnError) {
  auto cat = parse_catalog(
      "id: A-001\ntitle:\nexpected: e\nspec: s\nscope: P\ntests: t:S.N\n", "c");
  EXPECT_THAT(cat, FailsWith(EINVAL));
  EXPECT_THAT(cat.error().message(),
              HasSubstr("c:2: field \"title\" is empty"));
}

TEST(CatalogParser, BadScopeIdAndTestAreErrors) {
  auto cat = parse_catalog(
      "id: pipe-4\ntitle: t\nexpected: e\nspec: s\nscope: P/Linux\ntests: "
      "pipe_test:NoDot, x:S.N\n",
      "c");
  EXPECT_THAT(cat, FailsWith(EINVAL));
  std::string m = cat.error().message();
  EXPECT_THAT(m, HasSubstr("c:1: id \"pipe-4\" is not like PIPE-004"));
  EXPECT_THAT(m, HasSubstr("c:5: scope \"Linux\" is not one of"));
  EXPECT_THAT(
      m, HasSubstr(
             "c:6: test \"pipe_test:NoDot\" is not <target>:<Suite>.<Name>"));
}

TEST(CatalogParser, ArchListsWhereTheBehaviourIsDefined) {
  auto cat = parse_catalog(
      "id: HW-001\ntitle: t\nexpected: e\nspec: s\nscope: A\n"
      "arch: x86_64, i386\ntests: hw_test:A.B\n\n"
      "id: HW-010\ntitle: t\nexpected: e\nspec: s\nscope: P\n"
      "tests: hw_test:A.C\n",
      "c");
  ASSERT_TRUE(cat.ok()) << cat.error().message();
  const Behaviour& x86 = cat->behaviours[0];
  EXPECT_THAT(x86.arch, ElementsAre("x86_64", "i386"));
  EXPECT_TRUE(x86.applies_to("x86_64"));
  EXPECT_TRUE(x86.applies_to("i386"));
  EXPECT_FALSE(x86.applies_to("aarch64"));
  const Behaviour& any = cat->behaviours[1];
  EXPECT_TRUE(any.arch.empty());
  EXPECT_TRUE(any.applies_to("aarch64"));
  EXPECT_TRUE(any.applies_to(build_arch()));
}

TEST(CatalogParser, UnknownArchOrArchWithoutScopeAIsAnError) {
  auto cat = parse_catalog(
      "id: HW-001\ntitle: t\nexpected: e\nspec: s\nscope: A\n"
      "arch: x86-64\ntests: hw_test:A.B\n\n"
      "id: HW-002\ntitle: t\nexpected: e\nspec: s\nscope: P/L\n"
      "arch: aarch64\ntests: hw_test:A.C\n",
      "c");
  ASSERT_FALSE(cat.ok());
  EXPECT_THAT(cat.error().message(),
              HasSubstr("c:6: arch \"x86-64\" is not one of x86_64"));
  EXPECT_THAT(cat.error().message(),
              HasSubstr("c:14: arch is given but scope \"P/L\" lacks A"));
}

TEST(CatalogParser, BuildArchIsTheCompilersTarget) {
#if defined(__x86_64__)
  EXPECT_STREQ(build_arch(), "x86_64");
#elif defined(__i386__)
  EXPECT_STREQ(build_arch(), "i386");
#elif defined(__aarch64__)
  EXPECT_STREQ(build_arch(), "aarch64");
#endif
}

TEST(CatalogParser, LineWithoutColonAndStrayContinuationAreErrors) {
  auto cat = parse_catalog("  stray\nid A-001\n", "c");
  EXPECT_THAT(cat, FailsWith(EINVAL));
  EXPECT_THAT(cat.error().message(),
              HasSubstr("c:1: continuation line without a field"));
  EXPECT_THAT(cat.error().message(),
              HasSubstr("c:2: expected \"field: value\""));
}

TEST(CatalogParser, SameTestTwiceInOneEntryIsAnError) {
  auto cat = parse_catalog(
      "id: A-001\ntitle: t\nexpected: e\nspec: s\nscope: P\ntests: t:S.N, "
      "t:S.N\n",
      "c");
  EXPECT_THAT(cat, FailsWith(EINVAL));
  EXPECT_THAT(cat.error().message(), HasSubstr("c:6: test t:S.N listed twice"));
}

TEST(CatalogParser, EntryWithoutTestsParses) {
  auto cat = parse_catalog(
      "id: A-001\ntitle: t\nexpected: e\nspec: s\nscope: P\ntests:\n", "c");
  ASSERT_TRUE(cat.ok()) << cat.error().message();
  EXPECT_TRUE(cat->behaviours[0].tests.empty());
}

TEST(CatalogParser, LoadCatalogReportsAMissingFile) {
  EXPECT_THAT(load_catalog("/nonexistent/catalog.txt"), FailsWith(ENOENT));
}

TEST(CatalogParser, IdPatterns) {
  EXPECT_TRUE(id_matches("PIPE-0*", "PIPE-004"));
  EXPECT_TRUE(id_matches("PIPE-004", "PIPE-004"));
  EXPECT_FALSE(id_matches("PIPE-0*", "FIFO-004"));
  EXPECT_FALSE(id_matches("PIPE-00?", "PIPE-0040"));
}

// ---- consistency of the real catalogue -------------------------------------

// "Suite.Name" of every test in a --gtest_list_tests listing.
std::set<std::string> ParseTestList(const std::string& listing) {
  std::set<std::string> tests;
  std::istringstream in(listing);
  std::string line, suite;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '[') continue;
    std::string word = line.substr(0, line.find("  #"));
    word.erase(word.find_last_not_of(' ') + 1);
    if (line[0] != ' ') {
      suite = word;  // "PipeOs."
    } else {
      tests.insert(suite + word.substr(word.find_first_not_of(' ')));
    }
  }
  return tests;
}

TEST(CatalogParser, ParsesGtestListings) {
  EXPECT_EQ(ParseTestList("PipeOs.\n  A\n  B\nP/Suite.  # TypeParam = int\n  "
                          "C/0  # GetParam() = 1\n"),
            (std::set<std::string>{"PipeOs.A", "PipeOs.B", "P/Suite.C/0"}));
}

// Whether the ELF file is dynamically linked against libc (PT_INTERP and a
// DT_NEEDED "libc.so.*"), so that an LD_PRELOAD library sees its calls.
std::string CheckDynamicLibc(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string elf((std::istreambuf_iterator<char>(in)),
                  std::istreambuf_iterator<char>());
  if (elf.size() < sizeof(Elf64_Ehdr) || elf.compare(0, 4, ELFMAG) != 0)
    return "not an ELF file";
  if (elf[EI_CLASS] != ELFCLASS64) return "not ELF64";
  Elf64_Ehdr eh;
  std::memcpy(&eh, elf.data(), sizeof eh);
  bool interp = false;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, elf.data() + eh.e_phoff + i * eh.e_phentsize, sizeof ph);
    interp = interp || ph.p_type == PT_INTERP;
  }
  if (!interp) return "no PT_INTERP: statically linked";
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, elf.data() + eh.e_shoff + i * eh.e_shentsize, sizeof sh);
    if (sh.sh_type != SHT_DYNAMIC) continue;
    Elf64_Shdr str;
    std::memcpy(&str, elf.data() + eh.e_shoff + sh.sh_link * eh.e_shentsize,
                sizeof str);
    for (std::size_t off = 0; off + sizeof(Elf64_Dyn) <= sh.sh_size;
         off += sizeof(Elf64_Dyn)) {
      Elf64_Dyn dyn;
      std::memcpy(&dyn, elf.data() + sh.sh_offset + off, sizeof dyn);
      if (dyn.d_tag != DT_NEEDED) continue;
      std::string name = elf.c_str() + str.sh_offset + dyn.d_un.d_val;
      if (name.rfind("libc.so", 0) == 0) return "";
    }
  }
  return "libc.so is not a DT_NEEDED library";
}

TEST(CatalogParser, DynamicLibcCheckTellsStaticFromDynamic) {
  EXPECT_EQ(CheckDynamicLibc("/bin/true"), "");
  if (::access("/sbin/ldconfig", R_OK) ==
      0) {  // glibc's ldconfig is linked statically
    EXPECT_EQ(CheckDynamicLibc("/sbin/ldconfig"),
              "no PT_INTERP: statically linked");
  }
  EXPECT_EQ(CheckDynamicLibc("/proc/self/status"), "not an ELF file");
}

class CatalogConsistency : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto path = runfile("conformance/catalog.txt");
    ASSERT_TRUE(path.ok()) << path.error().message();
    auto cat = load_catalog(*path);
    ASSERT_TRUE(cat.ok()) << cat.error().message();
    catalog_ = new Catalog(std::move(*cat));
    auto suites = runfile("conformance/suites.txt");
    ASSERT_TRUE(suites.ok()) << suites.error().message();
    std::ifstream in(*suites);
    binaries_ = new std::map<std::string, std::set<std::string>>;
    for (std::string name; std::getline(in, name);) {
      if (name.empty()) continue;
      auto bin = runfile("conformance/" + name);
      ASSERT_TRUE(bin.ok()) << bin.error().message();
      auto run = run_program({*bin, "--gtest_list_tests"}, {});
      ASSERT_TRUE(run.ok()) << run.error().message();
      ASSERT_EQ(run->wait_status, 0)
          << name << " --gtest_list_tests: " << run->output;
      (*binaries_)[name] = ParseTestList(run->output);
    }
    ASSERT_FALSE(binaries_->empty()) << "suites.txt names no binary";
  }
  static void TearDownTestSuite() {
    delete catalog_;
    delete binaries_;
    catalog_ = nullptr;
    binaries_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(catalog_, nullptr);
    ASSERT_NE(binaries_, nullptr);
  }

  static Catalog* catalog_;
  static std::map<std::string, std::set<std::string>>*
      binaries_;  // binary → tests
};

Catalog* CatalogConsistency::catalog_ = nullptr;
std::map<std::string, std::set<std::string>>* CatalogConsistency::binaries_ =
    nullptr;

TEST_F(CatalogConsistency, EverySuiteHasTests) {
  for (const auto& [name, tests] : *binaries_)
    EXPECT_FALSE(tests.empty()) << name << " lists no tests";
}

TEST_F(CatalogConsistency, EveryEntryNamesATest) {
  for (const Behaviour& b : catalog_->behaviours) {
    EXPECT_FALSE(b.tests.empty())
        << b.id << " (catalog.txt:" << b.line << ") names no test";
  }
}

TEST_F(CatalogConsistency, EveryNamedTestExists) {
  for (const Behaviour& b : catalog_->behaviours) {
    for (const TestRef& t : b.tests) {
      auto bin = binaries_->find(t.binary);
      if (bin == binaries_->end()) {
        ADD_FAILURE() << b.id << " names " << t.str() << ", but " << t.binary
                      << " is not a conformance binary (CONFORMANCE_SUITES in "
                         "conformance/BUILD)";
      } else if (bin->second.count(t.gtest_name()) == 0) {
        ADD_FAILURE() << b.id << " names " << t.str() << ", which " << t.binary
                      << " does not have";
      }
    }
  }
}

TEST_F(CatalogConsistency, EveryTestIsCatalogued) {
  std::set<std::string> claimed;
  for (const Behaviour& b : catalog_->behaviours) {
    for (const TestRef& t : b.tests) claimed.insert(t.str());
  }
  for (const auto& [binary, tests] : *binaries_) {
    for (const std::string& t : tests) {
      EXPECT_TRUE(claimed.count(binary + ":" + t) != 0)
          << binary << ":" << t << " is not claimed by any catalogue entry";
    }
  }
}

// The MSG prefix is shared (catalog/README.md): POSIX message queue rows are
// MSG-049 … MSG-057 or from MSG-090, System V rows the others. Checked through
// the suite an entry's tests live in.
TEST_F(CatalogConsistency, MsgNumbersFollowTheSharedPrefixRule) {
  for (const Behaviour& b : catalog_->behaviours) {
    if (b.id.rfind("MSG-", 0) != 0) continue;
    int n = std::atoi(b.id.c_str() + 4);
    bool posix_block = (n >= 49 && n <= 57) || n >= 90;
    for (const TestRef& t : b.tests) {
      if (t.binary == "posix_mq_test") {
        EXPECT_TRUE(posix_block)
            << b.id << " is a POSIX mq row outside MSG-049…057 and MSG-090…";
      } else if (t.binary == "sysv_msg_test") {
        EXPECT_FALSE(posix_block)
            << b.id << " is a System V row inside the POSIX mq numbers";
      }
    }
  }
}

TEST_F(CatalogConsistency, EveryBinaryUsesTheDynamicLibc) {
  for (const auto& [binary, tests] : *binaries_) {
    auto path = runfile("conformance/" + binary);
    ASSERT_TRUE(path.ok());
    EXPECT_EQ(CheckDynamicLibc(*path), "") << binary;
  }
}

}  // namespace
}  // namespace conformance
