// Test-time augmentation in the Predictor (--tta none|flip|multiscale): flip averages the image's and
// its mirror's probabilities; a mirror-symmetric model on a mirror-symmetric image gains nothing from
// it; multiscale answers at the image's size with probabilities summing to 1, in every precision.
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/core.hpp>

#include "inference/engine/precision.h"
#include "inference/engine/precision_model.h"
#include "inference/predictor.h"
#include "inference/tta.h"
#include "io/error.h"
#include "models/registry.h"
#include "models/weights.h"
#include "support/random_image.h"
#include "support/tiny_model.h"

namespace segmaker::inference {
namespace {

using test::random_image;

PredictorOptions with_tta(const std::string& tta, const std::string& precision = "fp32", int input_size = 0) {
  PredictorOptions o;
  o.tta = tta;
  o.precision = precision;
  o.input_size = input_size;
  return o;
}

float largest_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0;
  for (std::size_t k = 0; k < a.size() && k < b.size(); ++k) worst = std::max(worst, std::abs(a[k] - b[k]));
  return worst;
}

// [C, H, W] probabilities mirrored left-right.
std::vector<float> mirrored(const std::vector<float>& p, int classes, int h, int w) {
  std::vector<float> out(p.size());
  for (int c = 0; c < classes; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) out[(c * h + y) * w + x] = p[(c * h + y) * w + (w - 1 - x)];
  return out;
}

// The tiny artifact with every convolution kernel made mirror-symmetric (w = (w + mirror(w)) / 2):
// the network then commutes with mirroring on inputs whose width stays odd through every stride.
ModelArtifact mirror_symmetric_artifact() {
  ModelArtifact a = test::tiny_artifact(3, 64);
  auto model = models::build_model(a.spec);
  models::load_weights_from_bytes(*model, a.weights);
  torch::NoGradGuard no_grad;
  for (auto& p : model->parameters())
    if (p.dim() == 4) p.copy_((p + p.flip({3})) / 2);
  a.weights = models::weights_to_bytes(*model);
  return a;
}

TEST(Tta, ModesAndTheirViews) {
  EXPECT_EQ(parse_tta("none"), Tta::none);
  EXPECT_EQ(parse_tta("Flip"), Tta::flip);
  EXPECT_EQ(parse_tta("multiscale"), Tta::multiscale);
  EXPECT_THROW(parse_tta("rotate"), UserError);
  EXPECT_EQ(tta_views(Tta::none).size(), 1u);
  EXPECT_EQ(tta_views(Tta::flip).size(), 2u);
  ASSERT_EQ(tta_views(Tta::multiscale).size(), 12u);  // GluonCV MultiEvalModel: 6 scales, each mirrored
  double scales = 0;
  for (const auto& v : tta_views(Tta::multiscale)) scales += v.scale;
  EXPECT_DOUBLE_EQ(scales, 2 * (0.5 + 0.75 + 1.0 + 1.25 + 1.5 + 1.75));
  const ModelArtifact a = test::tiny_artifact(3, 64);
  try {
    Predictor p(a, with_tta("sideways"));
    ADD_FAILURE() << "an unknown --tta was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("none, flip, multiscale"), std::string::npos) << e.what();
  }
}

// flip = the mean of the image's probabilities and the mirrored probabilities of the mirrored image.
TEST(Tta, FlipAveragesTheImageAndItsMirror) {
  const ModelArtifact a = test::tiny_artifact(3, 64);
  const Predictor none(a), flip(a, with_tta("flip"));
  EXPECT_EQ(flip.tta(), "flip");
  const cv::Mat image = random_image(80, 64, 21);  // the network size itself: no resize
  cv::Mat mirror;
  cv::flip(image, mirror, 1);
  const auto p = none.predict(image, true), q = none.predict(mirror, true), f = flip.predict(image, true);
  const auto q_back = mirrored(q.probabilities, 3, 64, 80);
  std::vector<float> mean(p.probabilities.size());
  for (std::size_t k = 0; k < mean.size(); ++k) mean[k] = (p.probabilities[k] + q_back[k]) / 2;
  EXPECT_LT(largest_difference(f.probabilities, mean), 1e-5f);
  EXPECT_GT(largest_difference(f.probabilities, p.probabilities), 1e-3f);  // a random model is not symmetric
}

TEST(Tta, FlipOfAMirrorSymmetricInputEqualsNoTta) {
  const ModelArtifact a = mirror_symmetric_artifact();
  // Width and height 65: odd at every stride-2 step (65 → 33 → 17 → 9), so sampling stays symmetric.
  const Predictor none(a, with_tta("none", "fp32", -1)), flip(a, with_tta("flip", "fp32", -1));
  cv::Mat image = random_image(65, 65, 4);
  cv::Mat left = image(cv::Rect(0, 0, 32, 65)), right;
  cv::flip(left, right, 1);
  right.copyTo(image(cv::Rect(33, 0, 32, 65)));  // mirror-symmetric around column 32
  const auto p = none.predict(image, true), f = flip.predict(image, true);
  EXPECT_LT(largest_difference(f.probabilities, p.probabilities), 1e-5f);
  EXPECT_EQ(cv::countNonZero(f.mask != p.mask), 0);
}

TEST(Tta, MultiscaleAnswersAtTheImageSizeWithProbabilitiesSummingToOneInEveryPrecision) {
  ModelArtifact a = test::tiny_artifact(3, 64);
  const CpuFeatures cpu = detect_cpu_features();
  std::vector<std::string> precisions{"fp32"};
  if (cpu.bf16) precisions.push_back("bf16");
  if (cpu.vnni) {
    auto model = models::build_model(a.spec);
    models::load_weights_from_bytes(*model, a.weights);
    PrecisionNetwork network(model);
    a.calibration = to_json(calibrate(network, {torch::randn({2, 3, 64, 80})}));
    precisions.push_back("int8");
  }
  const std::vector<cv::Mat> images{random_image(90, 70, 1), random_image(100, 78, 2)};  // both 80x64 networks
  for (const auto& precision : precisions) {
    SCOPED_TRACE(precision);
    const Predictor p(a, with_tta("multiscale", precision));
    EXPECT_EQ(p.precision(), precision);
    std::vector<Prediction> batch;
    try {
      batch = p.predict_batch(images, true);
    } catch (const std::exception& e) {
      FAIL() << precision << ": " << e.what();
    }
    for (std::size_t n = 0; n < images.size(); ++n) {
      const Prediction& answer = batch[n];
      const cv::Size size = images[n].size();
      ASSERT_EQ(answer.mask.size(), size);
      ASSERT_EQ(answer.probabilities.size(), static_cast<std::size_t>(3 * size.area()));
      const std::size_t plane = static_cast<std::size_t>(size.area());
      for (std::size_t i = 0; i < plane; ++i) {
        const float x = answer.probabilities[i], y = answer.probabilities[plane + i], z = answer.probabilities[2 * plane + i];
        ASSERT_NEAR(x + y + z, 1.0f, 1e-5f) << precision;
        ASSERT_EQ(answer.mask.data[i], (x >= y && x >= z) ? 0 : (y >= z ? 1 : 2)) << precision << " pixel " << i;
      }
      const auto single = p.predict(images[n], true);
      EXPECT_LT(largest_difference(single.probabilities, answer.probabilities), 1e-3f) << precision;
    }
  }
}

// LibTorch 1.13's oneDNN int8 convolution fixes a packed weight's layout on its first input; the
// scales of --tta multiscale (and images of other aspect ratios) then failed with "could not create a
// primitive descriptor for a reorder primitive". One Predictor now answers every size in turn, as a
// fresh one does.
TEST(Tta, Int8AnswersEverySizeInTurnAsAFreshPredictorDoes) {
  if (!detect_cpu_features().vnni) GTEST_SKIP() << "no VNNI: int8 is refused on this CPU";
  ModelArtifact a = test::tiny_artifact(3, 64);
  auto model = models::build_model(a.spec);
  models::load_weights_from_bytes(*model, a.weights);
  PrecisionNetwork network(model);
  a.calibration = to_json(calibrate(network, {torch::randn({2, 3, 64, 80})}));
  PredictorOptions o;
  o.precision = "int8";
  o.input_size = -1;  // the image's own size is the network's
  const Predictor shared(a, o);
  for (const int side : {32, 64, 128, 64, 32, 48}) {
    SCOPED_TRACE(side);
    const cv::Mat image = random_image(side + 8, side, side);
    std::vector<Prediction> answers;
    ASSERT_NO_THROW(answers = shared.predict_batch({image, image}, true));
    const auto fresh = Predictor(a, o).predict(image, true);
    EXPECT_LT(largest_difference(answers[0].probabilities, fresh.probabilities), 1e-5f);
  }
}

}  // namespace
}  // namespace segmaker::inference
