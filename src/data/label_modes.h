#pragma once
// How an Oxford-Pet trimap (1 pet, 2 background, 3 boundary) becomes a mask of class ids.
//   trimap : 0 background, 1 pet, 2 boundary                (3 classes)
//   binary : 0 background, 1 pet, boundary → 255             (2 classes)
//   species: 0 background, 1 cat, 2 dog, boundary → 255      (3 classes)
//   breed  : 0 background, 1..37 breeds, boundary → 255      (38 classes)
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace segmaker::data {

enum class LabelMode { Trimap, Binary, Species, Breed };

LabelMode parse_label_mode(const std::string& name);  // throws UserError listing the choices
std::string label_mode_name(LabelMode mode);

// Class names, index = class id.
std::vector<std::string> class_names(LabelMode mode);

// Trimap → class ids for an image of breed `class_id` (1..37) and `species` ("cat"/"dog").
// The trimap must hold only 1, 2, 3 (checked by the caller).
cv::Mat trimap_to_mask(const cv::Mat& trimap, LabelMode mode, int class_id, const std::string& species);

}  // namespace segmaker::data
