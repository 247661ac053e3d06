#pragma once
// A frozen backbone (freeze_backbone = True) computed like inference, not like training: its weights
// never change and its batch norms stay in eval mode, so it is a fixed function of the image. This
// keeps a copy of it with the batch norms folded into the convolutions and the weights converted
// once -- bf16 in oneDNN's blocked layout, the inference engine's fastest bf16 path
// (inference/engine/float_backend.h) -- instead of autocast re-casting 23 M frozen weights to bf16 on
// every step and LibTorch 1.13 reordering each plain bf16 weight and activation on every convolution.
// The features come back dense (bf16 NCHW) for the heads, which train under autocast.
#include <memory>

#include <torch/torch.h>

#include "models/resnet.h"
#include "models/segmentation_model.h"

namespace segmaker::inference {
class PrecisionNetwork;
class FloatBackend;
}  // namespace segmaker::inference

namespace segmaker::train {

class FrozenBackbone {
 public:
  // Copies `model`'s current backbone weights (CPU only; dtype kBFloat16 or kFloat).
  FrozenBackbone(models::SegmentationModel& model, torch::ScalarType dtype);
  ~FrozenBackbone();
  FrozenBackbone(const FrozenBackbone&) = delete;
  FrozenBackbone& operator=(const FrozenBackbone&) = delete;

  // x: [N, 3, H, W] fp32 preprocessed images → layer4 (and layer3 when `with_layer3`, for the
  // auxiliary head) in the dtype, dense NCHW, without autograd history.
  models::ResNetFeatures forward(const torch::Tensor& x, bool with_layer3) const;

 private:
  models::SegmentationModel copy_{nullptr};
  std::unique_ptr<inference::PrecisionNetwork> network_;
  std::unique_ptr<inference::FloatBackend> backend_;
};

}  // namespace segmaker::train
