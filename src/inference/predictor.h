#pragma once
// THE Predictor: the one place where inference happens. It loads a model artifact, builds the
// network its spec describes, loads the weights, prepares the model for inference (eval, drop the
// auxiliary head, fold BatchNorm), and turns RGB images of any size into class masks and
// probabilities with the preprocessing the model was trained with:
//
//   image (H×W) → resize so the short side is the model's input_size (the training crop_size, the
//   scale the network saw in validation; the long side is rounded to a multiple of 16) → normalise
//   (artifact's Preprocessing) → forward → logits resized back to H×W (bilinear) → softmax / argmax.
// With test-time augmentation (PredictorOptions::tta, inference/tta.h) it runs several views of the
// image (mirrored, other scales) and averages their softmax probabilities at H×W before the argmax.
//
// `segmaker serve` (via serve/batcher), `segmaker predict` and `segmaker evaluate` all call it; none of them
// re-implements a step. Torch-free header (pimpl): the HTTP and codec code compiles without LibTorch.
// predict() and predict_batch() may be called from several threads at once.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "inference/prediction.h"
#include "models/model_spec.h"

namespace segmaker::inference {

struct ModelArtifact;

struct PredictorOptions {
  // "cpu", "cuda", "cuda:1", ... (a runtime choice; UserError when unavailable).
  std::string device = "cpu";
  // Short side of the network input in pixels. 0 = the artifact's model_spec.input_size (the
  // training crop_size; the image's own size when the artifact has none); -1 = always the image's own size.
  int input_size = 0;
  // Fold BatchNorm into the convolutions (same logits within float rounding, faster).
  bool fold_batchnorm = true;
  // The network input's limits: its width × height, and the image's long side / short side (a
  // 1000×1 image would otherwise be scaled to 240×240000). Over them, data::ImageTooLarge.
  std::int64_t max_network_pixels = 2048LL * 2048LL;
  double max_aspect_ratio = 32.0;
  // fp32 | bf16 | int8 | auto (inference/engine/precision.h): auto takes the fastest the CPU supports and
  // the artifact allows (int8 needs a calibrated artifact: segmaker quantize) and logs the choice; an
  // explicit precision the CPU lacks is a UserError. Softmax, argmax and the logits resize stay fp32.
  // The library default is exact fp32; the predict / serve / evaluate commands default to auto.
  // Unfolded batch norm (fold_batchnorm = false) allows fp32 only (auto resolves to it).
  std::string precision = "fp32";
  // Test-time augmentation: none | flip | multiscale (inference/tta.h). Works with every precision;
  // costs 2 (flip) or 12 (multiscale) forward passes per image.
  std::string tta = "none";
};

class Predictor {
 public:
  Predictor(const ModelArtifact& artifact, const PredictorOptions& options = {});
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;

  // Reads a model.tar.gz (or an unpacked artifact folder) and builds the predictor.
  static std::unique_ptr<Predictor> load(const std::filesystem::path& artifact, const PredictorOptions& options = {});

  const models::ModelSpec& spec() const;
  // One name per class id (num_classes() entries; data::default_class_name where the artifact has none).
  const std::vector<std::string>& classes() const;
  int num_classes() const;
  std::string device() const;
  // The precision the network runs in ("fp32", "bf16", "int8") and the sentence that says why.
  std::string precision() const;
  std::string precision_reason() const;
  // The short side the network sees (0 = the image's own size).
  int input_size() const;
  // The test-time augmentation ("none", "flip", "multiscale").
  std::string tta() const;

  // The size the network runs at for an image of `image_size` (width × height). Images with the
  // same network size can share a batch. Throws data::ImageTooLarge when the image is over the
  // options' max_aspect_ratio or its network input over max_network_pixels.
  cv::Size network_size(cv::Size image_size) const;

  // One RGB image (CV_8UC3) → mask (and probabilities [C, H, W] when asked) at the image's size.
  // Throws DataError on an empty or non-RGB image.
  Prediction predict(const cv::Mat& rgb, bool probabilities = false) const;

  // Several images in one forward pass (one per test-time augmentation view). They must share
  // network_size() (else UserError); each answer has its own image's size.
  std::vector<Prediction> predict_batch(const std::vector<cv::Mat>& rgb_images, bool probabilities = false) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace segmaker::inference
