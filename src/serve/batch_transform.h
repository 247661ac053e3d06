#pragma once
// `segmaker predict`: SageMaker batch transform on the user's machine. Every image of a folder (or
// one file) gets its answer file in the output folder, named as SageMaker's batch transform names
// them (sagemaker/transform_output.h); optionally an overlay picture in <output>/overlays/<stem>.png. Images are
// processed in parallel. A re-run skips the images whose answers exist (files are written
// atomically, so an interrupted run leaves no half-written answer). A bad image is reported and
// skipped, never fatal. Torch-free header.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "inference/predictor.h"

namespace segmaker::serve {

struct BatchTransformOptions {
  std::filesystem::path model;   // model.tar.gz or an unpacked artifact folder
  std::filesystem::path input;   // a folder of images or one image file
  std::filesystem::path output;  // created when missing
  std::string accept = "image/png";  // image/png | application/x-recordio-protobuf | application/x-protobuf | application/json
  bool overlay = false;
  int workers = 0;   // images in flight at once; 0 = min(cores, 4)
  int threads = 0;   // LibTorch threads in all; 0 = all cores
  bool progress = true;
  // Decoded width × height; larger images are skipped (read from their header, never decoded).
  std::int64_t max_pixels = 4096LL * 4096LL;
  inference::PredictorOptions predictor;
};

struct BatchTransformSummary {
  std::size_t total = 0;      // images found
  std::size_t written = 0;    // answered in this run
  std::size_t skipped = 0;    // answered by an earlier run
  std::vector<std::pair<std::filesystem::path, std::string>> failed;  // image, reason
  double seconds = 0.0;
};

// Runs the transform with the predictor loaded from options.model.
BatchTransformSummary run_batch_transform(const BatchTransformOptions& options);
// The same with a predictor the caller already has (tests, evaluation).
BatchTransformSummary run_batch_transform(const BatchTransformOptions& options, const inference::Predictor& predictor);

}  // namespace segmaker::serve
