// ipc/frame.cc — frame encoding, CRC-32, the incremental decoder, frame I/O.
#include "ipc/frame.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

namespace ipc {
namespace {

// Slicing-by-8 (Intel's method, as in zlib): table k gives the CRC of a byte
// followed by k zero bytes, so 8 input bytes cost 8 independent lookups
// instead of 8 dependent ones (~4x the byte-at-a-time speed).
using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr CrcTables make_crc_tables() {
  CrcTables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}
constexpr CrcTables kCrc = make_crc_tables();

void put_u16(std::byte* p, std::uint16_t v) {
  p[0] = static_cast<std::byte>(v & 0xff);
  p[1] = static_cast<std::byte>(v >> 8);
}

void put_u32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}

std::uint16_t get_u16(const std::byte* p) {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) |
                                    (std::to_integer<unsigned>(p[1]) << 8));
}

std::uint32_t get_u32(const std::byte* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::to_integer<std::uint32_t>(p[i]) << (8 * i);
  return v;
}

// The checksum covers the type and length fields (header bytes 2..7) and the payload.
std::uint32_t frame_crc(const std::byte* type_and_length, std::span<const std::byte> payload) {
  return crc32(payload, crc32({type_and_length, 6}));
}

std::string hex(std::uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", digits, static_cast<unsigned>(v));
  return buf;
}

}  // namespace

std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc) {
  crc = ~crc;
  const std::byte* p = data.data();
  std::size_t n = data.size();
  auto byte = [&](std::size_t i) { return std::to_integer<std::uint32_t>(p[i]); };
  for (; n >= 8; p += 8, n -= 8) {
    std::uint32_t lo = crc ^ (byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24);
    std::uint32_t hi = byte(4) | byte(5) << 8 | byte(6) << 16 | byte(7) << 24;
    crc = kCrc[7][lo & 0xff] ^ kCrc[6][(lo >> 8) & 0xff] ^ kCrc[5][(lo >> 16) & 0xff] ^ kCrc[4][lo >> 24] ^
          kCrc[3][hi & 0xff] ^ kCrc[2][(hi >> 8) & 0xff] ^ kCrc[1][(hi >> 16) & 0xff] ^ kCrc[0][hi >> 24];
  }
  for (std::size_t i = 0; i < n; ++i) crc = kCrc[0][(crc ^ byte(i)) & 0xff] ^ (crc >> 8);
  return ~crc;
}

std::vector<std::byte> encode_frame(std::uint16_t type, std::span<const std::byte> payload) {
  std::vector<std::byte> out(kFrameHeaderSize + payload.size());
  put_u16(&out[0], kFrameMagic);
  put_u16(&out[2], type);
  put_u32(&out[4], static_cast<std::uint32_t>(payload.size()));
  if (!payload.empty()) std::memcpy(&out[kFrameHeaderSize], payload.data(), payload.size());
  put_u32(&out[8], frame_crc(&out[2], payload));
  return out;
}

FrameDecoder::FrameDecoder(std::size_t max_payload) : max_payload_(max_payload) {}

std::size_t FrameDecoder::feed(std::span<const std::byte> data) {
  std::size_t used = 0;
  // An empty span may carry a null pointer, which memcpy must never see.
  if (failed() || complete_ || data.empty()) return 0;
  if (header_have_ < kFrameHeaderSize) {
    std::size_t n = std::min(kFrameHeaderSize - header_have_, data.size());
    std::memcpy(header_.data() + header_have_, data.data(), n);
    header_have_ += n;
    used += n;
    if (header_have_ < kFrameHeaderSize) return used;
    finish_header();
    if (failed() || complete_) return used;
  }
  std::size_t n = std::min<std::size_t>(length_ - payload_have_, data.size() - used);
  if (n > 0) std::memcpy(payload_.data() + payload_have_, data.data() + used, n);
  payload_have_ += n;
  used += n;
  if (payload_have_ == length_) finish_payload();
  return used;
}

void FrameDecoder::finish_header() {
  std::uint16_t magic = get_u16(&header_[0]);
  type_ = get_u16(&header_[2]);
  length_ = get_u32(&header_[4]);
  crc_ = get_u32(&header_[8]);
  if (magic != kFrameMagic) {
    error_ = Error(EBADMSG, "decode_frame", "header", "bad magic " + hex(magic, 4));
    return;
  }
  // Checked before the payload buffer is sized: a hostile length costs nothing.
  if (length_ > max_payload_) {
    error_ = Error(EMSGSIZE, "decode_frame", "type " + std::to_string(type_),
                   "frame claims " + std::to_string(length_) + " bytes, limit " +
                       std::to_string(max_payload_));
    return;
  }
  payload_.resize(length_);
  payload_have_ = 0;
  if (length_ == 0) finish_payload();
}

void FrameDecoder::finish_payload() {
  std::uint32_t computed = frame_crc(&header_[2], payload_);
  if (computed != crc_) {
    error_ = Error(EBADMSG, "decode_frame",
                   "type " + std::to_string(type_) + ", " + std::to_string(length_) + " bytes",
                   "checksum mismatch: header " + hex(crc_, 8) + ", computed " + hex(computed, 8));
    return;
  }
  complete_ = true;
}

Result<std::optional<Frame>> FrameDecoder::next() {
  if (error_) return *error_;
  if (!complete_) return std::optional<Frame>();
  Frame frame{type_, std::move(payload_)};
  payload_ = {};
  payload_have_ = 0;
  header_have_ = 0;
  length_ = 0;
  complete_ = false;
  return std::optional<Frame>(std::move(frame));
}

std::size_t FrameDecoder::wanted() const {
  if (failed() || complete_) return 0;
  if (header_have_ < kFrameHeaderSize) return kFrameHeaderSize - header_have_;
  return length_ - payload_have_;
}

std::size_t FrameDecoder::received() const {
  if (complete_) return 0;
  return header_have_ + payload_have_;
}

Status write_frame(int fd, std::uint16_t type, std::span<const std::byte> payload,
                   std::size_t max_payload, Deadline deadline) {
  std::size_t limit = std::min<std::size_t>(max_payload, std::numeric_limits<std::uint32_t>::max());
  if (payload.size() > limit) {
    return Error(EMSGSIZE, "write_frame",
                 "fd=" + std::to_string(fd) + ", type " + std::to_string(type) + ", " +
                     std::to_string(payload.size()) + " bytes",
                 "payload larger than the limit of " + std::to_string(limit) + " bytes");
  }
  std::vector<std::byte> bytes = encode_frame(type, payload);
  if (auto n = write_full(fd, bytes, deadline); !n) return std::move(n).error();
  return ok_status();
}

Result<std::optional<Frame>> read_frame(int fd, FrameDecoder& decoder, Deadline deadline) {
  std::array<std::byte, 16 * 1024> buf;
  for (;;) {
    auto ready = decoder.next();
    if (!ready || *ready) return ready;
    std::size_t want = std::min(decoder.wanted(), buf.size());
    auto got = read_some(fd, std::span(buf).first(want), Eintr::kRetry, deadline);
    if (!got) return std::move(got).error();
    if (*got == 0) {
      if (decoder.received() == 0) return std::optional<Frame>();
      std::size_t have = decoder.received();
      return Error(EPROTO, "read_frame", "fd=" + std::to_string(fd),
                   "truncated frame: EOF after " + std::to_string(have) + " of " +
                       std::to_string(have + decoder.wanted()) + " bytes");
    }
    decoder.feed(std::span(buf).first(*got));
  }
}

}  // namespace ipc
