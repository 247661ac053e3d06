// A model artifact's network (see artifact_network.h).
#include "inference/artifact_network.h"

#include "io/error.h"
#include "models/registry.h"
#include "models/weights.h"

namespace segmaker::inference {

models::SegmentationModel build_network(const ModelArtifact& artifact, const std::string& what, bool with_aux) {
  models::ModelSpec spec = artifact.spec;
  spec.aux = with_aux;
  models::SegmentationModel model = models::build_model(spec);
  models::LoadOptions load;
  load.what = what;
  load.skip_file_prefixes = {"aux_classifier."};
  load.allow_missing = with_aux;  // the auxiliary head only: checked below
  const auto report = models::load_weights_from_bytes(*model, artifact.weights, load);
  for (const auto& name : report.missing)
    if (name.rfind("aux_classifier.", 0) != 0) throw DataError(what + " lacks tensor '" + name + "'");
  return model;
}

}  // namespace segmaker::inference
