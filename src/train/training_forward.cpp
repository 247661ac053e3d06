// The training steps' forward pass in the job's precision (train/training_forward.h).
#include "train/training_forward.h"

#include "inference/engine/precision_model.h"
#include "models/registry.h"
#include "train/frozen_backbone.h"
#include "train/mixed_precision.h"
#include "train/model_setup.h"

namespace segmaker::train {

TrainingForward::TrainingForward(models::SegmentationModel model, const Hyperparameters& h, const torch::Device& device)
    : model_(std::move(model)),
      device_(device),
      choice_(training_precision(h.precision, device)),  // UserError: bf16 on a CPU without it
      bf16_(choice_.precision == inference::Precision::bf16),
      automatic_(inference::parse_precision(h.precision) == inference::Precision::automatic),
      freeze_backbone_(h.freeze_backbone) {}

TrainingForward::~TrainingForward() = default;

std::string TrainingForward::describe() const {
  std::string how = "fp32";
  if (bf16_ && frozen_)
    how = "bf16 (frozen backbone: folded bf16 copy, oneDNN blocked layout; heads and loss under autocast; fp32 master weights)";
  else if (bf16_)
    how = "bf16 (autocast forward and loss, fp32 master weights and optimizer state)";
  if (!automatic_) return how;
  return how + ", " + choice_.reason;
}

void TrainingForward::start_training() {
  validation_.reset();
  set_training_mode(model_, freeze_backbone_);
  // The inference engine's blocked layout is a CPU format; on a GPU autocast covers the backbone too.
  if (bf16_ && freeze_backbone_ && !device_.is_cuda() && !frozen_)
    frozen_ = std::make_unique<FrozenBackbone>(model_, torch::kBFloat16);
}

LossValue TrainingForward::train_loss(const torch::Tensor& x, const torch::Tensor& target, double aux_weight) {
  AutocastRegion autocast(bf16_, device_);
  models::SegmentationOutput out;
  if (frozen_) {
    const models::ResNetFeatures features = frozen_->forward(x, model_->has_aux());
    out = model_->forward_heads(features, x.size(2), x.size(3));
  } else {
    out = model_->forward(x);
  }
  const torch::Tensor logits = out.out.to(torch::kFloat32);
  const torch::Tensor aux = out.aux.defined() ? out.aux.to(torch::kFloat32) : torch::Tensor();
  return segmentation_loss(logits, aux, target, aux_weight);
}

void TrainingForward::begin_validation() {
  model_->eval();
  validation_.reset();
  if (bf16_) {
    validation_ = std::make_unique<inference::PrecisionModel>(
        models::copy_model(model_), inference::Precision::bf16, nullptr,
        device_.is_cuda() ? inference::TensorLayout::nchw : inference::kDefaultBf16Layout);
  }
}

torch::Tensor TrainingForward::validation_logits(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  if (validation_) return validation_->forward(x);
  return model_->forward(x).out;
}

}  // namespace segmaker::train
