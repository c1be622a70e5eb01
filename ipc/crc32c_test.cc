// ipc/crc32c_test.cc — CRC-32C: the published check values, and the hardware
// and portable methods against the bitwise definition at every length and
// alignment that reaches each code path (tails, whole words, three-stream
// blocks of 768 bytes and what follows them).
#include "ipc/crc32c.h"

#include <random>
#include <string_view>
#include <vector>

#include "ipc/testing/test_util.h"

namespace ipc {
namespace {

std::span<const std::byte> bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// The definition: one bit at a time, reflected polynomial 0x82F63B78.
std::uint32_t bitwise(std::span<const std::byte> d) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::byte b : d) {
    c ^= std::to_integer<std::uint32_t>(b);
    for (int bit = 0; bit < 8; ++bit)
      c = (c & 1) ? (0x82F63B78u ^ (c >> 1)) : (c >> 1);
  }
  return ~c;
}

TEST(Crc32cTest, MatchesThePublishedCheckValues) {
  // RFC 3720 (iSCSI) B.4 and the common "123456789" check value.
  EXPECT_EQ(crc32c(bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(bytes("")), 0u);
  std::vector<std::byte> zeros(32, std::byte{0}), ones(32, std::byte{0xff});
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  std::vector<std::byte> ascending(32);
  for (std::size_t i = 0; i < 32; ++i) ascending[i] = static_cast<std::byte>(i);
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32cTest, BothMethodsMatchTheDefinitionAtEveryLengthAndAlignment) {
  std::vector<std::byte> buf(2400);
  std::mt19937 rng(11);
  for (std::byte& b : buf) b = static_cast<std::byte>(rng() & 0xff);
  for (std::size_t start = 0; start < 8; ++start) {
    for (std::size_t len = 0; len <= 2300;
         len += (len < 80 || (len > 740 && len < 800)) ? 1 : 37) {
      std::span<const std::byte> d(buf.data() + start, len);
      std::uint32_t want = bitwise(d);
      ASSERT_EQ(crc32c_portable(d), want)
          << "portable, start " << start << " length " << len;
      ASSERT_EQ(crc32c(d), want)
          << "crc32c, start " << start << " length " << len;
    }
  }
}

TEST(Crc32cTest, ContinuesAcrossPiecesOfAnySplit) {
  std::vector<std::byte> buf(3000);
  std::mt19937 rng(5);
  for (std::byte& b : buf) b = static_cast<std::byte>(rng() & 0xff);
  const std::uint32_t whole = bitwise(buf);
  for (std::size_t cut : {0, 1, 7, 8, 767, 768, 769, 1536, 2999, 3000}) {
    std::span<const std::byte> all(buf);
    EXPECT_EQ(crc32c(all.subspan(cut), crc32c(all.first(cut))), whole)
        << "cut " << cut;
    EXPECT_EQ(
        crc32c_portable(all.subspan(cut), crc32c_portable(all.first(cut))),
        whole)
        << "cut " << cut;
  }
}

TEST(Crc32cTest, UsesTheInstructionWhenTheCpuHasIt) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  EXPECT_EQ(crc32c_uses_hardware(), __builtin_cpu_supports("sse4.2") != 0);
#else
  EXPECT_FALSE(crc32c_uses_hardware());
#endif
}

}  // namespace
}  // namespace ipc
