#pragma once
// SageMaker's label map: how stored annotation pixel values become class ids.
//   {"scale": "3"}            → class = value / 3 (floor)
//   {"map": {"0": 5, "1": 0}} → class index → stored pixel value (inverted here)
//   {"colors": {"0": "#ffffff", "1": "#2ca02c"}} → class index → the colour of its pixels (masks saved as
//                             colour pictures, e.g. Ground Truth's with its internal-color-map)
// Values that no class maps to become 255 (ignore). 255 always stays 255.
#include <array>
#include <cstdint>
#include <map>
#include <filesystem>
#include <string>

#include <opencv2/core.hpp>

namespace segmaker::data {

class LabelMap {
 public:
  LabelMap();  // identity ({"scale": "1"})
  static LabelMap from_json_text(const std::string& text);  // throws UserError
  static LabelMap from_file(const std::filesystem::path& path);

  bool is_identity() const { return identity_; }
  std::uint8_t apply(std::uint8_t stored) const { return lut_[stored]; }
  // In place on a CV_8UC1 mask.
  void apply(cv::Mat& mask) const;

  // A colour map: masks are read as RGB pictures and each pixel's colour gives its class.
  bool has_colors() const { return !class_of_color_.empty(); }
  // RGB (CV_8UC3) → class ids (CV_8UC1). Throws DataError naming `file`, the colour and a pixel for a
  // colour no class has.
  cv::Mat classes_of_colors(const cv::Mat& rgb, const std::string& file) const;

 private:
  std::array<std::uint8_t, 256> lut_{};
  bool identity_ = true;
  std::map<std::uint32_t, std::uint8_t> class_of_color_;  // 0xRRGGBB → class id
};

}  // namespace segmaker::data
