#pragma once
// Images and masks as network input: the model's Preprocessing applied to an RGB image, class-id
// masks as int64. Shared by the DataLoader (batches) and the Predictor (inference).
#include <cstdint>

#include <ATen/core/Tensor.h>
#include <opencv2/core.hpp>

#include "data/preprocessing.h"

namespace segmaker::data {

// RGB uint8 image → [3, H, W] float32 tensor with `p` applied.
at::Tensor image_to_tensor(const cv::Mat& rgb, const Preprocessing& p);
// CV_8UC1 mask → [H, W] int64 tensor.
at::Tensor mask_to_tensor(const cv::Mat& mask);

// The same into a caller's buffer ([3, H, W] floats; [H, W] int64). Plain loops on purpose: loader
// threads must not start LibTorch's (OpenMP) parallel kernels, which would oversubscribe the cores
// the training step is using.
void write_image(const cv::Mat& rgb, const Preprocessing& p, float* out);
void write_mask(const cv::Mat& mask, std::int64_t* out);

}  // namespace segmaker::data
