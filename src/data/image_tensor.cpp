// Images and masks as network input (data/image_tensor.h).
#include "data/image_tensor.h"

#include <torch/torch.h>

namespace segmaker::data {

void write_image(const cv::Mat& rgb, const Preprocessing& p, float* out) {
  const int h = rgb.rows, w = rgb.cols;
  const bool bgr = p.channel_order == "BGR";
  float mul[3], add[3];
  for (int c = 0; c < 3; ++c) {
    mul[c] = p.scale / p.std[static_cast<std::size_t>(c)];
    add[c] = -p.mean[static_cast<std::size_t>(c)] / p.std[static_cast<std::size_t>(c)];
  }
  const std::size_t plane = static_cast<std::size_t>(h) * static_cast<std::size_t>(w);
  for (int y = 0; y < h; ++y) {
    const unsigned char* row = rgb.ptr<unsigned char>(y);
    float* o0 = out + static_cast<std::size_t>(y) * static_cast<std::size_t>(w);
    float* o1 = o0 + plane;
    float* o2 = o1 + plane;
    for (int x = 0; x < w; ++x) {
      const float r = row[3 * x], g = row[3 * x + 1], b = row[3 * x + 2];
      const float c0 = bgr ? b : r, c2 = bgr ? r : b;
      o0[x] = c0 * mul[0] + add[0];
      o1[x] = g * mul[1] + add[1];
      o2[x] = c2 * mul[2] + add[2];
    }
  }
}

void write_mask(const cv::Mat& mask, std::int64_t* out) {
  for (int y = 0; y < mask.rows; ++y) {
    const auto* row = mask.ptr<std::uint8_t>(y);
    std::int64_t* o = out + static_cast<std::size_t>(y) * static_cast<std::size_t>(mask.cols);
    for (int x = 0; x < mask.cols; ++x) o[x] = row[x];
  }
}

torch::Tensor image_to_tensor(const cv::Mat& rgb, const Preprocessing& p) {
  TORCH_CHECK(rgb.type() == CV_8UC3, "image_to_tensor expects an 8-bit RGB image, got OpenCV type ", rgb.type());
  auto t = torch::empty({3, rgb.rows, rgb.cols}, torch::kFloat32);
  write_image(rgb, p, t.data_ptr<float>());
  return t;
}

torch::Tensor mask_to_tensor(const cv::Mat& mask) {
  TORCH_CHECK(mask.type() == CV_8UC1, "mask_to_tensor expects an 8-bit single-channel mask");
  auto t = torch::empty({mask.rows, mask.cols}, torch::kInt64);
  write_mask(mask, t.data_ptr<std::int64_t>());
  return t;
}

}  // namespace segmaker::data
