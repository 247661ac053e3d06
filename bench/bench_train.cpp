// Training throughput (images/s) of one optimizer step — forward, cross-entropy, backward, SGD —
// for FCN ResNet-50, with the whole network trained or the backbone frozen (the practical choice on
// a CPU), in fp32 or bf16 (the `precision` hyperparameter: train/training_forward.h, the same code
// the training job runs). bench/python/bench_train.py runs the same step in Python PyTorch (bf16 =
// torch.autocast) and, given this program, interleaves both (see BENCHMARKS.md "Training").
//
// Names: TrainStep/<full|frozen>/os<stride>/batch<N>/<fp32|bf16>. Besides Google Benchmark's flags:
//   --crop=N (default 240)  --batch=N (default 4)
// Wall time is real time; cpu_time is the process's CPU time (all threads): the figure to compare on a
// machine that others load.
#include <torch/torch.h>

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "inference/torch_threads.h"
#include "models/registry.h"
#include "train/hyperparameters.h"
#include "train/model_setup.h"
#include "train/optimizer.h"
#include "train/training_forward.h"

namespace {

using namespace segmaker;

void bm_train_step(benchmark::State& state, bool frozen, int os, int batch, int crop, const std::string& precision) {
  torch::manual_seed(0);
  models::ModelSpec spec;
  spec.algorithm = "fcn";
  spec.backbone = "resnet-50";
  spec.num_classes = 3;
  spec.output_stride = os;
  auto model = models::build_model(spec);
  train::Hyperparameters h;  // sgd, lr 0.001, momentum 0.9, weight_decay 1e-4
  h.freeze_backbone = frozen;
  h.precision = precision;
  train::TrainingForward forward(model, h, torch::Device(torch::kCPU));
  auto optimizer = train::make_optimizer(h, train::trainable_parameters(model, frozen));
  forward.start_training();
  const auto x = torch::randn({batch, 3, crop, crop});
  const auto y = torch::randint(0, 3, {batch, crop, crop}, torch::kInt64);
  auto step = [&] {
    auto loss = forward.train_loss(x, y, 0.2).total;
    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
    return loss.item<float>();
  };
  step();  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.counters["images/s"] = benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}

// Takes --name=N out of argv (before Google Benchmark sees the flags).
int take_int_flag(int& argc, char** argv, const char* name, int fallback) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) != 0) continue;
    const int value = std::stoi(argv[i] + prefix.size());
    for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
    --argc;
    return value;
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  inference::configure_torch_threads(0);
  const int crop = take_int_flag(argc, argv, "crop", 240);
  const int batch = take_int_flag(argc, argv, "batch", 4);
  for (int os : {8, 16})
    for (bool frozen : {false, true})
      for (const char* precision : {"fp32", "bf16"}) {
        const std::string name = std::string("TrainStep/") + (frozen ? "frozen" : "full") + "/os" + std::to_string(os) + "/batch" +
                                 std::to_string(batch) + "/" + precision;
        benchmark::RegisterBenchmark(name.c_str(), bm_train_step, frozen, os, batch, crop, std::string(precision))
            ->Unit(benchmark::kSecond)
            ->Iterations(2)
            ->MeasureProcessCPUTime()
            ->UseRealTime();
      }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
