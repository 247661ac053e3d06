#pragma once
// Whole-folder transfers between any two kinds of location (storage.h), in parallel (bounded), with
// a progress bar (bytes and objects) on a terminal and log lines otherwise. These are what commands use
// to stage data: download channels before training (SageMaker's File mode), upload artifacts after.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "storage/storage.h"

namespace segmaker::storage {

struct TransferSummary {
  std::size_t objects = 0;
  std::uint64_t bytes = 0;
  std::size_t from_cache = 0;  // downloads answered by the download cache
  double seconds = 0;
};

// Copies every object under `prefix_uri` into `local_dir` (keys relative to the prefix become relative
// paths; keys that would escape the folder are refused). Uses the download cache unless disabled.
// A local `prefix_uri` is copied (or used in place by the callers that can).
TransferSummary download_prefix(const std::string& prefix_uri, const std::filesystem::path& local_dir,
                                const StorageConfig& config = StorageConfig::from_environment());

// The same for the objects whose path relative to the prefix `include` accepts (e.g. one channel).
TransferSummary download_prefix(const std::string& prefix_uri, const std::filesystem::path& local_dir, const StorageConfig& config,
                                const std::function<bool(const std::string& relative)>& include);

// Uploads every file under `local_dir` to `prefix_uri` (relative paths become keys below the prefix).
TransferSummary upload_folder(const std::filesystem::path& local_dir, const std::string& prefix_uri,
                              const StorageConfig& config = StorageConfig::from_environment());

// One file to/from any location (a model.tar.gz, one image, one answer).
void download_file(const std::string& uri, const std::filesystem::path& file, const StorageConfig& config = StorageConfig::from_environment());
void upload_file(const std::filesystem::path& file, const std::string& uri, const StorageConfig& config = StorageConfig::from_environment());

}  // namespace segmaker::storage
