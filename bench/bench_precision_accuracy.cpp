// fp32 / bf16 / int8 of one trained model side by side on a labelled channel: validation mIOU,
// pixel accuracy, the share of pixels whose class equals fp32's, and forward ms per image. int8 is
// calibrated on --samples crops of --calibration-channel first (as segmaker quantize does).
//
//   bench_precision_accuracy --model model.tar.gz --data DATA [--channel validation]
//       [--calibration-channel train] [--samples 200] [--crop-size N] [--threads 2] [--method mse|minmax]
//       [--int8-float-layers none backbone.conv1 backbone.conv1+classifier.0 ...]
// Prints a markdown table and one JSON line per precision.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>

#include "inference/engine/precision_model.h"
#include "inference/quantize.h"
#include "inference/torch_threads.h"
#include "models/registry.h"
#include "models/weights.h"
#include "inference/artifact.h"
#include "inference/artifact_network.h"

using namespace segmaker;

int main(int argc, char** argv) {
  CLI::App app{"fp32 / bf16 / int8 of a trained model side by side"};
  std::string model_path, data_dir, channel = "validation", calibration_channel = "train", method = "mse";
  int samples = 200, crop_size = 0, threads = 2;
  app.add_option("--model", model_path)->required();
  app.add_option("--data", data_dir)->required();
  app.add_option("--channel", channel);
  app.add_option("--calibration-channel", calibration_channel);
  app.add_option("--samples", samples);
  app.add_option("--crop-size", crop_size, "0 = the model's crop_size");
  app.add_option("--threads", threads);
  app.add_option("--method", method, "Calibration: mse or minmax");
  std::vector<std::string> int8_variants{"none"};
  app.add_option("--int8-float-layers", int8_variants,
                 "One int8 model per value: the layers it keeps in fp32, '+'-joined ('none': every convolution in int8, "
                 "segmaker's int8)");
  CLI11_PARSE(app, argc, argv);
  inference::configure_torch_threads(threads);

  const auto artifact = inference::read_artifact(model_path);
  if (crop_size <= 0) crop_size = artifact.spec.input_size > 0 ? artifact.spec.input_size : 240;
  const auto& spec = artifact.spec;

  inference::ChannelOptions calib;
  calib.data_dir = data_dir;
  calib.channel = calibration_channel;
  calib.samples = samples;
  calib.crop_size = crop_size;
  calib.workers = threads;
  calib.method = method;
  auto fresh_model = [&] { return inference::build_network(artifact, "model artifact weights"); };
  auto t0 = std::chrono::steady_clock::now();
  inference::Calibration calibration;
  {
    auto model = fresh_model();
    inference::PrecisionNetwork network(model);
    calibration = inference::calibrate_on_channel(network, spec.preprocessing, calib);
  }
  std::cerr << "calibrated on " << calibration.samples << " crops of '" << calibration_channel << "' in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";

  std::vector<std::unique_ptr<inference::PrecisionModel>> models;
  std::vector<std::string> names{"fp32", "bf16"};
  models.push_back(std::make_unique<inference::PrecisionModel>(fresh_model(), inference::Precision::fp32));
  models.push_back(std::make_unique<inference::PrecisionModel>(fresh_model(), inference::Precision::bf16));
  for (const auto& variant : int8_variants) {  // the layers each int8 variant keeps in fp32
    inference::Int8Options options;
    options.float_layers.clear();
    for (std::size_t start = 0; variant != "none" && start <= variant.size();) {
      const auto end = std::min(variant.find('+', start), variant.size());
      options.float_layers.insert(variant.substr(start, end - start));
      start = end + 1;
    }
    names.push_back(variant == "none" ? "int8" : "int8 (fp32: " + variant + ")");
    models.push_back(std::make_unique<inference::PrecisionModel>(fresh_model(), inference::Precision::int8, &calibration,
                                                                 inference::kDefaultBf16Layout, true, options));
  }

  std::vector<const inference::PrecisionModel*> pointers;
  for (const auto& m : models) pointers.push_back(m.get());
  inference::ChannelOptions evaluation = calib;
  evaluation.channel = channel;
  evaluation.samples = 0;
  const auto scores = inference::compare_precisions(pointers, spec.preprocessing, spec.num_classes, evaluation);
  std::cout << inference::precision_table(scores, channel, names);
  for (std::size_t m = 0; m < scores.size(); ++m) {
    const auto& s = scores[m];
    const auto spread = inference::agreement_spread(s.image_agreement);
    std::cerr << nlohmann::json{{"precision", names[m]}, {"miou", s.miou}, {"pixel_accuracy", s.pixel_accuracy},
                                {"agreement", s.agreement_with_first}, {"agreement_min", spread.min},
                                {"agreement_p05", spread.p05}, {"agreement_median", spread.median},
                                {"image_agreement", s.image_agreement}, {"ms_per_image", s.ms_per_image}, {"images", s.images}}
                     .dump()
              << "\n";
  }
  return 0;
}
