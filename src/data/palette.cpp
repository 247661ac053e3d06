#include "data/palette.h"

#include "data/dataset.h"

namespace segmaker::data {

cv::Vec3b class_color(int id) {
  if (id == kIgnoreLabel) return {224, 224, 192};
  int r = 0, g = 0, b = 0;
  for (int shift = 7, c = id; c > 0 && shift >= 0; --shift, c >>= 3) {
    r |= ((c >> 0) & 1) << shift;
    g |= ((c >> 1) & 1) << shift;
    b |= ((c >> 2) & 1) << shift;
  }
  return {static_cast<uchar>(r), static_cast<uchar>(g), static_cast<uchar>(b)};
}

cv::Mat colorize_mask(const cv::Mat& mask) {
  cv::Vec3b lut[256];
  for (int i = 0; i < 256; ++i) lut[i] = class_color(i);
  cv::Mat out(mask.size(), CV_8UC3);
  for (int y = 0; y < mask.rows; ++y) {
    const auto* s = mask.ptr<uchar>(y);
    auto* d = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < mask.cols; ++x) d[x] = lut[s[x]];
  }
  return out;
}

}  // namespace segmaker::data
