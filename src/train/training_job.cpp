// The training job's stages (train/training_job.h).
#include "train/training_job.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "data/classes.h"
#include "data/stream_loader.h"
#include "inference/artifact.h"
#include "inference/device.h"
#include "inference/metrics.h"
#include "inference/torch_threads.h"
#include "io/error.h"
#include "io/progress.h"
#include "models/registry.h"
#include "models/weights.h"
#include "train/distributed/replica_check.h"
#include "train/distributed/sync_batchnorm.h"
#include "train/loss.h"
#include "train/optimizer.h"
#include "train/training_log.h"
#include "train/validation.h"

namespace segmaker::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The model's weights for the artifact: no auxiliary head (it only serves the training loss).
std::string inference_weights(const models::SegmentationModel& model, const std::vector<std::string>& classes) {
  models::WeightMetadata meta;
  meta.source = "segmaker train";
  meta.architecture = models::describe(model->spec());
  meta.stride_in_1x1 = model->spec().stride_in_1x1;
  meta.preprocessing = model->spec().preprocessing;
  meta.class_names = classes;
  models::WeightFile file = models::weights_of(*model, meta);
  std::vector<std::pair<std::string, at::Tensor>> kept;
  for (auto& t : file.tensors)
    if (t.first.rfind("aux_classifier.", 0) != 0) kept.push_back(std::move(t));
  file.tensors = std::move(kept);
  return models::weights_to_bytes(file);
}

// True on every rank when `flag` is true on any (one tiny all-reduce).
bool any_rank(Communicator& comm, bool flag) {
  if (!comm.distributed()) return flag;
  std::vector<std::int64_t> v{flag ? 1 : 0};
  all_reduce_sum(comm, v);
  return v[0] > 0;
}

// Floating-point buffers (batch-norm running statistics) become their mean over the ranks: in
// training mode they do not affect the step, only evaluation, which then sees all shards' statistics.
void average_buffers(Communicator& comm, torch::nn::Module& model) {
  std::vector<torch::Tensor> floating;
  for (auto& b : model.buffers())
    if (b.is_floating_point()) floating.push_back(b);
  average_over_ranks(comm, floating);
}

// Every rank must resume from the same checkpoint (shared storage or a copy on each machine).
void check_same_checkpoint(Communicator& comm, bool has, std::int64_t iteration, const fs::path& dir) {
  if (!comm.distributed()) return;
  at::Tensor v = torch::tensor({has ? 1L : 0L, iteration, has ? -1L : 0L, -iteration}, torch::kInt64);
  comm.all_reduce_max(v);
  const auto* x = v.data_ptr<std::int64_t>();
  if (x[0] != -x[2] || x[1] != -x[3])
    throw UserError("the ranks disagree about the checkpoint in '" + dir.string() + "' (rank " + std::to_string(comm.rank()) +
                    (has ? " sees one at iteration " + std::to_string(iteration) : " sees none") +
                    "): every rank must read the same checkpoint folder; put --checkpoint-dir on storage all machines share");
}

}  // namespace

TrainingJob::TrainingJob(const TrainOptions& options)
    : options_(options),
      h_(options.hyperparameters),
      comm_(options.communicator ? options.communicator : single_process_communicator()),
      early_(h_.early_stopping, h_.early_stopping_min_epochs, h_.early_stopping_patience, h_.early_stopping_tolerance) {
  main_rank_ = comm_->is_main();
  world_ = comm_->world_size();
  if (h_.mini_batch_size % world_ != 0)
    throw UserError("mini_batch_size = " + std::to_string(h_.mini_batch_size) + " is the global batch and must divide evenly over " +
                    std::to_string(world_) + " ranks; use a multiple of " + std::to_string(world_));
  progress_ = options.progress && main_rank_;
  threads_ = inference::configure_torch_threads(options.threads);
  device_ = inference::resolve_device(options.device);
  output_dir_ = options.output_dir.empty() ? options.model_dir : options.output_dir;
  checkpoint_dir_ = options.checkpoint_dir.empty() ? output_dir_ / "checkpoints" : options.checkpoint_dir;
  if (options.model_dir.empty()) throw UserError("train: no output folder for the model");
  if (main_rank_) {
    fs::create_directories(options.model_dir);
    fs::create_directories(output_dir_);
    fs::create_directories(checkpoint_dir_);
  }
  if (has_checkpoint(checkpoint_dir_) && !options.resume)
    throw UserError("'" + (checkpoint_dir_ / kCheckpointFile).string() +
                    "' holds a checkpoint of an earlier job: pass --resume to continue it, or choose another "
                    "--checkpoint-dir / --output");
  if (h_.syncbn && world_ == 1) spdlog::info("syncbn = True: a single process has nothing to synchronise with");

  setup_data();
  setup_model();
  setup_loaders();
  resume_or_start();
}

void TrainingJob::setup_data() {
  if (!options_.pipes.empty() && world_ > 1) throw UserError("Pipe mode streams to one process: run it with a single instance");
  if (!options_.pipes.count("train"))
    train_set_ = std::make_shared<data::SegmentationDataset>(options_.data_dir, "train", h_.num_classes);
  if (!options_.pipes.count("validation"))
    val_set_ = std::make_shared<data::SegmentationDataset>(options_.data_dir, "validation", h_.num_classes);
  for (const auto& [channel, set] : {std::pair{"train", train_set_}, std::pair{"validation", val_set_}}) {
    if (!set) continue;  // streamed: its pairs are checked as they arrive
    const std::size_t listed = set->size();
    const auto dropped = set->drop_mismatched_pairs();
    if (dropped.empty()) continue;
    std::string reasons;
    for (std::size_t i = 0; i < std::min<std::size_t>(dropped.size(), 10); ++i) reasons += (i ? "; " : "") + dropped[i];
    if (set->size() == 0)
      throw UserError(std::string("no usable pair in the ") + channel + " channel of '" + options_.data_dir.string() + "': " + reasons);
    if (main_rank_)
      spdlog::warn("channel '{}': {} of {} image/annotation pairs skipped: {}{}", channel, dropped.size(), listed, reasons,
                   dropped.size() > 10 ? "; …" : "");
  }
  std::size_t train_examples = train_set_ ? train_set_->size() : 0;
  if (train_set_ && sharded("train")) {
    // Every rank holds its own share: the job's examples are their sum, its steps the smallest share's.
    std::vector<double> shares(static_cast<std::size_t>(world_), 0.0);
    shares[static_cast<std::size_t>(comm_->rank())] = static_cast<double>(train_set_->size());
    all_reduce_sum(*comm_, shares);
    train_examples = 0;
    for (double n : shares) train_examples += static_cast<std::size_t>(n);
    train_share_limit_ = static_cast<std::size_t>(*std::min_element(shares.begin(), shares.end()));
    if (main_rank_)
      spdlog::info("channel 'train': ShardedByS3Key, {} examples in {} shares; each rank trains on {} of its share per epoch",
                   train_examples, world_, train_share_limit_);
  }
  if (train_set_ && static_cast<std::size_t>(h_.num_training_samples) != train_examples)
    throw UserError("hyperparameter num_training_samples = " + std::to_string(h_.num_training_samples) + " but the train channel of '" +
                    options_.data_dir.string() + "' holds " + std::to_string(train_examples) +
                    " image/annotation pairs" + (sharded("train") ? " (all instances' shares)" : "") +
                    "; set num_training_samples = " + std::to_string(train_examples));
  if (val_set_ && val_set_->size() == 0) throw UserError("the validation channel of '" + options_.data_dir.string() + "' is empty");
  classes_ = data::classes_of_data(options_.data_dir, h_.num_classes).names;
}

// Model, optimizer, gradient buckets (seeded: the same seed gives the same job on CPU).
void TrainingJob::setup_model() {
  torch::manual_seed(static_cast<std::uint64_t>(h_.seed));
  setup_ = train::setup_model(h_, options_.previous_model);
  model_ = setup_.model;
  model_->to(device_);
  forward_ = std::make_unique<TrainingForward>(model_, h_, device_);  // UserError: bf16 on a CPU without it
  params_ = trainable_parameters(model_, h_.freeze_backbone);
  optimizer_ = make_optimizer(h_, params_);
  gradient_sync_ = std::make_unique<GradientSync>(comm_, params_);
  if (h_.syncbn && world_ > 1) models::set_batchnorm_sync(*model_, std::make_shared<SyncBatchNorm>(comm_));
}

void TrainingJob::setup_loaders() {
  const int workers = h_.data_workers > 0 ? h_.data_workers : threads_;
  data::LoaderOptions tl;
  tl.mode = data::LoaderMode::Train;
  tl.batch_size = h_.mini_batch_size / world_;
  tl.rank = sharded("train") ? 0 : comm_->rank();  // a share is read whole, up to the smallest share's size
  tl.world_size = sharded("train") ? 1 : world_;
  tl.limit = sharded("train") ? train_share_limit_ : 0;
  tl.shuffle = true;
  tl.drop_last = true;
  tl.workers = workers;
  tl.seed = static_cast<std::uint64_t>(h_.seed);
  tl.augment.base_size = h_.base_size;
  tl.augment.crop_size = h_.crop_size;
  if (train_set_) train_loader_ = std::make_unique<data::DataLoader>(train_set_, model_->spec().preprocessing, tl);
  else train_loader_ = stream_loader("train", tl, static_cast<std::size_t>(h_.num_training_samples));
  data::LoaderOptions vl;
  vl.mode = data::LoaderMode::Validation;
  vl.batch_size = (h_.validation_mini_batch_size + world_ - 1) / world_;
  vl.rank = sharded("validation") ? 0 : comm_->rank();  // the shares' scores are summed over the ranks
  vl.world_size = sharded("validation") ? 1 : world_;
  vl.shuffle = false;
  vl.drop_last = false;
  vl.workers = workers;
  vl.crop_size = h_.crop_size;
  if (val_set_) val_loader_ = std::make_unique<data::DataLoader>(val_set_, model_->spec().preprocessing, vl);
  else val_loader_ = stream_loader("validation", vl, 0);

  ScheduleOptions so;
  so.kind = h_.lr_scheduler;
  so.base_lr = h_.learning_rate;
  so.epochs = h_.epochs;
  so.iters_per_epoch = static_cast<std::int64_t>(train_loader_->batches_per_epoch());
  so.factor = h_.lr_scheduler_factor;
  so.steps = h_.lr_scheduler_step;
  so.warmup_epochs = h_.warmup_epochs;
  schedule_ = std::make_unique<LrSchedule>(so);
}

std::unique_ptr<data::BatchSource> TrainingJob::stream_loader(const std::string& channel, const data::LoaderOptions& options,
                                                             std::size_t examples) const {
  data::StreamOptions so;
  so.layout = options_.pipe_layout;
  so.channel = channel;
  so.augmented_manifest = options_.pipes.at(channel) == "AugmentedManifestFile";
  so.examples = examples;
  // Training mixes the stream's order within a small window of pairs (the platform sends it in order; a
  // larger window would hold the first step back).
  if (options.mode == data::LoaderMode::Train) so.shuffle_buffer = std::max<std::size_t>(8, 2 * static_cast<std::size_t>(options.batch_size));
  const fs::path label_map = options_.data_dir / "label_map" / (channel + "_label_map.json");
  return std::make_unique<data::StreamLoader>(so, fs::exists(label_map) ? data::LabelMap::from_file(label_map) : data::LabelMap(),
                                              h_.num_classes, model_->spec().preprocessing, options);
}

// The checkpoint to continue from (--resume), the same on every rank, and rank 0's weights everywhere.
void TrainingJob::resume_or_start() {
  const json spec_json = models::to_json(model_->spec());
  state_.hyperparameters = to_json(h_);
  state_.model_spec = spec_json;
  if (options_.resume && has_checkpoint(checkpoint_dir_)) {
    state_ = load_checkpoint(checkpoint_dir_, *model_, *optimizer_, spec_json);
    early_.load_state(state_.early_stopping);
    const json resolved = to_json(h_);
    for (auto it = resolved.begin(); it != resolved.end(); ++it)
      if (state_.hyperparameters.value(it.key(), json()) != it.value())
        spdlog::warn("resuming with {} = {} (the checkpoint's job had {})", it.key(), it.value().dump(),
                     state_.hyperparameters.value(it.key(), json()).dump());
    state_.hyperparameters = to_json(h_);
    spdlog::info("resuming from '{}': {} epoch(s) done{}", (checkpoint_dir_ / kCheckpointFile).string(), state_.epoch,
                 state_.epoch_batches_done ? ", " + std::to_string(state_.epoch_batches_done) + " batch(es) into the next" : "");
  } else if (options_.resume) {
    spdlog::info("no checkpoint in '{}': starting a new job", checkpoint_dir_.string());
  }
  check_same_checkpoint(*comm_, options_.resume && has_checkpoint(checkpoint_dir_), state_.iteration, checkpoint_dir_);
  {
    // Every rank starts from rank 0's weights (identical anyway with the same seed; this makes sure).
    std::vector<torch::Tensor> all = model_->parameters();
    for (auto& b : model_->buffers()) all.push_back(b);
    broadcast_from_main(*comm_, all);
  }
  forward_->start_training();  // after the broadcast: a frozen backbone's bf16 copy takes the final weights
  if (main_rank_)
    spdlog::info("training {} from {} on {} ({} threads{}): {} train / {} validation images, crop {}, {} epoch(s) of {} iterations{}; precision {}",
                 models::describe(model_->spec()), setup_.initialised_from, device_.str(), threads_,
                 world_ > 1 ? " × " + std::to_string(world_) + " ranks, " + comm_->backend() : "",
                 train_set_ ? std::to_string(train_set_->size()) : std::to_string(h_.num_training_samples) + " streamed",
                 val_set_ ? std::to_string(val_set_->size()) : "streamed", h_.crop_size, h_.epochs, train_loader_->batches_per_epoch(),
                 h_.freeze_backbone ? ", backbone frozen" : "", forward_->describe());
}

bool TrainingJob::has_next_epoch() const {
  return state_.epoch < h_.epochs && !result_.interrupted && !result_.stopped_early;
}

bool TrainingJob::run_epoch() {
  epoch_ = state_.epoch;
  const auto start = std::chrono::steady_clock::now();
  const auto stop_now = [&] { return options_.stop_requested && options_.stop_requested(); };
  forward_->start_training();
  train_loader_->start_epoch(static_cast<std::uint64_t>(epoch_));
  io::Progress bar("epoch " + std::to_string(epoch_ + 1) + "/" + std::to_string(h_.epochs), train_loader_->batches_per_epoch(),
                   progress_);
  data::Batch batch;
  int batches = 0;
  for (; batches < state_.epoch_batches_done && train_loader_->next(batch); ++batches) bar.advance(1);  // done before the interruption
  double loss_sum = state_.epoch_loss_sum;
  std::size_t images = 0;
  while (train_loader_->next(batch)) {
    torch::Tensor x = batch.images.to(device_), y = batch.masks.to(device_);
    set_learning_rate(*optimizer_, schedule_->lr_at(state_.iteration));
    LossValue loss = forward_->train_loss(x, y, h_.aux_weight);
    // One small all-reduce per step: labelled pixels, loss × pixels, and whether any rank was asked
    // to stop. Each rank's loss is a mean over its own labelled pixels; weighting it by its share of
    // the global batch's makes the averaged gradient (and the logged loss) exactly the
    // single-process one, however the ignore pixels fall.
    const double local_loss = loss.total.item<double>();
    const double local_pixels = world_ > 1 ? static_cast<double>(y.ne(255).sum().item<std::int64_t>()) : 0.0;
    std::vector<double> step_info{local_pixels, local_loss * local_pixels, stop_now() ? 1.0 : 0.0};
    all_reduce_sum(*comm_, step_info);
    const double value = world_ > 1 && step_info[0] > 0 ? step_info[1] / step_info[0] : local_loss;
    const bool stop_step = step_info[2] > 0;
    torch::Tensor objective = loss.total;
    if (world_ > 1 && step_info[0] > 0) objective = objective * (local_pixels * world_ / step_info[0]);
    optimizer_->zero_grad();
    gradient_sync_->prepare();
    objective.backward();
    gradient_sync_->finish();
    optimizer_->step();
    if (!std::isfinite(value))
      throw UserError("the training loss became " + std::to_string(value) + " at epoch " + std::to_string(epoch_ + 1) +
                      "; lower learning_rate (now " + std::to_string(h_.learning_rate) + ")");
    loss_sum += value;
    ++batches;
    ++state_.iteration;
    if (!first_step_logged_ && main_rank_) {  // when the data let training start (File vs Pipe mode: BENCHMARKS.md)
      first_step_logged_ = true;
      spdlog::info("first training step done (epoch {}, {} images)", epoch_ + 1, batch.names.size());
    }
    images += static_cast<std::size_t>(x.size(0)) * static_cast<std::size_t>(world_);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char status[96];
    std::snprintf(status, sizeof(status), "loss %.4f  %.1f img/s", loss_sum / batches, secs > 0 ? images / secs : 0.0);
    bar.advance(1, status);
    if (stop_step) {
      bar.finish();
      checkpoint_partial_epoch(batches, loss_sum);
      return false;
    }
  }
  bar.finish();
  epoch_batches_ = batches;
  epoch_loss_sum_ = loss_sum;
  epoch_images_ = images;
  epoch_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return true;
}

void TrainingJob::checkpoint_partial_epoch(int batches, double loss_sum) {
  state_.epoch = epoch_;
  state_.epoch_batches_done = batches;
  state_.epoch_loss_sum = loss_sum;
  state_.early_stopping = early_.state();
  average_buffers(*comm_, *model_);
  if (main_rank_) save_checkpoint(checkpoint_dir_, *model_, *optimizer_, state_);
  spdlog::warn("stop requested: checkpoint written after {} batch(es) of epoch {}; continue with --resume", batches, epoch_ + 1);
  result_.interrupted = true;
}

void TrainingJob::validate() {
  const int epoch = epoch_ + 1;  // 1-based from here on
  average_buffers(*comm_, *model_);
  forward_->begin_validation();
  const ValidationPass pass = sum_over_ranks(
      *comm_, run_validation([&](const torch::Tensor& x) { return forward_->validation_logits(x); }, *val_loader_,
                             h_.num_classes, device_, progress_));
  const inference::SegmentationMetrics m = pass.score.metrics();
  json record = to_json(m, classes_);
  record["epoch"] = epoch;
  record["train_loss"] = epoch_batches_ ? epoch_loss_sum_ / epoch_batches_ : 0.0;
  record["validation_loss"] = pass.score.loss();
  record["learning_rate"] = schedule_->lr_at(std::max<std::int64_t>(state_.iteration - 1, 0));
  record["train_seconds"] = epoch_seconds_;
  record["train_images_per_second"] = epoch_seconds_ > 0 ? epoch_images_ / epoch_seconds_ : 0.0;
  record["validation_seconds"] = pass.seconds;
  if (world_ > 1) {
    const std::string digest = check_replicas_identical(*comm_, model_->parameters());
    if (main_rank_) spdlog::info("epoch {}: parameters identical on all {} ranks (sha256 {}…)", epoch, world_, digest.substr(0, 16));
  }
  state_.history.push_back(record);
  if (main_rank_) {
    print_epoch_metrics(options_.host, record);
    write_history(output_dir_, state_.history);
  }

  if (m.miou > state_.best_miou) {
    state_.best_miou = m.miou;
    state_.best_epoch = epoch;
    state_.best_weights = main_rank_ ? inference_weights(model_, classes_) : std::string("(rank 0 keeps the weights)");
  }
  const bool stop = early_.update(epoch, m.miou);
  state_.epoch = epoch;
  state_.epoch_batches_done = 0;
  state_.epoch_loss_sum = 0;
  state_.early_stopping = early_.state();
  if (main_rank_) save_checkpoint(checkpoint_dir_, *model_, *optimizer_, state_);
  if (options_.on_epoch) options_.on_epoch(record);
  if (stop) {
    if (main_rank_)
      spdlog::info("early stopping after epoch {}: validation mIOU has not improved by more than {} for {} epoch(s) (best {:.4f} at epoch {})",
                   epoch, h_.early_stopping_tolerance, early_.epochs_without_improvement(), state_.best_miou, state_.best_epoch);
    result_.stopped_early = true;
    return;
  }
  if (any_rank(*comm_, options_.stop_requested && options_.stop_requested())) {
    result_.interrupted = true;
    spdlog::warn("stop requested: checkpoint written after epoch {}; continue with --resume", epoch);
  }
}

TrainResult TrainingJob::finish() {
  TrainResult result = result_;
  result.history = state_.history;
  result.epochs_completed = state_.epoch;
  result.gradient_bytes_per_step = world_ > 1 ? gradient_sync_->stats().bytes_per_step : 0;
  result.gradient_wait_seconds = gradient_sync_->stats().wait_seconds;
  result.steps = gradient_sync_->stats().steps;
  result.parameters_sha256 = check_replicas_identical(*comm_, model_->parameters());
  if (!main_rank_ || state_.best_weights.empty()) {  // other ranks; or interrupted before the first validation
    comm_->barrier();  // leave with rank 0, after it has written the artifact
    return result;
  }
  result.best_metrics = state_.history.at(static_cast<std::size_t>(state_.best_epoch - 1));
  if (!state_.history.empty()) write_curves(output_dir_ / "curves.png", state_.history);

  inference::ModelArtifact artifact;
  artifact.spec = model_->spec();
  artifact.spec.aux = false;
  artifact.spec.input_size = h_.crop_size;  // the scale the network was validated at
  artifact.classes = classes_;
  artifact.hyperparameters = to_json(h_);
  artifact.metrics = result.best_metrics;
  artifact.weights = state_.best_weights;
  if (options_.unpacked_model) {
    inference::write_artifact_dir(options_.model_dir, artifact);
    result.model = options_.model_dir;
  } else {
    result.model = options_.model_dir / "model.tar.gz";
    inference::write_artifact(result.model, artifact);
  }
  spdlog::info("best validation mIOU {:.4f} (pixel accuracy {:.4f}) at epoch {}; model written to '{}'", state_.best_miou,
               result.best_metrics.at("pixel_accuracy").get<double>(), state_.best_epoch, result.model.string());
  comm_->barrier();
  return result;
}

}  // namespace segmaker::train
