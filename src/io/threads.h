#pragma once
// Thread count for LibTorch (intra-op) and for our own worker pools.

namespace segmaker::io {

// Number of cores this process may use (at least 1).
int available_cores();

// Resolves a --threads value: <= 0 means "all cores".
int resolve_threads(int requested);

// Sets LibTorch's intra-op thread count explicitly (it defaults to 1 on some set-ups).
// Returns the count applied.
int configure_torch_threads(int requested);

// Gives the calling (non-main) thread LibTorch's configured intra-op thread count. LibTorch
// applies set_num_threads to the thread that calls it; a std::thread that runs models must
// call this first, or it runs with OpenMP's own default team.
void adopt_torch_threads();

}  // namespace segmaker::io
