#pragma once
// Data-parallel gradient averaging, the way PyTorch's DistributedDataParallel does it: the trainable
// parameters are grouped into buckets of about `bucket_bytes` (in reverse order, the order backward
// produces gradients in); a hook on each parameter copies its gradient into its bucket as soon as
// autograd has it, and a full bucket starts its all-reduce while backward goes on with the rest.
// finish() waits for the buckets and writes each parameter's mean gradient over the ranks back.
// Buckets are reduced in the same order on every rank; a parameter without a gradient this step
// (unused) counts as zeros.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <torch/torch.h>

#include "train/distributed/communicator.h"

namespace segmaker::train {

struct GradientSyncStats {
  std::int64_t steps = 0;
  std::int64_t bytes_per_step = 0;  // gradient bytes each rank all-reduces per step
  std::size_t buckets = 0;
  double wait_seconds = 0;          // total time finish() spent waiting for all-reduces (not overlapped)
};

class GradientSync {
 public:
  static constexpr std::int64_t kDefaultBucketBytes = 25 * 1024 * 1024;  // DDP's bucket_cap_mb = 25

  GradientSync(std::shared_ptr<Communicator> comm, std::vector<torch::Tensor> params,
               std::int64_t bucket_bytes = kDefaultBucketBytes);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  // Call before backward(): arms the hooks for one step.
  void prepare();
  // Call after backward(): completes every bucket, waits, and sets param.grad() to the mean.
  void finish();

  const GradientSyncStats& stats() const { return stats_; }

 private:
  struct Bucket {
    std::vector<std::size_t> members;  // indices into params_
    std::vector<std::int64_t> offsets; // of each member in `flat`
    torch::Tensor flat;
    std::size_t pending = 0;
    std::unique_ptr<PendingCollective> work;
  };

  void on_gradient(std::size_t param, const torch::Tensor& grad);
  void launch_ready_buckets();  // under mutex_

  std::shared_ptr<Communicator> comm_;
  std::vector<torch::Tensor> params_;
  std::vector<std::size_t> bucket_of_;  // per parameter
  std::vector<std::size_t> slot_of_;    // position within its bucket
  std::vector<bool> seen_;
  std::vector<Bucket> buckets_;
  std::vector<unsigned> hooks_;
  std::size_t next_launch_ = 0;
  bool armed_ = false;
  std::mutex mutex_;
  GradientSyncStats stats_;
};

}  // namespace segmaker::train
