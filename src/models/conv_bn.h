#pragma once
// Convolution + batch-norm pairs that can be folded into one convolution for inference.
// Modules that own such pairs implement BatchNormFoldable; models::prepare_for_inference walks
// a model and folds every pair (after which the module has `<conv>.bias` and no `<bn>.*`).
#include <torch/torch.h>

#include <string>

namespace segmaker::models {

class BatchNormFoldable {
 public:
  virtual ~BatchNormFoldable() = default;
  // Replaces every conv+BN pair of this module (not of its children) by one conv with a bias.
  virtual void fold_batchnorm() = 0;
};

// conv(x), then bn when it has not been folded away.
inline torch::Tensor conv_bn(const torch::Tensor& x, torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn) {
  auto y = conv(x);
  return bn.is_empty() ? y : bn(y);
}

// Folds `bn` (eval statistics) into `conv`: registers a new conv with a bias under `conv_name`
// in `owner`, unregisters `bn_name` and empties `bn`. No-op when `bn` is already empty.
void fold_conv_bn(torch::nn::Module& owner, const std::string& conv_name, torch::nn::Conv2d& conv,
                  const std::string& bn_name, torch::nn::BatchNorm2d& bn);

// Kaiming-normal (fan_out, ReLU) convs, BN weight 1 / bias 0: torchvision's ResNet initialisation.
void init_resnet_weights(torch::nn::Module& module);

}  // namespace segmaker::models
