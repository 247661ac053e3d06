// LibTorch's thread count (see torch_threads.h).
#include "inference/torch_threads.h"

#include <torch/torch.h>

namespace segmaker::inference {

int configure_torch_threads(int requested) {
  int n = io::resolve_threads(requested);
  torch::set_num_threads(n);
  return n;
}

void adopt_torch_threads() { at::init_num_threads(); }

}  // namespace segmaker::inference
