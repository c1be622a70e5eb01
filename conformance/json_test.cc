// conformance/json_test.cc — the JSON reader's limits: duplicate keys refused
// in objects of every size, a size limit with a clear error, linear time, and
// no abort on any byte string (a property test over mutated documents).
#include "conformance/json.h"

#include <cerrno>
#include <chrono>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/testing/test_util.h"

namespace conformance {
namespace {

using ::ipc::testing::FailsWith;
using ::testing::HasSubstr;

std::string ObjectOf(int keys, int duplicate_of = -1) {
  std::string t = "{";
  for (int i = 0; i < keys; ++i) {
    t += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  }
  if (duplicate_of >= 0) t += ",\"k" + std::to_string(duplicate_of) + "\":0";
  return t + "}";
}

TEST(JsonReader, RefusesADuplicateKeyInObjectsOfEverySize) {
  // Below, at and above the size where the reader switches from scanning to
  // hashing, and with the duplicate of the first, a middle and the last key.
  for (int keys : {1, 2, 15, 16, 17, 40, 5000}) {
    ASSERT_TRUE(parse_json(ObjectOf(keys)).ok()) << keys;
    for (int dup : {0, keys / 2, keys - 1}) {
      auto v = parse_json(ObjectOf(keys, dup));
      ASSERT_THAT(v, FailsWith(EINVAL)) << keys << " " << dup;
      EXPECT_THAT(v.error().message(),
                  HasSubstr("duplicate key \"k" + std::to_string(dup) + "\""));
    }
  }
  // The offset is the duplicate key's; escapes are compared decoded.
  auto v = parse_json(R"({"a":1, "\u0061":2})");
  ASSERT_THAT(v, FailsWith(EINVAL));
  EXPECT_THAT(v.error().message(), HasSubstr("offset 8"));
  // The same key in different objects is fine.
  EXPECT_TRUE(parse_json(R"({"a":{"a":1},"b":{"a":2}})").ok());
  // A long duplicate key is cut in the message.
  std::string k(10000, 'k');
  auto longer = parse_json("{\"" + k + "\":1,\"" + k + "\":2}");
  ASSERT_THAT(longer, FailsWith(EINVAL));
  EXPECT_LT(longer.error().message().size(), 200u);
}

TEST(JsonReader, RefusesTextOverTheLimit) {
  EXPECT_TRUE(parse_json("[1]", 3).ok());
  auto v = parse_json("[1] ", 3);
  ASSERT_THAT(v, FailsWith(EFBIG));
  EXPECT_EQ(v.error().message(),
            "parse_json(4 bytes): File too large (larger than the limit of 3 "
            "bytes)");
  EXPECT_THAT(parse_json(std::string(kJsonMaxBytes + 1, ' ')),
              FailsWith(EFBIG));
}

TEST(JsonReader, TimeIsLinearInTheNumberOfKeys) {
  // Quadratic, 200k keys took minutes; linear, well under a second at -O2
  // (this bound leaves room for sanitizers and a loaded machine).
  std::string big = ObjectOf(200000);
  auto start = std::chrono::steady_clock::now();
  auto v = parse_json(big);
  double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->as_object().size(), 200000u);
  EXPECT_LT(s, 10.0);
}

TEST(JsonReader, AnyMutationOfADocumentIsReadOrRefusedNeverCrashes) {
  const std::string doc =
      R"({"host": {"kernel": "Linux \u00e9", "n": -1.5e3}, "behaviours": )"
      R"([{"id": "PIPE-001", "verdict": "conforms", "x": [true, false, )"
      R"(null, {}, []]}]})";
  std::mt19937 rng(12345);  // fixed: the same inputs every run
  const std::string alphabet = "{}[]\",:\\u0aefE+-.tnl \x01\xff";
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string t = doc;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = rng() % (t.size() + 1);
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          t.insert(at, 1, c);
          break;
        case 1:
          if (at < t.size()) t.erase(at, 1);
          break;
        default:
          if (at < t.size()) t[at] = c;
      }
    }
    auto v = parse_json(t);
    if (v.ok()) {
      ++accepted;
      // What was read writes out as JSON that reads back the same.
      auto back = parse_json(v->dump());
      ASSERT_TRUE(back.ok()) << t;
      EXPECT_EQ(back->dump(), v->dump());
    } else {
      EXPECT_EQ(v.error().code(), EINVAL);
      EXPECT_THAT(v.error().message(), HasSubstr("offset "));
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 20000);
}

TEST(JsonReader, DeepNestingIsRefusedNotACrash) {
  EXPECT_TRUE(parse_json(std::string(200, '[') + std::string(200, ']')).ok());
  auto v = parse_json(std::string(100000, '['));
  ASSERT_THAT(v, FailsWith(EINVAL));
  EXPECT_THAT(v.error().message(), HasSubstr("nested too deeply"));
}

}  // namespace
}  // namespace conformance
