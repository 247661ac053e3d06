#include "data/label_modes.h"

#include "data/dataset.h"
#include "data/pet_layout.h"
#include "io/error.h"

namespace segmaker::data {

LabelMode parse_label_mode(const std::string& name) {
  if (name == "trimap") return LabelMode::Trimap;
  if (name == "binary") return LabelMode::Binary;
  if (name == "species") return LabelMode::Species;
  if (name == "breed") return LabelMode::Breed;
  throw UserError("unknown label mode '" + name + "': choose trimap, binary, species or breed");
}

std::string label_mode_name(LabelMode mode) {
  switch (mode) {
    case LabelMode::Trimap: return "trimap";
    case LabelMode::Binary: return "binary";
    case LabelMode::Species: return "species";
    case LabelMode::Breed: return "breed";
  }
  return "?";
}

std::vector<std::string> class_names(LabelMode mode) {
  switch (mode) {
    case LabelMode::Trimap: return {"background", "pet", "boundary"};
    case LabelMode::Binary: return {"background", "pet"};
    case LabelMode::Species: return {"background", "cat", "dog"};
    case LabelMode::Breed: {
      std::vector<std::string> names{"background"};
      for (const auto& b : pet_breeds()) names.push_back(b);
      return names;
    }
  }
  return {};
}

cv::Mat trimap_to_mask(const cv::Mat& trimap, LabelMode mode, int class_id, const std::string& species) {
  std::uint8_t lut[4] = {kIgnoreLabel, 0, 0, 0};
  switch (mode) {
    case LabelMode::Trimap: lut[1] = 1, lut[2] = 0, lut[3] = 2; break;
    case LabelMode::Binary: lut[1] = 1, lut[2] = 0, lut[3] = kIgnoreLabel; break;
    case LabelMode::Species: lut[1] = species == "cat" ? 1 : 2, lut[2] = 0, lut[3] = kIgnoreLabel; break;
    case LabelMode::Breed: lut[1] = static_cast<std::uint8_t>(class_id), lut[2] = 0, lut[3] = kIgnoreLabel; break;
  }
  cv::Mat out(trimap.size(), CV_8UC1);
  for (int y = 0; y < trimap.rows; ++y) {
    const auto* s = trimap.ptr<std::uint8_t>(y);
    auto* d = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < trimap.cols; ++x) d[x] = s[x] <= 3 ? lut[s[x]] : kIgnoreLabel;
  }
  return out;
}

}  // namespace segmaker::data
