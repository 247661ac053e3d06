#include "models/registry.h"

#include "io/error.h"

namespace segmaker::models {

SegmentationModel build_model(const ModelSpec& spec) {
  validate(spec);
  return SegmentationModel(spec);
}

ResNetClassifier build_resnet_classifier(const std::string& backbone, int num_classes, bool stride_in_1x1) {
  if (num_classes < 1) throw UserError("num_classes must be at least 1, got " + std::to_string(num_classes));
  ResNetOptions options;
  options.backbone = backbone;
  options.stride_in_1x1 = stride_in_1x1;
  return ResNetClassifier(options, num_classes);
}

}  // namespace segmaker::models
