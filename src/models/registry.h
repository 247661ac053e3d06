#pragma once
// Builds networks by name: segmentation models from a ModelSpec, ResNet classifiers by backbone.
#include <torch/torch.h>

#include <string>

#include "models/model_spec.h"
#include "models/resnet.h"
#include "models/segmentation_model.h"

namespace segmaker::models {

// The segmentation network a spec describes (validated first: UserError on a bad spec), freshly
// initialised (torchvision's ResNet initialisation for the trunk, PyTorch defaults for the heads).
SegmentationModel build_model(const ModelSpec& spec);

// A new model of `model`'s spec (without the auxiliary head unless `with_aux`) holding copies of its
// parameters and buffers (no shared storage): a network to fold or convert while `model` trains on.
SegmentationModel copy_model(SegmentationModel& model, bool with_aux = false);

// A ResNet image classifier (trunk + global average pool + fc), torchvision parameter names without
// prefix (`conv1.weight`, `layer1.0.conv1.weight`, `fc.weight`). Throws UserError on a bad backbone.
ResNetClassifier build_resnet_classifier(const std::string& backbone, int num_classes = 1000,
                                         bool stride_in_1x1 = false);

}  // namespace segmaker::models
