#pragma once
// bf16 training (hyperparameter `precision` = bf16): the autocast region a training step's forward
// pass and loss run in -- LibTorch's CPU autocast to bf16 (CUDA's autocast with bf16 on a GPU) --
// and the check that the device computes bf16 natively. Only the arithmetic changes: the master
// weights, their gradients (autograd casts every bf16 gradient back to its weight's fp32), the
// gradient all-reduce, the optimizer state, checkpoints and the model artifact all stay fp32.
#include <string>

#include <torch/torch.h>

#include "inference/engine/precision.h"

namespace segmaker::train {

// What a job with hyperparameter `precision` (fp32 | bf16 | auto) computes in, and the sentence the
// job logs: inference::choose_training_precision on this device (UserError: bf16 on a CPU without it).
inference::PrecisionChoice training_precision(const std::string& precision, const torch::Device& device);

// While alive, the thread's eligible ops (convolutions, matrix products) on `device` run in bf16
// (when `enabled`; a no-op otherwise). Nestable; on leaving the outermost region the autocast cache
// of cast weights is cleared, so the next step casts the updated weights.
class AutocastRegion {
 public:
  AutocastRegion(bool enabled, const torch::Device& device);
  ~AutocastRegion();
  AutocastRegion(const AutocastRegion&) = delete;
  AutocastRegion& operator=(const AutocastRegion&) = delete;

 private:
  bool enabled_ = false;
  bool cuda_ = false;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kBFloat16;
};

}  // namespace segmaker::train
