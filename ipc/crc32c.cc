// ipc/crc32c.cc — CRC-32C: portable slicing-by-8 and SSE4.2 three-stream.
#include "ipc/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ipc {
namespace {

constexpr std::uint32_t kPoly = 0x82F63B78u;  // Castagnoli, reflected

// Slicing-by-8 (Intel's method, as in zlib): table k gives the CRC of a byte
// followed by k zero bytes, so 8 input bytes cost 8 independent lookups
// instead of 8 dependent ones.
using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit)
      c = (c & 1) ? (kPoly ^ (c >> 1)) : (c >> 1);
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::uint32_t i = 0; i < 256; ++i)
      t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}
constexpr Tables kTables = make_tables();

// The register (no pre/post inversion) after `data`, starting from `state`.
std::uint32_t portable_raw(const std::byte* p, std::size_t n,
                           std::uint32_t state) {
  auto byte = [&](std::size_t i) {
    return std::to_integer<std::uint32_t>(p[i]);
  };
  const Tables& t = kTables;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint32_t lo =
        state ^ (byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24);
    std::uint32_t hi = byte(4) | byte(5) << 8 | byte(6) << 16 | byte(7) << 24;
    state = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
            t[4][lo >> 24] ^ t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^
            t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
  }
  for (std::size_t i = 0; i < n; ++i)
    state = t[0][(state ^ byte(i)) & 0xff] ^ (state >> 8);
  return state;
}

#if defined(__x86_64__)
// Three streams of kStripe bytes run in parallel (the instruction has a
// latency of 3 cycles and a throughput of 1 per cycle), then are joined:
// the register is linear in its input, so
//   state(A|B|C) = shift(shift(state(A)) ^ state0(B)) ^ state0(C)
// where state0 starts from 0 and shift appends kStripe zero bytes. shift is a
// 32x32 bit matrix, applied as four 256-entry tables.
constexpr std::size_t kStripe = 256;

using ShiftTables = std::array<std::array<std::uint32_t, 256>, 4>;

constexpr std::uint32_t append_zeros(std::uint32_t state, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    state = kTables[0][state & 0xff] ^ (state >> 8);
  return state;
}

constexpr ShiftTables make_shift_tables() {
  std::array<std::uint32_t, 32> basis{};
  for (int bit = 0; bit < 32; ++bit)
    basis[bit] = append_zeros(std::uint32_t{1} << bit, kStripe);
  ShiftTables t{};
  for (int k = 0; k < 4; ++k) {
    for (std::uint32_t b = 0; b < 256; ++b) {
      std::uint32_t v = 0;
      for (int bit = 0; bit < 8; ++bit) {
        if (b & (1u << bit)) v ^= basis[8 * k + bit];
      }
      t[k][b] = v;
    }
  }
  return t;
}
constexpr ShiftTables kShift = make_shift_tables();

std::uint32_t shift(std::uint32_t s) {
  return kShift[0][s & 0xff] ^ kShift[1][(s >> 8) & 0xff] ^
         kShift[2][(s >> 16) & 0xff] ^ kShift[3][s >> 24];
}

std::uint64_t load64(const std::byte* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((target("sse4.2"))) std::uint32_t hardware_raw(
    const std::byte* p, std::size_t n, std::uint32_t state) {
  std::uint64_t a = state;
  while (n >= 3 * kStripe) {
    std::uint64_t b = 0, c = 0;
    for (std::size_t i = 0; i < kStripe; i += 8) {
      a = _mm_crc32_u64(a, load64(p + i));
      b = _mm_crc32_u64(b, load64(p + kStripe + i));
      c = _mm_crc32_u64(c, load64(p + 2 * kStripe + i));
    }
    a = shift(shift(static_cast<std::uint32_t>(a)) ^
              static_cast<std::uint32_t>(b)) ^
        static_cast<std::uint32_t>(c);
    p += 3 * kStripe;
    n -= 3 * kStripe;
  }
  for (; n >= 8; p += 8, n -= 8) a = _mm_crc32_u64(a, load64(p));
  auto s = static_cast<std::uint32_t>(a);
  for (; n > 0; ++p, --n)
    s = _mm_crc32_u8(s, std::to_integer<std::uint8_t>(*p));
  return s;
}

// __builtin_cpu_init first: this initialiser may run before libgcc's own.
const bool kHardware = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") != 0;
}();
#else
const bool kHardware = false;
std::uint32_t hardware_raw(const std::byte* p, std::size_t n,
                           std::uint32_t state) {
  return portable_raw(p, n, state);
}
#endif

}  // namespace

std::uint32_t crc32c_portable(std::span<const std::byte> data,
                              std::uint32_t crc) {
  return ~portable_raw(data.data(), data.size(), ~crc);
}

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc) {
  if (!kHardware) return crc32c_portable(data, crc);
  return ~hardware_raw(data.data(), data.size(), ~crc);
}

bool crc32c_uses_hardware() { return kHardware; }

}  // namespace ipc
