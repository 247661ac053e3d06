#include "train/model_setup.h"

#include "io/error.h"
#include "models/pretrained.h"
#include "models/registry.h"
#include "models/weights.h"
#include "inference/artifact.h"
#include "inference/artifact_network.h"

namespace segmaker::train {

namespace {

void check_previous(const Hyperparameters& h, const inference::ModelArtifact& previous, const std::filesystem::path& path) {
  auto mismatch = [&](const std::string& name, const std::string& theirs, const std::string& ours) {
    throw UserError("incremental training: the previous model '" + path.string() + "' has " + name + " = " + theirs +
                    " but this job sets " + name + " = " + ours + "; they must match");
  };
  if (previous.spec.backbone != h.backbone) mismatch("backbone", previous.spec.backbone, h.backbone);
  if (previous.spec.algorithm != h.algorithm) mismatch("algorithm", previous.spec.algorithm, h.algorithm);
  if (previous.spec.num_classes != h.num_classes)
    mismatch("num_classes", std::to_string(previous.spec.num_classes), std::to_string(h.num_classes));
  // The previous job's crop_size is its network input size (read_artifact fills it in for old artifacts).
  const int crop = previous.spec.input_size > 0 ? previous.spec.input_size : h.crop_size;
  if (crop != h.crop_size) mismatch("crop_size", std::to_string(crop), std::to_string(h.crop_size));
}

}  // namespace

ModelSetup setup_model(const Hyperparameters& h, const std::filesystem::path& previous_model) {
  models::ModelSpec spec;
  spec.algorithm = h.algorithm;
  spec.backbone = h.backbone;
  spec.num_classes = h.num_classes;
  spec.output_stride = h.output_stride;
  spec.aux = h.aux_loss;
  spec.preprocessing = data::Preprocessing::imagenet();
  ModelSetup setup;

  if (!previous_model.empty()) {
    inference::ModelArtifact previous = inference::read_artifact(previous_model);
    check_previous(h, previous, previous_model);
    setup.model = inference::build_network(previous, "previous model '" + previous_model.string() + "'", h.aux_loss);
    setup.initialised_from = "previous model " + previous_model.string();
    return setup;
  }

  if (h.use_pretrained_model) {
    const std::filesystem::path path = models::pretrained_weights_for(h.backbone);  // UserError says how to get it
    models::WeightFile file = models::load_weight_file(path);
    spec.stride_in_1x1 = file.metadata.stride_in_1x1;
    spec.preprocessing = file.metadata.preprocessing;
    setup.model = models::build_model(spec);
    models::LoadOptions load;
    load.module_prefix = "backbone.";
    load.skip_file_prefixes = {"fc."};
    load.allow_missing = false;
    load.what = "pretrained weights '" + path.string() + "'";
    models::load_weights(*setup.model, file, load);
    setup.initialised_from = "ImageNet weights " + path.string() + " (" + file.metadata.source + ")";
    return setup;
  }

  setup.model = models::build_model(spec);
  setup.initialised_from = "random initialisation (use_pretrained_model = False)";
  return setup;
}

std::vector<torch::Tensor> trainable_parameters(models::SegmentationModel& model, bool freeze_backbone) {
  std::vector<torch::Tensor> params;
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    const bool backbone = item.key().rfind("backbone.", 0) == 0;
    if (freeze_backbone && backbone) {
      item.value().set_requires_grad(false);
    } else {
      params.push_back(item.value());
    }
  }
  return params;
}

void set_training_mode(models::SegmentationModel& model, bool freeze_backbone) {
  model->train();
  if (freeze_backbone) model->backbone()->eval();
}

}  // namespace segmaker::train
