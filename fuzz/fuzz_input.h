// fuzz/fuzz_input.h — a tiny reader that turns fuzzer bytes into choices.
//
// Like LLVM's FuzzedDataProvider but usable with gcc too (the regression tests
// build with every toolchain). Reads from the front; when the bytes run out,
// every consume_* returns 0 / false / an empty span, so targets always finish.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size)
      : data_(data), size_(size) {}

  std::size_t remaining() const { return size_ - pos_; }
  bool empty() const { return pos_ >= size_; }

  std::uint8_t u8() { return empty() ? 0 : data_[pos_++]; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() {
    return u16() | (static_cast<std::uint32_t>(u16()) << 16);
  }
  bool boolean() { return (u8() & 1) != 0; }
  // A value in [lo, hi] (inclusive), using as few bytes as the range needs.
  std::uint64_t range(std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t span = hi - lo;
    std::uint64_t v = 0;
    for (std::uint64_t s = span; s != 0; s >>= 8) v = (v << 8) | u8();
    return span == UINT64_MAX ? v : lo + v % (span + 1);
  }
  // Up to n bytes (fewer if the input runs out).
  std::span<const std::byte> bytes(std::size_t n) {
    if (n > remaining()) n = remaining();
    auto out = std::span<const std::byte>(
        reinterpret_cast<const std::byte*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  std::span<const std::byte> rest() { return bytes(remaining()); }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace fuzz
