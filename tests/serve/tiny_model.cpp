#include "serve/tiny_model.h"

#include <torch/torch.h>

#include "models/registry.h"
#include "models/weights.h"

namespace segmaker::test {

train::ModelArtifact tiny_artifact(int num_classes, int crop_size, std::uint64_t seed) {
  torch::manual_seed(seed);
  train::ModelArtifact a;
  a.spec.algorithm = "fcn";
  a.spec.backbone = "resnet-18";
  a.spec.num_classes = num_classes;
  a.spec.output_stride = 8;
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
