#pragma once
// A training job as `segmaker train` describes it, assembled and run: local folders or SageMaker's
// container layout (sagemaker/container_layout.h), hyperparameters with --set overrides, joining a
// data-parallel group, and the failure report (to the other ranks, and SageMaker's output/failure).
// Torch-free; the CLI only fills a TrainJobRequest.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "train/trainer.h"

namespace segmaker::train {

struct TrainJobRequest {
  // Local mode: all three required. Any path of local mode may be an s3:// URI (train/job_storage.h):
  // the data is downloaded first, checkpoints are kept in the bucket, the output is uploaded at the end.
  std::filesystem::path data_dir, hyperparameters_file, output_dir;
  std::filesystem::path checkpoint_dir;   // default: <output>/checkpoints (SageMaker: <root>/checkpoints)
  // data_dir may instead name an augmented manifest (a file or an object): the train channel, with
  // validation_data the validation channel's manifest; attribute_names empty = Ground Truth's.
  std::string validation_data;
  std::vector<std::string> attribute_names;
  bool resume = false;                    // SageMaker mode always resumes (a restarted job continues)
  std::filesystem::path previous_model;   // incremental training (SageMaker: the model channel's .tar.gz)
  std::vector<std::string> overrides;     // NAME=VALUE, applied over the hyperparameters file
  // SageMaker container mode: read and write the layout under sagemaker_root.
  bool sagemaker = false;
  std::filesystem::path sagemaker_root = "/opt/ml";
  // Data-parallel: join the group from MASTER_ADDR, … (always, in SageMaker mode, with several hosts).
  bool distributed = false;
  std::string backend = "auto";           // gloo | nccl | auto
  double dist_timeout_seconds = 300;
  int dist_port = 29500;                  // SageMaker multi-host rendezvous port
  std::string device = "cpu";
  int threads = 0;
  bool progress = true;
  std::function<bool()> stop_requested;   // e.g. io::StopSignal::poll()
  storage::StorageConfig storage;         // for s3:// paths (endpoint, credentials, cache)
};

// The TrainOptions the request describes (reads the hyperparameters, applies the overrides, joins
// the process group when distributed). Throws UserError; in SageMaker mode also writes output/failure.
TrainOptions assemble_train_job(const TrainJobRequest& request);

// Stages s3:// paths (local mode), assemble_train_job + train(); logs how an interrupted job continues. On failure tells the other
// ranks why, writes output/failure in SageMaker mode, and rethrows.
TrainResult run_train_job(const TrainJobRequest& request);

}  // namespace segmaker::train
