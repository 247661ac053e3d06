#pragma once
// SageMaker's optimizers on LibTorch's:
//   sgd     → SGD(momentum, weight_decay)
//   nag     → SGD(momentum, weight_decay, nesterov = true)
//   adam    → Adam(weight_decay; betas 0.9/0.999 as MXNet)
//   adagrad → Adagrad(weight_decay)
//   rmsprop → RMSprop(alpha = gamma1 (squared-gradient decay), momentum = gamma2, weight_decay)
// weight_decay applies to every optimizer, as in GluonCV/MXNet. The learning rate is set from the
// schedule before every step (set_learning_rate).
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "train/hyperparameters.h"

namespace segmaker::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Hyperparameters& h, std::vector<torch::Tensor> parameters);

// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);
double learning_rate(const torch::optim::Optimizer& optimizer);

}  // namespace segmaker::train
