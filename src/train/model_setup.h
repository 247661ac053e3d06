#pragma once
// The network a training job starts from: the ModelSpec its hyperparameters describe, initialised
// from ImageNet weights (use_pretrained_model), from a previous model artifact (incremental training,
// checked as SageMaker checks it), or randomly; with the backbone frozen when asked.
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "models/segmentation_model.h"
#include "train/hyperparameters.h"

namespace segmaker::train {

struct ModelSetup {
  models::SegmentationModel model{nullptr};
  std::string initialised_from;  // for the log: "ImageNet weights …", "previous model …", "random"
};

// Builds the model on CPU. `previous_model` (model.tar.gz or folder) must match backbone, algorithm,
// num_classes and crop_size (UserError otherwise). Seeds nothing: call torch::manual_seed first.
ModelSetup setup_model(const Hyperparameters& h, const std::filesystem::path& previous_model);

// Parameters the optimizer updates: all, or only the heads' with freeze_backbone (the backbone's
// parameters then have requires_grad = false).
std::vector<torch::Tensor> trainable_parameters(models::SegmentationModel& model, bool freeze_backbone);

// train() mode, except a frozen backbone whose batch-norm statistics stay fixed (eval()).
void set_training_mode(models::SegmentationModel& model, bool freeze_backbone);

}  // namespace segmaker::train
