#pragma once
// What the Predictor answers for one image, torch-free so that codecs, the server and batch
// transform need no LibTorch headers.
#include <vector>

#include <opencv2/core.hpp>

namespace segmaker::inference {

struct Prediction {
  // Class id per pixel (argmax), CV_8UC1 with the input image's height and width.
  cv::Mat mask;
  // Per-pixel class probabilities (softmax), flat C-order [C, H, W]; empty unless asked for.
  std::vector<float> probabilities;
  int num_classes = 0;

  int height() const { return mask.rows; }
  int width() const { return mask.cols; }
};

}  // namespace segmaker::inference
