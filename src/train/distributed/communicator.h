#pragma once
// The small interface the trainer uses to talk to the other ranks of a data-parallel job.
// Behind it: LibTorch's c10d process groups (Gloo on CPU, NCCL on CUDA when built with it) with a
// TCPStore rendezvous; or nothing at all for a single process.
//
// Every collective must be called by every rank in the same order. A failure (a rank died, hung past
// the timeout, or threw) surfaces as DistributedError whose message names the rank(s) responsible
// when they can be found: ranks publish a heartbeat and their own failure reason in the store.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "train/distributed/distributed_config.h"

namespace segmaker::train {

class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An all-reduce in flight.
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  // Blocks until the collective is done; throws DistributedError on failure.
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string backend() const = 0;

  // Starts summing `tensor` (contiguous) over all ranks, in place.
  virtual std::unique_ptr<PendingCollective> all_reduce_sum_async(at::Tensor tensor) = 0;
  // Elementwise maximum over all ranks, in place (blocking).
  virtual void all_reduce_max(at::Tensor tensor) = 0;
  // Copies `root`'s `tensor` into every rank's (in place, blocking).
  virtual void broadcast(at::Tensor tensor, int root) = 0;
  virtual void barrier() = 0;
  // Tells the other ranks why this one is about to fail (they quote it in their own error). Never throws.
  virtual void report_failure(const std::string& reason) noexcept = 0;

  void all_reduce_sum(at::Tensor tensor) { all_reduce_sum_async(std::move(tensor))->wait(); }
  bool is_main() const { return rank() == 0; }
  bool distributed() const { return world_size() > 1; }
};

// A world of one: every collective returns its input.
std::shared_ptr<Communicator> single_process_communicator();

// Joins the process group described by `config` (blocks until all ranks have joined or the timeout
// passes). `device` decides the backend when config.backend is "auto". Throws UserError /
// DistributedError with a message that says what to check.
std::shared_ptr<Communicator> connect(const DistributedConfig& config, const std::string& device);

// Whether this LibTorch was built with NCCL.
bool nccl_available();

// Sums (blocking) over the ranks: int64 counts and doubles, as tensors on the CPU.
void all_reduce_sum(Communicator& comm, std::vector<std::int64_t>& values);
void all_reduce_sum(Communicator& comm, std::vector<double>& values);

// Copies rank 0's values of `tensors` (parameters, buffers) to every rank, coalesced by dtype/device.
void broadcast_from_main(Communicator& comm, const std::vector<at::Tensor>& tensors);
// Replaces every rank's floating-point `tensors` by their mean over the ranks, coalesced likewise.
void average_over_ranks(Communicator& comm, const std::vector<at::Tensor>& tensors);

}  // namespace segmaker::train
