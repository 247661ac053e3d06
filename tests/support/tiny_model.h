#pragma once
// A tiny, randomly initialised segmentation model packed as a model artifact, for protocol tests
// (the answers are deterministic functions of the weights; accuracy is not what these tests check).
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "inference/artifact.h"
#include "models/registry.h"
#include "models/weights.h"

namespace segmaker::test {

// FCN on ResNet-18, `num_classes` classes named class names "background", "cat", "dog", ...
// network input size (the training crop_size, the network's short side) `crop_size`. The same seed
// gives the same weights.
inline inference::ModelArtifact tiny_artifact(int num_classes = 3, int crop_size = 64, std::uint64_t seed = 7) {
  torch::manual_seed(seed);
  inference::ModelArtifact a;
  a.spec.algorithm = "fcn";
  a.spec.backbone = "resnet-18";
  a.spec.num_classes = num_classes;
  a.spec.output_stride = 8;
  a.spec.input_size = crop_size;
  const std::vector<std::string> names{"background", "cat", "dog", "bird", "fish"};
  for (int i = 0; i < num_classes; ++i) a.classes.push_back(i < 5 ? names[i] : "class" + std::to_string(i));
  a.hyperparameters = {{"crop_size", std::to_string(crop_size)}, {"num_classes", num_classes}};
  auto model = models::build_model(a.spec);
  // Random BN statistics, so that folding BatchNorm is exercised with non-trivial values.
  torch::NoGradGuard no_grad;
  for (auto& buffer : model->named_buffers()) {
    if (buffer.key().find("running_mean") != std::string::npos) buffer.value().normal_(0, 0.1);
    if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 1.5);
  }
  a.weights = models::weights_to_bytes(*model);
  return a;
}

}  // namespace segmaker::test
