#pragma once
// What network to build: algorithm (head), backbone, classes, output stride, preprocessing.
// The spec travels from the hyperparameters into the model artifact and back, so that training,
// evaluation and serving always build the same network. Torch-free on purpose.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/preprocessing.h"

namespace segmaker::models {

struct ModelSpec {
  std::string algorithm = "fcn";       // fcn | psp | deeplab
  std::string backbone = "resnet-50";  // resnet-18 | resnet-34 | resnet-50 | resnet-101
  int num_classes = 0;
  int output_stride = 8;  // 8 | 16 | 32 (dilation replaces the stride of layer3/layer4)
  bool aux = false;       // auxiliary FCN head on layer3 (training only)
  // Bottleneck blocks: stride on the first 1x1 conv (original / Keras "v1") instead of on the 3x3
  // (torchvision "v1.5"). Has no effect on resnet-18/34 (basic blocks).
  bool stride_in_1x1 = false;
  data::Preprocessing preprocessing;
  // Short side of the network's input at inference, in pixels: the training job's crop_size, the
  // scale the network saw in validation. 0 = not fixed (each image at its own size). It does not
  // change the network that is built; the artifact stores it (inference/artifact.h).
  int input_size = 0;

  bool operator==(const ModelSpec& other) const;
};

// Allowed values, in the order the documentation lists them.
const std::vector<std::string>& supported_algorithms();
const std::vector<std::string>& supported_backbones();
const std::vector<int>& supported_output_strides();

// Throws UserError naming the offending field and the allowed values.
void validate(const ModelSpec& spec);

nlohmann::json to_json(const ModelSpec& spec);
// `input_size` is written only when set (> 0).
// Reads and validates a spec; `algorithm`, `backbone` and `num_classes` are required, the other
// fields default as in ModelSpec. Throws UserError.
ModelSpec model_spec_from_json(const nlohmann::json& j);

// "fcn-resnet-50-os8" style name for logs and file names.
std::string describe(const ModelSpec& spec);

}  // namespace segmaker::models
