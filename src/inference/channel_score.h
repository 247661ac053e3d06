#pragma once
// Scoring a channel: the one place a model's answers meet the annotations. Training's validation
// pass, `segmaker evaluate` and the fp32 / bf16 / int8 comparison add their batches here and read
// the same confusion matrix (inference/metrics.h) and mean pixel cross-entropy.
#include <cstddef>

#include <torch/torch.h>

#include "inference/metrics.h"

namespace segmaker::inference {

struct ChannelScore {
  explicit ChannelScore(int num_classes) : confusion(num_classes) {}

  ConfusionMatrix confusion;
  // Cross-entropy summed over the non-ignored pixels of the batches that came with scores, and
  // those pixels: the mean is independent of the batching, so shards scored apart add up.
  double loss_sum = 0;
  double pixels = 0;
  std::size_t images = 0;

  // One batch: class ids `predicted` [N, H, W] against `masks` [N, H, W] (255 = ignore; any other
  // id outside the classes is a DataError). With `scores` [N, C, H, W] (logits, or log-probabilities)
  // their cross-entropy against the masks is added too.
  void add(const torch::Tensor& predicted, const torch::Tensor& masks, const torch::Tensor& scores = {});
  // The answer is the argmax of the logits.
  void add_logits(const torch::Tensor& logits, const torch::Tensor& masks);

  // Mean cross-entropy per scored pixel (0 when none was scored).
  double loss() const { return pixels > 0 ? loss_sum / pixels : 0.0; }
  SegmentationMetrics metrics() const { return compute_metrics(confusion); }
};

}  // namespace segmaker::inference
