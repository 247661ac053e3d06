#pragma once
// Turning a trained model into a faster inference-only model.
#include <torch/torch.h>

#include "models/segmentation_model.h"

namespace segmaker::models {

struct InferenceOptions {
  bool fold_batchnorm = true;  // fold every BN into the conv before it (removes a memory pass per conv)
  bool drop_aux = true;        // remove the auxiliary head (only used by the training loss)
  // Conv weights in channels-last (NHWC) layout. Off: on an idle machine it was 8–32 % slower than
  // plain NCHW in every 240 px row of BENCHMARKS.md "Model forward" (an earlier choice made from runs
  // on a loaded machine said the opposite). The model's outputs stay contiguous NCHW either way.
  bool channels_last = false;
};

// Puts `module` in eval mode and folds every conv+BN pair of the modules that support it
// (BatchNormFoldable). Afterwards the module's state dict has `<conv>.bias` and no `<bn>.*`:
// save weights before, not after. Returns the number of modules folded.
int fold_batchnorm(torch::nn::Module& module);

// eval() + the options above. The model computes the same logits (within float rounding).
void prepare_for_inference(SegmentationModel& model, const InferenceOptions& options = {});

}  // namespace segmaker::models
