// Gloo all-reduce on loopback: two ranks (threads of this process, one TCP connection pair, as two
// processes on one machine would use) sum float32 buffers of a given size — the gradient bucket sizes
// and the whole gradient of the models we train. Gives time per all-reduce and the bus bandwidth
// (2·(N−1)/N · bytes / time, ring all-reduce), the inputs of the scaling estimate in BENCHMARKS.md.
//
// Names: AllReduce/<MB>. Run: build/bench/bench_allreduce
#include <torch/torch.h>

#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "train/distributed/communicator.h"
#include "io/free_port.h"

namespace {

using namespace segmaker;

void bm_all_reduce(benchmark::State& state) {
  const std::int64_t bytes = state.range(0) * 1000 * 1000;
  train::DistributedConfig config;
  config.world_size = 2;
  config.master_port = io::free_port();
  config.timeout = std::chrono::seconds(60);
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> rounds{0};
  // Rank 1 mirrors every all-reduce rank 0 (the benchmark thread) starts.
  std::thread peer([&] {
    train::DistributedConfig c = config;
    c.rank = 1;
    auto comm = train::connect(c, "cpu");
    torch::Tensor buffer = torch::ones({bytes / 4});
    std::int64_t mine = 0;
    while (true) {
      while (rounds.load() == mine && !stop.load()) std::this_thread::yield();
      if (rounds.load() == mine && stop.load()) break;
      comm->all_reduce_sum(buffer);
      ++mine;
    }
  });
  train::DistributedConfig c = config;
  c.rank = 0;
  auto comm = train::connect(c, "cpu");
  torch::Tensor buffer = torch::ones({bytes / 4});
  for (auto _ : state) {
    rounds.fetch_add(1);
    comm->all_reduce_sum(buffer);
  }
  stop.store(true);
  peer.join();
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["bus_GB/s"] = benchmark::Counter(static_cast<double>(bytes) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(bm_all_reduce)->Name("AllReduce")->Arg(1)->Arg(10)->Arg(25)->Arg(38)->Arg(141)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
