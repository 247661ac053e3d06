// Forward latency of segmaker's precisions (batch 1 unless --batch): fp32 (the folded module, today's default),
// bf16 through LibTorch's CPU autocast and through bf16 weights in three memory layouts, fp32 in
// oneDNN's blocked layout, and int8 on the quantized oneDNN engine; with GFLOPs per image, achieved
// GFLOP/s and the machine's measured peak per precision (one large 1x1 convolution).
// A plain timing program (not Google Benchmark) so that bench/precision.sh can interleave it with
// the Python / ONNX Runtime references configuration by configuration and take best-of-N.
//
//   bench_precision [--algorithms fcn,psp,deeplab] [--sizes 240,512] [--strides 16,8]
//                   [--variants fp32,bf16-autocast,bf16,int8,...] [--repeats 5] [--threads 2] [--peak]
//                   [--batch 1]
// Prints one JSON object per line: {"config": "fcn/240/os16", "variant": ..., "batch", "best_ms", "median_ms",
// "best_cpu_ms" (process CPU time, all threads), "ms_per_image" (best_ms / batch), "gflops" (per image),
// "gflops_per_s"} and, with --peak, {"peak": {"fp32": GFLOP/s, "bf16": ..., "int8": GOP/s}}.
#include <torch/torch.h>

#include <ATen/autocast_mode.h>
#include <torch/version.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <sstream>

#include "inference/engine/int8_backend.h"
#include "inference/engine/precision.h"
#include "inference/engine/float_backend.h"
#include "inference/engine/precision_model.h"
#include "inference/engine/precision_network.h"
#include "inference/torch_threads.h"
#include "models/batchnorm_folding.h"
#include "models/registry.h"

namespace {

using namespace segmaker;
using inference::TensorLayout;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Timing {
  double best_ms = 0, median_ms = 0;
  double best_cpu_ms = 0;  // CPU time of the whole process (all threads): less sensitive to other load
};

double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

template <class F>
Timing time_it(F&& f, int repeats) {
  f();  // warm-up (oneDNN primitive creation, weight reorders)
  std::vector<double> ms, cpu;
  for (int i = 0; i < repeats; ++i) {
    const double c0 = process_cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    cpu.push_back(process_cpu_ms() - c0);
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2], *std::min_element(cpu.begin(), cpu.end())};
}

// LibTorch's CPU autocast to bf16 (the per-device calls replaced the CPU-specific ones in 2.4).
void set_cpu_autocast(bool enabled) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_dtype(at::kCPU, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCPU, enabled);
#else
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::set_cpu_enabled(enabled);
#endif
}

// A forward function for a variant of a freshly built model (random weights, seed 0).
std::function<torch::Tensor(const torch::Tensor&)> make_variant(const models::ModelSpec& spec, const std::string& variant,
                                                                const torch::Tensor& x) {
  torch::manual_seed(0);
  auto model = models::build_model(spec);
  if (variant == "eager") {
    model->eval();
    return [model](const torch::Tensor& in) mutable { return model->forward(in).out; };
  }
  if (variant == "fp32") {
    auto m = std::make_shared<inference::PrecisionModel>(model, inference::Precision::fp32);
    return [m](const torch::Tensor& in) { return m->forward(in); };
  }
  if (variant == "bf16-autocast") {
    models::prepare_for_inference(model);
    return [model](const torch::Tensor& in) mutable {
      set_cpu_autocast(true);
      auto y = model->forward(in).out.to(torch::kFloat32);
      set_cpu_autocast(false);
      at::autocast::clear_cache();
      return y;
    };
  }
  auto network = std::make_shared<inference::PrecisionNetwork>(model);
  std::shared_ptr<inference::NetworkBackend> backend;
  if (variant == "int8") {
    // Ranges from the model's own fp32 activations on this input (speed does not depend on them).
    auto calibration = inference::calibrate(*network, {x, torch::randn_like(x)});
    backend = std::make_shared<inference::Int8Backend>(*network, calibration);
  } else {
    // fp32-blocked, bf16 (= bf16-nchw), bf16-nhwc, bf16-blocked, fp32-nhwc
    const bool bf16 = variant.rfind("bf16", 0) == 0;
    const auto dash = variant.find('-');
    const auto layout = inference::parse_layout(dash == std::string::npos ? "nchw" : variant.substr(dash + 1));
    backend = std::make_shared<inference::FloatBackend>(*network, bf16 ? torch::kBFloat16 : torch::kFloat32, layout);
  }
  return [model, network, backend](const torch::Tensor& in) { return network->forward(in, *backend); };
}

nlohmann::json peak(int repeats) {
  // One 1x1 convolution 1024 -> 1024 channels on a 64x64 map: 8.6 GFLOP, compute bound.
  const auto x = torch::randn({1, 1024, 64, 64});
  const auto w = torch::randn({1024, 1024, 1, 1}) * 0.03;
  const auto b = torch::zeros({1024});
  const double gflop = 2.0 * 1024 * 1024 * 64 * 64 / 1e9;
  nlohmann::json j;
  j["fp32"] = gflop / time_it([&] { return torch::conv2d(x, w, b); }, repeats).best_ms * 1e3;
  const auto xb = x.to(torch::kBFloat16), wb = w.to(torch::kBFloat16), bb = b.to(torch::kBFloat16);
  j["bf16"] = gflop / time_it([&] { return torch::conv2d(xb, wb, bb); }, repeats).best_ms * 1e3;
  // int8 through the same quantized engine as the int8 model: a one-conv "network" is not needed,
  // the packed op is enough.
  at::globalContext().setQEngine(at::QEngine::ONEDNN);
  auto qx = torch::quantize_per_tensor(x.relu().contiguous(torch::MemoryFormat::ChannelsLast), 0.02, 0, torch::kQUInt8);
  auto qw = torch::quantize_per_channel(w, torch::full({1024}, 0.001, torch::kDouble), torch::zeros({1024}, torch::kLong), 0,
                                        torch::kQInt8);
  static const auto op = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::conv2d_prepack", "");
  std::vector<c10::IValue> stack{qw, b, torch::List<int64_t>({1, 1}), torch::List<int64_t>({0, 0}),
                                 torch::List<int64_t>({1, 1}), int64_t{1}};
  op.callBoxed(&stack);
  auto packed = stack.at(0).toCustomClass<ConvPackedParamsBase<2>>();
  j["int8"] = gflop / time_it([&] { return packed->apply_relu(qx, 0.05, 0); }, repeats).best_ms * 1e3;
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Forward latency of segmaker's fp32 / bf16 / int8 paths"};
  std::string algorithms = "fcn,psp,deeplab", sizes = "240,512", strides = "16,8";
  std::string variants = "fp32,bf16-autocast,bf16,bf16-nhwc,bf16-blocked,fp32-blocked,int8";
  int repeats = 5, threads = 2, batch = 1;
  bool with_peak = false;
  app.add_option("--algorithms", algorithms);
  app.add_option("--sizes", sizes);
  app.add_option("--strides", strides);
  app.add_option("--variants", variants);
  app.add_option("--repeats", repeats);
  app.add_option("--threads", threads);
  app.add_option("--batch", batch, "Images per forward pass")->check(CLI::Range(1, 64));
  app.add_flag("--peak", with_peak, "Measure the 1x1-convolution peak per precision first");
  CLI11_PARSE(app, argc, argv);

  inference::configure_torch_threads(threads);
  c10::InferenceMode guard;
  const auto cpu = inference::detect_cpu_features();
  std::cout << nlohmann::json{{"cpu_isa", cpu.isa}, {"threads", threads}, {"torch", TORCH_VERSION}}.dump() << std::endl;
  if (with_peak) std::cout << nlohmann::json{{"peak", peak(repeats)}}.dump() << std::endl;

  for (const auto& algorithm : split(algorithms == "none" ? "" : algorithms))
    for (const auto& size_text : split(sizes))
      for (const auto& stride_text : split(strides)) {
        models::ModelSpec spec;
        spec.algorithm = algorithm;
        spec.backbone = "resnet-50";
        spec.num_classes = 3;
        spec.output_stride = std::stoi(stride_text);
        const int64_t size = std::stoi(size_text);
        torch::manual_seed(1);
        const auto x = torch::randn({batch, 3, size, size});
        double gflops = 0;
        {
          auto model = models::build_model(spec);
          inference::PrecisionNetwork network(model);
          gflops = network.conv_flops(size, size) / 1e9;
        }
        const std::string config = algorithm + "/" + size_text + "/os" + stride_text;
        for (const auto& variant : split(variants)) {
          auto forward = make_variant(spec, variant, x);
          const Timing t = time_it([&] { return forward(x); }, repeats);
          std::cout << nlohmann::json{{"config", config},         {"variant", variant},
                                      {"batch", batch},           {"best_ms", t.best_ms},
                                      {"median_ms", t.median_ms}, {"best_cpu_ms", t.best_cpu_ms},
                                      {"ms_per_image", t.best_ms / batch},
                                      {"gflops", gflops},         {"gflops_per_s", gflops * batch / t.best_ms * 1e3}}
                           .dump()
                    << std::endl;
        }
      }
  return 0;
}
