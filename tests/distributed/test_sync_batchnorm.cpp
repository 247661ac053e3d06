#include <gtest/gtest.h>

#include <torch/torch.h>

#include "ranks.h"
#include "train/distributed/sync_batchnorm.h"

namespace segmaker::train {
namespace {

struct Result {
  torch::Tensor y, grad_x, grad_weight, grad_bias, running_mean, running_var;
};

torch::nn::BatchNorm2d make_bn() {
  torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(3));
  torch::NoGradGuard no_grad;
  bn->weight.copy_(torch::tensor({1.5f, 0.5f, -1.0f}));
  bn->bias.copy_(torch::tensor({0.1f, -0.2f, 0.3f}));
  return bn;
}

// loss = Σ y · w: the full batch in one BN, or each rank's half through SyncBatchNorm.
Result run(torch::nn::BatchNorm2d& bn, const torch::Tensor& x, const torch::Tensor& w, const models::BatchNormSync* sync) {
  torch::Tensor input = x.clone().requires_grad_(true);
  torch::Tensor y = sync ? sync->forward(input, *bn) : bn(input);
  (y * w).sum().backward();
  return {y.detach(), input.grad(), bn->weight.grad().clone(), bn->bias.grad().clone(), bn->running_mean.clone(), bn->running_var.clone()};
}

TEST(SyncBatchNorm, TwoHalvesMatchBatchNormOverTheWholeBatch) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({4, 3, 5, 7}) * 3 + 2;
  const torch::Tensor w = torch::randn({4, 3, 5, 7});
  auto full_bn = make_bn();
  const Result full = run(full_bn, x, w, nullptr);

  std::vector<Result> ranks(2);
  test::run_ranks(2, [&](int rank, std::shared_ptr<Communicator> comm) {
    auto bn = make_bn();
    SyncBatchNorm sync(comm);
    ranks[static_cast<std::size_t>(rank)] = run(bn, x.narrow(0, 2 * rank, 2), w.narrow(0, 2 * rank, 2), &sync);
    EXPECT_EQ(bn->num_batches_tracked.item<std::int64_t>(), 1);
  });
  for (int r = 0; r < 2; ++r) {
    const Result& got = ranks[static_cast<std::size_t>(r)];
    EXPECT_TRUE(torch::allclose(got.y, full.y.narrow(0, 2 * r, 2), 1e-5, 1e-5)) << "output of rank " << r;
    EXPECT_TRUE(torch::allclose(got.grad_x, full.grad_x.narrow(0, 2 * r, 2), 1e-4, 1e-5)) << "input gradient of rank " << r;
    EXPECT_TRUE(torch::allclose(got.running_mean, full.running_mean, 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(got.running_var, full.running_var, 1e-5, 1e-6));
  }
  // Weight and bias gradients stay per rank; their sum is the whole batch's (GradientSync averages
  // them, and every rank's loss counts once).
  EXPECT_TRUE(torch::allclose(ranks[0].grad_weight + ranks[1].grad_weight, full.grad_weight, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(ranks[0].grad_bias + ranks[1].grad_bias, full.grad_bias, 1e-4, 1e-4));
}

TEST(SyncBatchNorm, IsUsedOnlyInTrainingModeThroughConvBn) {
  test::run_ranks(2, [&](int rank, std::shared_ptr<Communicator> comm) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(2, 3, 1));
    auto bn = make_bn();
    auto sync = std::make_shared<SyncBatchNorm>(comm);
    torch::Tensor x = torch::full({1, 2, 2, 2}, static_cast<float>(rank));
    bn->eval();  // no collective: rank 1 could not match one here
    if (rank == 0) models::conv_bn(x, conv, bn, sync.get());
    bn->train();
    models::conv_bn(x, conv, bn, sync.get());  // both ranks: one collective each in forward
    EXPECT_EQ(bn->num_batches_tracked.item<std::int64_t>(), 1);
  });
}

}  // namespace
}  // namespace segmaker::train
