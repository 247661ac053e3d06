#pragma once
// sum(p.numel() for p in model.parameters()), as torchvision's counts are quoted.
#include <torch/torch.h>

#include <cstdint>

namespace segmaker::test {

inline std::int64_t count_parameters(const torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace segmaker::test
