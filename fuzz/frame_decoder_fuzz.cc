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
// Then a FrameReader reads the same stream through read(2) replaced at the
// system-call seam (ipc/sys.h) by pieces the input chooses (1-64 bytes or all
// that was asked, sometimes EINTR or EAGAIN first, EOF at the end), taking
// frames with next() or next_view() as the input chooses. It must yield the
// decoder's frames, byte for byte, then the decoder's error, or EOF at a
// frame boundary, or EPROTO for a frame cut short: its in-buffer path and its
// decoder path must agree with the decoder everywhere.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "ipc/crc32c.h"
#include "ipc/frame.h"
#include "ipc/sys.h"

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

// The stream FrameReader reads, and how: read(2) is replaced by fake_read.
struct FakeDescriptor {
  std::span<const std::byte> data;
  std::size_t pos = 0;
  std::uint32_t state = 0;
};
FakeDescriptor g_fake;

std::uint32_t next_choice(std::uint32_t& state) {
  state = state * 1103515245u + 12345u;
  return state >> 16;
}

ssize_t fake_read(int, void* buf, size_t n) {
  std::uint32_t pick = next_choice(g_fake.state);
  if (pick % 16 == 0) {
    errno = EAGAIN;  // FrameReader returns it; the caller calls again
    return -1;
  }
  if (pick % 16 == 1) {
    errno = EINTR;  // retried inside FrameReader
    return -1;
  }
  std::size_t take = pick % 16 < 9 ? 1 + (pick >> 4) % 64 : n;
  take = std::min({take, n, g_fake.data.size() - g_fake.pos});
  if (take > 0) std::memcpy(buf, g_fake.data.data() + g_fake.pos, take);
  g_fake.pos += take;
  return static_cast<ssize_t>(take);
}

struct Decoded {
  std::uint16_t type;
  std::span<const std::byte> payload;  // within the stream
};

// FrameReader over `stream` must give `frames`, then `error` (0: none), or
// EOF / EPROTO as `truncated` says.
void check_reader(std::span<const std::byte> stream, std::size_t cap,
                  ipc::FrameFormat format, std::uint32_t seed,
                  const std::vector<Decoded>& frames, int error,
                  bool truncated) {
  g_fake = FakeDescriptor{stream, 0, seed};
  ipc::sys::table().read.store(&fake_read);
  ipc::FrameReader reader(/*fd=*/1000, cap, format);
  std::size_t i = 0;
  int final_code = -1;
  for (int spins = 0; final_code < 0; ++spins) {
    if (spins > 1'000'000) fail("FrameReader makes no progress");
    const bool view = (next_choice(g_fake.state) & 1) != 0;
    std::uint16_t type = 0;
    std::span<const std::byte> payload;
    std::optional<ipc::Error> err;
    bool eof = false;
    ipc::Frame owned;
    if (view) {
      auto f = reader.next_view();
      if (!f) {
        err = f.error();
      } else if (!*f) {
        eof = true;
      } else {
        type = (*f)->type;
        payload = (*f)->payload;
      }
    } else {
      auto f = reader.next();
      if (!f) {
        err = f.error();
      } else if (!*f) {
        eof = true;
      } else {
        owned = std::move(**f);
        type = owned.type;
        payload = owned.payload;
      }
    }
    if (err) {
      if (err->code() == EAGAIN) continue;
      final_code = err->code();
      break;
    }
    if (eof) {
      final_code = 0;
      break;
    }
    if (i >= frames.size())
      fail("FrameReader yields a frame the decoder did not");
    if (type != frames[i].type || payload.size() != frames[i].payload.size() ||
        (!payload.empty() &&
         std::memcmp(payload.data(), frames[i].payload.data(),
                     payload.size()) != 0)) {
      fail("FrameReader's frame differs from the decoder's");
    }
    ++i;
  }
  if (i != frames.size()) fail("FrameReader stopped before the decoder's end");
  const int expected = error != 0 ? error : truncated ? EPROTO : 0;
  if (final_code != expected) fail("FrameReader ends differently");
  if (error != 0) {
    // Sticky, whatever the descriptor would say now.
    auto again = reader.next();
    if (again.ok() || again.error().code() != error)
      fail("FrameReader's error is not sticky");
  }
  ipc::sys::reset_table();
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
  const std::uint32_t seed = in.u8() * 2654435761u + 1;
  std::uint32_t chunk_state = seed;
  const std::span<const std::byte> stream = in.rest();
  std::vector<Decoded> frames;
  int error = 0;

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
        error = code;
        failed = true;
        break;
      }
      if (*next) {
        const ipc::Frame& f = **next;
        if (f.payload.size() > cap) fail("payload larger than the cap");
        check_encoding(
            stream.subspan(end_of_last_frame, pos - end_of_last_frame), f,
            format);
        frames.push_back(
            {f.type, stream.subspan(end_of_last_frame + ipc::kFrameHeaderSize,
                                    f.payload.size())});
        end_of_last_frame = pos;
      } else if (took == 0) {
        fail("no progress: feed took nothing and no frame completed");
      }
    }
  }
  check_reader(stream, cap, format, seed, frames, error,
               !failed && decoder.received() > 0);
  return 0;
}
