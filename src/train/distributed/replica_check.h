#pragma once
// Data-parallel replicas must stay identical: the same starting weights (broadcast from rank 0),
// the same averaged gradients, the same optimizer step. This checks it: a SHA-256 of every
// parameter's bytes, compared across the ranks with one all-reduce.
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "train/distributed/communicator.h"

namespace segmaker::train {

// Hex SHA-256 over the tensors' bytes (as stored on the CPU, in order).
std::string tensors_sha256(const std::vector<at::Tensor>& tensors);

// The digest of `tensors` on this rank; throws DistributedError when any rank's differs.
std::string check_replicas_identical(Communicator& comm, const std::vector<at::Tensor>& tensors);

}  // namespace segmaker::train
