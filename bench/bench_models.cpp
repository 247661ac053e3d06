// Forward latency of the segmentation models (batch 1, eval, no grad) with GFLOPs per image and
// achieved GFLOP/s, next to the machine's sgemm GFLOP/s. bench/python/bench_models.py runs the
// same architectures in Python PyTorch and, given this program, interleaves both (see BENCHMARKS.md).
//
// Names: Forward/<algorithm>/<size>/os<stride>/<variant>, Sgemm/<n>; variants: eager (eval, no
// grad), folded (BN folded into convs, NCHW: what models::prepare_for_inference does by default),
// prepared (folded + channels-last weights, InferenceOptions::channels_last; the input stays NCHW as
// the Predictor passes it).
#include <torch/torch.h>

#include <ATen/record_function.h>
#include <benchmark/benchmark.h>

#include <string>

#include "inference/torch_threads.h"
#include "models/batchnorm_folding.h"
#include "models/registry.h"

namespace {

using namespace segmaker;

// Convolution FLOPs (2 per multiply-add) of one forward, counted from the aten::convolution calls.
thread_local double conv_flops = 0;

void count_conv(const at::RecordFunction& fn, at::ObserverContext*) {
  if (std::string(fn.name()) != "aten::convolution") return;
  const auto inputs = fn.inputs();
  const auto outputs = fn.outputs();
  if (inputs.size() < 2 || outputs.empty() || !outputs[0].isTensor()) return;
  const auto w = inputs[1].toTensor().sizes();
  conv_flops += 2.0 * static_cast<double>(outputs[0].toTensor().numel()) * static_cast<double>(w[1] * w[2] * w[3]);
}

std::unique_ptr<at::ObserverContext> no_start(const at::RecordFunction&) { return nullptr; }

double forward_gflops(models::SegmentationModel& model, const torch::Tensor& x) {
  conv_flops = 0;
  auto handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback(no_start, count_conv).needsInputs(true).needsOutputs(true));
  model->forward(x);
  at::removeCallback(handle);
  return conv_flops / 1e9;
}

void bm_forward(benchmark::State& state, std::string algorithm, int size, int os, std::string variant) {
  torch::manual_seed(0);
  models::ModelSpec spec;
  spec.algorithm = algorithm;
  spec.backbone = "resnet-50";
  spec.num_classes = 3;
  spec.output_stride = os;
  auto model = models::build_model(spec);
  model->eval();
  if (variant != "eager") {
    models::InferenceOptions options;
    options.channels_last = variant == "prepared";
    models::prepare_for_inference(model, options);
  }
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({1, 3, size, size});
  const double gflops = forward_gflops(model, x);  // also the warm-up forward
  for (auto _ : state) {
    auto y = model->forward(x);
    benchmark::DoNotOptimize(y.out.data_ptr<float>());
  }
  state.counters["GFLOPs/img"] = gflops;
  state.counters["GFLOP/s"] = benchmark::Counter(gflops, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_sgemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
  torch::mm_out(c, a, b);
  for (auto _ : state) {
    torch::mm_out(c, a, b);
    benchmark::DoNotOptimize(c.data_ptr<float>());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  inference::configure_torch_threads(0);
  benchmark::RegisterBenchmark("Sgemm", bm_sgemm)->Arg(2048)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
  for (const char* algorithm : {"fcn", "psp", "deeplab"})
    for (int size : {240, 512})
      for (int os : {8, 16})
        for (const char* variant : {"eager", "folded", "prepared"}) {
          const std::string name = std::string("Forward/") + algorithm + "/" + std::to_string(size) + "/os" +
                                   std::to_string(os) + "/" + variant;
          benchmark::RegisterBenchmark(name.c_str(), bm_forward, algorithm, size, os, variant)
              ->Unit(benchmark::kMillisecond)
              ->Iterations(size >= 512 ? 1 : 3)
              ->UseRealTime();
        }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
