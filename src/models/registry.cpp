#include "models/registry.h"

#include "io/error.h"

namespace segmaker::models {

SegmentationModel build_model(const ModelSpec& spec) {
  validate(spec);
  return SegmentationModel(spec);
}

SegmentationModel copy_model(SegmentationModel& model, bool with_aux) {
  ModelSpec spec = model->spec();
  spec.aux = spec.aux && with_aux && model->has_aux();
  SegmentationModel copy(spec);
  torch::NoGradGuard no_grad;
  const auto parameters = model->named_parameters(/*recurse=*/true);
  const auto buffers = model->named_buffers(/*recurse=*/true);
  for (auto& item : copy->named_parameters(/*recurse=*/true)) item.value().copy_(parameters[item.key()]);
  for (auto& item : copy->named_buffers(/*recurse=*/true)) item.value().copy_(buffers[item.key()]);
  copy->to(model->parameters().front().device());
  return copy;
}

ResNetClassifier build_resnet_classifier(const std::string& backbone, int num_classes, bool stride_in_1x1) {
  if (num_classes < 1) throw UserError("num_classes must be at least 1, got " + std::to_string(num_classes));
  ResNetOptions options;
  options.backbone = backbone;
  options.stride_in_1x1 = stride_in_1x1;
  return ResNetClassifier(options, num_classes);
}

}  // namespace segmaker::models
