#pragma once
// ResNet-18/34/50/101 in torchvision's layout, so that state dicts map 1:1 onto torchvision names
// (`conv1.weight`, `bn1.*`, `layer1.0.conv1.weight`, `layer1.0.downsample.0.weight`, `fc.*`).
// Dilation replaces the stride of layer2/3/4 on request (torchvision's replace_stride_with_dilation),
// which gives output stride 8 or 16 for segmentation. Bottleneck blocks put the stride on the 3x3
// conv (torchvision "v1.5") or on the first 1x1 conv (original / Keras "v1", `stride_in_1x1`).
#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "models/conv_bn.h"

namespace segmaker::models {

// Depth-dependent layout of a ResNet.
struct ResNetLayout {
  std::string name;                 // canonical "resnet-50" spelling
  std::array<int, 4> blocks{};      // residual blocks per stage
  bool bottleneck = false;          // Bottleneck (expansion 4) or BasicBlock (expansion 1)
  int64_t expansion() const { return bottleneck ? 4 : 1; }
};

// Accepts "resnet-50" (SageMaker's spelling) and "resnet50". Throws UserError otherwise.
ResNetLayout resnet_layout(const std::string& backbone);

// The replace_stride_with_dilation flags (layer2, layer3, layer4) for an output stride of 8, 16 or 32.
std::array<bool, 3> dilation_for_output_stride(int output_stride);

// Common interface of BasicBlock and Bottleneck.
class ResidualBlockImpl : public torch::nn::Module, public BatchNormFoldable {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

// The 1x1 projection shortcut: children "0" (conv) and "1" (BN), as torchvision's Sequential.
class DownsampleImpl : public torch::nn::Module, public BatchNormFoldable {
 public:
  DownsampleImpl(int64_t in_channels, int64_t out_channels, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  void fold_batchnorm() override;

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(Downsample);

class BasicBlockImpl : public ResidualBlockImpl {
 public:
  BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation, bool downsample);
  torch::Tensor forward(const torch::Tensor& x) override;
  void fold_batchnorm() override;

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  Downsample downsample{nullptr};
};

class BottleneckImpl : public ResidualBlockImpl {
 public:
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation, bool downsample,
                 bool stride_in_1x1);
  torch::Tensor forward(const torch::Tensor& x) override;
  void fold_batchnorm() override;

 private:
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  Downsample downsample{nullptr};
};

// Feature maps of the four stages (layer1 at stride 4; the others at 8/16/32 unless dilated).
struct ResNetFeatures {
  torch::Tensor layer1, layer2, layer3, layer4;
};

struct ResNetOptions {
  std::string backbone = "resnet-50";
  std::array<bool, 3> replace_stride_with_dilation{false, false, false};  // layer2, layer3, layer4
  bool stride_in_1x1 = false;
};

// The ResNet trunk without the classifier: conv1, bn1, (relu, maxpool), layer1..layer4.
class ResNetImpl : public torch::nn::Module, public BatchNormFoldable {
 public:
  explicit ResNetImpl(const ResNetOptions& options);
  ResNetFeatures forward(const torch::Tensor& x);
  void fold_batchnorm() override;

  const ResNetLayout& layout() const { return layout_; }
  const ResNetOptions& options() const { return options_; }
  // Channels of layer3 / layer4 outputs (1024 / 2048 for resnet-50, 256 / 512 for resnet-18).
  int64_t layer3_channels() const { return 256 * layout_.expansion(); }
  int64_t layer4_channels() const { return 512 * layout_.expansion(); }

 private:
  torch::nn::ModuleList make_layer(int64_t planes, int blocks, int64_t stride, bool dilate,
                                   std::vector<std::shared_ptr<ResidualBlockImpl>>& out);

  ResNetOptions options_;
  ResNetLayout layout_;
  int64_t inplanes_ = 64;
  int64_t dilation_ = 1;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  std::array<std::vector<std::shared_ptr<ResidualBlockImpl>>, 4> layers_;
};
TORCH_MODULE(ResNet);

// ResNet image classifier: the trunk plus global average pooling and `fc` (torchvision names).
class ResNetClassifierImpl : public ResNetImpl {
 public:
  ResNetClassifierImpl(const ResNetOptions& options, int64_t num_classes);
  // Logits [N, num_classes].
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNetClassifier);

}  // namespace segmaker::models
