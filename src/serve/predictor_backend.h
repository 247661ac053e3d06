#pragma once
// The server's model callbacks (ModelBackend) from a Predictor: the one file of serve/'s endpoint
// that links LibTorch's side (the Predictor's implementation), so that the HTTP code can be built
// and fuzzed without it.
#include <memory>

#include "inference/predictor.h"
#include "serve/server.h"

namespace segmaker::serve {

// Callbacks that run `predictor` (kept alive by them); inference threads adopt LibTorch's thread count.
ModelBackend backend_of(std::shared_ptr<const inference::Predictor> predictor);

}  // namespace segmaker::serve
