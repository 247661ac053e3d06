#include "models/heads.h"

#include "io/error.h"

namespace segmaker::models {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t dilation = 1, bool bias = false) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).padding(dilation * (kernel / 2)).dilation(dilation).bias(bias));
}

// BN that also works in training mode on a single value per channel (a 1x1 pooled map with batch
// size 1), where it falls back to the running statistics instead of failing.
torch::Tensor batch_norm(nn::BatchNorm2d& bn, const torch::Tensor& x, const BatchNormSync* sync) {
  if (bn.is_empty()) return x;
  if (bn->is_training() && x.size(0) * x.size(2) * x.size(3) == 1)
    return torch::batch_norm(x, bn->weight, bn->bias, bn->running_mean, bn->running_var, /*training=*/false,
                             bn->options.momentum().value_or(0.1), bn->options.eps(), /*cudnn_enabled=*/true);
  if (sync != nullptr && bn->is_training()) return sync->forward(x, *bn);
  return bn(x);
}

}  // namespace

torch::Tensor resize_bilinear(const torch::Tensor& x, int64_t height, int64_t width) {
  if (x.size(2) == height && x.size(3) == width) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{height, width})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

std::vector<int64_t> aspp_rates_for_output_stride(int output_stride) {
  switch (output_stride) {
    case 8: return {12, 24, 36};
    case 16: return {6, 12, 18};
    case 32: return {3, 6, 9};
    default: throw UserError("output_stride must be one of 8, 16, 32, got " + std::to_string(output_stride));
  }
}

// --- ConvBnRelu -----------------------------------------------------------------------------

ConvBnReluImpl::ConvBnReluImpl(int64_t in, int64_t out, int64_t kernel, int64_t dilation, int first_index)
    : conv_name_(std::to_string(first_index)), bn_name_(std::to_string(first_index + 1)) {
  conv_ = register_module(conv_name_, conv(in, out, kernel, dilation));
  bn_ = register_module(bn_name_, nn::BatchNorm2d(out));
}

torch::Tensor ConvBnReluImpl::forward(const torch::Tensor& x) { return batch_norm(bn_, conv_(x), bn_sync()).relu_(); }

void ConvBnReluImpl::fold_batchnorm() { fold_conv_bn(*this, conv_name_, conv_, bn_name_, bn_); }

// --- FCN ------------------------------------------------------------------------------------

FCNHeadImpl::FCNHeadImpl(int64_t in_channels, int64_t num_classes) {
  const int64_t inter = in_channels / 4;
  conv_ = register_module("0", conv(in_channels, inter, 3));
  bn_ = register_module("1", nn::BatchNorm2d(inter));
  out_ = register_module("4", conv(inter, num_classes, 1, 1, /*bias=*/true));
}

torch::Tensor FCNHeadImpl::forward(const torch::Tensor& x) {
  auto y = conv_bn(x, conv_, bn_, bn_sync()).relu_();
  return out_(torch::dropout(y, 0.1, is_training()));
}

void FCNHeadImpl::fold_batchnorm() { fold_conv_bn(*this, "0", conv_, "1", bn_); }

// --- ASPP / DeepLabV3 -----------------------------------------------------------------------

ASPPImpl::ASPPImpl(int64_t in_channels, const std::vector<int64_t>& rates, int64_t out_channels) {
  TORCH_CHECK(rates.size() == 3, "ASPP expects 3 rates, got ", rates.size());
  nn::ModuleList convs;
  branches_.push_back(ConvBnRelu(in_channels, out_channels, 1));
  for (int64_t rate : rates) branches_.push_back(ConvBnRelu(in_channels, out_channels, 3, rate));
  for (auto& b : branches_) convs->push_back(b);
  pooling_ = ConvBnRelu(in_channels, out_channels, 1, 1, /*first_index=*/1);  // 0 is the pooling
  convs->push_back(pooling_);
  register_module("convs", convs);
  project_ = register_module("project", ConvBnRelu(out_channels * 5, out_channels, 1));
}

torch::Tensor ASPPImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> outs;
  outs.reserve(branches_.size() + 1);
  for (auto& b : branches_) outs.push_back(b(x));
  auto pooled = pooling_(torch::adaptive_avg_pool2d(x, {1, 1}));
  outs.push_back(pooled.expand({-1, -1, x.size(2), x.size(3)}));
  return torch::dropout(project_(torch::cat(outs, 1)), 0.5, is_training());
}

DeepLabHeadImpl::DeepLabHeadImpl(int64_t in_channels, int64_t num_classes, const std::vector<int64_t>& rates) {
  aspp_ = register_module("0", ASPP(in_channels, rates));
  conv_ = register_module("1", conv(256, 256, 3));
  bn_ = register_module("2", nn::BatchNorm2d(256));
  out_ = register_module("4", conv(256, num_classes, 1, 1, /*bias=*/true));
}

torch::Tensor DeepLabHeadImpl::forward(const torch::Tensor& x) {
  return out_(conv_bn(aspp_(x), conv_, bn_, bn_sync()).relu_());
}

void DeepLabHeadImpl::fold_batchnorm() { fold_conv_bn(*this, "1", conv_, "2", bn_); }

// --- PSP ------------------------------------------------------------------------------------

PyramidPoolingImpl::PyramidPoolingImpl(int64_t in_channels, std::vector<int64_t> bins) : bins_(std::move(bins)) {
  nn::ModuleList stages;
  for (size_t i = 0; i < bins_.size(); ++i) {
    stages_.push_back(ConvBnRelu(in_channels, in_channels / 4, 1, 1, /*first_index=*/1));  // 0 is the pooling
    stages->push_back(stages_.back());
  }
  register_module("stages", stages);
}

torch::Tensor PyramidPoolingImpl::forward(const torch::Tensor& x) {
  const int64_t h = x.size(2), w = x.size(3);
  std::vector<torch::Tensor> outs{x};
  for (size_t i = 0; i < bins_.size(); ++i) {
    auto pooled = torch::adaptive_avg_pool2d(x, {bins_[i], bins_[i]});
    outs.push_back(resize_bilinear(stages_[i](pooled), h, w));
  }
  return torch::cat(outs, 1);
}

PSPHeadImpl::PSPHeadImpl(int64_t in_channels, int64_t num_classes) {
  const int64_t inter = in_channels / 4;
  ppm_ = register_module("0", PyramidPooling(in_channels));
  conv_ = register_module("1", conv(in_channels * 2, inter, 3));
  bn_ = register_module("2", nn::BatchNorm2d(inter));
  out_ = register_module("5", conv(inter, num_classes, 1, 1, /*bias=*/true));
}

torch::Tensor PSPHeadImpl::forward(const torch::Tensor& x) {
  auto y = conv_bn(ppm_(x), conv_, bn_, bn_sync()).relu_();
  return out_(torch::dropout(y, 0.1, is_training()));
}

void PSPHeadImpl::fold_batchnorm() { fold_conv_bn(*this, "1", conv_, "2", bn_); }

}  // namespace segmaker::models
