// `segmaker evaluate` scores exactly what `segmaker predict --accept image/png` writes, at full
// resolution (issue 13, defect 1: it used to score its own centre crops with its own model).
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include <nlohmann/json.hpp>

#include "data/image_io.h"
#include "inference/artifact.h"
#include "inference/evaluate.h"
#include "inference/metrics.h"
#include "io/error.h"
#include "io/paths.h"
#include "support/test_util.h"
#include "support/tiny_model.h"

namespace segmaker::inference {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A validation channel of images whose sizes differ from each other and from the network's input,
// with masks of classes 0..2 and some ignore pixels.
void write_channel(const fs::path& root) {
  fs::create_directories(root / "validation");
  fs::create_directories(root / "validation_annotation");
  const std::vector<cv::Size> sizes{{70, 50}, {45, 61}, {96, 40}, {33, 33}};
  cv::RNG rng(11);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    cv::Mat image(sizes[i], CV_8UC3), mask(sizes[i], CV_8UC1);
    rng.fill(image, cv::RNG::UNIFORM, 0, 256);
    rng.fill(mask, cv::RNG::UNIFORM, 0, 3);
    mask(cv::Rect(0, 0, 5, 5)).setTo(255);
    const std::string name = "pair_" + std::to_string(i);
    io::write_file_atomic(root / "validation" / (name + ".png"), data::encode_png(image));
    io::write_file_atomic(root / "validation_annotation" / (name + ".png"), data::encode_png(mask));
  }
}

TEST(Evaluate, ScoresExactlyWhatPredictWritesAtFullResolution) {
  test::TempDir dir;
  write_channel(dir / "data");
  write_artifact(dir / "model.tar.gz", test::tiny_artifact(3, 32));
  ASSERT_EQ(test::run_cli("--threads 2 predict --model '" + (dir / "model.tar.gz").string() + "' --input '" +
                              (dir / "data" / "validation").string() + "' --output '" + (dir / "answers").string() +
                              "' --accept image/png",
                          dir / "predict.log"),
            0)
      << io::read_file(dir / "predict.log");
  ASSERT_EQ(test::run_cli("--threads 2 evaluate --model '" + (dir / "model.tar.gz").string() + "' --data '" +
                              (dir / "data").string() + "' --output '" + (dir / "eval.json").string() + "' --no-progress",
                          dir / "evaluate.log"),
            0)
      << io::read_file(dir / "evaluate.log");

  // The confusion matrix of the answer files against the annotations, pixel by pixel.
  ConfusionMatrix expected(3);
  std::int64_t pixels = 0;
  for (const auto& annotation : io::list_files(dir / "data" / "validation_annotation", {".png"})) {
    const cv::Mat truth = data::read_mask(annotation.string());
    const cv::Mat answer = data::read_mask((dir / "answers" / annotation.filename()).string());
    ASSERT_EQ(answer.size(), truth.size()) << annotation;
    std::vector<std::int64_t> t(truth.begin<std::uint8_t>(), truth.end<std::uint8_t>());
    std::vector<std::int64_t> p(answer.begin<std::uint8_t>(), answer.end<std::uint8_t>());
    expected.update(p.data(), t.data(), t.size());
    pixels += static_cast<std::int64_t>(t.size());
  }
  const json metrics = json::parse(io::read_file(dir / "eval.json"));
  EXPECT_EQ(metrics["mode"], "full_resolution");
  EXPECT_EQ(metrics["images"], 4);
  EXPECT_EQ(metrics["confusion_matrix"], to_json(compute_metrics(expected))["confusion_matrix"]);
  EXPECT_DOUBLE_EQ(metrics["mIOU"].get<double>(), compute_metrics(expected).miou);
  EXPECT_EQ(expected.total(), pixels - 4 * 25);  // every pixel but the ignore corner, at full resolution
  EXPECT_GT(metrics["loss"].get<double>(), 0.0);
}

TEST(Evaluate, CenterCropScoresTrainingsValidationCrops) {
  test::TempDir dir;
  write_channel(dir / "data");
  write_artifact(dir / "model.tar.gz", test::tiny_artifact(3, 32));
  EvaluateOptions o;
  o.model = dir / "model.tar.gz";
  o.data_dir = dir / "data";
  o.progress = false;
  o.threads = 2;
  o.center_crop = true;
  const json crops = evaluate_model(o);
  EXPECT_EQ(crops["mode"], "center_crop");
  EXPECT_EQ(crops["input_size"], 32);
  std::int64_t total = 0;
  for (const auto& row : crops["confusion_matrix"])
    for (const auto& v : row) total += v.get<std::int64_t>();
  EXPECT_LE(total, 4 * 32 * 32);  // 32×32 crops (less their ignore pixels)
  EXPECT_GT(total, 4 * 32 * 32 - 4 * 25);
  o.predictor.precision = "bf16";  // the crops run the unfolded fp32 network: a clear error, nothing scored
  try {
    evaluate_model(o);
    ADD_FAILURE() << "--center-crop with --precision bf16 was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("drop --center-crop"), std::string::npos) << e.what();
  }
  o.predictor.precision = "fp32";
  o.center_crop = false;
  o.predictor.input_size = -1;  // --full-size: the network at each image's own size
  EXPECT_EQ(evaluate_model(o)["input_size"], 0);
}

}  // namespace
}  // namespace segmaker::inference
