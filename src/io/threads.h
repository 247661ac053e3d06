#pragma once
// Thread counts for our own worker pools (LibTorch's: inference/torch_threads.h). Torch-free.

namespace segmaker::io {

// Number of cores this process may use (at least 1).
int available_cores();

// Resolves a --threads value: <= 0 means "all cores".
int resolve_threads(int requested);

}  // namespace segmaker::io
