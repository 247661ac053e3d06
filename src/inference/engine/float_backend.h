#pragma once
// The floating-point backends of PrecisionNetwork: fp32 or bf16 weights, in one of three memory
// layouts (plain NCHW, channels-last, or oneDNN's blocked layout with weights reordered once), and
// an optional range observer that turns an fp32 run into an int8 calibration.
#include <torch/torch.h>

#include <map>
#include <string>

#include "inference/engine/calibration.h"
#include "inference/engine/precision_network.h"

namespace segmaker::inference {

enum class TensorLayout { nchw, nhwc, blocked };
TensorLayout parse_layout(const std::string& name);  // "nchw" | "nhwc" | "blocked"
std::string to_string(TensorLayout layout);

// Watches every activation point over the calibration images and picks its int8 range:
//   minmax: the observed minimum and maximum;
//   mse:    the clipping range whose uint8 quantization has the least squared error over the observed
//           values (a random sample of them), the same criterion as PyTorch's HistogramObserver --
//           a few outliers no longer stretch the range over all the other values.
class RangeObserver {
 public:
  explicit RangeObserver(std::string method = "mse");
  void observe(const std::string& name, const torch::Tensor& x);
  void add_samples(int n) { samples_ += n; }
  Calibration calibration() const;

 private:
  struct Seen {
    ActivationRange range;
    std::vector<torch::Tensor> sample;  // random values of every observed tensor (mse)
    int64_t sampled = 0;
  };
  std::string method_;
  std::map<std::string, Seen> seen_;
  int samples_ = 0;
  torch::Generator generator_;
};

// The [min, max] clipping range of `values` whose uint8 quantization error is least (within the
// observed range; 0 always included).
ActivationRange least_squares_range(const torch::Tensor& values);

class FloatBackend : public NetworkBackend {
 public:
  // Converts the network's weights once (dtype kFloat or kBFloat16, the layout's format).
  FloatBackend(const PrecisionNetwork& network, torch::ScalarType dtype, TensorLayout layout,
               RangeObserver* observer = nullptr);

  torch::Tensor input(const torch::Tensor& x) override;
  torch::Tensor conv(const ConvLayer& layer, const torch::Tensor& x) override;
  torch::Tensor add_relu(const std::string& name, const torch::Tensor& a, const torch::Tensor& b) override;
  torch::Tensor cat(const std::string& name, const std::vector<torch::Tensor>& xs) override;
  torch::Tensor logits(const ConvLayer& layer, const torch::Tensor& x) override;
  torch::Tensor max_pool(const torch::Tensor& x) override;
  torch::Tensor adaptive_avg_pool(const torch::Tensor& x, int64_t bins) override;
  torch::Tensor resize(const torch::Tensor& x, int64_t height, int64_t width) override;

 private:
  torch::Tensor dense(const torch::Tensor& x) const;  // out of oneDNN's blocked layout
  torch::Tensor observed(const std::string& name, torch::Tensor x);

  torch::ScalarType dtype_;
  TensorLayout layout_;
  RangeObserver* observer_;
  std::vector<torch::Tensor> weights_, biases_;  // by ConvLayer::index
};

}  // namespace segmaker::inference
