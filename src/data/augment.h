#pragma once
// Training augmentation and validation transforms as GluonCV / SageMaker do them, torch-free.
// Images are resized bilinearly, masks with nearest neighbour only, so ids never blend.
#include <cstdint>
#include <random>

#include "data/dataset.h"

namespace segmaker::data {

struct TrainAugment {
  int base_size = 520;   // the long side is resized to base_size × U(min_scale, max_scale)
  int crop_size = 240;   // then padded (image 0, mask 255) and randomly cropped to crop_size²
  float min_scale = 0.5f;
  float max_scale = 2.0f;
  bool flip = true;      // random horizontal flip, p = 0.5
};

// Random scale, pad, crop, flip. Deterministic for the state of `rng`.
Sample augment_train(const Sample& in, const TrainAugment& opt, std::mt19937_64& rng);

// Validation: short side → crop_size (aspect kept), centre crop crop_size².
Sample transform_validation(const Sample& in, int crop_size);

// A reproducible generator for example `index` of `epoch` under `seed`, independent of
// thread scheduling.
std::mt19937_64 sample_rng(std::uint64_t seed, std::uint64_t epoch, std::uint64_t index);

}  // namespace segmaker::data
