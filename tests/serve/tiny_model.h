#pragma once
// A tiny, randomly initialised segmentation model packed as a model artifact, for protocol tests
// (the answers are deterministic functions of the weights; accuracy is not what these tests check).
#include <string>

#include "train/artifact.h"

namespace segmaker::test {

// FCN on ResNet-18, `num_classes` classes named class names "background", "cat", "dog", ...
// crop_size (the network's short side) `crop_size`. The same seed gives the same weights.
train::ModelArtifact tiny_artifact(int num_classes = 3, int crop_size = 64, std::uint64_t seed = 7);

}  // namespace segmaker::test
