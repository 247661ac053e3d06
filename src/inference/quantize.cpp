// Calibration on a data channel (see quantize.h).
#include "inference/quantize.h"

#include "data/dataset.h"
#include "data/loader.h"
#include "inference/precision_float.h"
#include "io/error.h"

namespace segmaker::inference {
namespace {

std::unique_ptr<data::DataLoader> channel_loader(const data::Preprocessing& preprocessing, int num_classes,
                                                 const ChannelOptions& o, bool shuffle) {
  auto dataset = std::make_shared<data::SegmentationDataset>(o.data_dir, o.channel, num_classes);
  if (dataset->size() == 0)
    throw UserError("channel '" + o.channel + "' of '" + o.data_dir.string() + "' has no images");
  data::LoaderOptions lo;
  lo.mode = data::LoaderMode::Validation;
  lo.crop_size = o.crop_size;
  lo.batch_size = o.batch_size;
  lo.shuffle = shuffle;
  lo.seed = o.seed;
  lo.drop_last = false;
  lo.workers = std::max(1, o.workers);
  auto loader = std::make_unique<data::DataLoader>(dataset, preprocessing, lo);
  loader->start_epoch(0);
  return loader;
}

}  // namespace

Calibration calibrate_on_channel(const PrecisionNetwork& network, const data::Preprocessing& preprocessing,
                                 const ChannelOptions& options) {
  auto loader = channel_loader(preprocessing, 0, options, /*shuffle=*/true);
  c10::InferenceMode guard;
  RangeObserver observer;
  FloatBackend fp32(network, torch::kFloat32, TensorLayout::nchw, &observer);
  data::Batch batch;
  int seen = 0;
  while ((options.samples <= 0 || seen < options.samples) && loader->next(batch)) {
    auto images = batch.images;
    if (options.samples > 0 && seen + images.size(0) > options.samples) images = images.slice(0, 0, options.samples - seen);
    network.forward(images, fp32);
    seen += static_cast<int>(images.size(0));
  }
  return observer.calibration();
}

}  // namespace segmaker::inference
