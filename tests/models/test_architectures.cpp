// Segmentation models: torchvision parameter counts and names, every head x output stride on odd
// input sizes, batch-norm folding, the model spec.
#include <torch/torch.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "count_parameters.h"
#include "io/error.h"
#include "models/batchnorm_folding.h"
#include "models/model_spec.h"
#include "models/registry.h"

namespace segmaker::models {
namespace {

using test::count_parameters;

ModelSpec spec(const std::string& algorithm, const std::string& backbone, int classes, int os = 8, bool aux = false) {
  ModelSpec s;
  s.algorithm = algorithm;
  s.backbone = backbone;
  s.num_classes = classes;
  s.output_stride = os;
  s.aux = aux;
  return s;
}

TEST(Architectures, ParameterCountsMatchTorchvision) {
  // torchvision.models.segmentation.<name>(weights=None, weights_backbone=None, num_classes=21, aux_loss=...)
  EXPECT_EQ(count_parameters(*build_model(spec("fcn", "resnet-50", 21, 8, true))), 35322218);
  EXPECT_EQ(count_parameters(*build_model(spec("fcn", "resnet-50", 21, 8, false))), 32957013);
  EXPECT_EQ(count_parameters(*build_model(spec("deeplab", "resnet-50", 21, 8, true))), 42004074);
  EXPECT_EQ(count_parameters(*build_model(spec("deeplab", "resnet-50", 21, 16, false))), 39638869);
  EXPECT_EQ(count_parameters(*build_model(spec("fcn", "resnet-101", 21, 8, true))), 54314346);
  EXPECT_EQ(count_parameters(*build_model(spec("deeplab", "resnet-101", 21, 8, true))), 60996202);
  EXPECT_EQ(count_parameters(*build_model(spec("fcn", "resnet-50", 3, 16, false))), 32947779);
}

TEST(Architectures, PspParameterCountFollowsItsDefinition) {
  // No torchvision PSPNet: count it from the layout (trunk + 4 stages + 3x3 fuse + classifier).
  const int64_t trunk = count_parameters(*build_resnet_classifier("resnet-50", 1)) - (2048 + 1);
  const int64_t in = 2048, inter = 512, classes = 5;
  const int64_t stages = 4 * (in * inter + 2 * inter);
  const int64_t fuse = 2 * in * inter * 9 + 2 * inter;
  const int64_t out = inter * classes + classes;
  EXPECT_EQ(count_parameters(*build_model(spec("psp", "resnet-50", 5))), trunk + stages + fuse + out);
}

TEST(Architectures, TorchvisionParameterNames) {
  auto model = build_model(spec("deeplab", "resnet-50", 21, 8, true));
  auto params = model->named_parameters();
  auto buffers = model->named_buffers();
  for (const char* name :
       {"backbone.conv1.weight", "backbone.bn1.weight", "backbone.layer1.0.downsample.0.weight",
        "backbone.layer1.0.downsample.1.bias", "backbone.layer4.2.conv3.weight", "classifier.0.convs.0.0.weight",
        "classifier.0.convs.3.1.weight", "classifier.0.convs.4.1.weight", "classifier.0.convs.4.2.bias",
        "classifier.0.project.0.weight", "classifier.0.project.1.weight", "classifier.1.weight", "classifier.2.weight",
        "classifier.4.weight", "classifier.4.bias", "aux_classifier.0.weight", "aux_classifier.1.weight",
        "aux_classifier.4.weight", "aux_classifier.4.bias"})
    EXPECT_TRUE(params.contains(name)) << name;
  for (const char* name : {"backbone.bn1.running_mean", "classifier.0.convs.4.2.running_var",
                           "aux_classifier.1.num_batches_tracked"})
    EXPECT_TRUE(buffers.contains(name)) << name;
  EXPECT_FALSE(params.contains("backbone.fc.weight"));
  // torchvision's deeplabv3_resnet50(aux_loss=True) state dict has 370 entries.
  EXPECT_EQ(params.size() + buffers.size(), 370u);
}

// Every head at every output stride on sizes that are not multiples of 8, tiny ones included.
TEST(Architectures, EveryHeadAndOutputStrideOnOddSizes) {
  torch::manual_seed(0);
  const std::vector<std::pair<int64_t, int64_t>> sizes{{33, 47}, {17, 9}, {65, 40}};
  for (const auto& algorithm : supported_algorithms()) {
    for (int os : supported_output_strides()) {
      auto model = build_model(spec(algorithm, "resnet-18", 3, os, true));
      for (bool training : {true, false}) {
        model->train(training);
        for (auto [h, w] : sizes) {
          torch::Tensor x = torch::randn({training ? 2 : 1, 3, h, w});
          SegmentationOutput y;
          if (training) {
            y = model->forward(x);
          } else {
            torch::NoGradGuard no_grad;
            y = model->forward(x);
          }
          SCOPED_TRACE(algorithm + " os" + std::to_string(os) + " " + std::to_string(h) + "x" + std::to_string(w));
          EXPECT_EQ(y.out.sizes(), torch::IntArrayRef({x.size(0), 3, h, w}));
          ASSERT_TRUE(y.aux.defined());
          EXPECT_EQ(y.aux.sizes(), y.out.sizes());
          EXPECT_TRUE(torch::isfinite(y.out).all().item<bool>());
        }
      }
    }
  }
}

TEST(Architectures, TrainingWithBatchOfOneOnPooledBranches) {
  // Pooled 1x1 maps with batch 1 would make batch norm fail in training mode.
  for (const char* algorithm : {"psp", "deeplab"}) {
    auto model = build_model(spec(algorithm, "resnet-18", 2, 32));
    model->train();
    auto y = model->forward(torch::randn({1, 3, 40, 40}));
    y.out.sum().backward();
    EXPECT_TRUE(model->backbone()->named_parameters()["conv1.weight"].grad().defined()) << algorithm;
  }
}

TEST(Architectures, NoAuxHeadLeavesAuxUndefined) {
  torch::NoGradGuard no_grad;
  auto model = build_model(spec("fcn", "resnet-18", 4, 32, false));
  model->eval();
  auto y = model->forward(torch::randn({1, 3, 32, 32}));
  EXPECT_FALSE(y.aux.defined());
  EXPECT_FALSE(model->has_aux());
}

TEST(Architectures, FoldedBatchNormGivesTheSameLogits) {
  torch::manual_seed(1);
  for (const auto& algorithm : supported_algorithms()) {
    auto model = build_model(spec(algorithm, "resnet-18", 3, 16, true));
    // Non-trivial BN statistics: a few training-mode forwards update the running averages.
    model->train();
    {
      torch::NoGradGuard no_grad;
      for (int i = 0; i < 3; ++i) model->forward(torch::randn({2, 3, 48, 40}) * 2 + 0.5);
    }
    model->eval();
    torch::NoGradGuard no_grad;
    auto x = torch::randn({2, 3, 37, 51});
    auto before = model->forward(x).out;
    const auto params_before = model->parameters().size();
    prepare_for_inference(model);
    auto after = model->forward(x);
    EXPECT_FALSE(after.aux.defined()) << algorithm;
    EXPECT_TRUE(after.out.is_contiguous()) << algorithm;
    EXPECT_TRUE(model->backbone()->named_parameters()["conv1.weight"].is_contiguous());  // NCHW by default
    EXPECT_TRUE(torch::allclose(before, after.out, 1e-3, 1e-4))
        << algorithm << " max diff " << (before - after.out).abs().max().item<float>();
    InferenceOptions nhwc;
    nhwc.channels_last = true;
    prepare_for_inference(model, nhwc);  // the fold is idempotent; only the weight layout changes
    EXPECT_TRUE(model->backbone()->named_parameters()["conv1.weight"].is_contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::allclose(before, model->forward(x).out, 1e-3, 1e-4)) << algorithm << " channels-last";
    for (const auto& item : model->named_buffers()) EXPECT_EQ(item.key().find("running_"), std::string::npos) << item.key();
    EXPECT_LT(model->parameters().size(), params_before);
    fold_batchnorm(*model);  // idempotent: a second fold changes nothing
    EXPECT_TRUE(torch::allclose(before, model->forward(x).out, 1e-3, 1e-4));
  }
}

TEST(ModelSpec, JsonRoundTrip) {
  auto s = spec("psp", "resnet-101", 7, 16, true);
  s.stride_in_1x1 = true;
  s.preprocessing = data::Preprocessing::caffe();
  auto back = model_spec_from_json(to_json(s));
  EXPECT_EQ(back, s);
  // Optional fields take their defaults.
  auto minimal = model_spec_from_json(nlohmann::json{{"algorithm", "fcn"}, {"backbone", "resnet-50"}, {"num_classes", 2}});
  EXPECT_EQ(minimal.output_stride, 8);
  EXPECT_FALSE(minimal.aux);
  EXPECT_EQ(minimal.preprocessing, data::Preprocessing::imagenet());
}

TEST(ModelSpec, ValidationNamesTheField) {
  auto expect_error = [](const ModelSpec& s, const std::string& field) {
    try {
      validate(s);
      ADD_FAILURE() << "no error for " << field;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  expect_error(spec("unet", "resnet-50", 2), "algorithm");
  expect_error(spec("fcn", "resnet-152", 2), "backbone");
  expect_error(spec("fcn", "resnet-50", 0), "num_classes");
  expect_error(spec("fcn", "resnet-50", 2, 4), "output_stride");
  EXPECT_THROW(build_model(spec("psp", "vgg16", 2)), UserError);
  EXPECT_THROW(model_spec_from_json(nlohmann::json{{"algorithm", "fcn"}}), UserError);
  EXPECT_THROW(model_spec_from_json(nlohmann::json::array()), UserError);
}

}  // namespace
}  // namespace segmaker::models
