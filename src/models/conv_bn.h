#pragma once
// Convolution + batch-norm pairs that can be folded into one convolution for inference.
// Modules that own such pairs implement BatchNormFoldable; models::prepare_for_inference walks
// a model and folds every pair (after which the module has `<conv>.bias` and no `<bn>.*`).
#include <torch/torch.h>

#include <memory>
#include <string>

namespace segmaker::models {

// Batch norm across processes (syncbn): computes a BN layer's training-mode output from the
// statistics of the whole global batch. Implemented in train/ (it needs the process group).
class BatchNormSync {
 public:
  virtual ~BatchNormSync() = default;
  virtual torch::Tensor forward(const torch::Tensor& x, torch::nn::BatchNorm2dImpl& bn) const = 0;
};

class BatchNormFoldable {
 public:
  virtual ~BatchNormFoldable() = default;
  // Replaces every conv+BN pair of this module (not of its children) by one conv with a bias.
  virtual void fold_batchnorm() = 0;
  // Training-mode BN of this module's pairs uses `sync` (null: this process's batch only).
  void set_batchnorm_sync(std::shared_ptr<const BatchNormSync> sync) { bn_sync_ = std::move(sync); }

 protected:
  const BatchNormSync* bn_sync() const { return bn_sync_.get(); }

 private:
  std::shared_ptr<const BatchNormSync> bn_sync_;
};

// conv(x), then bn when it has not been folded away (through `sync` when given, in training mode).
inline torch::Tensor conv_bn(const torch::Tensor& x, torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn,
                             const BatchNormSync* sync = nullptr) {
  auto y = conv(x);
  if (bn.is_empty()) return y;
  return sync != nullptr && bn->is_training() ? sync->forward(y, *bn) : bn(y);
}

// Gives every BatchNormFoldable module of `model` the same `sync` (null switches it off).
void set_batchnorm_sync(torch::nn::Module& model, const std::shared_ptr<const BatchNormSync>& sync);

// Folds `bn` (eval statistics) into `conv`: registers a new conv with a bias under `conv_name`
// in `owner`, unregisters `bn_name` and empties `bn`. No-op when `bn` is already empty.
void fold_conv_bn(torch::nn::Module& owner, const std::string& conv_name, torch::nn::Conv2d& conv,
                  const std::string& bn_name, torch::nn::BatchNorm2d& bn);

// Kaiming-normal (fan_out, ReLU) convs, BN weight 1 / bias 0: torchvision's ResNet initialisation.
void init_resnet_weights(torch::nn::Module& module);

}  // namespace segmaker::models
