#pragma once
// How a model wants its input: channel order, value scale, per-channel mean and std.
// The model artifact stores it, so that training, evaluation and serving always agree.
#include <array>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace segmaker::data {

struct Preprocessing {
  // "RGB" or "BGR": the order of the 3 input channels the network sees.
  std::string channel_order = "RGB";
  // Pixel values (0..255) are multiplied by `scale` before the mean is subtracted.
  float scale = 1.0f / 255.0f;
  // Per channel, in `channel_order`, after scaling: x' = (x * scale - mean) / std.
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};

  // ImageNet preprocessing as torchvision uses it (RGB, 0..1, mean/std).
  static Preprocessing imagenet();
  // Caffe / Keras ResNet preprocessing (BGR, 0..255, mean subtraction only).
  static Preprocessing caffe();

  bool operator==(const Preprocessing& other) const;
};

nlohmann::json to_json(const Preprocessing& p);
// Throws UserError on a malformed object.
Preprocessing preprocessing_from_json(const nlohmann::json& j);

}  // namespace segmaker::data
