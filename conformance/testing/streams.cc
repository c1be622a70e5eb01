// conformance/testing/streams.cc — see streams.h.
#include "conformance/testing/streams.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "ipc/testing/eintr.h"
#include "ipc/testing/test_util.h"

namespace conformance::testing {

using ::ipc::testing::RetryEINTR;

std::string Pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 131 + seed * 17 + i / 251) & 0xff);
  return s;
}

std::string ReadExactly(int fd, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    ssize_t k = RetryEINTR(::read)(fd, out.data() + got, n - got);
    if (k <= 0) break;
    got += static_cast<std::size_t>(k);
  }
  out.resize(got);
  return out;
}

std::string ReadToEof(int fd) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t k = RetryEINTR(::read)(fd, buf, sizeof buf);
    if (k <= 0) break;
    out.append(buf, static_cast<std::size_t>(k));
  }
  return out;
}

std::size_t FillPipe(int w) {
  int fl = ::fcntl(w, F_GETFL);
  ::fcntl(w, F_SETFL, fl | O_NONBLOCK);
  std::string chunk(1 << 16, 'f');
  std::size_t total = 0;
  for (std::size_t n = chunk.size(); n > 0;) {
    ssize_t r = ::write(w, chunk.data(), n);
    if (r > 0) {
      total += static_cast<std::size_t>(r);
    } else {
      n /= 2;  // EAGAIN: try smaller pieces down to one byte
    }
  }
  ::fcntl(w, F_SETFL, fl);
  return total;
}

int Unread(int fd) {
  int n = -1;
  return ::ioctl(fd, FIONREAD, &n) == 0 ? n : -1;
}

// ---- records ----------------------------------------------------------------

std::string MakeRecord(std::uint8_t writer, std::uint32_t seq,
                       std::size_t len) {
  std::string r(len, static_cast<char>((writer * 37 + seq) & 0xff));
  r[0] = static_cast<char>(0xA5);
  r[1] = static_cast<char>(writer);
  r[2] = static_cast<char>(len & 0xff);
  r[3] = static_cast<char>(len >> 8);
  std::memcpy(&r[4], &seq, 4);
  return r;
}

std::string CheckRecordStream(const std::string& s,
                              const std::vector<std::size_t>& sizes,
                              std::uint32_t per_writer) {
  std::vector<std::uint32_t> next(sizes.size(), 0);
  std::size_t off = 0;
  while (off < s.size()) {
    if (s.size() - off < kRecordHeader ||
        static_cast<unsigned char>(s[off]) != 0xA5) {
      return "no record header at offset " + std::to_string(off) +
             " (torn write)";
    }
    std::size_t w = static_cast<unsigned char>(s[off + 1]);
    std::size_t len =
        static_cast<unsigned char>(s[off + 2]) |
        static_cast<std::size_t>(static_cast<unsigned char>(s[off + 3])) << 8;
    std::uint32_t seq;
    std::memcpy(&seq, &s[off + 4], 4);
    if (w >= sizes.size() || len != sizes[w] || off + len > s.size()) {
      return "corrupt header at offset " + std::to_string(off);
    }
    if (seq != next[w]) {
      return "writer " + std::to_string(w) + " record " + std::to_string(seq) +
             " where " + std::to_string(next[w]) + " was due, at offset " +
             std::to_string(off);
    }
    if (s.compare(off, len,
                  MakeRecord(static_cast<std::uint8_t>(w), seq, len)) != 0) {
      return "record " + std::to_string(seq) + " of writer " +
             std::to_string(w) + " mixed with other data at offset " +
             std::to_string(off);
    }
    ++next[w];
    off += len;
  }
  for (std::size_t w = 0; w < sizes.size(); ++w) {
    if (next[w] != per_writer) {
      return "writer " + std::to_string(w) + ": " + std::to_string(next[w]) +
             " of " + std::to_string(per_writer) + " records arrived";
    }
  }
  return "";
}

std::string RaceRecordWriters(
    int read_fd, ipc::Fd held, const std::vector<std::size_t>& sizes,
    std::uint32_t per_writer, const std::function<int(int held)>& open_writer,
    const std::function<bool(int, const std::string&)>& write_record,
    std::vector<ipc::testing::ChildResult>* results) {
  ipc::testing::RawPipe ready, go;
  std::vector<std::unique_ptr<ipc::testing::Child>> writers;
  for (std::size_t w = 0; w < sizes.size(); ++w) {
    writers.push_back(std::make_unique<ipc::testing::Child>([&] {
      ready.read.reset();
      go.write.reset();
      int fd = open_writer(held.get());
      TEST_PCHECK(fd >= 0);
      TEST_CHECK_SUCCESS(::write(ready.write.get(), "r", 1));
      ready.write.reset();
      char c;
      TEST_CHECK_SUCCESS(RetryEINTR(::read)(go.read.get(), &c, 1));
      for (std::uint32_t seq = 0; seq < per_writer; ++seq) {
        TEST_CHECK_MSG(write_record(fd, MakeRecord(static_cast<std::uint8_t>(w),
                                                   seq, sizes[w])),
                       "a record was written short");
      }
    }));
  }
  ready.write.reset();
  go.read.reset();
  char c;
  for (std::size_t i = 0; i < writers.size(); ++i) {
    if (RetryEINTR(::read)(ready.read.get(), &c, 1) != 1)
      break;  // a writer that died early: EOF later
  }
  held.reset();      // from now on EOF means every writer has closed
  go.write.reset();  // EOF on "go": every writer starts now
  std::string stream = ReadToEof(read_fd);
  for (auto& w : writers) results->push_back(w->wait());
  return stream;
}

// ---- several reader processes
// ------------------------------------------------

ByteCounts CountBytes(const std::string& s) {
  ByteCounts counts = {};
  for (char c : s) ++counts[static_cast<unsigned char>(c)];
  return counts;
}

void ExpectByteCountsOf(const ByteCounts& got, const std::string& sent) {
  ByteCounts expected = CountBytes(sent);
  for (int v = 0; v < 256; ++v)
    EXPECT_EQ(got[v], expected[v]) << "byte value " << v;
}

void ReportByteCounts(int fd, std::size_t piece, int report) {
  ByteCounts counts = {};
  std::vector<unsigned char> buf(piece);
  for (;;) {
    ssize_t n = RetryEINTR(::read)(fd, buf.data(), buf.size());
    if (n <= 0) break;
    for (ssize_t k = 0; k < n; ++k) ++counts[buf[static_cast<std::size_t>(k)]];
  }
  TEST_CHECK(::write(report, counts.data(), sizeof counts) ==
             static_cast<ssize_t>(sizeof counts));
}

std::optional<ByteCounts> ReadByteCounts(int report) {
  ByteCounts counts;
  std::string raw = ReadExactly(report, sizeof counts);
  if (raw.size() != sizeof counts) return std::nullopt;
  std::memcpy(counts.data(), raw.data(), sizeof counts);
  return counts;
}

ByteCounts RaceReaders(int readers, const std::function<int()>& open_reader,
                       const std::function<void()>& feed,
                       std::vector<ipc::testing::ChildResult>* results) {
  ipc::testing::RawPipe ready;
  std::vector<ipc::testing::RawPipe> reports(static_cast<std::size_t>(readers));
  std::vector<std::unique_ptr<ipc::testing::Child>> children;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    children.push_back(std::make_unique<ipc::testing::Child>([&] {
      ready.read.reset();
      int fd = open_reader();
      TEST_PCHECK(fd >= 0);
      TEST_CHECK(::write(ready.write.get(), "r", 1) == 1);
      ready.write.reset();
      ReportByteCounts(fd, 100 + 997 * i, reports[i].write.get());
    }));
    reports[i].write.reset();  // later readers must not hold it
  }
  ready.write.reset();
  char c;
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (RetryEINTR(::read)(ready.read.get(), &c, 1) != 1)
      break;  // a reader that died early: its result says why
  }
  feed();
  ByteCounts total = {};
  for (std::size_t i = 0; i < children.size(); ++i) {
    std::optional<ByteCounts> counts = ReadByteCounts(reports[i].read.get());
    results->push_back(children[i]->wait());
    if (!counts) {
      ADD_FAILURE() << "reader " << i
                    << " reported nothing: " << results->back().describe();
      continue;
    }
    for (std::size_t v = 0; v < total.size(); ++v) total[v] += (*counts)[v];
  }
  return total;
}

}  // namespace conformance::testing
