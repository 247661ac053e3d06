// The frozen backbone through the inference engine (train/frozen_backbone.h).
#include "train/frozen_backbone.h"

#include "inference/engine/float_backend.h"
#include "inference/engine/precision_network.h"
#include "models/registry.h"

namespace segmaker::train {

namespace {

torch::Tensor dense(const torch::Tensor& x) { return x.is_mkldnn() ? x.to_dense() : x; }

}  // namespace

FrozenBackbone::FrozenBackbone(models::SegmentationModel& model, torch::ScalarType dtype) {
  copy_ = models::copy_model(model, /*with_aux=*/false);
  network_ = std::make_unique<inference::PrecisionNetwork>(copy_);  // eval, batch norms folded
  backend_ = std::make_unique<inference::FloatBackend>(*network_, dtype, inference::TensorLayout::blocked);
}

FrozenBackbone::~FrozenBackbone() = default;

models::ResNetFeatures FrozenBackbone::forward(const torch::Tensor& x, bool with_layer3) const {
  torch::NoGradGuard no_grad;
  const auto f = network_->backbone(x, *backend_, with_layer3);
  models::ResNetFeatures features;
  features.layer4 = dense(f.layer4);
  if (with_layer3) features.layer3 = dense(f.layer3);
  return features;
}

}  // namespace segmaker::train
