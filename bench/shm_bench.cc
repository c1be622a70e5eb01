// bench/shm_bench.cc — handing data over through a POSIX shared-memory
// object: stores into and loads from an ipc::SharedMapping (bounds- and
// size-checked copies) vs pwrite/pread on the object's descriptor, at 4 KiB
// and 64 KiB; and the mapping's checked copy vs a bare memcpy on the same
// mapping (the price of the checks). Bytes/s of write-then-read.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bench/ratio_table.h"
#include "ipc/posix_shm.h"

namespace {

constexpr std::size_t kObjectSize = 64 * 1024;

struct Object {
  Object() : name("/ipct-bench-" + std::to_string(::getpid())), owner(name) {
    auto s = ipc::PosixShm::open(name, {.create = true, .exclusive = true});
    if (!s.ok() || !s->truncate(kObjectSize).ok()) std::abort();
    shm.emplace(std::move(*s));
    auto m = ipc::SharedMapping::map(*shm, 0, kObjectSize, /*writable=*/true);
    if (!m.ok()) std::abort();
    map.emplace(std::move(*m));
  }
  std::string name;
  ipc::ShmNameOwner owner;
  std::optional<ipc::PosixShm> shm;
  std::optional<ipc::SharedMapping> map;
};

void BM_PwritePread(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Object o;
  std::vector<std::byte> out(n, std::byte{'x'}), in(n);
  for (auto _ : state) {
    auto w = o.shm->write_at(0, out);
    auto r = o.shm->read_at(0, in);
    if (!w.ok() || *w != n || !r.ok() || *r != n) std::abort();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_MappingCopy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Object o;
  std::vector<std::byte> out(n, std::byte{'x'}), in(n);
  for (auto _ : state) {
    if (!o.map->write(*o.shm, 0, out).ok()) std::abort();
    if (!o.map->read(*o.shm, 0, in).ok()) std::abort();
    benchmark::DoNotOptimize(in.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_RawMemcpy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Object o;
  std::vector<std::byte> out(n, std::byte{'x'}), in(n);
  std::byte* base = o.map->bytes().data();
  for (auto _ : state) {
    std::memcpy(base, out.data(), n);
    benchmark::ClobberMemory();
    std::memcpy(in.data(), base, n);
    benchmark::DoNotOptimize(in.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

BENCHMARK(BM_PwritePread)->Arg(4096)->Arg(65536);
BENCHMARK(BM_MappingCopy)->Arg(4096)->Arg(65536);
BENCHMARK(BM_RawMemcpy)->Arg(4096)->Arg(65536);

}  // namespace

IPCT_BENCH_MAIN({
    {"mapping vs pwrite/pread, 4 KiB", "BM_PwritePread/4096",
     "BM_MappingCopy/4096"},
    {"mapping vs pwrite/pread, 64 KiB", "BM_PwritePread/65536",
     "BM_MappingCopy/65536"},
    {"checked mapping copy vs memcpy, 4 KiB", "BM_RawMemcpy/4096",
     "BM_MappingCopy/4096"},
    {"checked mapping copy vs memcpy, 64 KiB", "BM_RawMemcpy/65536",
     "BM_MappingCopy/65536"},
})
