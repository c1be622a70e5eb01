// ipc/frame.h — message framing over byte streams (pipes and FIFOs keep no
// message boundaries).
//
// Two wire formats, chosen per channel (both ends must agree); a 12-byte
// header then the payload, all fields little-endian:
//   checked:   magic u16 = 0x4649 | type u16 | length u32 | CRC-32C u32
//              the CRC-32C (Castagnoli, ipc/crc32c.h) covers type, length and
//              payload: corrupted payload bytes are caught too.
//   unchecked: magic u16 = 0x5549 | type u16 | length u32 | CRC-32C u32
//              the CRC-32C covers magic, type and length only: a peer that
//              lies about a length or a stream that lost its place
//              (desynchronisation) is still caught, payload bytes are not
//              checked. Pipes and FIFOs do not corrupt bytes; what a frame must
//              catch from a buggy or hostile peer is the header. Costs no pass
//              over the payload (docs/performance.md).
// A frame of the other format is refused (EBADMSG, "... frame on a ...
// channel"), so two ends that disagree find out at the first frame.
//
// FrameDecoder is incremental and bounded: feed() takes bytes only up to the
// end of the current frame, and a header claiming more than max_payload (the
// cap) is refused (EMSGSIZE) before anything is allocated. Memory follows the
// bytes that actually arrived, never the length a header claims: the payload
// buffer grows geometrically as data comes in (at most about twice what was
// received, and at least kFrameInitialRoom), and each byte is copied or
// zero-filled a bounded number of times, so time is linear too. Errors are
// sticky: a byte stream cannot be resynchronised.
//
//   FrameDecoder dec(64 * 1024);
//   while (auto f = read_frame(fd, dec)) { if (!*f) break; /* EOF */ use(**f);
//   }
//
// read_frame never reads past the frame (the next bytes stay in the
// descriptor), at the price of two reads per frame. FrameReader reads ahead
// (one read for several small frames) for a descriptor that carries nothing
// but frames; its next_view() hands out a frame without copying it.
// write_frame copies a payload of up to 64 KiB behind the header so that the
// frame goes out in one write (a larger one goes out as header, then
// payload, uncopied); write_frame_in_place takes a buffer that already holds
// the payload behind room for the header, and copies nothing.
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

inline constexpr std::uint16_t kFrameMagic = 0x4649;           // checked
inline constexpr std::uint16_t kUncheckedFrameMagic = 0x5549;  // unchecked
inline constexpr std::size_t kFrameHeaderSize = 12;
// The payload buffer a frame starts with (less if the frame is smaller): a
// header alone can make a reader hold no more than this.
inline constexpr std::size_t kFrameInitialRoom = 64 * 1024;

enum class FrameFormat {
  kChecked,    // CRC-32C over type, length and payload
  kUnchecked,  // CRC-32C over the header only
};

struct Frame {
  std::uint16_t type = 0;
  std::vector<std::byte> payload;
};

// A frame's type and payload seen in place (FrameReader::next_view): valid
// until the next call to that reader or its destruction.
struct FrameView {
  std::uint16_t type = 0;
  std::span<const std::byte> payload;
};

// Header + payload. The payload must be shorter than 4 GiB.
std::vector<std::byte> encode_frame(std::uint16_t type,
                                    std::span<const std::byte> payload,
                                    FrameFormat format = FrameFormat::kChecked);

class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_payload,
                        FrameFormat format = FrameFormat::kChecked);

  // Consumes bytes of the current frame from the front of `data` and returns
  // how many it took; less than data.size() when a frame completes (take it
  // with next(), then feed the rest) and 0 while a frame waits or after an
  // error.
  std::size_t feed(std::span<const std::byte> data);
  // The completed frame (then decoding continues with the next one), nullopt if
  // more bytes are needed, or the sticky error: EBADMSG (bad magic, a frame of
  // the other format, checksum mismatch) or EMSGSIZE (frame larger than
  // max_payload).
  Result<std::optional<Frame>> next();

  // Bytes still needed to finish the current header or payload; 0 when a frame
  // is complete or the stream failed.
  std::size_t wanted() const;
  // Bytes of the current, unfinished frame received so far (0 at a boundary).
  std::size_t received() const;
  bool failed() const { return error_.has_value(); }
  std::size_t max_payload() const { return max_payload_; }
  FrameFormat format() const { return format_; }
  // Bytes of memory held for the unfinished frame's payload (its buffer's
  // capacity): bounded by what arrived, not by what the header claims.
  std::size_t payload_capacity() const { return payload_.capacity(); }

 private:
  friend class FrameReader;
  // Payload bytes still missing (0 unless the header is complete and the
  // payload is not).
  std::size_t payload_missing() const;
  // Room for the next of those bytes in the payload, for reading them in
  // place: at least kFrameInitialRoom bytes or as many as already arrived,
  // whichever is more (so the buffer doubles), capped by what is missing.
  // Then payload_filled(n) with how many arrived (feed() must not be used
  // between). Room handed out but not filled stays for the next call.
  std::span<std::byte> payload_room();
  void payload_filled(std::size_t n);
  void finish_header();
  void finish_payload();

  std::size_t max_payload_;
  FrameFormat format_;
  std::array<std::byte, kFrameHeaderSize> header_{};
  std::size_t header_have_ = 0;
  std::uint16_t type_ = 0;
  std::uint32_t length_ = 0;
  std::uint32_t crc_ = 0;
  // Bytes [0, payload_have_) arrived; up to payload_.size() is room handed
  // out by payload_room() and not yet filled.
  std::vector<std::byte> payload_;
  std::size_t payload_have_ = 0;
  bool complete_ = false;
  std::optional<Error> error_;
};

// Writes one frame: with a single write_full up to 64 KiB of payload (so
// atomically when header + payload <= PIPE_BUF), a larger one as the header
// then the payload, straight from `payload` (never copied). EMSGSIZE,
// nothing written, if the payload is larger than max_payload.
Status write_frame(int fd, std::uint16_t type,
                   std::span<const std::byte> payload, std::size_t max_payload,
                   Deadline deadline = kNoDeadline,
                   FrameFormat format = FrameFormat::kChecked);

// The same frame as write_frame, without copying the payload: `frame` holds
// kFrameHeaderSize bytes of room (overwritten with the header) followed by the
// payload, and is written with a single write_full. EINVAL if `frame` is
// shorter than a header; EMSGSIZE, nothing written, if the payload is larger
// than max_payload.
Status write_frame_in_place(int fd, std::uint16_t type,
                            std::span<std::byte> frame, std::size_t max_payload,
                            Deadline deadline = kNoDeadline,
                            FrameFormat format = FrameFormat::kChecked);

// Reads until `decoder` yields a frame, never more than decoder.wanted() bytes
// at a time (bytes after the frame stay in the descriptor). nullopt on EOF at a
// frame boundary; EOF inside a frame → EPROTO ("truncated frame: EOF after N of
// M bytes"). EINTR is retried; a deadline bounds the wait (ETIMEDOUT), after
// which a partly read frame stays in the decoder and can be resumed.
Result<std::optional<Frame>> read_frame(int fd, FrameDecoder& decoder,
                                        Deadline deadline = kNoDeadline);

// Frames from a descriptor that carries only frames, reading ahead: each read
// asks for up to kReadAhead bytes, and what follows the current frame is kept
// for the next call (so a 4 KiB frame costs one read, not two). A frame of at
// most kReadAhead bytes (header included) is decoded where it lies in the
// read-ahead buffer: its header checked as FrameDecoder checks it, and its
// payload handed out by next_view() without a copy, or copied once into the
// Frame that next() returns. A part of such a frame at the end of the buffer
// is moved to the buffer's start once, and the rest read behind it. Larger
// frames, and any frame the header check or checksum refuses, go through the
// decoder (which reports the error); a payload still missing kReadAhead
// bytes or more is read straight into the frame, into room that grows with
// what arrived (FrameDecoder::payload_room). Same results and errors as
// read_frame; the decoder's limits apply. Whenever a call returns, an
// unfinished frame is held by decoder() (received() counts it).
//
//   FrameReader in(fd, 64 * 1024);
//   while (auto f = in.next()) { if (!*f) break; /* EOF */ use(**f); }
class FrameReader {
 public:
  static constexpr std::size_t kReadAhead = 16 * 1024;

  FrameReader(int fd, std::size_t max_payload,
              FrameFormat format = FrameFormat::kChecked);

  Result<std::optional<Frame>> next(Deadline deadline = kNoDeadline);
  // The same, without copying the payload: the view points into this reader
  // and is valid until the next call to next() or next_view().
  Result<std::optional<FrameView>> next_view(Deadline deadline = kNoDeadline);
  // Bytes read from the descriptor but not yet decoded.
  std::size_t buffered() const { return end_ - begin_; }
  const FrameDecoder& decoder() const { return decoder_; }

 private:
  enum class Buffered { kFrame, kNeedMore, kUseDecoder };
  // At a frame boundary: is the next frame whole in the read-ahead buffer
  // (then `view` points at it), partly there and small enough to finish
  // there, or for the decoder?
  Buffered take_buffered(FrameView& view);
  // Hands the bytes of an unfinished frame in the read-ahead buffer to the
  // decoder (before a call returns without a frame).
  void hand_over();
  // One frame; `owned` says whether its payload is last_'s (from the decoder).
  Result<std::optional<FrameView>> advance(Deadline deadline, bool& owned);

  int fd_;
  FrameDecoder decoder_;
  std::unique_ptr<std::byte[]> storage_;
  std::byte* ahead_;  // kReadAhead bytes inside storage_ (see frame.cc)
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  // The last frame the decoder finished, while next_view() shows it.
  Frame last_;
};

}  // namespace ipc
