#pragma once
// Segmentation heads in torchvision's layout (so parameter names match torchvision's
// segmentation models): FCN, DeepLabV3 (ASPP) and PSP (pyramid pooling, bins 1/2/3/6).
// Each head maps a feature map [N, C, h, w] to logits [N, classes, h, w]; the model upsamples.
// Any h and w >= 1 work (pooling bins larger than the map are fine for adaptive pooling).
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "models/conv_bn.h"

namespace segmaker::models {

class SegmentationHeadImpl : public torch::nn::Module, public BatchNormFoldable {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

// conv (no bias) + BN + ReLU, registered as children "<first>" and "<first + 1>" so that a
// preceding parameter-free module (pooling) keeps torchvision's indices.
class ConvBnReluImpl : public torch::nn::Module, public BatchNormFoldable {
 public:
  ConvBnReluImpl(int64_t in, int64_t out, int64_t kernel, int64_t dilation = 1, int first_index = 0);
  torch::Tensor forward(const torch::Tensor& x);
  void fold_batchnorm() override;

 private:
  std::string conv_name_, bn_name_;
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(ConvBnRelu);

// torchvision FCNHead: 0 conv3x3 (in -> in/4), 1 BN, 2 ReLU, 3 Dropout(0.1), 4 conv1x1 (-> classes).
class FCNHeadImpl : public SegmentationHeadImpl {
 public:
  FCNHeadImpl(int64_t in_channels, int64_t num_classes);
  torch::Tensor forward(const torch::Tensor& x) override;
  void fold_batchnorm() override;

 private:
  torch::nn::Conv2d conv_{nullptr}, out_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};

// torchvision ASPP: convs.0 1x1, convs.1-3 3x3 dilated at `rates`, convs.4 image pooling,
// all to 256 channels; project = 1x1 (5*256 -> 256) + BN + ReLU + Dropout(0.5).
class ASPPImpl : public torch::nn::Module {
 public:
  ASPPImpl(int64_t in_channels, const std::vector<int64_t>& rates, int64_t out_channels = 256);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  std::vector<ConvBnRelu> branches_;
  ConvBnRelu pooling_{nullptr}, project_{nullptr};
};
TORCH_MODULE(ASPP);

// torchvision DeepLabHead: 0 ASPP, 1 conv3x3 256->256, 2 BN, 3 ReLU, 4 conv1x1 (-> classes).
class DeepLabHeadImpl : public SegmentationHeadImpl {
 public:
  DeepLabHeadImpl(int64_t in_channels, int64_t num_classes, const std::vector<int64_t>& rates);
  torch::Tensor forward(const torch::Tensor& x) override;
  void fold_batchnorm() override;

 private:
  ASPP aspp_{nullptr};
  torch::nn::Conv2d conv_{nullptr}, out_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};

// Pyramid pooling module: for each bin b in {1, 2, 3, 6}: adaptive average pool to b x b,
// 1x1 conv to in/4 + BN + ReLU (stages.i.1 / stages.i.2), bilinear upsampling back; the input
// and the four stages are concatenated (2*in channels).
class PyramidPoolingImpl : public torch::nn::Module {
 public:
  PyramidPoolingImpl(int64_t in_channels, std::vector<int64_t> bins = {1, 2, 3, 6});
  torch::Tensor forward(const torch::Tensor& x);

 private:
  std::vector<int64_t> bins_;
  std::vector<ConvBnRelu> stages_;
};
TORCH_MODULE(PyramidPooling);

// PSPNet head: 0 pyramid pooling, 1 conv3x3 (2*in -> in/4, i.e. 512 on resnet-50/101), 2 BN,
// 3 ReLU, 4 Dropout(0.1), 5 conv1x1 (-> classes).
class PSPHeadImpl : public SegmentationHeadImpl {
 public:
  PSPHeadImpl(int64_t in_channels, int64_t num_classes);
  torch::Tensor forward(const torch::Tensor& x) override;
  void fold_batchnorm() override;

 private:
  PyramidPooling ppm_{nullptr};
  torch::nn::Conv2d conv_{nullptr}, out_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};

// ASPP dilation rates for an output stride: 12/24/36 at 8, 6/12/18 at 16, 3/6/9 at 32 -- the
// same spacing in input pixels (96/192/288) at every output stride.
std::vector<int64_t> aspp_rates_for_output_stride(int output_stride);

// Bilinear resize (align_corners = false), as torchvision's segmentation models.
torch::Tensor resize_bilinear(const torch::Tensor& x, int64_t height, int64_t width);

}  // namespace segmaker::models
