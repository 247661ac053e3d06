#pragma once
// bf16 training (hyperparameter `precision` = bf16): the autocast region a training step's forward
// pass and loss run in -- LibTorch's CPU autocast to bf16 (CUDA's autocast with bf16 on a GPU) --
// and the check that the device computes bf16 natively. Only the arithmetic changes: the master
// weights, their gradients (autograd casts every bf16 gradient back to its weight's fp32), the
// gradient all-reduce, the optimizer state, checkpoints and the model artifact all stay fp32.
#include <string>

#include <torch/torch.h>

namespace segmaker::train {

// What a job with hyperparameter `precision` (fp32 | bf16 | auto) computes in: "fp32" or "bf16".
// auto takes bf16 on a CPU with native bf16 dot products (AVX512_BF16 or AMX, asked from oneDNN as the
// inference engine does) and fp32 on any other CPU and on a GPU (not every GPU computes bf16; ask for
// it with precision = bf16). An explicit bf16 on a CPU without them is a UserError: bf16 emulated
// there is slower than fp32.
std::string training_precision(const std::string& precision, const torch::Device& device);

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
