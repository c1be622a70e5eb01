// fuzz/shm_model_fuzz.cc — one POSIX shared memory object through two views
// (descriptor I/O and ipc::SharedMapping), resized by a "peer", against a
// byte-array model.
//
// The object is created once per process under a unique name, opened a second
// time as the peer (its own open file description), and unlinked at once: both
// descriptors keep it alive and nothing is left in /dev/shm, even after a
// crash. Each input starts from size 0 with the file offset at 0 and no
// mappings, then runs up to 48 operations:
//   write_at / read_at (pwrite/pread), seek / read_some / write (file offset),
//   peer truncate (grow or shrink), map / unmap one of two mapping slots
//   (offset any, often page-aligned; length 0..12 pages; read-only or not),
//   SharedMapping::read / write (through either handle), and a raw check.
// Invariants: every result equals the model's — sizes, offsets, bytes (grown
// regions read as zero, shrunk data is gone), and errors in the documented
// order: EINVAL unmapped, ERANGE outside the mapping, ENXIO beyond the object's
// current end, then EACCES for a read-only mapping; mmap EINVAL for length 0 or
// an unaligned offset; lseek EINVAL for a negative result. The raw bytes of
// every mapping, up to the object's end, equal the model (the two views agree),
// and no operation of the API raises SIGBUS on a shrunk object.
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "ipc/posix_shm.h"

namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kMaxObject = 16 * kPage;  // offsets stay within ~16 pages
constexpr int kMaxOps = 48;

struct Env {
  ipc::PosixShm shm;   // our handle
  ipc::PosixShm peer;  // the "peer": same object, its own open file description
};

Env* g_env = nullptr;

[[noreturn]] void diverged(const std::string& what) {
  std::fprintf(stderr, "shm_model_fuzz: layer and model diverge: %s\n",
               what.c_str());
  std::abort();
}

// "/ipct-shm-model-fuzz-<pid>-<attempt>-<random>": the pid alone is not unique
// (Bazel's linux-sandbox gives each test its own PID namespace, /dev/shm is
// shared), hence the random part; an EEXIST all the same gets another name.
// Without //ipc/testing (GoogleTest), which the OSS-Fuzz build cannot link.
std::string shm_name(int attempt) {
  std::uint32_t token = 0;
  if (::getrandom(&token, sizeof token, 0) != sizeof token) {
    token = static_cast<std::uint32_t>(::time(nullptr)) ^
            static_cast<std::uint32_t>(::getpid());
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", token);
  return "/ipct-shm-model-fuzz-" + std::to_string(::getpid()) + "-" +
         std::to_string(attempt) + "-" + hex;
}

Env& env() {
  if (g_env == nullptr) {
    std::string name = shm_name(0);
    auto shm = ipc::PosixShm::open(name, {.exclusive = true});
    for (int attempt = 1;
         attempt < 8 && !shm.ok() && shm.error().code() == EEXIST; ++attempt) {
      name = shm_name(attempt);
      shm = ipc::PosixShm::open(name, {.exclusive = true});
    }
    if (!shm.ok()) diverged("setup: " + shm.error().message());
    ipc::ShmNameOwner owner(
        name);  // unlinked when this scope ends, on every path
    auto peer = ipc::PosixShm::open(name, {.create = false});
    if (!peer.ok()) diverged("setup: " + peer.error().message());
    g_env = new Env{std::move(*shm), std::move(*peer)};
  }
  return *g_env;
}

struct Slot {
  std::optional<ipc::SharedMapping> map;
  std::size_t offset = 0;  // in the object
  std::size_t len = 0;
  bool writable = false;
};

struct Model {
  std::vector<std::byte> bytes;  // the object's contents; size() is its size
  std::size_t pos = 0;           // our descriptor's file offset

  void write(std::size_t off, std::span<const std::byte> in) {
    if (in.empty()) return;  // pwrite/write of 0 bytes does not grow the object
    if (off + in.size() > bytes.size())
      bytes.resize(off + in.size(), std::byte{0});
    std::copy(in.begin(), in.end(),
              bytes.begin() + static_cast<std::ptrdiff_t>(off));
  }
  std::size_t readable(std::size_t off, std::size_t n) const {
    return off >= bytes.size() ? 0 : std::min(n, bytes.size() - off);
  }
};

std::vector<std::byte> payload(std::uint32_t seq, std::size_t n) {
  std::vector<std::byte> p(n);
  for (std::size_t i = 0; i < n; ++i)
    p[i] = static_cast<std::byte>((seq * 131 + i * 7 + 1) & 0xff);
  return p;
}

void expect_bytes(std::span<const std::byte> got, const Model& m,
                  std::size_t off, const std::string& what) {
  if (got.empty()) return;
  if (std::memcmp(got.data(), m.bytes.data() + off, got.size()) != 0) {
    diverged(what + ": bytes differ from the model");
  }
}

template <typename R>
void expect_code(const R& s, int want, const std::string& what) {
  int got = s.ok() ? 0 : s.error().code();
  if (got != want) {
    diverged(what + ": model errno " + std::to_string(want) + ", got " +
             (s.ok() ? std::string("success") : s.error().message()));
  }
}

// The errno SharedMapping::read/write must give, in its documented order.
int mapping_errno(const Slot& s, const Model& m, std::size_t off, std::size_t n,
                  bool write) {
  if (!s.map) return EINVAL;
  if (off > s.len || n > s.len - off) return ERANGE;
  if (s.offset + off + n > m.bytes.size()) return ENXIO;
  if (write && !s.writable) return EACCES;
  return 0;
}

// A size/offset choice: small, page-related, or anything below the bound.
std::size_t pick_offset(fuzz::FuzzInput& in, std::size_t bound) {
  std::uint8_t k = in.u8();
  std::uint16_t v = in.u16();
  switch (k % 4) {
    case 0:
      return v % 64;
    case 1:
      return std::min<std::size_t>(bound, (v % 17) * kPage);
    case 2: {  // a page boundary +- 4: unaligned offsets, ranges crossing the
               // end
      std::size_t at = (v % 17) * kPage + (k >> 2) % 9;
      return std::min<std::size_t>(bound, at >= 4 ? at - 4 : 0);
    }
    default:
      return v % (bound + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  Env& e = env();
  ipc::PosixShm& shm = e.shm;

  // Start from an empty object, offset 0 (mappings of the last input are gone).
  if (auto s = e.peer.truncate(0); !s.ok())
    diverged("reset: " + s.error().message());
  if (auto r = shm.seek(0, SEEK_SET); !r.ok())
    diverged("reset: " + r.error().message());
  Model m;
  Slot slots[2];
  std::uint32_t seq = 1;

  fuzz::FuzzInput in(data, size);
  for (int op = 0; op < kMaxOps && !in.empty(); ++op) {
    switch (in.u8() % 11) {
      case 0: {  // pwrite
        std::size_t off = pick_offset(in, kMaxObject);
        std::size_t n = pick_offset(in, 2 * kPage);
        auto p = payload(seq++, n);
        auto r = shm.write_at(off, p);
        std::string what =
            "write_at(" + std::to_string(off) + ", " + std::to_string(n) + ")";
        if (!r.ok() || *r != n)
          diverged(what + ": " + (r.ok() ? "short" : r.error().message()));
        m.write(off, p);
        break;
      }
      case 1: {  // pread
        std::size_t off = pick_offset(in, kMaxObject + kPage);
        std::size_t n = pick_offset(in, 2 * kPage);
        std::vector<std::byte> buf(n);
        auto r = shm.read_at(off, buf);
        std::string what =
            "read_at(" + std::to_string(off) + ", " + std::to_string(n) + ")";
        if (!r.ok()) diverged(what + ": " + r.error().message());
        if (*r != m.readable(off, n))
          diverged(what + ": returned " + std::to_string(*r));
        expect_bytes(std::span(buf).first(*r), m, off, what);
        break;
      }
      case 2: {                    // lseek
        int whence = in.u8() % 3;  // SEEK_SET, SEEK_CUR, SEEK_END
        long off = static_cast<long>(pick_offset(in, kMaxObject)) -
                   (in.boolean() ? 2 * kPage : 0);
        long base = whence == SEEK_SET   ? 0
                    : whence == SEEK_CUR ? static_cast<long>(m.pos)
                                         : static_cast<long>(m.bytes.size());
        auto r = shm.seek(off, whence);
        std::string what = "seek(" + std::to_string(off) + ", whence " +
                           std::to_string(whence) + ")";
        if (base + off < 0) {
          expect_code(r, EINVAL, what);
        } else {
          if (!r.ok() || *r != static_cast<std::size_t>(base + off)) {
            diverged(what + ": " +
                     (r.ok() ? "offset " + std::to_string(*r)
                             : r.error().message()));
          }
          m.pos = *r;
        }
        break;
      }
      case 3: {  // read(2) at the file offset
        std::size_t n = pick_offset(in, 2 * kPage);
        std::vector<std::byte> buf(n);
        auto r = shm.read_some(buf);
        std::string what =
            "read_some(" + std::to_string(n) + ") at " + std::to_string(m.pos);
        if (!r.ok()) diverged(what + ": " + r.error().message());
        if (*r != m.readable(m.pos, n))
          diverged(what + ": returned " + std::to_string(*r));
        expect_bytes(std::span(buf).first(*r), m, m.pos, what);
        m.pos += *r;
        break;
      }
      case 4: {  // write(2) at the file offset
        std::size_t n = pick_offset(in, 2 * kPage);
        if (m.pos > kMaxObject) break;  // keep the object small
        auto p = payload(seq++, n);
        auto r = shm.write(p);
        std::string what =
            "write(" + std::to_string(n) + ") at " + std::to_string(m.pos);
        if (!r.ok() || *r != n)
          diverged(what + ": " + (r.ok() ? "short" : r.error().message()));
        m.write(m.pos, p);
        m.pos += n;
        break;
      }
      case 5: {  // the peer resizes the object
        std::size_t n = pick_offset(in, kMaxObject);
        if (auto s = e.peer.truncate(n); !s.ok()) {
          diverged("peer truncate(" + std::to_string(n) +
                   "): " + s.error().message());
        }
        m.bytes.resize(n, std::byte{0});
        break;
      }
      case 6: {  // map into a slot (replacing what it held)
        Slot& s = slots[in.u8() & 1];
        std::size_t off = pick_offset(in, kMaxObject);
        std::size_t len = pick_offset(in, 12 * kPage);
        bool writable = in.boolean();
        auto r = ipc::SharedMapping::map(in.boolean() ? shm : e.peer, off, len,
                                         writable);
        std::string what =
            "map(" + std::to_string(off) + ", " + std::to_string(len) + ")";
        if (len == 0 || off % kPage != 0) {
          expect_code(r, EINVAL, what);
          break;
        }
        if (!r.ok()) diverged(what + ": " + r.error().message());
        if (r->size() != len || r->offset() != off ||
            r->writable() != writable) {
          diverged(what + ": mapping reports other offset/size/protection");
        }
        s.map = std::move(*r);
        s.offset = off;
        s.len = len;
        s.writable = writable;
        break;
      }
      case 7: {  // unmap a slot
        Slot& s = slots[in.u8() & 1];
        if (!s.map) break;
        expect_code(s.map->unmap(), 0, "unmap");
        expect_code(s.map->unmap(), EINVAL, "second unmap");
        s.map.reset();
        break;
      }
      case 8: {  // SharedMapping::read
        Slot& s = slots[in.u8() & 1];
        const ipc::PosixShm& via = in.boolean() ? shm : e.peer;
        std::size_t off = pick_offset(in, 12 * kPage);
        std::size_t n = pick_offset(in, 2 * kPage);
        std::vector<std::byte> buf(n);
        std::string what = "mapping read(" + std::to_string(off) + ", " +
                           std::to_string(n) + ") of [" +
                           std::to_string(s.offset) + ", +" +
                           std::to_string(s.len) + "), object " +
                           std::to_string(m.bytes.size());
        if (!s.map) break;
        int want = mapping_errno(s, m, off, n, false);
        expect_code(s.map->read(via, off, buf), want, what);
        if (want == 0) expect_bytes(buf, m, s.offset + off, what);
        break;
      }
      case 9: {  // SharedMapping::write
        Slot& s = slots[in.u8() & 1];
        ipc::PosixShm& via = in.boolean() ? shm : e.peer;
        std::size_t off = pick_offset(in, 12 * kPage);
        std::size_t n = pick_offset(in, 2 * kPage);
        auto p = payload(seq++, n);
        std::string what =
            "mapping write(" + std::to_string(off) + ", " + std::to_string(n) +
            ") of [" + std::to_string(s.offset) + ", +" +
            std::to_string(s.len) + "), object " +
            std::to_string(m.bytes.size()) + (s.writable ? "" : ", read-only");
        if (!s.map) break;
        int want = mapping_errno(s, m, off, n, true);
        expect_code(s.map->write(via, off, p), want, what);
        if (want == 0) m.write(s.offset + off, p);
        break;
      }
      default: {  // the views agree: size, and every mapping's raw bytes up to
                  // the end
        auto sz = e.peer.size();
        if (!sz.ok() || *sz != m.bytes.size())
          diverged("size() disagrees with the model");
        for (Slot& s : slots) {
          if (!s.map) continue;
          std::size_t n = m.readable(s.offset, s.len);
          expect_bytes(s.map->bytes().first(n), m, s.offset,
                       "raw mapping bytes");
        }
        break;
      }
    }
  }
  return 0;  // slots go out of scope: munmap
}
