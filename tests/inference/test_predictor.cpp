#include <gtest/gtest.h>

#include <cmath>

#include "io/error.h"
#include "inference/engine/precision.h"
#include "inference/engine/precision_model.h"
#include "inference/predictor.h"
#include "models/registry.h"
#include "models/weights.h"
#include "support/random_image.h"
#include "support/test_util.h"
#include "support/tiny_model.h"

namespace segmaker::inference {
namespace {

using test::random_image;

class PredictorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    artifact_ = new inference::ModelArtifact(test::tiny_artifact(3, 64));
    predictor_ = new Predictor(*artifact_);
  }
  static void TearDownTestSuite() {
    delete predictor_;
    delete artifact_;
  }
  static inference::ModelArtifact* artifact_;
  static Predictor* predictor_;
};
inference::ModelArtifact* PredictorTest::artifact_ = nullptr;
Predictor* PredictorTest::predictor_ = nullptr;

TEST_F(PredictorTest, MetadataFromTheArtifact) {
  EXPECT_EQ(predictor_->num_classes(), 3);
  EXPECT_EQ(predictor_->classes(), (std::vector<std::string>{"background", "cat", "dog"}));
  EXPECT_EQ(predictor_->input_size(), 64);  // the artifact's input size (its crop_size)
  EXPECT_EQ(predictor_->device(), "cpu");
}

TEST_F(PredictorTest, NetworkSizeKeepsTheAspectAtTheTrainingScale) {
  EXPECT_EQ(predictor_->network_size({500, 375}), cv::Size(80, 64));   // 85.3 → 80 (multiple of 16)
  EXPECT_EQ(predictor_->network_size({375, 500}), cv::Size(64, 80));
  EXPECT_EQ(predictor_->network_size({64, 64}), cv::Size(64, 64));
  EXPECT_EQ(predictor_->network_size({20, 10}), cv::Size(128, 64));    // small images are enlarged
  EXPECT_EQ(predictor_->network_size({1000, 100}), cv::Size(640, 64));
}

TEST_F(PredictorTest, AnswersAtTheInputSizeForAnySize) {
  for (const auto& size : {cv::Size(37, 53), cv::Size(64, 64), cv::Size(131, 29), cv::Size(1, 1)}) {
    const cv::Mat image = random_image(size.width, size.height, size.area());
    const Prediction p = predictor_->predict(image, true);
    ASSERT_EQ(p.mask.size(), size);
    ASSERT_EQ(p.mask.type(), CV_8UC1);
    ASSERT_EQ(p.num_classes, 3);
    ASSERT_EQ(p.probabilities.size(), static_cast<std::size_t>(3 * size.area()));
    const std::size_t plane = static_cast<std::size_t>(size.area());
    for (std::size_t i = 0; i < plane; ++i) {
      const float a = p.probabilities[i], b = p.probabilities[plane + i], c = p.probabilities[2 * plane + i];
      ASSERT_NEAR(a + b + c, 1.0f, 1e-5f);
      const int argmax = (a >= b && a >= c) ? 0 : (b >= c ? 1 : 2);
      ASSERT_EQ(p.mask.data[i], argmax) << "pixel " << i << " of " << size;
    }
  }
}

TEST_F(PredictorTest, NoProbabilitiesUnlessAsked) {
  const Prediction p = predictor_->predict(random_image(40, 30, 1), false);
  EXPECT_TRUE(p.probabilities.empty());
  EXPECT_EQ(p.mask.size(), cv::Size(40, 30));
}

TEST_F(PredictorTest, ABatchAnswersLikeSingleImages) {
  // Different input sizes, same network size (80x64): they may share a batch.
  const std::vector<cv::Mat> images{random_image(100, 80, 1), random_image(500, 400, 2), random_image(80, 64, 3)};
  for (const auto& im : images) ASSERT_EQ(predictor_->network_size(im.size()), cv::Size(80, 64));
  const auto batch = predictor_->predict_batch(images, true);
  ASSERT_EQ(batch.size(), 3u);
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto single = predictor_->predict(images[i], true);
    ASSERT_EQ(batch[i].mask.size(), images[i].size());
    ASSERT_EQ(batch[i].probabilities.size(), single.probabilities.size());
    float worst = 0;
    for (std::size_t k = 0; k < single.probabilities.size(); ++k)
      worst = std::max(worst, std::abs(batch[i].probabilities[k] - single.probabilities[k]));
    EXPECT_LT(worst, 1e-4f) << "image " << i;
  }
}

TEST_F(PredictorTest, BatchOfDifferentNetworkSizesIsRefused) {
  EXPECT_THROW(predictor_->predict_batch({random_image(64, 64, 1), random_image(128, 64, 2)}), UserError);
  EXPECT_THROW(predictor_->predict(cv::Mat(10, 10, CV_8UC1, cv::Scalar(0))), DataError);
  EXPECT_THROW(predictor_->predict(cv::Mat()), DataError);
}

TEST_F(PredictorTest, FoldingBatchNormKeepsTheAnswer) {
  PredictorOptions plain;
  plain.fold_batchnorm = false;
  const Predictor unfolded(*artifact_, plain);
  const cv::Mat image = random_image(70, 50, 5);
  const auto a = predictor_->predict(image, true);
  const auto b = unfolded.predict(image, true);
  float worst = 0;
  for (std::size_t k = 0; k < a.probabilities.size(); ++k)
    worst = std::max(worst, std::abs(a.probabilities[k] - b.probabilities[k]));
  EXPECT_LT(worst, 1e-3f);
}

TEST_F(PredictorTest, NativeSizeOption) {
  PredictorOptions native;
  native.input_size = -1;
  const Predictor p(*artifact_, native);
  EXPECT_EQ(p.network_size({123, 45}), cv::Size(123, 45));
  EXPECT_EQ(p.predict(random_image(123, 45, 9)).mask.size(), cv::Size(123, 45));
}

TEST_F(PredictorTest, AuxSpecWithoutAuxWeightsLoads) {
  // The trainer stores the weights without the auxiliary head; the spec may still say aux = true.
  auto with_aux = *artifact_;
  with_aux.spec.aux = true;
  const Predictor p(with_aux);
  const cv::Mat image = random_image(30, 20, 4);
  EXPECT_EQ(cv::countNonZero(p.predict(image).mask != predictor_->predict(image).mask), 0);
}

TEST_F(PredictorTest, PrecisionIsChosenAndLoggedAndUnsupportedOnesAreErrors) {
  EXPECT_EQ(predictor_->precision(), "fp32");  // the library default
  const CpuFeatures cpu = detect_cpu_features();
  PredictorOptions automatic;
  automatic.precision = "auto";
  const Predictor a(*artifact_, automatic);
  EXPECT_EQ(a.precision(), cpu.bf16 ? "bf16" : "fp32");  // not calibrated: never int8
  EXPECT_NE(a.precision_reason().find(cpu.isa), std::string::npos) << a.precision_reason();
  PredictorOptions int8;
  int8.precision = "int8";
  const std::string msg = test::message_of<UserError>([&] { Predictor p(*artifact_, int8); });
  EXPECT_NE(msg.find(cpu.vnni ? "segmaker quantize" : "VNNI"), std::string::npos) << msg;
  PredictorOptions bogus;
  bogus.precision = "fp8";
  EXPECT_THROW((Predictor{*artifact_, bogus}), UserError);
  if (!cpu.bf16) GTEST_SKIP() << "this CPU has no bf16 (" << cpu.isa << ")";
  // bf16 answers like fp32 up to bf16 rounding.
  PredictorOptions bf16;
  bf16.precision = "bf16";
  const Predictor b(*artifact_, bf16);
  const cv::Mat image = random_image(90, 70, 11);
  const auto x = predictor_->predict(image, true), y = b.predict(image, true);
  double worst = 0;
  for (std::size_t k = 0; k < x.probabilities.size(); ++k)
    worst = std::max(worst, static_cast<double>(std::abs(x.probabilities[k] - y.probabilities[k])));
  EXPECT_LT(worst, 0.05);
  EXPECT_GE(cv::countNonZero(x.mask == y.mask), image.rows * image.cols * 95 / 100);
}

TEST_F(PredictorTest, ACalibratedArtifactRunsInInt8ByDefaultOfAuto) {
  const CpuFeatures cpu = detect_cpu_features();
  if (!cpu.vnni) GTEST_SKIP() << "this CPU has no VNNI (" << cpu.isa << ")";
  auto calibrated = *artifact_;
  {
    auto model = models::build_model(artifact_->spec);
    models::load_weights_from_bytes(*model, artifact_->weights);
    PrecisionNetwork network(model);
    std::vector<torch::Tensor> batches{torch::randn({2, 3, 64, 80})};
    calibrated.calibration = to_json(calibrate(network, batches));
  }
  PredictorOptions automatic;
  automatic.precision = "auto";
  const Predictor p(calibrated, automatic);
  EXPECT_EQ(p.precision(), "int8");
  const cv::Mat image = random_image(80, 64, 12);
  EXPECT_EQ(p.predict(image).mask.size(), image.size());
}

TEST_F(PredictorTest, BadArtifactsAndDevices) {
  auto broken = *artifact_;
  broken.weights = "not a weight file";
  EXPECT_ANY_THROW(Predictor{broken});
  PredictorOptions gpu;
  gpu.device = "tpu:3";
  EXPECT_THROW((Predictor{*artifact_, gpu}), UserError);
}

}  // namespace
}  // namespace segmaker::inference
