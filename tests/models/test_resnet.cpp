// ResNet trunks and classifiers: torchvision parameter counts and names, strides, dilation.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include "count_parameters.h"
#include "io/error.h"
#include "models/registry.h"
#include "models/resnet.h"

namespace segmaker::models {
namespace {

using test::count_parameters;

TEST(ResNet, ClassifierParameterCountsMatchTorchvision) {
  // torchvision.models.resnetXX(): sum(p.numel() for p in m.parameters())
  EXPECT_EQ(count_parameters(*build_resnet_classifier("resnet-18")), 11689512);
  EXPECT_EQ(count_parameters(*build_resnet_classifier("resnet-34")), 21797672);
  EXPECT_EQ(count_parameters(*build_resnet_classifier("resnet-50")), 25557032);
  EXPECT_EQ(count_parameters(*build_resnet_classifier("resnet101")), 44549160);
  // Stride placement does not change the parameter count.
  EXPECT_EQ(count_parameters(*build_resnet_classifier("resnet-50", 1000, true)), 25557032);
}

TEST(ResNet, ClassifierUsesTorchvisionNames) {
  auto model = build_resnet_classifier("resnet-50", 10);
  auto params = model->named_parameters();
  auto buffers = model->named_buffers();
  for (const char* name : {"conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight", "layer1.0.bn3.bias",
                           "layer1.0.downsample.0.weight", "layer1.0.downsample.1.weight", "layer4.2.conv3.weight",
                           "fc.weight", "fc.bias"})
    EXPECT_TRUE(params.contains(name)) << name;
  for (const char* name : {"bn1.running_mean", "bn1.running_var", "layer2.0.downsample.1.running_var"})
    EXPECT_TRUE(buffers.contains(name)) << name;
  EXPECT_FALSE(params.contains("layer1.1.downsample.0.weight"));
  EXPECT_EQ(params["fc.weight"].sizes(), torch::IntArrayRef({10, 2048}));
  // torchvision has 161 parameter tensors in resnet50.
  EXPECT_EQ(params.size(), 161u);
}

TEST(ResNet, ClassifierForwardShape) {
  torch::NoGradGuard no_grad;
  auto model = build_resnet_classifier("resnet-18", 7);
  model->eval();
  auto y = model->forward(torch::randn({2, 3, 45, 61}));
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 7}));
}

TEST(ResNet, OutputStrideFromDilation) {
  torch::NoGradGuard no_grad;
  for (int os : {8, 16, 32}) {
    for (const char* name : {"resnet-18", "resnet-50"}) {
      ResNetOptions options;
      options.backbone = name;
      options.replace_stride_with_dilation = dilation_for_output_stride(os);
      ResNet net(options);
      net->eval();
      auto f = net->forward(torch::randn({1, 3, 64, 96}));
      EXPECT_EQ(f.layer1.size(2), 16) << name;
      EXPECT_EQ(f.layer4.size(2), 64 / os) << name << " os " << os;
      EXPECT_EQ(f.layer4.size(3), 96 / os) << name << " os " << os;
      EXPECT_EQ(f.layer3.size(1), net->layer3_channels());
      EXPECT_EQ(f.layer4.size(1), net->layer4_channels());
    }
  }
}

int64_t conv_stride(torch::nn::Module& net, const std::string& name) {
  for (auto& m : net.named_modules())
    if (m.key() == name) return m.value()->as<torch::nn::Conv2d>()->options.stride()->at(0);
  ADD_FAILURE() << "no module " << name;
  return -1;
}

TEST(ResNet, StrideIn1x1MovesTheStride) {
  ResNetOptions v1;
  v1.stride_in_1x1 = true;
  ResNet a(v1), b(ResNetOptions{});
  EXPECT_EQ(conv_stride(*a, "layer2.0.conv1"), 2);
  EXPECT_EQ(conv_stride(*a, "layer2.0.conv2"), 1);
  EXPECT_EQ(conv_stride(*b, "layer2.0.conv1"), 1);
  EXPECT_EQ(conv_stride(*b, "layer2.0.conv2"), 2);
  EXPECT_EQ(conv_stride(*a, "layer2.0.downsample.0"), 2);
}

TEST(ResNet, RejectsUnknownBackbone) {
  EXPECT_THROW(build_resnet_classifier("resnet-152"), UserError);
  EXPECT_THROW(dilation_for_output_stride(4), UserError);
}

}  // namespace
}  // namespace segmaker::models
