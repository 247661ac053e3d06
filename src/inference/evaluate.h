#pragma once
// `segmaker evaluate`: a model artifact against a channel of a prepared data folder, with the same
// metrics as training (confusion matrix over the whole channel, ignore pixels excluded), computed
// from the Predictor's answers: what evaluate scores is what the endpoint and batch transform return.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "inference/predictor.h"

namespace segmaker::inference {

struct EvaluateOptions {
  std::filesystem::path model;      // model.tar.gz or an unpacked model folder
  std::filesystem::path data_dir;   // channel layout (segmaker prepare)
  std::string channel = "validation";
  std::filesystem::path output;     // metrics JSON file; empty = do not write
  // Device and network input size, as for `predict` and `serve` (input_size -1: each image at its
  // own size; 0: the model's input size).
  PredictorOptions predictor;
  // false (default): every image whole, answered exactly as `segmaker predict --accept image/png`
  // and the endpoint answer it (resized for the network, logits resized back), scored against the
  // full-resolution annotation.
  // true: training's validation transform (short side → the model's input size, centre crop), the
  // network at the crop's size, unfolded BatchNorm, batches of batch_size: the figures training
  // reported as validation:mIOU.
  bool center_crop = false;
  int batch_size = 0;               // center_crop: 0 = the artifact's validation_mini_batch_size
  int threads = 0;
  bool progress = true;
  std::string host = "algo-1";
};

// Returns the metrics JSON (mIOU, pixel_accuracy, per_class_iou, confusion_matrix, classes, loss,
// images, channel, mode, input_size) and prints SageMaker-style metric lines to stdout.
nlohmann::json evaluate_model(const EvaluateOptions& options);

}  // namespace segmaker::inference
