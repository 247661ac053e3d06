#include "data/augment.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "data/random.h"
#include "io/error.h"

namespace segmaker::data {
namespace {

Sample resize_pair(const Sample& in, int width, int height) {
  Sample out;
  out.name = in.name;
  cv::resize(in.image, out.image, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
  cv::resize(in.mask, out.mask, cv::Size(width, height), 0, 0, cv::INTER_NEAREST_EXACT);  // pixel-centre aligned, like the bilinear image
  return out;
}

Sample crop_pair(const Sample& in, int x, int y, int size) {
  cv::Rect roi(x, y, size, size);
  return {in.image(roi).clone(), in.mask(roi).clone(), in.name};
}

}  // namespace

std::mt19937_64 sample_rng(std::uint64_t seed, std::uint64_t epoch, std::uint64_t index) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(epoch), static_cast<std::uint32_t>(index),
                    static_cast<std::uint32_t>(index >> 32), 0x5E6u};
  return std::mt19937_64(seq);
}

Sample augment_train(const Sample& in, const TrainAugment& opt, std::mt19937_64& rng) {
  if (in.image.empty() || in.image.size() != in.mask.size())
    throw DataError(in.name + ": image and mask must be non-empty and of the same size");
  if (opt.crop_size <= 0 || opt.base_size <= 0) throw UserError("crop_size and base_size must be positive");
  const bool flip = opt.flip && uniform_int(rng, 0, 1) == 1;
  const double scale = uniform_real(rng, opt.min_scale, opt.max_scale);
  const int w = in.image.cols, h = in.image.rows;
  const int long_size = std::max(1, static_cast<int>(std::lround(opt.base_size * scale)));
  int ow, oh;
  if (h > w) {
    oh = long_size;
    ow = std::max(1, static_cast<int>(std::lround(static_cast<double>(w) * long_size / h)));
  } else {
    ow = long_size;
    oh = std::max(1, static_cast<int>(std::lround(static_cast<double>(h) * long_size / w)));
  }
  Sample s = resize_pair(in, ow, oh);
  if (flip) {
    cv::flip(s.image, s.image, 1);
    cv::flip(s.mask, s.mask, 1);
  }
  const int crop = opt.crop_size;
  const int padw = std::max(0, crop - ow), padh = std::max(0, crop - oh);
  if (padw > 0 || padh > 0) {
    cv::copyMakeBorder(s.image, s.image, 0, padh, 0, padw, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
    cv::copyMakeBorder(s.mask, s.mask, 0, padh, 0, padw, cv::BORDER_CONSTANT, cv::Scalar(kIgnoreLabel));
  }
  const int x = static_cast<int>(uniform_int(rng, 0, s.image.cols - crop));
  const int y = static_cast<int>(uniform_int(rng, 0, s.image.rows - crop));
  return crop_pair(s, x, y, crop);
}

Sample transform_validation(const Sample& in, int crop_size) {
  if (in.image.empty() || in.image.size() != in.mask.size())
    throw DataError(in.name + ": image and mask must be non-empty and of the same size");
  if (crop_size <= 0) throw UserError("crop_size must be positive");
  const int w = in.image.cols, h = in.image.rows;
  int ow, oh;
  if (w > h) {
    oh = crop_size;
    ow = std::max(crop_size, static_cast<int>(std::lround(static_cast<double>(w) * crop_size / h)));
  } else {
    ow = crop_size;
    oh = std::max(crop_size, static_cast<int>(std::lround(static_cast<double>(h) * crop_size / w)));
  }
  Sample s = resize_pair(in, ow, oh);
  return crop_pair(s, (ow - crop_size) / 2, (oh - crop_size) / 2, crop_size);
}

}  // namespace segmaker::data
