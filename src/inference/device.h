#pragma once
// The compute device as a runtime choice ("cpu", "cuda", "cuda:1"): the one parser that training,
// evaluation, batch transform and serving use, with one message for a bad or unavailable device.
#include <string>

#include <torch/torch.h>

namespace segmaker::inference {

// Throws UserError for an unknown name or CUDA requested where LibTorch has none.
torch::Device resolve_device(const std::string& name);

}  // namespace segmaker::inference
