// fp32 / bf16 / int8 of one trained model side by side on a labelled channel: validation mIOU,
// pixel accuracy, the share of pixels whose class equals fp32's, and forward ms per image. int8 is
// calibrated on --samples crops of --calibration-channel first (as segmaker quantize does).
//
//   bench_precision_accuracy --model model.tar.gz --data DATA [--channel validation]
//       [--calibration-channel train] [--samples 200] [--crop-size N] [--threads 2] [--full-size]
// Prints a markdown table and one JSON line per precision.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>

#include "data/dataset.h"
#include "data/loader.h"
#include "inference/precision_model.h"
#include "inference/quantize.h"
#include "io/threads.h"
#include "models/registry.h"
#include "models/weights.h"
#include "inference/artifact.h"
#include "inference/metrics.h"

namespace {

using namespace segmaker;

models::SegmentationModel load_model(const inference::ModelArtifact& artifact) {
  auto spec = artifact.spec;
  spec.aux = false;
  auto model = models::build_model(spec);
  models::LoadOptions load;
  load.skip_file_prefixes = {"aux_classifier."};
  models::load_weights_from_bytes(*model, artifact.weights, load);
  return model;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fp32 / bf16 / int8 of a trained model side by side"};
  std::string model_path, data_dir, channel = "validation", calibration_channel = "train";
  int samples = 200, crop_size = 0, threads = 2;
  bool full_size = false;
  app.add_option("--model", model_path)->required();
  app.add_option("--data", data_dir)->required();
  app.add_option("--channel", channel);
  app.add_option("--calibration-channel", calibration_channel);
  app.add_option("--samples", samples);
  app.add_option("--crop-size", crop_size, "0 = the model's crop_size");
  app.add_option("--threads", threads);
  app.add_flag("--full-size", full_size, "Evaluate whole images (batch 1) instead of the validation crop");
  CLI11_PARSE(app, argc, argv);
  io::configure_torch_threads(threads);

  const auto artifact = inference::read_artifact(model_path);
  if (crop_size <= 0) crop_size = artifact.hyperparameters.value("crop_size", 240);
  const auto& spec = artifact.spec;

  inference::ChannelOptions calib;
  calib.data_dir = data_dir;
  calib.channel = calibration_channel;
  calib.samples = samples;
  calib.crop_size = crop_size;
  calib.workers = threads;
  auto t0 = std::chrono::steady_clock::now();
  inference::Calibration calibration;
  {
    auto model = load_model(artifact);
    inference::PrecisionNetwork network(model);
    calibration = inference::calibrate_on_channel(network, spec.preprocessing, calib);
  }
  std::cerr << "calibrated on " << calibration.samples << " crops of '" << calibration_channel << "' in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";

  std::vector<std::unique_ptr<inference::PrecisionModel>> models;
  models.push_back(std::make_unique<inference::PrecisionModel>(load_model(artifact), inference::Precision::fp32));
  models.push_back(std::make_unique<inference::PrecisionModel>(load_model(artifact), inference::Precision::bf16));
  models.push_back(std::make_unique<inference::PrecisionModel>(load_model(artifact), inference::Precision::int8, &calibration));

  auto dataset = std::make_shared<data::SegmentationDataset>(data_dir, channel, spec.num_classes);
  data::LoaderOptions lo;
  lo.mode = full_size ? data::LoaderMode::Full : data::LoaderMode::Validation;
  lo.crop_size = crop_size;
  lo.batch_size = full_size ? 1 : 8;
  lo.shuffle = false;
  lo.drop_last = false;
  lo.workers = threads;
  data::DataLoader loader(dataset, spec.preprocessing, lo);
  loader.start_epoch(0);

  c10::InferenceMode guard;
  std::vector<inference::ConfusionMatrix> confusion(models.size(), inference::ConfusionMatrix(spec.num_classes));
  std::vector<double> agree(models.size(), 0), seconds(models.size(), 0);
  double pixels = 0, images = 0;
  data::Batch batch;
  while (loader.next(batch)) {
    torch::Tensor reference;
    const auto target = batch.masks.contiguous();
    for (size_t m = 0; m < models.size(); ++m) {
      const auto start = std::chrono::steady_clock::now();
      const auto prediction = models[m]->forward(batch.images).argmax(1).contiguous();
      seconds[m] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (m == 0) reference = prediction;
      agree[m] += prediction.eq(reference).sum().item<double>();
      confusion[m].update(prediction.data_ptr<int64_t>(), target.data_ptr<int64_t>(), static_cast<size_t>(target.numel()));
    }
    pixels += static_cast<double>(target.numel());
    images += static_cast<double>(batch.images.size(0));
  }
  std::cout << "| precision | " << channel << " mIOU | pixel accuracy | masks = fp32 | forward ms/img |\n|---|---|---|---|---|\n";
  for (size_t m = 0; m < models.size(); ++m) {
    const auto metrics = inference::compute_metrics(confusion[m]);
    const auto name = inference::to_string(models[m]->precision());
    std::printf("| %s | %.4f | %.4f | %.2f %% | %.0f |\n", name.c_str(), metrics.miou, metrics.pixel_accuracy,
                100 * agree[m] / pixels, seconds[m] / images * 1e3);
    std::cerr << nlohmann::json{{"precision", name},           {"miou", metrics.miou},
                                {"pixel_accuracy", metrics.pixel_accuracy}, {"agreement", agree[m] / pixels},
                                {"ms_per_image", seconds[m] / images * 1e3}, {"images", images}}
                     .dump()
              << "\n";
  }
  return 0;
}
