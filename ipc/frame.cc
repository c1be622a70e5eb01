// ipc/frame.cc — frame encoding, the incremental decoder, frame I/O.
#include "ipc/frame.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "ipc/crc32c.h"

namespace ipc {
namespace {

// I/O buffers (write_frame's scratch, FrameReader's read-ahead) start 64
// bytes into a page: at the page offset malloc gives a 16 KiB block (16),
// copying a 4 KiB payload out of it into a freshly allocated vector (page
// offset 16 as well) suffers 4K aliasing between source and destination
// (what it cost: docs/performance.md, pipe_bench).
constexpr std::size_t kPage = 4096, kPageOffset = 64;

// Storage for a page buffer of `size` bytes; page_buffer_start() finds it.
std::unique_ptr<std::byte[]> make_page_buffer(std::size_t size) {
  return std::make_unique_for_overwrite<std::byte[]>(size + kPage +
                                                     kPageOffset);
}

std::byte* page_buffer_start(std::byte* storage) {
  auto at = reinterpret_cast<std::uintptr_t>(storage);
  return storage + (kPage - at % kPage) % kPage + kPageOffset;
}

void put_u16(std::byte* p, std::uint16_t v) {
  p[0] = static_cast<std::byte>(v & 0xff);
  p[1] = static_cast<std::byte>(v >> 8);
}

void put_u32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}

std::uint16_t get_u16(const std::byte* p) {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) |
                                    (std::to_integer<unsigned>(p[1]) << 8));
}

std::uint32_t get_u32(const std::byte* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= std::to_integer<std::uint32_t>(p[i]) << (8 * i);
  return v;
}

// Checked frames: the checksum covers the type and length fields (header
// bytes 2..7) and the payload.
std::uint32_t frame_crc(const std::byte* type_and_length,
                        std::span<const std::byte> payload) {
  return crc32c(payload, crc32c({type_and_length, 6}));
}

// Unchecked frames: the checksum covers magic, type and length (header bytes
// 0..7).
std::uint32_t header_crc(const std::byte* header) {
  return crc32c({header, 8});
}

std::uint16_t magic_of(FrameFormat format) {
  return format == FrameFormat::kChecked ? kFrameMagic : kUncheckedFrameMagic;
}

std::string with_article(FrameFormat format) {
  return format == FrameFormat::kChecked ? "a checked" : "an unchecked";
}

std::string hex(std::uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", digits, static_cast<unsigned>(v));
  return buf;
}

}  // namespace

// The header of a frame carrying `payload` into out (kFrameHeaderSize bytes).
static void encode_header(std::byte* out, std::uint16_t type,
                          std::span<const std::byte> payload,
                          FrameFormat format) {
  put_u16(&out[0], magic_of(format));
  put_u16(&out[2], type);
  put_u32(&out[4], static_cast<std::uint32_t>(payload.size()));
  put_u32(&out[8], format == FrameFormat::kChecked ? frame_crc(&out[2], payload)
                                                   : header_crc(out));
}

// Header and payload into out (kFrameHeaderSize + payload.size() bytes).
static void encode_into(std::byte* out, std::uint16_t type,
                        std::span<const std::byte> payload,
                        FrameFormat format) {
  encode_header(out, type, payload, format);
  if (!payload.empty())
    std::memcpy(&out[kFrameHeaderSize], payload.data(), payload.size());
}

std::vector<std::byte> encode_frame(std::uint16_t type,
                                    std::span<const std::byte> payload,
                                    FrameFormat format) {
  std::vector<std::byte> out(kFrameHeaderSize + payload.size());
  encode_into(out.data(), type, payload, format);
  return out;
}

FrameDecoder::FrameDecoder(std::size_t max_payload, FrameFormat format)
    : max_payload_(max_payload), format_(format) {}

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
  std::size_t n =
      std::min<std::size_t>(length_ - payload_have_, data.size() - used);
  // Appended, never zero-filled first; the vector grows geometrically. Room
  // left by payload_room() is given up first (shrinking never reallocates).
  payload_.resize(payload_have_);
  payload_.insert(payload_.end(),
                  data.begin() + static_cast<std::ptrdiff_t>(used),
                  data.begin() + static_cast<std::ptrdiff_t>(used + n));
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
  if (magic != magic_of(format_)) {
    FrameFormat other = format_ == FrameFormat::kChecked
                            ? FrameFormat::kUnchecked
                            : FrameFormat::kChecked;
    error_ =
        Error(EBADMSG, "decode_frame", "header",
              magic == magic_of(other) ? with_article(other) + " frame on " +
                                             with_article(format_) + " channel"
                                       : "bad magic " + hex(magic, 4));
    return;
  }
  if (format_ == FrameFormat::kUnchecked) {
    // The header check comes before the length is believed.
    std::uint32_t computed = header_crc(header_.data());
    if (computed != crc_) {
      error_ = Error(EBADMSG, "decode_frame", "header",
                     "header checksum mismatch: header " + hex(crc_, 8) +
                         ", computed " + hex(computed, 8));
      return;
    }
  }
  // Checked before any payload memory: a hostile length costs nothing.
  if (length_ > max_payload_) {
    error_ = Error(EMSGSIZE, "decode_frame", "type " + std::to_string(type_),
                   "frame claims " + std::to_string(length_) +
                       " bytes, limit " + std::to_string(max_payload_));
    return;
  }
  // Room for a small frame, or for the start of a large one: memory follows
  // the bytes that arrive, not the length claimed.
  payload_.clear();
  payload_.reserve(std::min<std::size_t>(length_, kFrameInitialRoom));
  payload_have_ = 0;
  if (length_ == 0) finish_payload();
}

void FrameDecoder::finish_payload() {
  if (format_ == FrameFormat::kUnchecked) {
    complete_ = true;
    return;
  }
  std::uint32_t computed = frame_crc(&header_[2], payload_);
  if (computed != crc_) {
    error_ = Error(EBADMSG, "decode_frame",
                   "type " + std::to_string(type_) + ", " +
                       std::to_string(length_) + " bytes",
                   "checksum mismatch: header " + hex(crc_, 8) + ", computed " +
                       hex(computed, 8));
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

std::size_t FrameDecoder::payload_missing() const {
  if (failed() || complete_ || header_have_ < kFrameHeaderSize) return 0;
  return length_ - payload_have_;
}

std::span<std::byte> FrameDecoder::payload_room() {
  std::size_t missing = payload_missing();
  if (missing == 0) return {};
  if (payload_.size() == payload_have_) {
    // Zero-filled once here, filled by reads over the next calls: each byte
    // is written a bounded number of times however slowly the data comes.
    std::size_t grow =
        std::min(missing, std::max(kFrameInitialRoom, payload_have_));
    payload_.resize(payload_have_ + grow);
  }
  return std::span(payload_).subspan(payload_have_);
}

void FrameDecoder::payload_filled(std::size_t n) {
  payload_have_ += n;
  // Complete: payload_.size() is exactly length_ (room never exceeds it).
  if (payload_have_ == length_) finish_payload();
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

Status write_frame(int fd, std::uint16_t type,
                   std::span<const std::byte> payload, std::size_t max_payload,
                   Deadline deadline, FrameFormat format) {
  std::size_t limit = std::min<std::size_t>(
      max_payload, std::numeric_limits<std::uint32_t>::max());
  if (payload.size() > limit) {
    return Error(
        EMSGSIZE, "write_frame",
        "fd=" + std::to_string(fd) + ", type " + std::to_string(type) + ", " +
            std::to_string(payload.size()) + " bytes",
        "payload larger than the limit of " + std::to_string(limit) + " bytes");
  }
  // Frames up to kScratch bytes are assembled in a per-thread page buffer (no
  // allocation, no zero-fill) and written at once. Larger ones are more than
  // PIPE_BUF anyway, so no single write keeps them whole: the header goes
  // first, then the payload from the caller's memory (no copy, so no
  // allocation the payload's size could make fail).
  constexpr std::size_t kScratch = 64 * 1024 + kFrameHeaderSize;
  const std::size_t total = kFrameHeaderSize + payload.size();
  if (total <= kScratch) {
    thread_local std::unique_ptr<std::byte[]> scratch;
    if (!scratch) scratch = make_page_buffer(kScratch);
    std::byte* out = page_buffer_start(scratch.get());
    encode_into(out, type, payload, format);
    if (auto n = write_full(fd, {out, total}, deadline); !n)
      return std::move(n).error();
    return ok_status();
  }
  std::array<std::byte, kFrameHeaderSize> header;
  encode_header(header.data(), type, payload, format);
  if (auto n = write_full(fd, header, deadline); !n)
    return std::move(n).error();
  if (auto n = write_full(fd, payload, deadline); !n) {
    Error error = std::move(n).error();
    std::size_t done = kFrameHeaderSize + error.transferred();
    return std::move(error).with_transferred(done);
  }
  return ok_status();
}

namespace {

Error truncated(int fd, const FrameDecoder& decoder) {
  std::size_t have = decoder.received();
  return Error(EPROTO, "read_frame", "fd=" + std::to_string(fd),
               "truncated frame: EOF after " + std::to_string(have) + " of " +
                   std::to_string(have + decoder.wanted()) + " bytes");
}

}  // namespace

Result<std::optional<Frame>> read_frame(int fd, FrameDecoder& decoder,
                                        Deadline deadline) {
  std::array<std::byte, 16 * 1024> buf;
  for (;;) {
    auto ready = decoder.next();
    if (!ready || *ready) return ready;
    std::size_t want = std::min(decoder.wanted(), buf.size());
    auto got =
        read_some(fd, std::span(buf).first(want), Eintr::kRetry, deadline);
    if (!got) return std::move(got).error();
    if (*got == 0) {
      if (decoder.received() == 0) return std::optional<Frame>();
      return truncated(fd, decoder);
    }
    decoder.feed(std::span(buf).first(*got));
  }
}

FrameReader::FrameReader(int fd, std::size_t max_payload, FrameFormat format)
    : fd_(fd),
      decoder_(max_payload, format),
      storage_(make_page_buffer(kReadAhead)),
      ahead_(page_buffer_start(storage_.get())) {}

Result<std::optional<Frame>> FrameReader::next(Deadline deadline) {
  for (;;) {
    auto ready = decoder_.next();
    if (!ready || *ready) return ready;
    if (begin_ < end_) {
      begin_ += decoder_.feed({ahead_ + begin_, end_ - begin_});
      continue;
    }
    begin_ = end_ = 0;
    bool in_place = decoder_.payload_missing() >= kReadAhead;
    std::span<std::byte> into =
        in_place ? decoder_.payload_room() : std::span(ahead_, kReadAhead);
    auto got = read_some(fd_, into, Eintr::kRetry, deadline);
    if (!got) return std::move(got).error();
    if (*got == 0) {
      if (decoder_.received() == 0) return std::optional<Frame>();
      return truncated(fd_, decoder_);
    }
    if (in_place) {
      decoder_.payload_filled(*got);
    } else {
      end_ = *got;
    }
  }
}

}  // namespace ipc
