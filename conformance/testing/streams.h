// conformance/testing/streams.h — bytes through pipes and FIFOs: data that
// shows where it was cut or shifted, reading exactly or to the end, filling a
// pipe, and records that reveal any interleaving of several writer processes.
//
//   std::string data = Pattern(3000, 2);         // position-dependent bytes
//   EXPECT_EQ(ReadExactly(r, data.size()), data);
//   std::size_t cap = FillPipe(w);  EXPECT_EQ(Unread(r), cap);
//   std::string s = RaceRecordWriters(r, std::move(w), {4096, 17}, 300,
//                                     open_writer, write_record, &results);
//   EXPECT_EQ(CheckRecordStream(s, {4096, 17}, 300), "");
//   ByteCounts got = RaceReaders(3, open_reader, feed, &results);
//   ExpectByteCountsOf(got, data);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ipc/fd.h"
#include "ipc/testing/child.h"
#include "ipc/testing/test_util.h"

namespace conformance::testing {

// `n` deterministic bytes that depend on their position, so a shifted, cut or
// repeated piece differs from the original; `seed` makes distinct patterns.
std::string Pattern(std::size_t n, unsigned seed = 1);

// The bytes of `s`, for the layer's span-taking calls (the toolbox's).
using ::ipc::testing::AsWritableBytes;

// Reads exactly `n` bytes from `fd` (fewer at end of file or on an error;
// EINTR retried).
std::string ReadExactly(int fd, std::size_t n);

// Reads `fd` until end of file or an error (EINTR retried).
std::string ReadToEof(int fd);

// Writes to the pipe/FIFO write end `w` (made non-blocking meanwhile) until it
// takes nothing more, in ever smaller pieces down to one byte; returns the
// bytes written. Its O_NONBLOCK flag is restored.
std::size_t FillPipe(int w);

// FIONREAD: bytes waiting in a pipe or FIFO; -1 on error.
int Unread(int fd);

// ---- records from several writers -------------------------------------------

// A record: 0xA5, writer, u16 length, u32 sequence, then filler bytes that
// depend on (writer, sequence). Any interleaving or tear breaks the parse.
inline constexpr std::size_t kRecordHeader = 8;  // the bytes before the filler
std::string MakeRecord(std::uint8_t writer, std::uint32_t seq, std::size_t len);

// "" if `stream` is a sequence of whole records, writer w's of length
// sizes[w], each writer's in order and all `per_writer` of them; otherwise
// what is wrong and where.
std::string CheckRecordStream(const std::string& stream,
                              const std::vector<std::size_t>& sizes,
                              std::uint32_t per_writer);

// Forks one writer process per entry of `sizes`. Each gets its descriptor
// from `open_writer(held)` (`held` itself, inherited, or an open(2) of a FIFO),
// says it is ready, waits until all are, then writes `per_writer` records of
// its size with `write_record(fd, record)` (false: a short write, reported by
// the child). Meanwhile this process closes `held` (its own write end, kept
// until every writer has its descriptor) and reads `read_fd` to end of file.
// Returns the stream; `results` gets each writer's ChildResult.
std::string RaceRecordWriters(
    int read_fd, ipc::Fd held, const std::vector<std::size_t>& sizes,
    std::uint32_t per_writer, const std::function<int(int held)>& open_writer,
    const std::function<bool(int, const std::string&)>& write_record,
    std::vector<ipc::testing::ChildResult>* results);

// ---- several reader processes
// ------------------------------------------------

// How many bytes of each value a reader got.
using ByteCounts = std::array<std::uint64_t, 256>;
ByteCounts CountBytes(const std::string& s);

// Expects `got` (what the readers got together) to hold each byte value as
// often as `sent` does; a failure names each value that differs.
void ExpectByteCountsOf(const ByteCounts& got, const std::string& sent);

// In a forked reader (TEST_CHECKs): reads `fd` to end of file in pieces of
// `piece` bytes and writes the counts of the byte values it got to `report`
// in one write of 2 KiB (<= PIPE_BUF: whole, never mixed with another's).
void ReportByteCounts(int fd, std::size_t piece, int report);

// The counts a reader wrote to the other end of `report`; nullopt if it wrote
// none (or a part).
std::optional<ByteCounts> ReadByteCounts(int report);

// Forks `readers` reader processes. Each gets its descriptor from
// `open_reader()` (run in the child: it also closes what the child must not
// hold), says it is ready, reads to end of file in pieces of 100 + 997 * i
// bytes (so reads of different sizes compete) and reports its ByteCounts.
// Once all are ready, this process calls `feed()` (write the data, close every
// write end it holds), then adds up the counts (a reader that reported none is
// a test failure). `results` gets each reader's ChildResult.
ByteCounts RaceReaders(int readers, const std::function<int()>& open_reader,
                       const std::function<void()>& feed,
                       std::vector<ipc::testing::ChildResult>* results);

}  // namespace conformance::testing
