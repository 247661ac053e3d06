#pragma once
// `segmaker train`: the whole training job, torch-free interface (the stages: train/training_job.h).
//   data → augmentation → model → cross-entropy (+ aux) → backward → optimizer step, the learning rate set
//   per iteration from the schedule; after every epoch: validation metrics over the whole validation
//   channel, SageMaker-style metric lines, metrics.jsonl, a checkpoint; early stopping; at the end the
//   best epoch's weights go into the model artifact and the curves into curves.png.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sagemaker/container_layout.h"
#include "train/hyperparameters.h"

namespace segmaker::train {

class Communicator;

struct TrainOptions {
  std::filesystem::path data_dir;    // channel layout: train, validation, *_annotation, optional label_map, classes.json
  Hyperparameters hyperparameters;
  std::filesystem::path model_dir;   // model.tar.gz goes here (or the unpacked files, see unpacked_model)
  bool unpacked_model = false;       // SageMaker: write the artifact's files; the platform packs them
  std::filesystem::path output_dir;  // metrics.jsonl, curves.png; empty = model_dir
  std::filesystem::path checkpoint_dir;  // empty = <output_dir>/checkpoints
  // Continue from the checkpoint in checkpoint_dir when there is one. Without it, an existing
  // checkpoint is an error (it would be overwritten).
  bool resume = false;
  std::filesystem::path previous_model;  // incremental training from a model.tar.gz
  std::string device = "cpu";
  int threads = 0;                   // 0 = all cores
  std::string host = "algo-1";       // for the metric lines
  bool progress = true;
  // Polled between iterations (SIGTERM/SIGINT): when true, a checkpoint of the partial epoch is
  // written and train() returns with interrupted = true.
  std::function<bool()> stop_requested;
  // Called after every epoch's checkpoint with its metrics record (tests, distributed hooks).
  std::function<void(const nlohmann::json& record)> on_epoch;
  // Data-parallel training: this process is one rank of the communicator's group (null = a single
  // process). mini_batch_size is the global batch, split evenly over the ranks; each rank reads its
  // own shard; gradients are averaged; rank 0 alone writes checkpoints, metrics and the artifact.
  std::shared_ptr<Communicator> communicator;
  // SageMaker Pipe mode: these channels ("train", "validation" → their S3DataType) are read from the
  // pipes of `pipe_layout` as they arrive (data/stream_loader.h) instead of from data_dir's folders.
  std::map<std::string, std::string> pipes;
  sagemaker::SageMakerLayout pipe_layout;
  // ShardedByS3Key with several ranks: each rank's data_dir holds its own share of these channels
  // ("train", "validation"), which it reads whole (training: as many examples as the smallest share,
  // so that the ranks' steps line up; validation: the shares' scores summed).
  std::set<std::string> sharded;
};

struct TrainResult {
  std::filesystem::path model;        // the artifact written ("" when none: interrupted before any epoch)
  nlohmann::json best_metrics;        // of the best epoch
  nlohmann::json history;             // one record per epoch
  int epochs_completed = 0;
  bool stopped_early = false;
  bool interrupted = false;
  // Distributed: gradient bytes all-reduced per step and the time spent waiting for them.
  std::int64_t gradient_bytes_per_step = 0;
  double gradient_wait_seconds = 0;
  std::int64_t steps = 0;
  std::string parameters_sha256;  // of the final parameters (the same on every rank, checked)
};

TrainResult train(const TrainOptions& options);

}  // namespace segmaker::train
