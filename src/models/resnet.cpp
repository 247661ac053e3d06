#include "models/resnet.h"

#include "io/error.h"

namespace segmaker::models {

namespace nn = torch::nn;

namespace {

nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride, int64_t dilation) {
  return nn::Conv2d(
      nn::Conv2dOptions(in, out, 3).stride(stride).padding(dilation).dilation(dilation).bias(false));
}

nn::Conv2d conv1x1(int64_t in, int64_t out, int64_t stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

}  // namespace

ResNetLayout resnet_layout(const std::string& backbone) {
  std::string key = backbone;
  if (key.rfind("resnet-", 0) == 0) key.erase(6, 1);
  if (key == "resnet18") return {"resnet-18", {2, 2, 2, 2}, false};
  if (key == "resnet34") return {"resnet-34", {3, 4, 6, 3}, false};
  if (key == "resnet50") return {"resnet-50", {3, 4, 6, 3}, true};
  if (key == "resnet101") return {"resnet-101", {3, 4, 23, 3}, true};
  throw UserError("backbone must be one of resnet-18, resnet-34, resnet-50, resnet-101, got \"" + backbone + "\"");
}

std::array<bool, 3> dilation_for_output_stride(int output_stride) {
  switch (output_stride) {
    case 8: return {false, true, true};
    case 16: return {false, false, true};
    case 32: return {false, false, false};
    default: throw UserError("output_stride must be one of 8, 16, 32, got " + std::to_string(output_stride));
  }
}

// --- Downsample ---------------------------------------------------------------------------

DownsampleImpl::DownsampleImpl(int64_t in_channels, int64_t out_channels, int64_t stride) {
  conv_ = register_module("0", conv1x1(in_channels, out_channels, stride));
  bn_ = register_module("1", nn::BatchNorm2d(out_channels));
}

torch::Tensor DownsampleImpl::forward(const torch::Tensor& x) { return conv_bn(x, conv_, bn_, bn_sync()); }

void DownsampleImpl::fold_batchnorm() { fold_conv_bn(*this, "0", conv_, "1", bn_); }

// --- BasicBlock ---------------------------------------------------------------------------

BasicBlockImpl::BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation,
                               bool with_downsample) {
  conv1 = register_module("conv1", conv3x3(inplanes, planes, stride, dilation));
  bn1 = register_module("bn1", nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", conv3x3(planes, planes, 1, dilation));
  bn2 = register_module("bn2", nn::BatchNorm2d(planes));
  if (with_downsample) downsample = register_module("downsample", Downsample(inplanes, planes, stride));
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  auto out = conv_bn(x, conv1, bn1, bn_sync()).relu_();
  out = conv_bn(out, conv2, bn2, bn_sync());
  out += downsample.is_empty() ? x : downsample(x);
  return out.relu_();
}

void BasicBlockImpl::fold_batchnorm() {
  fold_conv_bn(*this, "conv1", conv1, "bn1", bn1);
  fold_conv_bn(*this, "conv2", conv2, "bn2", bn2);
}

// --- Bottleneck ---------------------------------------------------------------------------

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride, int64_t dilation,
                               bool with_downsample, bool stride_in_1x1) {
  const int64_t stride_1x1 = stride_in_1x1 ? stride : 1;
  const int64_t stride_3x3 = stride_in_1x1 ? 1 : stride;
  conv1 = register_module("conv1", conv1x1(inplanes, planes, stride_1x1));
  bn1 = register_module("bn1", nn::BatchNorm2d(planes));
  conv2 = register_module("conv2", conv3x3(planes, planes, stride_3x3, dilation));
  bn2 = register_module("bn2", nn::BatchNorm2d(planes));
  conv3 = register_module("conv3", conv1x1(planes, planes * 4, 1));
  bn3 = register_module("bn3", nn::BatchNorm2d(planes * 4));
  if (with_downsample) downsample = register_module("downsample", Downsample(inplanes, planes * 4, stride));
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto out = conv_bn(x, conv1, bn1, bn_sync()).relu_();
  out = conv_bn(out, conv2, bn2, bn_sync()).relu_();
  out = conv_bn(out, conv3, bn3, bn_sync());
  out += downsample.is_empty() ? x : downsample(x);
  return out.relu_();
}

void BottleneckImpl::fold_batchnorm() {
  fold_conv_bn(*this, "conv1", conv1, "bn1", bn1);
  fold_conv_bn(*this, "conv2", conv2, "bn2", bn2);
  fold_conv_bn(*this, "conv3", conv3, "bn3", bn3);
}

// --- ResNet -------------------------------------------------------------------------------

ResNetImpl::ResNetImpl(const ResNetOptions& options) : options_(options), layout_(resnet_layout(options.backbone)) {
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(3, 64, 7).stride(2).padding(3).bias(false)));
  bn1 = register_module("bn1", nn::BatchNorm2d(64));
  const auto& dil = options_.replace_stride_with_dilation;
  register_module("layer1", make_layer(64, layout_.blocks[0], 1, false, layers_[0]));
  register_module("layer2", make_layer(128, layout_.blocks[1], 2, dil[0], layers_[1]));
  register_module("layer3", make_layer(256, layout_.blocks[2], 2, dil[1], layers_[2]));
  register_module("layer4", make_layer(512, layout_.blocks[3], 2, dil[2], layers_[3]));
  init_resnet_weights(*this);
}

nn::ModuleList ResNetImpl::make_layer(int64_t planes, int blocks, int64_t stride, bool dilate,
                                      std::vector<std::shared_ptr<ResidualBlockImpl>>& out) {
  const int64_t previous_dilation = dilation_;
  if (dilate) {
    dilation_ *= stride;
    stride = 1;
  }
  const int64_t expansion = layout_.expansion();
  const bool with_downsample = stride != 1 || inplanes_ != planes * expansion;
  auto make_block = [&](int64_t inplanes, int64_t block_stride, int64_t dilation,
                        bool downsample) -> std::shared_ptr<ResidualBlockImpl> {
    if (layout_.bottleneck)
      return std::make_shared<BottleneckImpl>(inplanes, planes, block_stride, dilation, downsample,
                                              options_.stride_in_1x1);
    return std::make_shared<BasicBlockImpl>(inplanes, planes, block_stride, dilation, downsample);
  };
  nn::ModuleList list;
  out.push_back(make_block(inplanes_, stride, previous_dilation, with_downsample));
  inplanes_ = planes * expansion;
  for (int i = 1; i < blocks; ++i) out.push_back(make_block(inplanes_, 1, dilation_, false));
  for (auto& block : out) list->push_back(block);
  return list;
}

ResNetFeatures ResNetImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 3, "ResNet expects an [N, 3, H, W] tensor, got ", x.sizes());
  auto y = conv_bn(x, conv1, bn1, bn_sync()).relu_();
  y = torch::max_pool2d(y, 3, 2, 1);
  ResNetFeatures f;
  torch::Tensor* outs[4] = {&f.layer1, &f.layer2, &f.layer3, &f.layer4};
  for (size_t stage = 0; stage < layers_.size(); ++stage) {
    for (auto& block : layers_[stage]) y = block->forward(y);
    *outs[stage] = y;
  }
  return f;
}

void ResNetImpl::fold_batchnorm() { fold_conv_bn(*this, "conv1", conv1, "bn1", bn1); }

// --- classifier ---------------------------------------------------------------------------

ResNetClassifierImpl::ResNetClassifierImpl(const ResNetOptions& options, int64_t num_classes)
    : ResNetImpl(options) {
  TORCH_CHECK(num_classes >= 1, "num_classes must be >= 1, got ", num_classes);
  fc = register_module("fc", nn::Linear(layer4_channels(), num_classes));
}

torch::Tensor ResNetClassifierImpl::forward(const torch::Tensor& x) {
  auto f = ResNetImpl::forward(x);
  return fc(torch::flatten(torch::adaptive_avg_pool2d(f.layer4, {1, 1}), 1));
}

}  // namespace segmaker::models
