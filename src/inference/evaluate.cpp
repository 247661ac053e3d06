// `segmaker evaluate` through the Predictor (inference/evaluate.h).
#include "inference/evaluate.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <future>
#include <limits>

#include <spdlog/spdlog.h>

#include "data/augment.h"
#include "data/dataset.h"
#include "inference/artifact.h"
#include "inference/channel_score.h"
#include "inference/engine/precision.h"
#include "inference/quality_metric.h"
#include "inference/torch_threads.h"
#include "io/error.h"
#include "io/paths.h"
#include "io/progress.h"

namespace segmaker::inference {

namespace {

// Adds one answer against its annotation (same size): the Predictor's mask, and the log of its
// probabilities for the cross-entropy.
void score(const Prediction& answer, const cv::Mat& truth, ChannelScore& tally) {
  if (answer.mask.size() != truth.size())
    throw DataError("evaluate: an answer of " + std::to_string(answer.width()) + "x" + std::to_string(answer.height()) +
                    " for an annotation of " + std::to_string(truth.cols) + "x" + std::to_string(truth.rows));
  const auto plane = [](const cv::Mat& m) {
    const cv::Mat continuous = m.isContinuous() ? m : m.clone();
    return torch::from_blob(continuous.data, {1, m.rows, m.cols}, torch::kUInt8).clone();
  };
  if (answer.probabilities.size() != static_cast<std::size_t>(answer.num_classes) * truth.total())
    throw DataError("evaluate: the answer carries no probabilities for each class and pixel");
  const torch::Tensor probabilities =
      torch::from_blob(const_cast<float*>(answer.probabilities.data()), {1, answer.num_classes, truth.rows, truth.cols});
  tally.add(plane(answer.mask), plane(truth), probabilities.clamp_min(std::numeric_limits<float>::min()).log());
}

// An integer hyperparameter of the artifact (a number or SageMaker's string form), else `fallback`.
int int_hyperparameter(const nlohmann::json& hyperparameters, const char* name, int fallback) {
  if (!hyperparameters.is_object() || !hyperparameters.contains(name)) return fallback;
  const auto& v = hyperparameters[name];
  try {
    if (v.is_number()) return static_cast<int>(v.get<double>());
    if (v.is_string()) return std::stoi(v.get<std::string>());
  } catch (const std::exception&) {
  }
  return fallback;
}

// Every image whole, as `predict --accept image/png` answers it. The next image decodes while the
// network runs on this one.
void score_full_resolution(const Predictor& predictor, const data::SegmentationDataset& dataset, ChannelScore& tally,
                           io::Progress& bar) {
  std::future<data::Sample> next = std::async(std::launch::async, [&] { return dataset.load(0); });
  for (std::size_t i = 0; i < dataset.size(); ++i) {
    const data::Sample sample = next.get();
    if (i + 1 < dataset.size()) next = std::async(std::launch::async, [&, i] { return dataset.load(i + 1); });
    score(predictor.predict(sample.image, /*probabilities=*/true), sample.mask, tally);
    bar.advance(1);
  }
}

// Training's validation transform, in batches.
void score_center_crop(const Predictor& predictor, const data::SegmentationDataset& dataset, int crop, int batch_size,
                       ChannelScore& tally, io::Progress& bar) {
  for (std::size_t first = 0; first < dataset.size(); first += static_cast<std::size_t>(batch_size)) {
    const std::size_t last = std::min(dataset.size(), first + static_cast<std::size_t>(batch_size));
    std::vector<data::Sample> samples;
    std::vector<cv::Mat> images;
    for (std::size_t i = first; i < last; ++i) {
      samples.push_back(data::transform_validation(dataset.load(i), crop));
      images.push_back(samples.back().image);
    }
    const auto answers = predictor.predict_batch(images, /*probabilities=*/true);
    for (std::size_t k = 0; k < answers.size(); ++k) score(answers[k], samples[k].mask, tally);
    bar.advance(1);
  }
}

}  // namespace

nlohmann::json evaluate_model(const EvaluateOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const int threads = inference::configure_torch_threads(options.threads);
  const ModelArtifact artifact = read_artifact(options.model);
  PredictorOptions predictor_options = options.predictor;
  int crop = 0;
  if (options.center_crop) {
    crop = options.predictor.input_size > 0 ? options.predictor.input_size : artifact.spec.input_size;
    if (crop <= 0)
      throw UserError("evaluate --center-crop: the model records no input size (crop_size); give --input-size N");
    const Precision precision = parse_precision(options.predictor.precision);
    if (precision != Precision::automatic && precision != Precision::fp32)
      throw UserError("evaluate --center-crop scores the network exactly as training validated it (fp32, batch norms "
                      "not folded), so --precision " + to_string(precision) + " cannot apply: drop --center-crop to score " +
                      to_string(precision) + " on whole images, or drop --precision");
    predictor_options.input_size = -1;          // the crop goes to the network as it is
    predictor_options.fold_batchnorm = false;   // the network exactly as training validated it
  }
  const Predictor predictor(artifact, predictor_options);
  const data::SegmentationDataset dataset(options.data_dir, options.channel, predictor.num_classes());
  if (dataset.size() == 0) throw UserError("channel '" + options.channel + "' of '" + options.data_dir.string() + "' has no images");
  const int batch_size =
      options.batch_size > 0 ? options.batch_size : int_hyperparameter(artifact.hyperparameters, "validation_mini_batch_size", 16);
  const std::string mode = options.center_crop ? "center crop " + std::to_string(crop)
                           : predictor.input_size() > 0 ? "full resolution, network short side " + std::to_string(predictor.input_size())
                                                        : "full resolution, network at each image's own size";
  spdlog::info("evaluating {} on {} images of channel '{}' ({}; precision {}, test-time augmentation {}; {} threads)",
               models::describe(predictor.spec()), dataset.size(), options.channel, mode, predictor.precision(), predictor.tta(),
               threads);

  ChannelScore tally(predictor.num_classes());
  const std::size_t steps = options.center_crop ? (dataset.size() + batch_size - 1) / batch_size : dataset.size();
  io::Progress bar("evaluate", steps, options.progress);
  const auto scoring_start = std::chrono::steady_clock::now();
  const std::clock_t scoring_cpu_start = std::clock();
  if (options.center_crop)
    score_center_crop(predictor, dataset, crop, batch_size, tally, bar);
  else
    score_full_resolution(predictor, dataset, tally, bar);
  bar.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const SegmentationMetrics m = tally.metrics();
  nlohmann::json j = to_json(m, predictor.classes());
  j["loss"] = tally.loss();
  j["images"] = tally.images;
  j["channel"] = options.channel;
  j["mode"] = options.center_crop ? "center_crop" : "full_resolution";
  j["input_size"] = options.center_crop ? crop : predictor.input_size();
  j["images_per_second"] = seconds > 0 ? tally.images / seconds : 0.0;
  j["seconds"] = seconds;  // all of it, model loading included
  // The images alone (decode, network, scoring): what test-time augmentation multiplies.
  j["scoring_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - scoring_start).count();
  // Process CPU time of the same (all threads): comparable on a machine others load.
  j["scoring_cpu_seconds"] = static_cast<double>(std::clock() - scoring_cpu_start) / CLOCKS_PER_SEC;
  j["precision"] = predictor.precision();
  j["tta"] = predictor.tta();
  print_quality_metric(options.host, 0, options.channel + " mIOU", m.miou);
  print_quality_metric(options.host, 0, options.channel + " pixel_accuracy", m.pixel_accuracy);
  for (int k = 0; k < m.num_classes; ++k) {
    const double iou = m.class_iou[static_cast<std::size_t>(k)];
    std::printf("  IoU %-20s %s\n", predictor.classes()[static_cast<std::size_t>(k)].c_str(),
                std::isnan(iou) ? "n/a" : std::to_string(iou).c_str());
  }
  std::fflush(stdout);
  if (!options.output.empty()) io::write_file_atomic(options.output, j.dump(2) + "\n");
  return j;
}

}  // namespace segmaker::inference
