// CRC-32C throughput: the SSE4.2 instruction path against the byte-table path, over the sizes
// the log checksums (a small record, a 4 KiB value, a 1 MiB snapshot chunk).
#include <benchmark/benchmark.h>

#include <string>

#include "common/crc32c.h"

namespace {

template <bool kHardware>
void BM_Crc32c(benchmark::State& state) {
  const std::string bytes(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    const uint32_t crc =
        kHardware ? regent::crc32c_extend(regent::kCrc32cInit, bytes.data(), bytes.size())
                  : regent::crc32c_extend_portable(regent::kCrc32cInit, bytes.data(), bytes.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  state.SetLabel(kHardware && regent::crc32c_uses_hardware() ? "sse4.2" : "table");
}

BENCHMARK_TEMPLATE(BM_Crc32c, true)->Arg(128)->Arg(4096)->Arg(1 << 20);
BENCHMARK_TEMPLATE(BM_Crc32c, false)->Arg(128)->Arg(4096)->Arg(1 << 20);

}  // namespace
