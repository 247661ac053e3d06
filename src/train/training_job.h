#pragma once
// The training job behind train() (train/trainer.h), in its stages:
//   TrainingJob(options)  setup: folders, data, model, optimizer, loaders, schedule, resume, rank sync
//   run_epoch()           one epoch of steps; a stop request checkpoints the partial epoch
//   validate()            validation over the whole channel (all ranks' shards summed), the metric
//                         lines and metrics.jsonl, the best weights, the checkpoint, early stopping
//   finish()              curves.png and the model artifact (rank 0), the result
// Every rank runs the same stages in the same order, so their collectives match.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "data/dataset.h"
#include "data/loader.h"
#include "train/checkpoint.h"
#include "train/distributed/communicator.h"
#include "train/distributed/gradient_sync.h"
#include "train/early_stopping.h"
#include "train/model_setup.h"
#include "train/schedule.h"
#include "train/trainer.h"
#include "train/training_forward.h"

namespace segmaker::train {

class TrainingJob {
 public:
  explicit TrainingJob(const TrainOptions& options);
  TrainingJob(const TrainingJob&) = delete;
  TrainingJob& operator=(const TrainingJob&) = delete;

  // True while epochs remain and the job was neither stopped early nor interrupted.
  bool has_next_epoch() const;
  // Trains one epoch; false when a stop was requested inside it (the partial epoch is checkpointed).
  bool run_epoch();
  // Validates the epoch just trained and records it (metrics, best weights, checkpoint); decides
  // early stopping and acts on a stop requested at the epoch's end.
  void validate();
  TrainResult finish();

 private:
  void setup_data();
  void setup_model();
  void setup_loaders();
  // True when this rank holds its own share of the channel (ShardedByS3Key, several ranks).
  bool sharded(const std::string& channel) const { return world_ > 1 && options_.sharded.count(channel) > 0; }
  // Pipe mode: the loader of a streamed channel, its label map from data_dir/label_map when there is one.
  std::unique_ptr<data::BatchSource> stream_loader(const std::string& channel, const data::LoaderOptions& options,
                                                   std::size_t examples) const;
  void resume_or_start();
  void checkpoint_partial_epoch(int batches, double loss_sum);

  const TrainOptions& options_;
  const Hyperparameters& h_;
  std::shared_ptr<Communicator> comm_;
  bool main_rank_ = true;
  int world_ = 1;
  bool progress_ = true;
  int threads_ = 1;
  torch::Device device_{torch::kCPU};
  std::filesystem::path output_dir_, checkpoint_dir_;

  std::shared_ptr<data::SegmentationDataset> train_set_, val_set_;
  std::size_t train_share_limit_ = 0;
  bool first_step_logged_ = false;  // ShardedByS3Key: the smallest rank's share
  std::vector<std::string> classes_;
  ModelSetup setup_;
  models::SegmentationModel model_{nullptr};
  std::vector<torch::Tensor> params_;
  std::unique_ptr<TrainingForward> forward_;  // the steps' forward pass and loss in the job's precision
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::unique_ptr<GradientSync> gradient_sync_;
  std::unique_ptr<data::BatchSource> train_loader_, val_loader_;  // folders (DataLoader) or pipes (StreamLoader)
  std::unique_ptr<LrSchedule> schedule_;
  EarlyStopping early_;
  TrainingState state_;
  TrainResult result_;

  // The epoch being trained (0-based) and what run_epoch() measured for validate().
  int epoch_ = 0;
  int epoch_batches_ = 0;
  double epoch_loss_sum_ = 0;
  std::size_t epoch_images_ = 0;
  double epoch_seconds_ = 0;
};

}  // namespace segmaker::train
