// Training throughput (images/s) of one optimizer step — forward, cross-entropy, backward, SGD —
// for FCN ResNet-50 at crop 240, with the whole network trained or the backbone frozen (the
// practical choice on a CPU). bench/python/bench_train.py runs the same step in Python PyTorch and,
// given this program, interleaves both (see BENCHMARKS.md "Training").
//
// Names: TrainStep/<full|frozen>/os<stride>/batch<N>.
#include <torch/torch.h>

#include <benchmark/benchmark.h>

#include <string>

#include "io/threads.h"
#include "models/registry.h"
#include "train/hyperparameters.h"
#include "train/loss.h"
#include "train/model_setup.h"
#include "train/optimizer.h"

namespace {

using namespace segmaker;

void bm_train_step(benchmark::State& state, bool frozen, int os, int batch) {
  torch::manual_seed(0);
  models::ModelSpec spec;
  spec.algorithm = "fcn";
  spec.backbone = "resnet-50";
  spec.num_classes = 3;
  spec.output_stride = os;
  auto model = models::build_model(spec);
  train::Hyperparameters h;  // sgd, lr 0.001, momentum 0.9, weight_decay 1e-4
  auto optimizer = train::make_optimizer(h, train::trainable_parameters(model, frozen));
  train::set_training_mode(model, frozen);
  const auto x = torch::randn({batch, 3, 240, 240});
  const auto y = torch::randint(0, 3, {batch, 240, 240}, torch::kInt64);
  auto step = [&] {
    auto out = model->forward(x);
    auto loss = train::segmentation_loss(out.out, out.aux, y, 0.2).total;
    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
    return loss.item<float>();
  };
  step();  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.counters["images/s"] = benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  segmaker::io::configure_torch_threads(0);
  for (int os : {8, 16})
    for (bool frozen : {false, true}) {
      const std::string name = std::string("TrainStep/") + (frozen ? "frozen" : "full") + "/os" + std::to_string(os) + "/batch4";
      benchmark::RegisterBenchmark(name.c_str(), bm_train_step, frozen, os, 4)
          ->Unit(benchmark::kSecond)
          ->Iterations(2)
          ->UseRealTime();
    }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
