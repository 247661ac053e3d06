// A channel's confusion matrix and cross-entropy (inference/channel_score.h).
#include "inference/channel_score.h"

namespace segmaker::inference {

void ChannelScore::add(const torch::Tensor& predicted, const torch::Tensor& masks, const torch::Tensor& scores) {
  const torch::Tensor answer = predicted.to(torch::kCPU, torch::kInt64).contiguous();
  const torch::Tensor truth = masks.to(torch::kCPU, torch::kInt64).contiguous();
  // First: a class id outside the model's classes is named here, before cross_entropy sees it.
  confusion.update(answer.data_ptr<std::int64_t>(), truth.data_ptr<std::int64_t>(), static_cast<std::size_t>(truth.numel()));
  images += static_cast<std::size_t>(truth.size(0));
  if (!scores.defined()) return;
  namespace F = torch::nn::functional;
  const torch::Tensor target = masks.to(scores.device(), torch::kInt64);
  loss_sum += F::cross_entropy(scores.to(torch::kFloat32), target,
                               F::CrossEntropyFuncOptions().ignore_index(confusion.ignore_label()).reduction(torch::kSum))
                  .item<double>();
  pixels += static_cast<double>(target.ne(confusion.ignore_label()).sum().item<std::int64_t>());
}

void ChannelScore::add_logits(const torch::Tensor& logits, const torch::Tensor& masks) {
  add(logits.argmax(1), masks, logits);
}

}  // namespace segmaker::inference
