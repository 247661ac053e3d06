#pragma once
// Where a training job's files live when its paths are s3:// URIs: SageMaker's File mode (the data
// channels are downloaded, through the download cache, before training starts), the artifact and
// metrics uploaded to the output prefix when the job ends, and managed checkpointing (the
// checkpoints are kept in the bucket after every epoch, so `--resume` continues on another machine).
// Local paths are used in place. A data URI naming a file or object instead of a folder is an augmented
// manifest (sagemaker/augmented_manifest_channel.h): it and the validation channel's manifest are staged
// as the channel layout in a staging folder. Torch-free.
//
//   train::JobStorage storage(flags.data, flags.output, flags.checkpoint_dir, config);
//   options.data_dir = storage.data_dir(); options.model_dir = storage.model_dir(); …
//   options.on_epoch = [&](const json&) { storage.save_checkpoints(); };
//   train(options); storage.finish();
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "storage/stage.h"

namespace segmaker::train {

class JobStorage {
 public:
  // `checkpoint_uri` "" = <output>/checkpoints (in the bucket too when the output is there). Remote
  // checkpoints are downloaded now, so that --resume finds them and a job without --resume is told
  // that they exist rather than silently overwriting them.
  struct Manifests {
    std::string validation_uri;                // required when the data URI is a manifest
    std::vector<std::string> attribute_names;  // empty: Ground Truth's
  };
  JobStorage(const std::string& data_uri, const std::string& output_uri, const std::string& checkpoint_uri,
             const storage::StorageConfig& config, const Manifests& manifests = {});
  ~JobStorage();
  JobStorage(const JobStorage&) = delete;
  JobStorage& operator=(const JobStorage&) = delete;

  // Distributed jobs: only rank 0 writes checkpoints and the artifact, so only it uploads (the other
  // ranks would upload the checkpoint they resumed from over the newer one).
  void set_uploads(bool uploads) { uploads_ = uploads; }

  std::filesystem::path data_dir() const { return data_ ? data_->path() : manifest_staging_ / "data"; }
  const std::filesystem::path& model_dir() const { return output_->path(); }
  // "" when the trainer's default (<model_dir>/checkpoints) is right.
  std::filesystem::path checkpoint_dir() const;

  // Uploads the checkpoint folder (after every epoch, and when the job stops). A no-op when local.
  void save_checkpoints();
  // Uploads the output folder (model.tar.gz, metrics.jsonl, curves.png) and the checkpoints.
  void finish();

 private:
  storage::StorageConfig config_;
  std::optional<storage::StagedInput> data_;
  std::optional<storage::StagedOutput> output_;
  std::string checkpoint_uri_;            // remote checkpoints, "" when local
  std::filesystem::path checkpoint_dir_;  // the local folder the trainer writes them to
  std::filesystem::path checkpoint_staging_;
  std::filesystem::path manifest_staging_;  // the channels staged from augmented manifests
  bool uploads_ = true;
};

}  // namespace segmaker::train
