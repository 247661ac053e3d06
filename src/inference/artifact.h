#pragma once
// The model artifact, model.tar.gz: everything evaluate, predict and serve need, and nothing else.
// Torch-free (the weights travel as bytes in models/weights.h format). Format: docs/artifact.md.
//
//   model.json            {"format": "segmaker-model", "format_version": 1, "model_spec": {...},
//                          "classes": ["background", ...]}   (model_spec includes the preprocessing
//                          and input_size, the network's short side at inference)
//   weights.pt            the best weights (models/weights.h: LibTorch pickle, opens with torch.load)
//   hyperparameters.json  the resolved hyperparameters of the training job
//   metrics.json          validation metrics of the best epoch (mIOU, pixel_accuracy, per-class IoU, …)
//
// The same four files unpacked in a folder (SageMaker's /opt/ml/model) read the same.
// The one place that reads and writes the format: evaluate, predict, serve, incremental training and
// the API all load models through read_artifact (usually via inference::Predictor).
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/model_spec.h"

namespace segmaker::inference {

inline constexpr int kArtifactFormatVersion = 1;

struct ModelArtifact {
  int format_version = kArtifactFormatVersion;
  models::ModelSpec spec;            // spec.input_size: the network's short side at inference
  std::vector<std::string> classes;  // one name per class id
  nlohmann::json hyperparameters = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
  std::string weights;  // bytes in models/weights.h format
  // int8 activation ranges (inference/engine/calibration.h, written by segmaker quantize); null when the
  // model was never calibrated. Stored as calibration.json, optional in every format version.
  nlohmann::json calibration;
};

// Writes model.tar.gz atomically (libarchive). Throws UserError on an inconsistent artifact.
void write_artifact(const std::filesystem::path& tar_gz, const ModelArtifact& artifact);
// Writes the four files into a folder (SageMaker container mode, where the platform packs /opt/ml/model).
void write_artifact_dir(const std::filesystem::path& dir, const ModelArtifact& artifact);

// Reads a model.tar.gz or a folder holding the unpacked files. Throws DataError on a damaged or
// hostile archive, a missing file or a newer format version; UserError when the path is missing.
// An artifact written before model_spec.input_size existed gets it from its crop_size hyperparameter.
ModelArtifact read_artifact(const std::filesystem::path& tar_gz_or_unpacked_dir);

}  // namespace segmaker::inference
