// ipc/frame.h — message framing over byte streams (pipes and FIFOs keep no
// message boundaries).
//
// Wire format, 12-byte header then payload, all fields little-endian:
//   magic u16 = 0x4649 | type u16 | payload length u32 | CRC-32C u32
// The CRC-32C (Castagnoli, ipc/crc32c.h) covers type, length and payload.
//
// FrameDecoder is incremental and bounded: feed() takes bytes only up to the end
// of the current frame, so it never holds more than header + max_payload; a
// header claiming more than max_payload is rejected before anything is
// allocated. Errors are sticky: a byte stream cannot be resynchronised.
//
//   FrameDecoder dec(64 * 1024);
//   while (auto f = read_frame(fd, dec)) { if (!*f) break; /* EOF */ use(**f); }
//
// read_frame never reads past the frame (the next bytes stay in the
// descriptor), at the price of two reads per frame. FrameReader reads ahead
// (one read for several small frames) for a descriptor that carries nothing
// but frames.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ipc/fd.h"
#include "ipc/result.h"

namespace ipc {

inline constexpr std::uint16_t kFrameMagic = 0x4649;
inline constexpr std::size_t kFrameHeaderSize = 12;

struct Frame {
  std::uint16_t type = 0;
  std::vector<std::byte> payload;
};

// Header + payload. The payload must be shorter than 4 GiB.
std::vector<std::byte> encode_frame(std::uint16_t type, std::span<const std::byte> payload);

class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_payload);

  // Consumes bytes of the current frame from the front of `data` and returns
  // how many it took; less than data.size() when a frame completes (take it
  // with next(), then feed the rest) and 0 while a frame waits or after an error.
  std::size_t feed(std::span<const std::byte> data);
  // The completed frame (then decoding continues with the next one), nullopt if
  // more bytes are needed, or the sticky error: EBADMSG (bad magic, checksum
  // mismatch) or EMSGSIZE (frame larger than max_payload).
  Result<std::optional<Frame>> next();

  // Bytes still needed to finish the current header or payload; 0 when a frame
  // is complete or the stream failed.
  std::size_t wanted() const;
  // Bytes of the current, unfinished frame received so far (0 at a boundary).
  std::size_t received() const;
  bool failed() const { return error_.has_value(); }
  std::size_t max_payload() const { return max_payload_; }

 private:
  friend class FrameReader;
  // Payload bytes still missing (0 unless the header is complete and the
  // payload is not).
  std::size_t payload_missing() const;
  // Those bytes' place in the payload, for reading them in place; then
  // payload_filled(n) with how many arrived (feed() must not be used between).
  std::span<std::byte> payload_room();
  void payload_filled(std::size_t n);
  void finish_header();
  void finish_payload();

  std::size_t max_payload_;
  std::array<std::byte, kFrameHeaderSize> header_{};
  std::size_t header_have_ = 0;
  std::uint16_t type_ = 0;
  std::uint32_t length_ = 0;
  std::uint32_t crc_ = 0;
  std::vector<std::byte> payload_;
  std::size_t payload_have_ = 0;
  bool complete_ = false;
  std::optional<Error> error_;
};

// Writes one frame with a single write_full (so atomically when header +
// payload <= PIPE_BUF). EMSGSIZE, nothing written, if the payload is larger
// than max_payload.
Status write_frame(int fd, std::uint16_t type, std::span<const std::byte> payload,
                   std::size_t max_payload, Deadline deadline = kNoDeadline);

// Reads until `decoder` yields a frame, never more than decoder.wanted() bytes
// at a time (bytes after the frame stay in the descriptor). nullopt on EOF at a
// frame boundary; EOF inside a frame → EPROTO ("truncated frame: EOF after N of
// M bytes"). EINTR is retried; a deadline bounds the wait (ETIMEDOUT), after
// which a partly read frame stays in the decoder and can be resumed.
Result<std::optional<Frame>> read_frame(int fd, FrameDecoder& decoder,
                                        Deadline deadline = kNoDeadline);

// Frames from a descriptor that carries only frames, reading ahead: each read
// asks for up to kReadAhead bytes, and what follows the current frame is kept
// for the next call (so a 4 KiB frame costs one read, not two). A payload
// still missing kReadAhead bytes or more is read straight into the frame.
// Same results and errors as read_frame; the decoder's limits apply.
//
//   FrameReader in(fd, 64 * 1024);
//   while (auto f = in.next()) { if (!*f) break; /* EOF */ use(**f); }
class FrameReader {
 public:
  static constexpr std::size_t kReadAhead = 16 * 1024;

  FrameReader(int fd, std::size_t max_payload);

  Result<std::optional<Frame>> next(Deadline deadline = kNoDeadline);
  // Bytes read from the descriptor but not yet decoded.
  std::size_t buffered() const { return end_ - begin_; }
  const FrameDecoder& decoder() const { return decoder_; }

 private:
  int fd_;
  FrameDecoder decoder_;
  std::unique_ptr<std::byte[]> storage_;
  std::byte* ahead_;  // kReadAhead bytes inside storage_ (see frame.cc)
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace ipc
