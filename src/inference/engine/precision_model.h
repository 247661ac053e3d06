#pragma once
// A segmentation model ready to run in one precision: fp32 (the folded LibTorch module), bf16
// (PrecisionNetwork with bf16 weights through oneDNN) or int8 (PrecisionNetwork on the quantized
// oneDNN engine with the artifact's calibration). forward() always takes fp32 images and gives fp32
// logits at the input size, so softmax / argmax and everything after stay fp32. The one object the
// Predictor keeps per model.
#include <torch/torch.h>

#include <memory>

#include "inference/engine/calibration.h"
#include "inference/engine/int8_backend.h"
#include "inference/engine/precision.h"
#include "inference/engine/float_backend.h"
#include "inference/engine/precision_network.h"
#include "models/segmentation_model.h"

namespace segmaker::inference {

// bf16's memory layout, chosen by bench/bench_precision (BENCHMARKS.md "Precision"): oneDNN's blocked
// layout with the weights reordered once was the fastest bf16 variant in all but one loaded cell; bf16
// NCHW / channels-last tensors make LibTorch 1.13 reorder weights and activations on every call.
constexpr TensorLayout kDefaultBf16Layout = TensorLayout::blocked;

class PrecisionModel {
 public:
  // Takes `model` over (eval, aux dropped, batch norm folded). `precision` must be fp32, bf16 or
  // int8 (resolve `auto` with choose_precision first); int8 needs `calibration`.
  // `fold_batchnorm` false keeps the batch norms (fp32 only). `int8` chooses the layers int8 keeps in fp32.
  PrecisionModel(models::SegmentationModel model, Precision precision, const Calibration* calibration = nullptr,
                 TensorLayout bf16_layout = kDefaultBf16Layout, bool fold_batchnorm = true, const Int8Options& int8 = {});
  ~PrecisionModel();

  Precision precision() const { return precision_; }
  const PrecisionNetwork& network() const { return *network_; }

  // x: [N, 3, H, W] fp32 preprocessed images → logits [N, C, H, W] fp32. Thread-safe.
  torch::Tensor forward(const torch::Tensor& x) const;

 private:
  mutable models::SegmentationModel model_;  // eval-mode forward does not change it
  Precision precision_;
  std::unique_ptr<PrecisionNetwork> network_;
  std::unique_ptr<NetworkBackend> backend_;
};

// Runs the fp32 network over `batches` (preprocessed images, any sizes) and records every
// activation point's range: the int8 calibration of `network`. `method`: "mse" or "minmax"
// (RangeObserver).
Calibration calibrate(const PrecisionNetwork& network, const std::vector<torch::Tensor>& batches,
                      const std::string& method = "mse");

}  // namespace segmaker::inference
