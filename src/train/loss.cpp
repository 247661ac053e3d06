#include "train/loss.h"

namespace segmaker::train {

torch::Tensor pixel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target, int ignore_label) {
  TORCH_CHECK(logits.dim() == 4, "logits should be [N, C, H, W], got ", logits.dim(), "D");
  TORCH_CHECK(target.dim() == 3, "target should be [N, H, W], got ", target.dim(), "D");
  TORCH_CHECK(logits.size(0) == target.size(0) && logits.size(2) == target.size(1) && logits.size(3) == target.size(2),
              "logits ", logits.sizes(), " and target ", target.sizes(), " disagree in batch or size");
  if (!target.ne(ignore_label).any().item<bool>()) return logits.sum() * 0.0;
  namespace F = torch::nn::functional;
  return F::cross_entropy(logits, target, F::CrossEntropyFuncOptions().ignore_index(ignore_label));
}

LossValue segmentation_loss(const torch::Tensor& out, const torch::Tensor& aux, const torch::Tensor& target,
                            double aux_weight, int ignore_label) {
  LossValue v;
  v.main = pixel_cross_entropy(out, target, ignore_label);
  v.total = v.main;
  if (aux.defined()) {
    v.aux = pixel_cross_entropy(aux, target, ignore_label);
    v.total = v.main + aux_weight * v.aux;
  }
  return v;
}

}  // namespace segmaker::train
