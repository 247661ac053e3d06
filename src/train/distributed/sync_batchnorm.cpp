#include "train/distributed/sync_batchnorm.h"

#include <cstdint>

#include "io/error.h"

namespace segmaker::train {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

torch::Tensor per_channel(const torch::Tensor& v) { return v.view({1, -1, 1, 1}); }

// y = (x − mean) · invstd · weight + bias with mean / invstd of the global batch (inputs without
// gradient); backward all-reduces the two per-channel sums the input gradient needs.
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                               const torch::Tensor& mean, const torch::Tensor& invstd, double global_count, Communicator* comm) {
    ctx->save_for_backward({x, weight, mean, invstd});
    ctx->saved_data["count"] = global_count;
    // The communicator outlives every backward pass of the training step that created it.
    ctx->saved_data["comm"] = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(comm));
    return (x - per_channel(mean)) * per_channel(invstd * weight) + per_channel(bias);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &mean = saved[2], &invstd = saved[3];
    const double count = ctx->saved_data["count"].toDouble();
    auto* comm = reinterpret_cast<Communicator*>(static_cast<std::intptr_t>(ctx->saved_data["comm"].toInt()));
    const torch::Tensor dy = grads[0].contiguous();
    const torch::Tensor xmu = x - per_channel(mean);
    const torch::Tensor sum_dy = dy.sum({0, 2, 3});
    const torch::Tensor sum_dy_xmu = (dy * xmu).sum({0, 2, 3});
    torch::Tensor sums = torch::cat({sum_dy, sum_dy_xmu}).to(torch::kFloat64);
    comm->all_reduce_sum(sums);
    sums = sums.to(x.scalar_type());
    const int64_t c = x.size(1);
    const torch::Tensor mean_dy = sums.narrow(0, 0, c) / count;
    const torch::Tensor mean_dy_xmu = sums.narrow(0, c, c) / count;
    const torch::Tensor grad_x =
        (dy - per_channel(mean_dy) - xmu * per_channel(invstd * invstd * mean_dy_xmu)) * per_channel(invstd * weight);
    return {grad_x, sum_dy_xmu * invstd, sum_dy, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

SyncBatchNorm::SyncBatchNorm(std::shared_ptr<Communicator> comm) : comm_(std::move(comm)) {
  if (!comm_) throw UserError("SyncBatchNorm needs a communicator");
}

torch::Tensor SyncBatchNorm::forward(const torch::Tensor& input, torch::nn::BatchNorm2dImpl& bn) const {
  // bf16 training (autocast) hands in bf16 activations: statistics and normalisation run in fp32, as
  // LibTorch's own batch norm computes them; autograd casts the input gradient back to bf16.
  const torch::Tensor x = input.scalar_type() == torch::kBFloat16 || input.scalar_type() == torch::kHalf
                              ? input.to(torch::kFloat32)
                              : input;
  TORCH_CHECK(x.dim() == 4, "SyncBatchNorm expects NCHW input, got ", x.dim(), " dimensions");
  TORCH_CHECK(bn.options.affine() && bn.options.track_running_stats(), "SyncBatchNorm needs affine BN with running statistics");
  const double local = static_cast<double>(x.size(0) * x.size(2) * x.size(3));
  torch::Tensor mean, invstd;
  double count = 0;
  {
    torch::NoGradGuard no_grad;
    auto [var, m] = torch::var_mean(x.detach(), {0, 2, 3}, /*unbiased=*/false);
    // Σ n·mean, Σ (n·var + n·mean²), Σ n over the ranks, in double.
    const torch::Tensor m64 = m.to(torch::kFloat64), v64 = var.to(torch::kFloat64);
    torch::Tensor stats = torch::cat({m64 * local, (v64 + m64 * m64) * local, torch::full({1}, local, m64.options())});
    comm_->all_reduce_sum(stats);
    const int64_t c = x.size(1);
    count = stats[2 * c].item<double>();
    const torch::Tensor gmean = stats.narrow(0, 0, c) / count;
    const torch::Tensor gvar = (stats.narrow(0, c, c) / count - gmean * gmean).clamp_min(0.0);
    mean = gmean.to(x.scalar_type());
    invstd = (gvar + bn.options.eps()).rsqrt().to(x.scalar_type());
    // Running statistics as BatchNorm2d keeps them: unbiased variance, momentum (or cumulative mean).
    bn.num_batches_tracked += 1;
    const double momentum = bn.options.momentum().has_value()
                                ? *bn.options.momentum()
                                : 1.0 / static_cast<double>(bn.num_batches_tracked.item<int64_t>());
    const torch::Tensor unbiased = count > 1 ? gvar * (count / (count - 1)) : gvar;
    bn.running_mean.mul_(1 - momentum).add_(mean, momentum);
    bn.running_var.mul_(1 - momentum).add_(unbiased.to(x.scalar_type()), momentum);
  }
  return SyncBatchNormFunction::apply(x, bn.weight, bn.bias, mean, invstd, count, comm_.get());
}

}  // namespace segmaker::train
