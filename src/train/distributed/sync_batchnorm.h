#pragma once
// syncbn = True: batch normalisation over the global batch of a data-parallel job.
//
// Forward: each rank computes its per-channel mean and centred sum of squares, one all-reduce
// (in double precision) combines them into the global mean and variance, the running statistics
// are updated from those, as torch::nn::BatchNorm2d would on the whole batch.
// Backward: one all-reduce of the per-channel sums of dy and dy·(x − mean); the input gradient
// uses the global sums, the weight and bias gradients stay local (GradientSync averages them),
// as PyTorch's SyncBatchNorm does.
#include <memory>

#include <torch/torch.h>

#include "models/conv_bn.h"
#include "train/distributed/communicator.h"

namespace segmaker::train {

class SyncBatchNorm : public models::BatchNormSync {
 public:
  explicit SyncBatchNorm(std::shared_ptr<Communicator> comm);
  torch::Tensor forward(const torch::Tensor& x, torch::nn::BatchNorm2dImpl& bn) const override;

 private:
  std::shared_ptr<Communicator> comm_;
};

}  // namespace segmaker::train
