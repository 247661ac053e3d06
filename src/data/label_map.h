#pragma once
// SageMaker's label map: how stored annotation pixel values become class ids.
//   {"scale": "3"}            → class = value / 3 (floor)
//   {"map": {"0": 5, "1": 0}} → class index → stored pixel value (inverted here)
// Values that no class maps to become 255 (ignore). 255 always stays 255.
#include <array>
#include <cstdint>
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

 private:
  std::array<std::uint8_t, 256> lut_{};
  bool identity_ = true;
};

}  // namespace segmaker::data
