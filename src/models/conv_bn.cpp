#include "models/conv_bn.h"

namespace segmaker::models {

void fold_conv_bn(torch::nn::Module& owner, const std::string& conv_name, torch::nn::Conv2d& conv,
                  const std::string& bn_name, torch::nn::BatchNorm2d& bn) {
  if (bn.is_empty()) return;
  TORCH_CHECK(!conv.is_empty(), "fold_conv_bn: conv '", conv_name, "' is empty");
  TORCH_CHECK(bn->options.affine() && bn->options.track_running_stats(),
              "fold_conv_bn: batch norm '", bn_name, "' needs affine parameters and running statistics");
  torch::NoGradGuard no_grad;
  const auto& w = conv->weight;
  auto scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
  auto folded_w = w * scale.reshape({-1, 1, 1, 1});
  auto old_bias = conv->bias.defined() ? conv->bias : torch::zeros_like(bn->running_mean);
  auto folded_b = (old_bias - bn->running_mean) * scale + bn->bias;

  const auto& o = conv->options;
  torch::nn::Conv2dOptions options(o.in_channels(), o.out_channels(), o.kernel_size());
  options.stride(o.stride()).padding(o.padding()).dilation(o.dilation()).groups(o.groups());
  options.padding_mode(o.padding_mode()).bias(true);
  torch::nn::Conv2d fused(options);
  fused->to(w.device(), w.scalar_type());
  fused->weight.copy_(folded_w);
  fused->bias.copy_(folded_b);
  fused->weight.set_requires_grad(w.requires_grad());
  fused->bias.set_requires_grad(w.requires_grad());
  if (!owner.is_training()) fused->eval();
  conv = owner.replace_module(conv_name, fused);
  owner.unregister_module(bn_name);
  bn = torch::nn::BatchNorm2d(nullptr);
}

void set_batchnorm_sync(torch::nn::Module& model, const std::shared_ptr<const BatchNormSync>& sync) {
  for (auto& m : model.modules(/*include_self=*/true))
    if (auto* owner = dynamic_cast<BatchNormFoldable*>(m.get())) owner->set_batchnorm_sync(sync);
}

void init_resnet_weights(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/false)) {  // called from constructors: self is no conv/BN
    if (auto* conv = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->weight.fill_(1.0);
      bn->bias.zero_();
    }
  }
}

}  // namespace segmaker::models
