// Fuzz target: segmaker's weight file (models/weights: LibTorch's zip + pickle reader behind our
// checks). Invariants: only UserError escapes; a file that reads serialises and reads back with
// the same tensor names. With SEGMAKER_FUZZ_WRITE_SEED=<file>, writes a small valid weight file
// there and exits (the seed corpus; this is the one target that links LibTorch).
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "io/error.h"
#include "models/weights.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seed = std::getenv("SEGMAKER_FUZZ_WRITE_SEED")) {
    segmaker::models::WeightFile w;
    w.metadata.source = "fuzz seed";
    w.metadata.architecture = "tiny";
    w.tensors.emplace_back("conv.weight", torch::ones({2, 3, 1, 1}));
    w.tensors.emplace_back("bn.running_mean", torch::zeros({2}));
    w.tensors.emplace_back("bn.num_batches_tracked", torch::zeros({}, torch::kLong));
    std::ofstream(seed, std::ios::binary) << segmaker::models::weights_to_bytes(w);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace segmaker::models;
  try {
    const WeightFile w = weights_from_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
    std::string bytes;
    try {
      bytes = weights_to_bytes(w);  // LibTorch may refuse to save an odd tensor it loaded: not a parser fault
    } catch (const std::exception&) {
      return 0;
    }
    const WeightFile again = weights_from_bytes(bytes, "round trip");
    if (again.tensors.size() != w.tensors.size()) __builtin_trap();
    for (std::size_t i = 0; i < w.tensors.size(); ++i)
      if (again.tensors[i].first != w.tensors[i].first) __builtin_trap();
  } catch (const segmaker::UserError&) {
  }
  return 0;
}
