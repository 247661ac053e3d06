// A training job's data, output and checkpoints on any storage (see job_storage.h).
#include "train/job_storage.h"

#include <spdlog/spdlog.h>

#include "io/error.h"
#include "sagemaker/augmented_manifest_channel.h"
#include "storage/transfer.h"

namespace segmaker::train {

namespace fs = std::filesystem;

namespace {

// A file or an object (an augmented manifest), not a folder or prefix.
bool names_one_object(const std::string& uri, const storage::StorageConfig& config) {
  const storage::Location location = storage::parse_location(uri);
  if (!location.is_s3()) return fs::is_regular_file(location.local);
  return !location.key.empty() && location.key.back() != '/' && storage::open_storage(location, config)->stat(location).has_value();
}

}  // namespace

JobStorage::JobStorage(const std::string& data_uri, const std::string& output_uri, const std::string& checkpoint_uri,
                       const storage::StorageConfig& config, const Manifests& manifests)
    : config_(config) {
  using storage::StagedInput;
  output_.emplace(output_uri, StagedInput::Kind::Folder, config);
  std::string remote_checkpoints = checkpoint_uri;
  if (remote_checkpoints.empty() && output_->remote()) remote_checkpoints = output_->location().child("checkpoints").uri();
  if (storage::is_remote(remote_checkpoints)) {
    checkpoint_uri_ = remote_checkpoints;
    checkpoint_staging_ = storage::make_staging_dir("checkpoints");
    checkpoint_dir_ = checkpoint_staging_ / "checkpoints";
    fs::create_directories(checkpoint_dir_);
    storage::StorageConfig uncached = config_;
    uncached.use_cache = false;  // checkpoints change every epoch: no point caching them
    const auto summary = storage::download_prefix(checkpoint_uri_, checkpoint_dir_, uncached);
    if (summary.objects) spdlog::info("checkpoints: {} file(s) from {}", summary.objects, checkpoint_uri_);
  } else if (!checkpoint_uri.empty()) {
    checkpoint_dir_ = storage::parse_location(checkpoint_uri).local;
  }
  if (!names_one_object(data_uri, config)) {
    if (!manifests.validation_uri.empty())
      throw UserError("--validation-data goes with an augmented manifest as --data; '" + data_uri + "' is a data folder");
    data_.emplace(data_uri, StagedInput::Kind::Folder, config);
    return;
  }
  if (manifests.validation_uri.empty())
    throw UserError("--data '" + data_uri + "' is a file, read as the train channel's augmented manifest: give the "
                    "validation channel's with --validation-data");
  manifest_staging_ = storage::make_staging_dir("augmented-manifest");
  for (const auto& [channel, uri] : {std::pair{"train", data_uri}, std::pair{"validation", manifests.validation_uri}}) {
    const auto staged = sagemaker::stage_augmented_manifest(uri, manifests.attribute_names, data_dir(), channel, config);
    spdlog::info("{}", staged.summary(channel));
  }
}

JobStorage::~JobStorage() {
  std::error_code ec;
  if (!checkpoint_staging_.empty()) fs::remove_all(checkpoint_staging_, ec);
  if (!manifest_staging_.empty()) fs::remove_all(manifest_staging_, ec);
}

fs::path JobStorage::checkpoint_dir() const { return checkpoint_dir_; }

void JobStorage::save_checkpoints() {
  if (!uploads_ || checkpoint_uri_.empty() || fs::is_empty(checkpoint_dir_)) return;
  storage::StorageConfig quiet = config_;
  quiet.progress = false;
  storage::upload_folder(checkpoint_dir_, checkpoint_uri_, quiet);
}

void JobStorage::finish() {
  save_checkpoints();
  if (uploads_ && output_->remote()) {
    const auto summary = output_->commit();
    spdlog::info("train: uploaded {} file(s) ({:.1f} MB) to {}", summary.objects, summary.bytes / 1e6,
                 output_->location().uri());
  }
}

}  // namespace segmaker::train
