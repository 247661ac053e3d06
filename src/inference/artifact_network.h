#pragma once
// The network of a model artifact, with its weights: the one way predict / serve / evaluate (through
// the Predictor), segmaker quantize and incremental training build a model from model.tar.gz.
#include <string>

#include "inference/artifact.h"
#include "models/segmentation_model.h"

namespace segmaker::inference {

// Builds artifact.spec's network and loads its weights strictly (every name and shape). An artifact
// has no auxiliary head: `with_aux` (training) builds one anyway, freshly initialised; otherwise the
// network has none and any aux weights in the file are ignored. `what` names the weights in errors
// (DataError / UserError from models::load_weights_from_bytes).
models::SegmentationModel build_network(const ModelArtifact& artifact, const std::string& what, bool with_aux = false);

}  // namespace segmaker::inference
