#include "train/evaluate.h"

#include <cmath>
#include <cstdio>
#include <memory>

#include <spdlog/spdlog.h>

#include "data/dataset.h"
#include "data/loader.h"
#include "io/error.h"
#include "io/paths.h"
#include "io/threads.h"
#include "models/registry.h"
#include "models/weights.h"
#include "train/artifact.h"
#include "train/device.h"
#include "train/validation.h"

namespace segmaker::train {

nlohmann::json evaluate_model(const EvaluateOptions& options) {
  const int threads = io::configure_torch_threads(options.threads);
  const torch::Device device = resolve_device(options.device);
  ModelArtifact artifact = read_artifact(options.model);
  models::ModelSpec spec = artifact.spec;
  spec.aux = false;
  models::SegmentationModel model = models::build_model(spec);
  models::LoadOptions load;
  load.what = "model '" + options.model.string() + "'";
  models::load_weights_from_bytes(*model, artifact.weights, load);
  model->to(device);

  auto dataset = std::make_shared<data::SegmentationDataset>(options.data_dir, options.channel, spec.num_classes);
  if (dataset->size() == 0) throw UserError("channel '" + options.channel + "' of '" + options.data_dir.string() + "' has no images");
  data::LoaderOptions lo;
  lo.shuffle = false;
  lo.drop_last = false;
  lo.workers = threads;
  if (options.full_size) {
    lo.mode = data::LoaderMode::Full;
    lo.batch_size = 1;
  } else {
    lo.mode = data::LoaderMode::Validation;
    lo.crop_size = artifact.hyperparameters.value("crop_size", 240);
    lo.batch_size = options.batch_size > 0 ? options.batch_size : artifact.hyperparameters.value("validation_mini_batch_size", 16);
  }
  data::DataLoader loader(dataset, spec.preprocessing, lo);
  spdlog::info("evaluating {} on {} images of channel '{}' ({})", models::describe(spec), dataset->size(), options.channel,
               options.full_size ? "full size" : "crop " + std::to_string(lo.crop_size));
  ValidationPass pass = run_validation(model, loader, spec.num_classes, device, options.progress);
  SegmentationMetrics m = compute_metrics(pass.confusion);
  nlohmann::json j = to_json(m, artifact.classes);
  j["loss"] = pass.loss;
  j["images"] = pass.images;
  j["channel"] = options.channel;
  j["images_per_second"] = pass.seconds > 0 ? pass.images / pass.seconds : 0.0;
  std::printf("#quality_metric: host=%s, %s mIOU <score>=%.6f\n", options.host.c_str(), options.channel.c_str(), m.miou);
  std::printf("#quality_metric: host=%s, %s pixel_accuracy <score>=%.6f\n", options.host.c_str(), options.channel.c_str(),
              m.pixel_accuracy);
  for (int k = 0; k < m.num_classes; ++k)
    std::printf("  IoU %-20s %s\n", artifact.classes[static_cast<std::size_t>(k)].c_str(),
                std::isnan(m.class_iou[static_cast<std::size_t>(k)]) ? "n/a" : std::to_string(m.class_iou[static_cast<std::size_t>(k)]).c_str());
  std::fflush(stdout);
  if (!options.output.empty()) io::write_file_atomic(options.output, j.dump(2) + "\n");
  return j;
}

}  // namespace segmaker::train
