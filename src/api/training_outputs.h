#pragma once
// What moves in and out of a training job's folder: the channels downloaded before training
// (SageMaker's File mode, through the storage layer: s3://, file:// or a local folder), and after
// it model.tar.gz (packed from <job>/model) and output.tar.gz (<job>/output/data) uploaded to
// <S3OutputPath>/<TrainingJobName>/output/, and the final metrics read from the job's metrics.jsonl.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/storage.h"

namespace segmaker::api {

// Downloads every channel of the job's InputDataConfig into <job>/input/data/<channel>: an S3Prefix
// channel's objects, or exactly those a ManifestFile lists (sagemaker/manifest.h). Throws UserError "No
// S3 objects found under S3 URL …" (SageMaker's wording) for an empty prefix; naming the manifest, or the
// object it lists that cannot be read, for a ManifestFile channel.
// An AugmentedManifestFile channel is staged as the channel and its _annotation folder
// (sagemaker/augmented_manifest_channel.h); what was staged and skipped comes back, a line per such
// channel, for the job's log.
// Which of a multi-instance job's instances downloads: a ShardedByS3Key channel gives it its share of
// the objects (in key order, every count-th from its index; a manifest's entries, an augmented
// manifest's lines likewise), as SageMaker splits them; FullyReplicated channels give it everything.
struct InstanceShare {
  int index = 0, count = 1;
  bool takes(std::size_t i) const { return count <= 1 || static_cast<int>(i % static_cast<std::size_t>(count)) == index; }
};

// True when the channel's S3DataDistributionType is ShardedByS3Key.
bool is_sharded(const nlohmann::json& channel);

// Channels in `streamed` are left to pipe_objects(). The notes say what was staged, skipped or shared.
std::vector<std::string> download_channels(const nlohmann::json& document, const std::filesystem::path& job_dir,
                                           const storage::StorageConfig& config, const std::set<std::string>& streamed = {},
                                           const InstanceShare& instance = {});

// Pipe mode: the objects a channel's pipe carries, in order (sagemaker/pipe_feeder.h) -- an S3Prefix's
// objects in key order, a ManifestFile's in its order, an augmented manifest's lines' image then
// annotation (its colour map written as label_map/<channel>_label_map.json). A line per channel for the
// job's log goes to `notes`. Throws UserError naming the channel.
std::vector<std::string> pipe_objects(const nlohmann::json& channel, const std::filesystem::path& job_dir,
                                      const storage::StorageConfig& config, std::vector<std::string>& notes);

// <S3OutputPath>/<TrainingJobName>/output/model.tar.gz
std::string model_artifact_uri(const nlohmann::json& document);

// True once `segmaker train --sagemaker` has written the model into <job>/model.
bool has_trained_model(const std::filesystem::path& job_dir);

// Packs and uploads model.tar.gz and output.tar.gz; returns the model's URI.
std::string upload_training_outputs(const nlohmann::json& document, const std::filesystem::path& job_dir,
                                    const storage::StorageConfig& config);

// FinalMetricDataList from the last epoch in <job>/output/data/metrics.jsonl: train:loss,
// validation:loss, validation:mIOU, validation:pixel_accuracy. Empty when no epoch finished.
nlohmann::json final_metric_data(const std::filesystem::path& job_dir, double timestamp);

// Packs every regular file under `dir` (relative names) into a tar.gz at `tar_gz`.
void pack_folder(const std::filesystem::path& dir, const std::filesystem::path& tar_gz);

}  // namespace segmaker::api
