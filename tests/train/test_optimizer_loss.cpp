#include <torch/torch.h>

#include "io/error.h"
#include "support/test_util.h"
#include "train/loss.h"
#include "train/optimizer.h"

namespace segmaker::train {
namespace {

// A tiny per-pixel classifier (1x1 conv) on a fixed batch: every optimizer must lower its loss.
float train_steps(const std::string& optimizer, int steps) {
  torch::manual_seed(3);
  torch::nn::Conv2d net(torch::nn::Conv2dOptions(3, 2, 1));
  torch::Tensor x = torch::randn({2, 3, 8, 8});
  torch::Tensor y = (x.select(1, 0) > 0).to(torch::kInt64);
  y.index_put_({0, 0}, 255);  // a row of ignore pixels
  Hyperparameters h;
  h.optimizer = optimizer;
  h.learning_rate = optimizer == "adagrad" ? 0.1 : 0.05;
  auto opt = make_optimizer(h, net->parameters());
  float first = 0, last = 0;
  for (int i = 0; i < steps; ++i) {
    auto loss = pixel_cross_entropy(net->forward(x), y);
    if (i == 0) first = loss.item<float>();
    last = loss.item<float>();
    opt->zero_grad();
    loss.backward();
    opt->step();
  }
  EXPECT_LT(last, first * 0.9f) << optimizer;
  return last;
}

TEST(Optimizer, EveryOptimizerLowersTheLoss) {
  for (const char* name : {"sgd", "nag", "adam", "adagrad", "rmsprop"}) train_steps(name, 30);
}

TEST(Optimizer, OptionsMapSageMakerNames) {
  torch::nn::Linear lin(2, 2);
  Hyperparameters h;
  h.optimizer = "nag";
  h.momentum = 0.8;
  h.weight_decay = 0.01;
  auto nag = make_optimizer(h, lin->parameters());
  auto& sgd = static_cast<torch::optim::SGDOptions&>(nag->param_groups()[0].options());
  EXPECT_TRUE(sgd.nesterov());
  EXPECT_DOUBLE_EQ(sgd.momentum(), 0.8);
  EXPECT_DOUBLE_EQ(sgd.weight_decay(), 0.01);
  h.optimizer = "rmsprop";
  h.gamma1 = 0.95;
  h.gamma2 = 0.5;
  auto rms = make_optimizer(h, lin->parameters());
  auto& ro = static_cast<torch::optim::RMSpropOptions&>(rms->param_groups()[0].options());
  EXPECT_DOUBLE_EQ(ro.alpha(), 0.95);
  EXPECT_DOUBLE_EQ(ro.momentum(), 0.5);
  set_learning_rate(*rms, 0.123);
  EXPECT_DOUBLE_EQ(learning_rate(*rms), 0.123);
  EXPECT_THROW(make_optimizer(h, {}), UserError);
}

TEST(Loss, IgnoreLabelAndAuxWeight) {
  torch::Tensor logits = torch::tensor({2.0f, 0.0f, 0.0f, 2.0f}).view({1, 2, 1, 2});  // pixel 0 → class 0, pixel 1 → class 1
  torch::Tensor target = torch::tensor({0, 255}, torch::kInt64).view({1, 1, 2});
  const double expected = std::log(1 + std::exp(-2.0));  // CE of pixel 0 only
  EXPECT_NEAR(pixel_cross_entropy(logits, target).item<double>(), expected, 1e-6);
  torch::Tensor all_ignored = torch::full({1, 1, 2}, 255, torch::kInt64);
  torch::Tensor l = logits.clone().requires_grad_(true);
  torch::Tensor zero = pixel_cross_entropy(l, all_ignored);
  EXPECT_EQ(zero.item<double>(), 0.0);
  zero.backward();  // still attached to the graph
  torch::Tensor wrong = torch::tensor({1, 1}, torch::kInt64).view({1, 1, 2});
  LossValue v = segmentation_loss(logits, logits, wrong, 0.4);
  EXPECT_NEAR(v.total.item<double>(), 1.4 * v.main.item<double>(), 1e-6);
  EXPECT_FALSE(segmentation_loss(logits, torch::Tensor(), wrong, 0.4).aux.defined());
}

}  // namespace
}  // namespace segmaker::train
