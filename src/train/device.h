#pragma once
// The compute device as a runtime choice ("cpu", "cuda", "cuda:1").
#include <string>

#include <torch/torch.h>

namespace segmaker::train {

// Throws UserError for an unknown name or CUDA requested where LibTorch has none.
torch::Device resolve_device(const std::string& name);

}  // namespace segmaker::train
