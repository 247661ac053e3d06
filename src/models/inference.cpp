#include "models/inference.h"

namespace segmaker::models {

int fold_batchnorm(torch::nn::Module& module) {
  module.eval();
  int folded = 0;
  // modules() is a snapshot: folding replaces leaf children only, never a foldable module.
  for (const auto& m : module.modules(/*include_self=*/true)) {
    if (auto* foldable = dynamic_cast<BatchNormFoldable*>(m.get())) {
      foldable->fold_batchnorm();
      ++folded;
    }
  }
  return folded;
}

void prepare_for_inference(SegmentationModel& model, const InferenceOptions& options) {
  model->eval();
  if (options.drop_aux) model->remove_aux();
  if (options.fold_batchnorm) fold_batchnorm(*model);
}

}  // namespace segmaker::models
