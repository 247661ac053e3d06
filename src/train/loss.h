#pragma once
// Pixel-wise cross-entropy with ignore label 255, plus the weighted auxiliary loss when the model
// has an auxiliary head (GluonCV's MixSoftmaxCrossEntropyLoss).
#include <torch/torch.h>

namespace segmaker::train {

struct LossValue {
  torch::Tensor total;  // main + aux_weight × aux (what backward() is called on)
  torch::Tensor main;
  torch::Tensor aux;    // undefined without an auxiliary output
};

// logits [N, C, H, W], target [N, H, W] int64 (255 = ignore). A batch whose pixels are all ignored
// gives a zero loss (still attached to the graph) instead of NaN.
torch::Tensor pixel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target, int ignore_label = 255);

LossValue segmentation_loss(const torch::Tensor& out, const torch::Tensor& aux, const torch::Tensor& target,
                            double aux_weight, int ignore_label = 255);

}  // namespace segmaker::train
