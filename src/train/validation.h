#pragma once
// One pass of a model over a validation loader: the confusion matrix over the whole set and the
// mean pixel cross-entropy. Shared by the trainer (after every epoch) and `segmaker evaluate`.
#include <torch/torch.h>

#include "data/loader.h"
#include "models/segmentation_model.h"
#include "inference/metrics.h"

namespace segmaker::train {

struct ValidationPass {
  inference::ConfusionMatrix confusion;
  // Mean cross-entropy per non-ignored pixel over the whole set (independent of the batching, so
  // that shards of it on several ranks add up to the same number): loss_sum / pixels.
  double loss = 0;
  double loss_sum = 0;
  double pixels = 0;
  std::size_t images = 0;
  double seconds = 0;
};

// Puts the model in eval mode, runs every batch of `loader` (epoch 0) without gradients.
ValidationPass run_validation(models::SegmentationModel& model, data::DataLoader& loader, int num_classes,
                              const torch::Device& device, bool progress);

}  // namespace segmaker::train
