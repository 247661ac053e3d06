#pragma once
// One pass of a model over a validation loader: the confusion matrix over the whole set and the
// mean pixel cross-entropy, after every training epoch (on each rank's shard, then summed over the
// ranks). `segmaker evaluate` scores the Predictor's answers instead (inference/evaluate.h).
#include <functional>

#include <torch/torch.h>

#include "data/loader.h"
#include "models/segmentation_model.h"
#include "inference/channel_score.h"
#include "train/distributed/communicator.h"

namespace segmaker::train {

struct ValidationPass {
  // Confusion matrix and mean cross-entropy per non-ignored pixel over the whole set (independent of
  // the batching, so that shards of it on several ranks add up to the same number).
  inference::ChannelScore score;
  double seconds = 0;
};

// Fp32 logits [N, C, H, W] of a batch of images on the device, without gradients.
using LogitsFunction = std::function<torch::Tensor(const torch::Tensor& images)>;

// Runs every batch of `loader` (epoch 0) through `logits_of` (the model in eval mode, in the job's
// precision: train/training_forward.h).
ValidationPass run_validation(const LogitsFunction& logits_of, data::BatchSource& loader, int num_classes,
                              const torch::Device& device, bool progress);
// The same with `model` itself: eval mode, fp32.
ValidationPass run_validation(models::SegmentationModel& model, data::BatchSource& loader, int num_classes,
                              const torch::Device& device, bool progress);

// The whole set's pass from every rank's shard: confusion matrices, loss sums, pixels and images
// summed over the ranks (the pass itself in a single process). Every rank must call it.
ValidationPass sum_over_ranks(Communicator& comm, ValidationPass pass);

}  // namespace segmaker::train
