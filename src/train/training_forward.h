#pragma once
// The forward pass of the training steps and of validation in the job's precision (hyperparameter
// `precision`), one object the training job and bench/bench_train share:
//   fp32  the model itself, as always.
//   bf16  the forward pass and the loss under autocast (train/mixed_precision.h), fp32 master weights.
//         With freeze_backbone the frozen backbone runs from a folded bf16 copy in oneDNN's blocked
//         layout (train/frozen_backbone.h) and only the heads run under autocast. Validation runs the
//         inference engine's bf16 network (inference/engine/precision_model.h) on a copy of the weights:
//         what the endpoint answers with --precision bf16.
// Logits always come back fp32, so the loss, the argmax and the metrics are computed in fp32.
#include <memory>
#include <string>

#include <torch/torch.h>

#include "inference/engine/precision.h"
#include "models/segmentation_model.h"
#include "train/hyperparameters.h"
#include "train/loss.h"

namespace segmaker::inference {
class PrecisionModel;
}

namespace segmaker::train {

class FrozenBackbone;

class TrainingForward {
 public:
  // `model` is the job's model (shared, not copied) on `device`. UserError when the precision is
  // bf16 and the device lacks it; auto resolves as training_precision() says (train/mixed_precision.h).
  TrainingForward(models::SegmentationModel model, const Hyperparameters& h, const torch::Device& device);
  ~TrainingForward();
  TrainingForward(const TrainingForward&) = delete;
  TrainingForward& operator=(const TrainingForward&) = delete;

  bool bf16() const { return bf16_; }
  // One sentence for the log: how the steps compute.
  std::string describe() const;

  // Sets training mode (a frozen backbone stays in eval) and, for bf16 with a frozen backbone,
  // copies the backbone: call once the weights are final (after resuming and the ranks' broadcast).
  void start_training();
  // A training step's forward pass and loss (train/loss.h: cross-entropy with ignore label 255, plus
  // aux_weight × the auxiliary head's) in the job's precision, with autograd history for backward().
  LossValue train_loss(const torch::Tensor& x, const torch::Tensor& target, double aux_weight);
  // Validation: begin_validation() puts the model in eval mode (bf16: builds the bf16 network from the
  // current weights); validation_logits() then gives fp32 logits [N, C, H, W] without gradients.
  void begin_validation();
  torch::Tensor validation_logits(const torch::Tensor& x);

 private:
  models::SegmentationModel model_;
  torch::Device device_;
  inference::PrecisionChoice choice_;
  bool bf16_ = false;
  bool automatic_ = false;  // precision = auto (for the log)
  bool freeze_backbone_ = false;
  std::unique_ptr<FrozenBackbone> frozen_;
  std::unique_ptr<inference::PrecisionModel> validation_;
};

}  // namespace segmaker::train
