#pragma once
// A segmentation network: ResNet trunk (`backbone.*`), head (`classifier.*`) and an optional
// auxiliary FCN head on layer3 (`aux_classifier.*`), named like torchvision's segmentation models.
#include <torch/torch.h>

#include <memory>

#include "models/heads.h"
#include "models/model_spec.h"
#include "models/resnet.h"

namespace segmaker::models {

struct SegmentationOutput {
  torch::Tensor out;  // logits [N, num_classes, H, W] at the input size
  torch::Tensor aux;  // same from the auxiliary head; undefined when the model has none
};

class SegmentationModelImpl : public torch::nn::Module {
 public:
  // Validates the spec (UserError). Prefer build_model() from models/registry.h.
  explicit SegmentationModelImpl(const ModelSpec& spec);

  // x: [N, 3, H, W] preprocessed images, any H, W >= 1.
  SegmentationOutput forward(const torch::Tensor& x);
  // The heads alone on backbone features computed elsewhere (layer4; layer3 for the auxiliary head),
  // logits resized to height × width: forward() = forward_heads(backbone()->forward(x), H, W).
  SegmentationOutput forward_heads(const ResNetFeatures& features, int64_t height, int64_t width);

  const ModelSpec& spec() const { return spec_; }
  ResNet& backbone() { return backbone_; }
  bool has_aux() const { return aux_ != nullptr; }
  // Drops the auxiliary head (it is only used for the training loss).
  void remove_aux();

 private:
  ModelSpec spec_;
  ResNet backbone_{nullptr};
  std::shared_ptr<SegmentationHeadImpl> classifier_;
  std::shared_ptr<FCNHeadImpl> aux_;
};
TORCH_MODULE(SegmentationModel);

}  // namespace segmaker::models
