#pragma once
// The data side of int8: calibrating a network on images of a data channel (a few hundred
// training crops). `segmaker quantize` and bench/bench_precision_accuracy are built on it.
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "data/preprocessing.h"
#include "inference/calibration.h"
#include "inference/precision_network.h"

namespace segmaker::inference {

struct ChannelOptions {
  std::filesystem::path data_dir;  // a prepared folder (segmaker prepare)
  std::string channel = "train";
  int samples = 0;                 // images to use; 0 = all of the channel
  int crop_size = 240;             // validation transform: short side -> crop_size, centre crop
  int batch_size = 8;
  int workers = 2;                 // decoding threads
  std::uint64_t seed = 0;          // which images, when `samples` is less than the channel
};

// The fp32 ranges of every activation point over `options.samples` images of the channel.
// UserError when the channel has no images.
Calibration calibrate_on_channel(const PrecisionNetwork& network, const data::Preprocessing& preprocessing,
                                 const ChannelOptions& options);

}  // namespace segmaker::inference
