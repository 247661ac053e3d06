#include <gtest/gtest.h>

#include <torch/torch.h>

#include "ranks.h"
#include "train/distributed/gradient_sync.h"

namespace segmaker::train {
namespace {

// conv → relu → pool → linear, plus a branch the forward pass never uses.
struct NetImpl : torch::nn::Module {
  NetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)));
    fc = register_module("fc", torch::nn::Linear(4, 2));
    unused = register_module("unused", torch::nn::Linear(2, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return fc(torch::adaptive_avg_pool2d(torch::relu(conv(x)), {1, 1}).flatten(1));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear fc{nullptr}, unused{nullptr};
};
TORCH_MODULE(Net);

Net copy_of(const Net& source) {
  Net net;
  torch::NoGradGuard no_grad;
  auto from = source->parameters();
  auto to = net->parameters();
  for (std::size_t i = 0; i < to.size(); ++i) to[i].copy_(from[i]);
  return net;
}

struct Fixture {
  Net reference;
  torch::Tensor x, y;
  Fixture() {
    torch::manual_seed(11);
    reference = Net();
    x = torch::randn({4, 3, 6, 6});
    y = torch::randn({4, 2});
  }
  // Gradients of the mean loss over the whole batch, in one process.
  std::vector<torch::Tensor> full_batch_gradients() const {
    Net net = copy_of(reference);
    torch::mse_loss(net->forward(x), y).backward();
    std::vector<torch::Tensor> g;
    for (auto& p : net->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    return g;
  }
};

void expect_data_parallel_gradients(std::int64_t bucket_bytes, std::size_t expected_buckets) {
  Fixture f;
  const std::vector<torch::Tensor> expected = f.full_batch_gradients();
  std::vector<std::vector<torch::Tensor>> got(2);
  test::run_ranks(2, [&](int rank, std::shared_ptr<Communicator> comm) {
    Net net = copy_of(f.reference);
    GradientSync sync(comm, net->parameters(), bucket_bytes);
    if (expected_buckets) EXPECT_EQ(sync.stats().buckets, expected_buckets);
    for (int step = 0; step < 2; ++step) {  // the hooks re-arm every step
      for (auto& p : net->parameters()) p.mutable_grad() = torch::Tensor();
      sync.prepare();
      torch::mse_loss(net->forward(f.x.narrow(0, 2 * rank, 2)), f.y.narrow(0, 2 * rank, 2)).backward();
      sync.finish();
    }
    EXPECT_EQ(sync.stats().steps, 2);
    EXPECT_EQ(sync.stats().bytes_per_step, (4 * 3 * 9 + 4 + 4 * 2 + 2 + 2 * 2 + 2) * 4);
    for (auto& p : net->parameters()) got[static_cast<std::size_t>(rank)].push_back(p.grad().clone());
  });
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(torch::equal(got[0][i], got[1][i])) << "parameter " << i << " differs between the ranks";
    EXPECT_TRUE(torch::allclose(got[0][i], expected[i], 1e-5, 1e-6)) << "parameter " << i << ":\n" << got[0][i] << "\n" << expected[i];
  }
}

TEST(GradientSync, TwoRanksGetTheFullBatchGradientBitIdentically) { expect_data_parallel_gradients(GradientSync::kDefaultBucketBytes, 1); }

TEST(GradientSync, OneBucketPerParameterGivesTheSameGradients) { expect_data_parallel_gradients(4, 6); }

TEST(GradientSync, SingleProcessLeavesGradientsAlone) {
  Fixture f;
  Net net = copy_of(f.reference);
  GradientSync sync(single_process_communicator(), net->parameters());
  sync.prepare();
  torch::mse_loss(net->forward(f.x), f.y).backward();
  sync.finish();
  const auto expected = f.full_batch_gradients();
  auto params = net->parameters();
  for (std::size_t i = 0; i < 4; ++i) EXPECT_TRUE(torch::equal(params[i].grad(), expected[i]));
  EXPECT_FALSE(params[4].grad().defined());  // unused: untouched
}

TEST(GradientSync, TrainingStepsKeepReplicasIdentical) {
  Fixture f;
  std::vector<std::vector<torch::Tensor>> params(2);
  test::run_ranks(2, [&](int rank, std::shared_ptr<Communicator> comm) {
    Net net = copy_of(f.reference);
    GradientSync sync(comm, net->parameters(), 64);
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    for (int step = 0; step < 5; ++step) {
      sgd.zero_grad();
      sync.prepare();
      torch::mse_loss(net->forward(f.x.narrow(0, 2 * rank, 2)), f.y.narrow(0, 2 * rank, 2)).backward();
      sync.finish();
      sgd.step();
    }
    for (auto& p : net->parameters()) params[static_cast<std::size_t>(rank)].push_back(p.detach().clone());
  });
  for (std::size_t i = 0; i < params[0].size(); ++i) EXPECT_TRUE(torch::equal(params[0][i], params[1][i])) << i;
}

}  // namespace
}  // namespace segmaker::train
