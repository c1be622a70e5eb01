// fuzz/frame_decoder_fuzz.cc — the frame decoder, in both frame formats
// (checked and unchecked, ipc/frame.h), against arbitrary byte streams and
// arbitrary chunking.
//
// Input: u16 selector (top bit: the format; the rest: the payload cap), u8
// chunking seed, then the stream.
// Invariants:
//   - no crash, no sanitizer report, and no allocation beyond the cap (decoded
//     payloads never exceed it; run with -malloc_limit_mb to catch the rest);
//   - re-encoding the decoded frames reproduces the stream exactly up to the
//     end of the last decoded frame (checked frame by frame, field by field:
//     check_encoding);
//   - an error is sticky (feed takes nothing more; next() repeats the error)
//     and is EBADMSG or EMSGSIZE; EMSGSIZE only for a well-formed header
//     claiming > cap bytes; an unchecked frame is never refused for its
//     payload.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz/fuzz_input.h"
#include "ipc/crc32c.h"
#include "ipc/frame.h"

namespace {

[[noreturn]] void fail(const char* what) {
  __builtin_fprintf(stderr, "frame_decoder_fuzz: invariant violated: %s\n",
                    what);
  std::abort();
}

std::uint32_t le(std::span<const std::byte> b, std::size_t at, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v |= std::to_integer<std::uint32_t>(b[at + i]) << (8 * i);
  return v;
}

// The decoder rejected the frame starting at `h`: was it right to?
void check_error_is_justified(std::span<const std::byte> h, std::size_t cap,
                              ipc::FrameFormat format, int code) {
  if (h.size() < ipc::kFrameHeaderSize)
    fail("error before a full header arrived");
  const bool checked = format == ipc::FrameFormat::kChecked;
  const std::uint32_t expected_magic =
      checked ? ipc::kFrameMagic : ipc::kUncheckedFrameMagic;
  std::uint32_t magic = le(h, 0, 2), length = le(h, 4, 4),
                stored_crc = le(h, 8, 4);
  // Unchecked: the header check is verified before the length is believed.
  const bool header_ok =
      magic == expected_magic &&
      (checked || stored_crc == ipc::crc32c(h.subspan(0, 8)));
  if (code == EMSGSIZE) {
    if (!header_ok || length <= cap) fail("EMSGSIZE for an acceptable header");
    return;
  }
  if (!header_ok) return;  // bad magic or header check: EBADMSG is right
  if (!checked) fail("a well-formed unchecked frame was rejected");
  if (length > cap) fail("EBADMSG instead of EMSGSIZE for an oversized claim");
  if (h.size() < ipc::kFrameHeaderSize + length)
    fail("checksum error before the payload arrived");
  std::uint32_t crc = ipc::crc32c(h.subspan(ipc::kFrameHeaderSize, length),
                                  ipc::crc32c(h.subspan(2, 6)));
  if (crc == stored_crc) fail("a valid frame was rejected");
}

// The bytes the decoder consumed for frame `f` must be exactly its encoding
// (ipc/frame.h): magic, type, length, CRC-32C of type + length + payload, then
// the payload. Checked field by field against the consumed bytes, which is
// what comparing with encode_frame(f) would check, without allocating a copy
// of every frame (under ASan an allocation costs more than the CRC).
void check_encoding(std::span<const std::byte> consumed, const ipc::Frame& f,
                    ipc::FrameFormat format) {
  const bool checked = format == ipc::FrameFormat::kChecked;
  const std::size_t n = f.payload.size();
  if (consumed.size() != ipc::kFrameHeaderSize + n)
    fail("frame size differs from the consumed input");
  if (le(consumed, 0, 2) !=
          (checked ? ipc::kFrameMagic : ipc::kUncheckedFrameMagic) ||
      le(consumed, 2, 2) != f.type || le(consumed, 4, 4) != n) {
    fail("frame header differs from the consumed input");
  }
  if (n > 0 && std::memcmp(f.payload.data(),
                           consumed.data() + ipc::kFrameHeaderSize, n) != 0) {
    fail("frame payload differs from the consumed input");
  }
  std::uint32_t expected =
      checked ? ipc::crc32c(f.payload, ipc::crc32c(consumed.subspan(2, 6)))
              : ipc::crc32c(consumed.subspan(0, 8));
  if (le(consumed, 8, 4) != expected) {
    fail("a frame with a wrong checksum was accepted");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::FuzzInput in(data, size);
  const std::uint16_t selector = in.u16();
  const ipc::FrameFormat format = (selector & 0x8000) != 0
                                      ? ipc::FrameFormat::kUnchecked
                                      : ipc::FrameFormat::kChecked;
  const std::size_t cap = (selector & 0x7fff) % 8193;
  std::uint32_t chunk_state = in.u8() * 2654435761u + 1;
  const std::span<const std::byte> stream = in.rest();

  ipc::FrameDecoder decoder(cap, format);
  std::size_t pos = 0;
  std::size_t end_of_last_frame = 0;
  bool failed = false;
  while (pos < stream.size() && !failed) {
    chunk_state = chunk_state * 1103515245u + 12345u;
    std::size_t chunk = 1 + (chunk_state >> 16) % 64;
    auto piece = stream.subspan(pos, std::min(chunk, stream.size() - pos));
    while (!piece.empty()) {
      std::size_t took = decoder.feed(piece);
      if (took > piece.size()) fail("feed took more than it was given");
      pos += took;
      piece = piece.subspan(took);
      auto next = decoder.next();
      if (!next.ok()) {
        int code = next.error().code();
        if (code != EBADMSG && code != EMSGSIZE) fail("unexpected error code");
        if (!decoder.failed()) fail("error not sticky");
        if (decoder.feed(piece) != 0) fail("feed after error took bytes");
        if (decoder.next().ok()) fail("next after error succeeded");
        check_error_is_justified(stream.subspan(end_of_last_frame), cap, format,
                                 code);
        failed = true;
        break;
      }
      if (*next) {
        const ipc::Frame& f = **next;
        if (f.payload.size() > cap) fail("payload larger than the cap");
        check_encoding(
            stream.subspan(end_of_last_frame, pos - end_of_last_frame), f,
            format);
        end_of_last_frame = pos;
      } else if (took == 0) {
        fail("no progress: feed took nothing and no frame completed");
      }
    }
  }
  return 0;
}
