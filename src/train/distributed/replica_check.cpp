#include "train/distributed/replica_check.h"

#include <cstdint>

#include <torch/torch.h>

#include "io/sha256.h"

namespace segmaker::train {

std::string tensors_sha256(const std::vector<at::Tensor>& tensors) {
  io::Sha256 sha;
  for (const auto& t : tensors) {
    const at::Tensor c = t.detach().to(torch::kCPU).contiguous();
    sha.update(c.data_ptr(), static_cast<std::size_t>(c.numel()) * c.element_size());
  }
  return sha.hex();
}

std::string check_replicas_identical(Communicator& comm, const std::vector<at::Tensor>& tensors) {
  const std::string digest = tensors_sha256(tensors);
  if (!comm.distributed()) return digest;
  // Four 8-byte words of the digest; max(x) == -max(-x) on every word ⇔ all ranks agree.
  at::Tensor words = torch::zeros({8}, torch::kInt64);
  std::int64_t w[4];
  for (int i = 0; i < 4; ++i) w[i] = static_cast<std::int64_t>(std::stoull(digest.substr(static_cast<std::size_t>(i) * 16, 15), nullptr, 16));
  for (int i = 0; i < 4; ++i) {
    words[i] = w[i];
    words[4 + i] = -w[i];
  }
  comm.all_reduce_max(words);
  for (int i = 0; i < 4; ++i)
    if (words[i].item<std::int64_t>() != -words[4 + i].item<std::int64_t>())
      throw DistributedError("the ranks' parameters have diverged (rank " + std::to_string(comm.rank()) + " holds " +
                             digest.substr(0, 16) + "…): a rank computed a different step; rerun from the last checkpoint");
  return digest;
}

}  // namespace segmaker::train
