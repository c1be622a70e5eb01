// ipc/crc32c.h — CRC-32C (Castagnoli), the checksum of ipc/frame.h.
//
// Reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF: the
// CRC of iSCSI, ext4 and SCTP, and the one x86's SSE4.2 `crc32` instruction
// computes. Check value: crc32c("123456789") == 0xE3069283.
//
// crc32c() uses that instruction when the CPU has it (three interleaved
// streams, ~10x the table method here), else the portable slicing-by-8 table
// method; both give the same result. Continuation:
//   crc32c(b, crc32c(a)) == crc32c(a followed by b).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ipc {

std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t crc = 0);

// The table method alone (what crc32c() falls back to); for tests and
// benchmarks.
std::uint32_t crc32c_portable(std::span<const std::byte> data,
                              std::uint32_t crc = 0);

// Whether crc32c() runs on the CPU's crc32 instruction.
bool crc32c_uses_hardware();

}  // namespace ipc
