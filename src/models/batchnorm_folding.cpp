#include "models/batchnorm_folding.h"

namespace segmaker::models {

int fold_batchnorm(torch::nn::Module& module) {
  module.eval();
  int folded = 0;
  auto fold = [&](torch::nn::Module& m) {
    if (auto* foldable = dynamic_cast<BatchNormFoldable*>(&m)) {
      foldable->fold_batchnorm();
      ++folded;
    }
  };
  fold(module);
  // modules() is a snapshot: folding replaces leaf children only, never a foldable module.
  for (const auto& m : module.modules(/*include_self=*/false)) fold(*m);
  return folded;
}

void prepare_for_inference(SegmentationModel& model, const InferenceOptions& options) {
  model->eval();
  if (options.drop_aux) model->remove_aux();
  if (options.fold_batchnorm) fold_batchnorm(*model);
  if (options.channels_last) {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

}  // namespace segmaker::models
