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
#include "ipc/sys.h"

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

struct HeaderFields {
  std::uint16_t magic = 0;
  std::uint16_t type = 0;
  std::uint32_t length = 0;
  std::uint32_t crc = 0;
};

enum class HeaderCheck { kOk, kBadMagic, kOtherFormat, kBadCheck, kTooLarge };

// The one check of a header, for FrameDecoder and FrameReader's in-buffer
// path alike: magic, then (unchecked format) the header check before the
// length is believed, then the length against the cap.
HeaderCheck check_header(const std::byte* h, FrameFormat format,
                         std::size_t max_payload, HeaderFields& out) {
  out.magic = get_u16(&h[0]);
  out.type = get_u16(&h[2]);
  out.length = get_u32(&h[4]);
  out.crc = get_u32(&h[8]);
  if (out.magic != magic_of(format)) {
    FrameFormat other = format == FrameFormat::kChecked
                            ? FrameFormat::kUnchecked
                            : FrameFormat::kChecked;
    return out.magic == magic_of(other) ? HeaderCheck::kOtherFormat
                                        : HeaderCheck::kBadMagic;
  }
  if (format == FrameFormat::kUnchecked && header_crc(h) != out.crc)
    return HeaderCheck::kBadCheck;
  if (out.length > max_payload) return HeaderCheck::kTooLarge;
  return HeaderCheck::kOk;
}

// What write_full and read_some say about a failed call on `fd`.
std::string io_context(int fd, std::size_t n) {
  return "fd=" + std::to_string(fd) + ", " + std::to_string(n) + " bytes";
}

// Frame I/O without a deadline makes its write(2) and read(2) itself instead
// of through write_full/read_some: on this machine every function level
// between the caller and a system call costs a mispredicted return after it
// (the kernel's SRSO mitigation, docs/performance.md), and a framed round
// trip is two such calls. Only the first call is made here; what follows
// (the rest after a short count, EINTR, EAGAIN, a deadline) is theirs, and
// an error of the first call is reported as they report it, without a
// second call.

// A whole frame, written with one write(2) when the descriptor takes it.
[[gnu::always_inline]] inline Status write_frame_bytes(
    int fd, std::span<const std::byte> frame, Deadline deadline) {
  std::size_t done = 0;
  if (!deadline) {
    ssize_t n = sys::write(fd, frame.data(), frame.size());
    if (n == static_cast<ssize_t>(frame.size())) return ok_status();
    if (n > 0) {
      done = static_cast<std::size_t>(n);
    } else if (n == 0) {
      return Error(EIO, "write", io_context(fd, frame.size()),
                   "write returned 0");
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      return Error::from_errno("write", io_context(fd, frame.size()));
    }
  }
  auto rest = write_full(fd, frame.subspan(done), deadline);
  if (!rest) {
    Error e = std::move(rest).error();
    std::size_t moved = done + e.transferred();
    return std::move(e).with_transferred(moved);
  }
  return ok_status();
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
  HeaderFields h;
  HeaderCheck check = check_header(header_.data(), format_, max_payload_, h);
  type_ = h.type;
  length_ = h.length;
  crc_ = h.crc;
  switch (check) {
    case HeaderCheck::kOk:
      break;
    case HeaderCheck::kOtherFormat: {
      FrameFormat other = format_ == FrameFormat::kChecked
                              ? FrameFormat::kUnchecked
                              : FrameFormat::kChecked;
      error_ = Error(EBADMSG, "decode_frame", "header",
                     with_article(other) + " frame on " +
                         with_article(format_) + " channel");
      return;
    }
    case HeaderCheck::kBadMagic:
      error_ = Error(EBADMSG, "decode_frame", "header",
                     "bad magic " + hex(h.magic, 4));
      return;
    case HeaderCheck::kBadCheck:
      error_ = Error(EBADMSG, "decode_frame", "header",
                     "header checksum mismatch: header " + hex(crc_, 8) +
                         ", computed " + hex(header_crc(header_.data()), 8));
      return;
    case HeaderCheck::kTooLarge:
      // Refused before any payload memory: a hostile length costs nothing.
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
    return write_frame_bytes(fd, {out, total}, deadline);
  }
  std::array<std::byte, kFrameHeaderSize> header;
  encode_header(header.data(), type, payload, format);
  if (Status s = write_frame_bytes(fd, header, deadline); !s) return s;
  if (Status s = write_frame_bytes(fd, payload, deadline); !s) {
    Error error = std::move(s).error();
    std::size_t done = kFrameHeaderSize + error.transferred();
    return std::move(error).with_transferred(done);
  }
  return ok_status();
}

Status write_frame_in_place(int fd, std::uint16_t type,
                            std::span<std::byte> frame, std::size_t max_payload,
                            Deadline deadline, FrameFormat format) {
  if (frame.size() < kFrameHeaderSize) {
    return Error(
        EINVAL, "write_frame_in_place",
        "fd=" + std::to_string(fd) + ", " + std::to_string(frame.size()) +
            " bytes",
        "no room for the " + std::to_string(kFrameHeaderSize) + "-byte header");
  }
  std::span<const std::byte> payload = frame.subspan(kFrameHeaderSize);
  std::size_t limit = std::min<std::size_t>(
      max_payload, std::numeric_limits<std::uint32_t>::max());
  if (payload.size() > limit) {
    return Error(
        EMSGSIZE, "write_frame_in_place",
        "fd=" + std::to_string(fd) + ", type " + std::to_string(type) + ", " +
            std::to_string(payload.size()) + " bytes",
        "payload larger than the limit of " + std::to_string(limit) + " bytes");
  }
  encode_header(frame.data(), type, payload, format);
  return write_frame_bytes(fd, frame, deadline);
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

FrameReader::Buffered FrameReader::take_buffered(FrameView& view) {
  const std::size_t have = end_ - begin_;
  if (have < kFrameHeaderSize) return Buffered::kNeedMore;
  const std::byte* at = ahead_ + begin_;
  HeaderFields h;
  if (check_header(at, decoder_.format(), decoder_.max_payload(), h) !=
          HeaderCheck::kOk ||
      h.length > kReadAhead - kFrameHeaderSize) {
    return Buffered::kUseDecoder;
  }
  const std::size_t total = kFrameHeaderSize + h.length;
  if (have < total) return Buffered::kNeedMore;
  std::span<const std::byte> payload(at + kFrameHeaderSize, h.length);
  if (decoder_.format() == FrameFormat::kChecked &&
      frame_crc(&at[2], payload) != h.crc) {
    return Buffered::kUseDecoder;  // which reports the mismatch
  }
  view = FrameView{h.type, payload};
  begin_ += total;
  return Buffered::kFrame;
}

void FrameReader::hand_over() {
  if (decoder_.received() == 0 && begin_ < end_)
    begin_ += decoder_.feed({ahead_ + begin_, end_ - begin_});
}

// Inlined into next() and next_view(): one function level fewer above the
// read(2) (see write_frame_bytes).
[[gnu::always_inline]] inline Result<std::optional<FrameView>>
FrameReader::advance(Deadline deadline, bool& owned) {
  owned = false;
  last_ = Frame{};
  for (;;) {
    // The decoder has a result only once it finished or refused a frame.
    if (decoder_.complete_ || decoder_.failed()) {
      auto ready = decoder_.next();
      if (!ready) return std::move(ready).error();
      last_ = std::move(**ready);
      owned = true;
      return std::optional<FrameView>(FrameView{last_.type, last_.payload});
    }
    // At a frame boundary: decode in place if the frame fits in the buffer.
    bool fill_ahead = false;
    if (decoder_.received() == 0) {
      FrameView view;
      switch (take_buffered(view)) {
        case Buffered::kFrame:
          return std::optional<FrameView>(view);
        case Buffered::kNeedMore:
          fill_ahead = true;
          break;
        case Buffered::kUseDecoder:
          break;
      }
    }
    std::span<std::byte> into;
    bool in_place = false;
    if (fill_ahead) {
      // Keep the part of the frame that is here, move it to the start (once
      // per frame: it stays there until the frame is complete), and read the
      // rest behind it. The frame fits in kReadAhead, so there is room.
      if (begin_ > 0) {
        if (end_ > begin_) std::memmove(ahead_, ahead_ + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      into = std::span(ahead_ + end_, kReadAhead - end_);
    } else if (begin_ < end_) {
      begin_ += decoder_.feed({ahead_ + begin_, end_ - begin_});
      continue;
    } else {
      begin_ = end_ = 0;
      in_place = decoder_.payload_missing() >= kReadAhead;
      into = in_place ? decoder_.payload_room() : std::span(ahead_, kReadAhead);
    }
    Result<std::size_t> got = std::size_t{0};
    ssize_t n = deadline ? -1 : sys::read(fd_, into.data(), into.size());
    if (n >= 0) {
      got = static_cast<std::size_t>(n);
    } else if (!deadline && errno != EINTR) {
      got = Error::from_errno("read", io_context(fd_, into.size()));
    } else {
      got = read_some(fd_, into, Eintr::kRetry, deadline);
    }
    if (!got) {
      hand_over();
      return std::move(got).error();
    }
    if (*got == 0) {
      hand_over();
      if (decoder_.received() == 0) return std::optional<FrameView>();
      return truncated(fd_, decoder_);
    }
    if (in_place) {
      decoder_.payload_filled(*got);
    } else {
      end_ += *got;
    }
  }
}

Result<std::optional<FrameView>> FrameReader::next_view(Deadline deadline) {
  bool owned;
  return advance(deadline, owned);
}

Result<std::optional<Frame>> FrameReader::next(Deadline deadline) {
  bool owned;
  auto view = advance(deadline, owned);
  if (!view) return std::move(view).error();
  if (!*view) return std::optional<Frame>();
  if (owned) return std::optional<Frame>(std::move(last_));
  const FrameView& v = **view;
  return std::optional<Frame>(Frame{
      v.type, std::vector<std::byte>(v.payload.begin(), v.payload.end())});
}

}  // namespace ipc
