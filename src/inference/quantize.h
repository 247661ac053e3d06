#pragma once
// `segmaker quantize`: calibrating a model's int8 activation ranges on a few hundred crops of a data
// channel, measuring fp32 / bf16 / int8 side by side on a labelled channel (mIOU, pixel accuracy,
// share of pixels whose class equals fp32's, forward time), and writing the artifact that carries the
// calibration (docs/artifact.md: calibration.json). bench/bench_precision_accuracy uses the same pieces.
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "data/preprocessing.h"
#include "inference/engine/calibration.h"
#include "inference/engine/precision.h"
#include "inference/engine/precision_model.h"
#include "inference/engine/precision_network.h"

namespace segmaker::inference {

struct ChannelOptions {
  std::filesystem::path data_dir;  // a prepared folder (segmaker prepare)
  std::string channel = "train";
  int samples = 0;                 // images to use; 0 = all of the channel
  int crop_size = 240;             // validation transform: short side -> crop_size, centre crop
  int batch_size = 8;
  int workers = 2;                 // decoding threads
  std::uint64_t seed = 0;          // which images, when `samples` is less than the channel
  std::string method = "mse";      // calibration: RangeObserver's mse | minmax
};

// The fp32 ranges of every activation point over `options.samples` images of the channel.
// UserError when the channel has no images.
Calibration calibrate_on_channel(const PrecisionNetwork& network, const data::Preprocessing& preprocessing,
                                 const ChannelOptions& options);

struct PrecisionScore {
  Precision precision = Precision::fp32;
  double miou = 0;
  double pixel_accuracy = 0;
  double agreement_with_first = 1;  // share of pixels whose class equals the first model's (fp32's)
  std::vector<double> image_agreement;  // the same share per image, in channel order
  double ms_per_image = 0;          // forward only
  std::size_t images = 0;
};

// How the per-image agreement is spread: the worst image, the 5th and 50th percentiles, the mean.
struct AgreementSpread {
  double min = 1, p05 = 1, median = 1, mean = 1;
};
AgreementSpread agreement_spread(const std::vector<double>& image_agreement);

// The side-by-side comparison as a markdown table (segmaker quantize, bench_precision_accuracy); rows
// named by `names` when given, else by their precision.
std::string precision_table(const std::vector<PrecisionScore>& scores, const std::string& channel,
                            const std::vector<std::string>& names = {});

// Every model over the same batches of the channel (validation transform); the first model is the
// reference of the agreement. Ignore labels (255) count in neither mIOU nor pixel accuracy.
std::vector<PrecisionScore> compare_precisions(const std::vector<const PrecisionModel*>& models,
                                               const data::Preprocessing& preprocessing, int num_classes,
                                               const ChannelOptions& options);

struct QuantizeOptions {
  std::filesystem::path model;                   // model.tar.gz or an unpacked model folder
  std::filesystem::path data_dir;                // prepared data folder
  std::string channel = "train";                 // calibration images
  int samples = 200;                             // calibration crops
  std::string method = "mse";                    // RangeObserver: mse | minmax
  std::string evaluation_channel = "validation"; // side-by-side report; skipped when the channel is absent
  std::filesystem::path output;                  // the calibrated model.tar.gz
  int threads = 0;
};

struct QuantizeReport {
  Calibration calibration;
  std::vector<PrecisionScore> scores;  // fp32, bf16 (when this CPU has it), int8; empty without the channel
};

// Calibrates, compares, writes `output` (the input artifact plus calibration.json and the comparison
// under metrics "precision"). UserError on bad options or a CPU without VNNI.
QuantizeReport quantize_model(const QuantizeOptions& options);

}  // namespace segmaker::inference
