#pragma once
// A reproducible test image: uniform noise from `seed`, optionally box-blurred (blur > 1: a
// JPEG-friendly image whose masks have regions rather than single pixels).
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdint>

namespace segmaker::test {

inline cv::Mat random_image(int width, int height, int seed, int blur = 0) {
  cv::Mat m(height, width, CV_8UC3);
  cv::RNG rng(static_cast<std::uint64_t>(seed));
  rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  if (blur <= 1) return m;
  cv::Mat smooth;
  cv::blur(m, smooth, cv::Size(blur, blur));
  return smooth;
}

}  // namespace segmaker::test
