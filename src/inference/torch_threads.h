#pragma once
// LibTorch's thread count, set explicitly: its default is the physical core count cpuinfo reads from
// CPUID, which differs between virtual machines of one kind (1 on some 2-vCPU machines, 2 on others)
// and with it the order of every float reduction. Beside the device choice (device.h).
#include "io/threads.h"

namespace segmaker::inference {

// Sets LibTorch's intra-op thread count explicitly (it defaults to 1 on some set-ups).
// Returns the count applied.
int configure_torch_threads(int requested);

// Gives the calling (non-main) thread LibTorch's configured intra-op thread count. LibTorch
// applies set_num_threads to the thread that calls it; a std::thread that runs models must
// call this first, or it runs with OpenMP's own default team.
void adopt_torch_threads();

}  // namespace segmaker::inference
