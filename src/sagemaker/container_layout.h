#pragma once
// SageMaker's training-container layout (bring-your-own-container contract), torch-free:
//   <root>/input/config/hyperparameters.json   every value a string
//   <root>/input/config/inputdataconfig.json   {"train": {"TrainingInputMode": "File", ...}, ...}; a channel
//                                              with "S3DataType": "AugmentedManifestFile" brings its
//                                              <channel>_annotation folder with it
//   <root>/input/config/resourceconfig.json    {"current_host": "algo-1", "hosts": [...]} (optional)
//   <root>/input/data/<channel>_<n>            Pipe mode: the channel's n-th pass, a named pipe of RecordIO records
//   <root>/input/data/<channel>/               train, validation, train_annotation, validation_annotation,
//                                              optional label_map, optional model (incremental training)
//   <root>/model/                              the model (SageMaker packs it into model.tar.gz)
//   <root>/output/data/                        metrics.jsonl, curves.png
//   <root>/output/failure                      why the job failed (first 1024 characters)
//   <root>/checkpoints/                        checkpoints (synced to S3 by the platform)
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace segmaker::sagemaker {

struct SageMakerLayout {
  std::filesystem::path root = "/opt/ml";

  std::filesystem::path config_dir() const { return root / "input" / "config"; }
  std::filesystem::path data_dir() const { return root / "input" / "data"; }
  std::filesystem::path model_dir() const { return root / "model"; }
  std::filesystem::path output_data_dir() const { return root / "output" / "data"; }
  std::filesystem::path failure_file() const { return root / "output" / "failure"; }
  std::filesystem::path checkpoint_dir() const { return root / "checkpoints"; }
  // Pipe input mode: the named pipe of a channel's pass `n` (0, 1, …: one per epoch the algorithm reads).
  std::filesystem::path pipe(const std::string& channel, int n) const { return data_dir() / (channel + "_" + std::to_string(n)); }
};

struct SageMakerJob {
  nlohmann::json hyperparameters = nlohmann::json::object();  // as written (strings)
  std::vector<std::string> channels;                          // from inputdataconfig.json
  std::string current_host = "algo-1";
  std::vector<std::string> hosts{"algo-1"};
  std::filesystem::path previous_model;  // the model channel's *.tar.gz, empty without one
  // Channels in Pipe mode (read from pipe(channel, n), not from a folder) → their S3DataType.
  std::map<std::string, std::string> pipes;
  // Channels each host holds its own share of (S3DistributionType ShardedByS3Key, several hosts).
  std::set<std::string> sharded;
};

// Reads and checks the job description: required channels (train, validation, train_annotation,
// validation_annotation) present in inputdataconfig.json and on disk (Pipe mode: streamed, an augmented
// manifest's pipe carrying its annotations; an S3Prefix's annotations in their own channel's pipe, also in
// Pipe mode), File or Pipe input mode. Throws UserError.
SageMakerJob read_sagemaker_job(const SageMakerLayout& layout);

// Writes <root>/output/failure with the first 1024 characters of `reason` (never throws).
void write_failure(const SageMakerLayout& layout, const std::string& reason);

}  // namespace segmaker::sagemaker
