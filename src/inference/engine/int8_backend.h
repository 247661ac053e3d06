#pragma once
// Post-training static int8 quantization of PrecisionNetwork on LibTorch's oneDNN quantized
// engine (VNNI on AVX-512 CPUs), built from the registered quantized ops FX quantization uses:
// conv weights quantized per output channel (symmetric qint8, BN already folded), activations
// uint8 per tensor with the calibrated ranges, convolutions with fused ReLU, quantized residual
// add + ReLU, max pool / adaptive pool / bilinear resize on quantized tensors, and the PSP / ASPP
// concatenations as plain copies (their inputs are quantized with the concatenation's range). The
// classifier's last 1x1 convolution runs in fp32 on the dequantized features (negligible cost, keeps
// the logits exact to the features), as does the logits resize. Convolutions named in
// Int8Options::float_layers run in fp32 (dequantized input, output quantized again): what
// bench_precision_accuracy measures when it asks which layers int8 rounding hurts (BENCHMARKS.md
// "int8 agreement").
#include <torch/torch.h>

#include <ATen/native/quantized/PackedParams.h>

#include <map>
#include <set>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "inference/engine/calibration.h"
#include "inference/engine/precision_network.h"

namespace segmaker::inference {

struct Int8Options {
  // Convolutions (by layer name) that run in fp32 between int8 neighbours.
  std::set<std::string> float_layers;
};

class Int8Backend : public NetworkBackend {
 public:
  using Packed = c10::intrusive_ptr<ConvPackedParamsBase<2>>;

  // Quantizes and prepacks every convolution. Selects LibTorch's oneDNN quantized engine (a
  // process-wide LibTorch setting; segmaker uses no other). UserError when the calibration lacks a
  // point of this network (it was made for another model), a float layer is not in the network, or
  // the engine is missing.
  Int8Backend(const PrecisionNetwork& network, const Calibration& calibration, const Int8Options& options = {});

  torch::Tensor input(const torch::Tensor& x) override;
  torch::Tensor conv(const ConvLayer& layer, const torch::Tensor& x) override;
  torch::Tensor add_relu(const std::string& name, const torch::Tensor& a, const torch::Tensor& b) override;
  torch::Tensor cat(const std::string& name, const std::vector<torch::Tensor>& xs) override;
  torch::Tensor logits(const ConvLayer& layer, const torch::Tensor& x) override;
  torch::Tensor max_pool(const torch::Tensor& x) override;
  torch::Tensor adaptive_avg_pool(const torch::Tensor& x, int64_t bins) override;
  torch::Tensor resize(const torch::Tensor& x, int64_t height, int64_t width) override;

 private:
  const QuantParams& params(const std::string& name) const;

  // LibTorch 1.13's oneDNN quantized convolution fixes its packed weight's blocked layout on the first
  // input it sees; an input of another size that wants another layout then fails ("could not create a
  // primitive descriptor for a reorder primitive"). So each convolution keeps up to kMaxCopies packed
  // copies, one per layout its inputs needed, made on demand from the quantized weight, and remembers
  // which copy fits each input size it has seen (up to kMaxSizes): only a size seen the first time
  // tries copies (and their failures); every later input of that size finds its copy at once.
  static constexpr std::size_t kMaxCopies = 4;
  static constexpr std::size_t kMaxSizes = 64;
  using InputSize = std::pair<int64_t, int64_t>;  // height, width
  struct LayerPacks {
    std::vector<Packed> copies;             // most recently made last
    std::map<InputSize, Packed> by_size;    // the copy that ran each input size
  };
  Packed pack(const ConvLayer& layer) const;
  // Records that `packed` runs inputs of `size` (and keeps it among the copies when it is new).
  void remember(int index, const InputSize& size, const Packed& packed, bool is_new_copy);

  torch::Tensor float_conv(const ConvLayer& layer, const torch::Tensor& x);

  std::map<std::string, QuantParams> params_;
  std::vector<bool> is_float_;                   // by ConvLayer::index: runs in fp32
  std::vector<torch::Tensor> qweights_;          // by ConvLayer::index (undefined: fp32 layers)
  std::vector<torch::Tensor> biases_;
  std::vector<LayerPacks> packed_;               // by ConvLayer::index
  mutable std::shared_mutex packed_mutex_;       // forward() runs on several threads
};

}  // namespace segmaker::inference
