#include "models/segmentation_model.h"

namespace segmaker::models {

SegmentationModelImpl::SegmentationModelImpl(const ModelSpec& spec) : spec_(spec) {
  validate(spec_);
  ResNetOptions options;
  options.backbone = spec_.backbone;
  options.replace_stride_with_dilation = dilation_for_output_stride(spec_.output_stride);
  options.stride_in_1x1 = spec_.stride_in_1x1;
  backbone_ = register_module("backbone", ResNet(options));

  const int64_t in = backbone_->layer4_channels();
  if (spec_.algorithm == "fcn")
    classifier_ = std::make_shared<FCNHeadImpl>(in, spec_.num_classes);
  else if (spec_.algorithm == "psp")
    classifier_ = std::make_shared<PSPHeadImpl>(in, spec_.num_classes);
  else  // "deeplab" (validate() rejected anything else)
    classifier_ = std::make_shared<DeepLabHeadImpl>(in, spec_.num_classes,
                                                    aspp_rates_for_output_stride(spec_.output_stride));
  register_module("classifier", classifier_);
  if (spec_.aux) {
    aux_ = std::make_shared<FCNHeadImpl>(backbone_->layer3_channels(), spec_.num_classes);
    register_module("aux_classifier", aux_);
  }
}

SegmentationOutput SegmentationModelImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 3, "segmentation model expects an [N, 3, H, W] tensor, got ", x.sizes());
  return forward_heads(backbone_->forward(x), x.size(2), x.size(3));
}

SegmentationOutput SegmentationModelImpl::forward_heads(const ResNetFeatures& features, int64_t h, int64_t w) {
  SegmentationOutput result;
  // contiguous(): NCHW for every consumer, also when the weights are channels-last (inference.h).
  result.out = resize_bilinear(classifier_->forward(features.layer4), h, w).contiguous();
  if (aux_) result.aux = resize_bilinear(aux_->forward(features.layer3), h, w).contiguous();
  return result;
}

void SegmentationModelImpl::remove_aux() {
  if (!aux_) return;
  unregister_module("aux_classifier");
  aux_.reset();
}

}  // namespace segmaker::models
