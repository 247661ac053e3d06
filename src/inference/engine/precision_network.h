#pragma once
// The inference network as data: every convolution of a batch-norm-folded SegmentationModel,
// by its state-dict name, and the forward pass over them written once against a small backend
// interface. The fp32 backend (optionally observing activation ranges for calibration), the bf16
// backend and the int8 backend all run this same forward, so the quantization points a calibration
// observes are exactly the ones the int8 network quantizes.
//
// Activation points (names used by the calibration): "input", every convolution's output (its
// layer name, after the fused ReLU), every residual join ("backbone.layerL.B", after the ReLU), and
// the concatenations of the PSP / ASPP heads ("classifier.0.cat").
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "models/segmentation_model.h"

namespace segmaker::inference {

struct ConvLayer {
  int index = 0;                    // position in PrecisionNetwork::layers()
  std::string name;                 // "backbone.layer1.0.conv1", "classifier.4", ...
  torch::Tensor weight, bias;       // fp32, BN folded; bias always defined
  std::vector<int64_t> stride, padding, dilation;
  bool relu = false;                // followed by a ReLU (fused where the backend can)
};

// What a numeric format implements. Tensors are whatever the backend keeps (fp32, bf16, mkldnn,
// quantized); only input() takes and logits() returns fp32 NCHW.
class NetworkBackend {
 public:
  virtual ~NetworkBackend() = default;
  virtual torch::Tensor input(const torch::Tensor& x) = 0;
  virtual torch::Tensor conv(const ConvLayer& layer, const torch::Tensor& x) = 0;       // + ReLU if layer.relu
  virtual torch::Tensor add_relu(const std::string& name, const torch::Tensor& a, const torch::Tensor& b) = 0;
  virtual torch::Tensor cat(const std::string& name, const std::vector<torch::Tensor>& xs) = 0;  // channels
  // The classifier's last 1x1 convolution, computed in fp32: logits [N, C, h, w], fp32.
  virtual torch::Tensor logits(const ConvLayer& layer, const torch::Tensor& x) = 0;
  virtual torch::Tensor max_pool(const torch::Tensor& x) = 0;                          // 3x3, stride 2, pad 1
  virtual torch::Tensor adaptive_avg_pool(const torch::Tensor& x, int64_t bins) = 0;
  virtual torch::Tensor resize(const torch::Tensor& x, int64_t height, int64_t width) = 0;  // bilinear
};

class PrecisionNetwork {
 public:
  // Reads the convolutions of `model`, folding its batch norms first when it still has them
  // (the model is put in eval mode; its auxiliary head is ignored). Keeps references to the
  // model's weights, not copies.
  explicit PrecisionNetwork(models::SegmentationModel& model);

  const models::ModelSpec& spec() const { return spec_; }
  const std::vector<ConvLayer>& layers() const { return layers_; }
  // Every activation point in forward order ("input" first).
  const std::vector<std::string>& activation_names() const { return activation_names_; }
  // The activation points each concatenation joins (PSP / ASPP heads), so that a backend can give
  // them the concatenation's quantization and make the join a plain copy.
  const std::map<std::string, std::vector<std::string>>& concat_inputs() const { return concat_inputs_; }

  // x: [N, 3, H, W] fp32 → logits [N, num_classes, H, W] fp32 (the head's logits resized in fp32).
  torch::Tensor forward(const torch::Tensor& x, NetworkBackend& backend) const;

  // The backbone alone (training with a frozen backbone runs it this way): the outputs of layer3
  // (only when `with_layer3`) and layer4, in the backend's format.
  struct Features {
    torch::Tensor layer3, layer4;
  };
  Features backbone(const torch::Tensor& x, NetworkBackend& backend, bool with_layer3 = false) const;

  // Convolution FLOPs (2 per multiply-add) of one forward on an [1, 3, height, width] input.
  double conv_flops(int64_t height, int64_t width) const;

 private:
  struct Block {
    int conv1 = -1, conv2 = -1, conv3 = -1, downsample = -1;
    std::string join;  // activation name of the residual join
  };
  int add_layer(const std::string& name, bool relu);
  torch::Tensor head(const torch::Tensor& x, NetworkBackend& backend) const;

  models::ModelSpec spec_;
  std::vector<ConvLayer> layers_;
  std::vector<std::string> activation_names_;
  std::map<std::string, std::vector<std::string>> concat_inputs_;
  int stem_ = -1;
  std::vector<Block> blocks_;
  std::size_t layer3_blocks_ = 0;  // blocks_[0, layer3_blocks_) end with layer3's output
  std::vector<int> head_;   // head convolutions in forward order (meaning depends on the algorithm)
  int final_ = -1;          // the classifier's last 1x1 convolution
  // (torch::nn::Module has no const named_modules; the map is built once in the constructor)
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Conv2dImpl>>> convs_;
};

// The PSP pyramid's bins (models/heads.h).
inline const std::vector<int64_t>& psp_bins() {
  static const std::vector<int64_t> bins{1, 2, 3, 6};
  return bins;
}

}  // namespace segmaker::inference
