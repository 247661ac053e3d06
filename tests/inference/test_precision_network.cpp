// The precision engine on tiny random models: the fp32 PrecisionNetwork computes exactly what the
// LibTorch module computes, and bf16 (every layout) and int8 logits stay close to fp32.
// Tolerances are relative L2 errors of the logits, ||y - y_fp32|| / ||y_fp32||, 2-3x what was observed
// on these models (bf16 keeps 8 significant bits per value; int8 8 bits per activation, and the errors
// accumulate over the ~20 layers of a random network). A wrong layer (shape, scale, layout) gives
// errors of order 1. The per-point check below catches what the logits' resize could blur.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "inference/engine/int8_backend.h"
#include "inference/engine/precision.h"
#include "inference/engine/float_backend.h"
#include "inference/engine/precision_model.h"
#include "inference/engine/precision_network.h"
#include "io/error.h"
#include "models/registry.h"
#include "support/test_util.h"

namespace segmaker::inference {
namespace {

constexpr double kBf16Tolerance = 0.015;  // observed <= 0.006
constexpr double kInt8Tolerance = 0.05;    // observed <= 0.017

// A small model with non-trivial batch-norm statistics, so that folding changes every weight.
models::SegmentationModel tiny_model(const std::string& algorithm, int output_stride) {
  models::ModelSpec spec;
  spec.algorithm = algorithm;
  spec.backbone = "resnet-18";
  spec.num_classes = 4;
  spec.output_stride = output_stride;
  torch::manual_seed(7);
  auto model = models::build_model(spec);
  torch::NoGradGuard no_grad;
  for (auto& m : model->modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->running_mean.uniform_(-0.2, 0.2);
      bn->running_var.uniform_(0.5, 1.5);
      bn->weight.uniform_(0.5, 1.0);
      bn->bias.uniform_(-0.1, 0.1);
    }
  model->eval();
  return model;
}

double relative_error(const torch::Tensor& y, const torch::Tensor& reference) {
  return (y - reference).norm().item<double>() / reference.norm().item<double>();
}

double argmax_agreement(const torch::Tensor& y, const torch::Tensor& reference) {
  return y.argmax(1).eq(reference.argmax(1)).to(torch::kFloat64).mean().item<double>();
}

struct Case {
  std::string algorithm;
  int output_stride;
};

class PrecisionNetworkTest : public ::testing::TestWithParam<Case> {};

TEST_P(PrecisionNetworkTest, Fp32NetworkEqualsTheModule) {
  auto model = tiny_model(GetParam().algorithm, GetParam().output_stride);
  c10::InferenceMode guard;
  const auto x = torch::randn({2, 3, 72, 88});
  const auto reference = model->forward(x).out;  // unfolded, eval
  PrecisionNetwork network(model);                // folds
  for (auto layout : {TensorLayout::nchw, TensorLayout::nhwc, TensorLayout::blocked}) {
    FloatBackend fp32(network, torch::kFloat32, layout);
    const auto y = network.forward(x, fp32);
    ASSERT_EQ(y.sizes(), reference.sizes());
    EXPECT_LT(relative_error(y, reference), 1e-5) << to_string(layout);
  }
}

TEST_P(PrecisionNetworkTest, Bf16AndInt8LogitsStayCloseToFp32) {
  auto model = tiny_model(GetParam().algorithm, GetParam().output_stride);
  c10::InferenceMode guard;
  torch::manual_seed(3);
  const auto x = torch::randn({1, 3, 96, 80});
  PrecisionNetwork network(model);
  FloatBackend fp32(network, torch::kFloat32, TensorLayout::nchw);
  const auto reference = network.forward(x, fp32);
  for (auto layout : {TensorLayout::nchw, TensorLayout::nhwc, TensorLayout::blocked}) {
    FloatBackend bf16(network, torch::kBFloat16, layout);
    const auto y = network.forward(x, bf16);
    ASSERT_EQ(y.scalar_type(), torch::kFloat32);
    const double error = relative_error(y, reference);
    std::cout << "  bf16 " << to_string(layout) << ": relative error " << error << ", argmax agreement "
              << argmax_agreement(y, reference) << "\n";
    EXPECT_LT(error, kBf16Tolerance) << to_string(layout);
  }
  // Calibrated on other images of the same kind, as segmaker quantize does.
  const auto calibration = calibrate(network, {torch::randn({2, 3, 96, 80}), torch::randn({1, 3, 64, 112})});
  EXPECT_EQ(calibration.samples, 3);
  EXPECT_EQ(calibration.ranges.size(), network.activation_names().size());
  Int8Backend int8(network, calibration);
  const auto y = network.forward(x, int8);
  ASSERT_EQ(y.scalar_type(), torch::kFloat32);
  ASSERT_EQ(y.sizes(), reference.sizes());
  const double error = relative_error(y, reference);
  std::cout << "  int8: relative error " << error << ", argmax agreement " << argmax_agreement(y, reference) << "\n";
  EXPECT_LT(error, kInt8Tolerance);
}

INSTANTIATE_TEST_SUITE_P(Heads, PrecisionNetworkTest,
                         ::testing::Values(Case{"fcn", 8}, Case{"fcn", 16}, Case{"psp", 16}, Case{"deeplab", 8}),
                         [](const auto& info) { return info.param.algorithm + "_os" + std::to_string(info.param.output_stride); });

// Every int8 activation point has the fp32 activation's shape and stays close to it.
class PointCapture {
 public:
  std::map<std::string, torch::Tensor> seen;
};
class CapturingFloat : public FloatBackend {
 public:
  CapturingFloat(const PrecisionNetwork& n, PointCapture& c) : FloatBackend(n, torch::kFloat32, TensorLayout::nchw), c_(c) {}
  torch::Tensor conv(const ConvLayer& l, const torch::Tensor& x) override { return keep(l.name, FloatBackend::conv(l, x)); }
  torch::Tensor add_relu(const std::string& n, const torch::Tensor& a, const torch::Tensor& b) override {
    return keep(n, FloatBackend::add_relu(n, a, b));
  }

 private:
  torch::Tensor keep(const std::string& name, torch::Tensor y) {
    c_.seen[name] = y.clone();
    return y;
  }
  PointCapture& c_;
};
class CapturingInt8 : public Int8Backend {
 public:
  CapturingInt8(const PrecisionNetwork& n, const Calibration& cal, PointCapture& c) : Int8Backend(n, cal), c_(c) {}
  torch::Tensor conv(const ConvLayer& l, const torch::Tensor& x) override { return keep(l.name, Int8Backend::conv(l, x)); }
  torch::Tensor add_relu(const std::string& n, const torch::Tensor& a, const torch::Tensor& b) override {
    return keep(n, Int8Backend::add_relu(n, a, b));
  }

 private:
  torch::Tensor keep(const std::string& name, torch::Tensor y) {
    c_.seen[name] = y.dequantize().contiguous();
    return y;
  }
  PointCapture& c_;
};

TEST(Int8Backend, EveryActivationPointMatchesFp32InShapeAndStaysClose) {
  auto model = tiny_model("fcn", 8);
  c10::InferenceMode guard;
  torch::manual_seed(5);
  const auto x = torch::randn({1, 3, 75, 61});  // odd sizes: pooling and strides must round like fp32
  PrecisionNetwork network(model);
  PointCapture f, q;
  CapturingFloat fp32(network, f);
  network.forward(x, fp32);
  CapturingInt8 int8(network, calibrate(network, {x}), q);
  network.forward(x, int8);
  ASSERT_EQ(f.seen.size(), q.seen.size());
  for (const auto& [name, a] : f.seen) {
    const auto& b = q.seen.at(name);
    ASSERT_EQ(a.sizes(), b.sizes()) << name;
    EXPECT_LT(relative_error(b, a), kInt8Tolerance) << name;
  }
}

TEST(PrecisionModel, RunsEveryPrecisionAndRefusesInt8WithoutCalibration) {
  c10::InferenceMode guard;
  const auto x = torch::randn({1, 3, 64, 64});
  const auto reference = PrecisionModel(tiny_model("fcn", 16), Precision::fp32).forward(x);
  EXPECT_LT(relative_error(PrecisionModel(tiny_model("fcn", 16), Precision::bf16).forward(x), reference), kBf16Tolerance);
  EXPECT_THROW(PrecisionModel(tiny_model("fcn", 16), Precision::int8), UserError);
  auto model = tiny_model("fcn", 16);
  Calibration calibration;
  {
    PrecisionNetwork network(model);
    calibration = calibrate(network, {torch::randn({2, 3, 64, 64})});
  }
  PrecisionModel int8(model, Precision::int8, &calibration);
  EXPECT_EQ(int8.precision(), Precision::int8);
  EXPECT_LT(relative_error(int8.forward(x), reference), kInt8Tolerance);
}

TEST(Calibration, RoundTripsThroughJsonAndRejectsDamage) {
  Calibration c;
  c.samples = 12;
  c.ranges["input"] = {-2.5f, 3.0f};
  c.ranges["backbone.conv1"] = {0.0f, 7.25f};
  const auto back = calibration_from_json(nlohmann::json::parse(to_json(c).dump()));
  EXPECT_EQ(back.samples, 12);
  ASSERT_EQ(back.ranges.size(), 2u);
  EXPECT_FLOAT_EQ(back.ranges.at("input").min, -2.5f);
  EXPECT_FLOAT_EQ(back.ranges.at("backbone.conv1").max, 7.25f);

  auto j = to_json(c);
  j["ranges"]["input"] = {3.0, -2.0};
  EXPECT_NE(test::message_of<DataError>([&] { calibration_from_json(j); }).find("\"input\""), std::string::npos);
  j = to_json(c);
  j["format_version"] = 9;
  EXPECT_NE(test::message_of<DataError>([&] { calibration_from_json(j); }).find("segmaker quantize"), std::string::npos);
  EXPECT_THROW(calibration_from_json(nlohmann::json::array()), DataError);
  for (const char* key : {"format_version", "method", "samples"}) {  // a wrong type is a DataError, not a JSON error
    j = to_json(c);
    j[key] = key == std::string("method") ? nlohmann::json(5) : nlohmann::json("1");
    EXPECT_NE(test::message_of<DataError>([&] { calibration_from_json(j); }).find(key), std::string::npos) << key;
  }
}

TEST(Calibration, Uint8ParametersCoverTheRangeAndZero) {
  const auto relu = uint8_params({0.0f, 2.55f});
  EXPECT_EQ(relu.zero_point, 0);
  EXPECT_NEAR(relu.scale, 0.01, 1e-9);
  const auto signed_range = uint8_params({-1.0f, 3.0f});
  EXPECT_NEAR(signed_range.scale, 4.0 / 255, 1e-9);
  EXPECT_EQ(signed_range.zero_point, 64);
  EXPECT_GT(uint8_params({0.0f, 0.0f}).scale, 0.0);  // a dead layer still has a valid scale
}

TEST(Int8Backend, RefusesACalibrationMadeForAnotherModel) {
  auto fcn = tiny_model("fcn", 16);
  auto psp = tiny_model("psp", 16);
  c10::InferenceMode guard;
  PrecisionNetwork fcn_network(fcn), psp_network(psp);
  const auto calibration = calibrate(fcn_network, {torch::randn({1, 3, 64, 64})});
  const std::string msg = test::message_of<UserError>([&] { Int8Backend(psp_network, calibration); });
  EXPECT_NE(msg.find("does not fit"), std::string::npos) << msg;
  EXPECT_NE(msg.find("classifier.0.stages.0.1"), std::string::npos) << msg;
}

TEST(PrecisionNetwork, CountsConvolutionFlops) {
  auto model = tiny_model("fcn", 8);
  PrecisionNetwork network(model);
  // Stem alone: 64 x 3 x 7 x 7 MACs per output pixel of the 32x32 map (64x64 input, stride 2).
  const double stem = 2.0 * 64 * 3 * 49 * 32 * 32;
  const double total = network.conv_flops(64, 64);
  EXPECT_GT(total, stem);
  EXPECT_NEAR(network.conv_flops(128, 128) / total, 4.0, 0.05);  // scales with the pixels
}

}  // namespace
}  // namespace segmaker::inference
