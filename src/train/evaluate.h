#pragma once
// `segmaker evaluate`: a model artifact against a channel of a prepared data folder, with the same
// metrics as training (confusion matrix over the whole channel, ignore pixels excluded).
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace segmaker::train {

struct EvaluateOptions {
  std::filesystem::path model;      // model.tar.gz or an unpacked model folder
  std::filesystem::path data_dir;   // channel layout (segmaker prepare)
  std::string channel = "validation";
  std::filesystem::path output;     // metrics JSON file; empty = do not write
  std::string device = "cpu";
  int batch_size = 0;               // 0 = the artifact's validation_mini_batch_size
  // false: the validation transform of training (short side → crop_size, centre crop), so that the
  // figures match training's; true: every image whole at its own size (batch 1).
  bool full_size = false;
  int threads = 0;
  bool progress = true;
  std::string host = "algo-1";
};

// Returns the metrics JSON (mIOU, pixel_accuracy, per_class_iou, confusion_matrix, classes, loss,
// images, channel) and prints SageMaker-style metric lines to stdout.
nlohmann::json evaluate_model(const EvaluateOptions& options);

}  // namespace segmaker::train
