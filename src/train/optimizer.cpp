#include "train/optimizer.h"

#include "io/error.h"

namespace segmaker::train {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Hyperparameters& h, std::vector<torch::Tensor> parameters) {
  if (parameters.empty()) throw UserError("there are no trainable parameters to optimise");
  const double lr = h.learning_rate;
  if (h.optimizer == "sgd" || h.optimizer == "nag") {
    return std::make_unique<torch::optim::SGD>(
        std::move(parameters),
        torch::optim::SGDOptions(lr).momentum(h.momentum).weight_decay(h.weight_decay).nesterov(h.optimizer == "nag"));
  }
  if (h.optimizer == "adam")
    return std::make_unique<torch::optim::Adam>(std::move(parameters),
                                                torch::optim::AdamOptions(lr).weight_decay(h.weight_decay));
  if (h.optimizer == "adagrad")
    return std::make_unique<torch::optim::Adagrad>(std::move(parameters),
                                                   torch::optim::AdagradOptions(lr).weight_decay(h.weight_decay));
  if (h.optimizer == "rmsprop")
    return std::make_unique<torch::optim::RMSprop>(
        std::move(parameters),
        torch::optim::RMSpropOptions(lr).alpha(h.gamma1).momentum(h.gamma2).weight_decay(h.weight_decay));
  throw UserError("optimizer must be sgd, nag, adam, adagrad or rmsprop, got '" + h.optimizer + "'");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

double learning_rate(const torch::optim::Optimizer& optimizer) {
  return optimizer.param_groups().empty() ? 0.0 : optimizer.param_groups().front().options().get_lr();
}

}  // namespace segmaker::train
