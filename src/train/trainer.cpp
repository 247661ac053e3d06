#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include <spdlog/spdlog.h>

#include "data/dataset.h"
#include "data/loader.h"
#include "io/chart.h"
#include "io/error.h"
#include "io/paths.h"
#include "io/progress.h"
#include "io/threads.h"
#include "models/registry.h"
#include "models/weights.h"
#include "inference/artifact.h"
#include "train/checkpoint.h"
#include "train/distributed/communicator.h"
#include "inference/device.h"
#include "train/early_stopping.h"
#include "train/distributed/gradient_sync.h"
#include "train/loss.h"
#include "inference/metrics.h"
#include "inference/quality_metric.h"
#include "train/model_setup.h"
#include "train/optimizer.h"
#include "train/distributed/replica_check.h"
#include "train/schedule.h"
#include "train/distributed/sync_batchnorm.h"
#include "train/validation.h"

namespace segmaker::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<std::string> load_class_names(const fs::path& data_dir, int num_classes) {
  std::vector<std::string> names;
  for (int k = 0; k < num_classes; ++k) names.push_back(std::to_string(k));
  const fs::path file = data_dir / "classes.json";
  if (!fs::is_regular_file(file)) return names;
  try {
    json j = json::parse(io::read_file(file));
    if (j.contains("num_classes") && j.at("num_classes").get<int>() != num_classes)
      throw UserError("hyperparameter num_classes = " + std::to_string(num_classes) + " but '" + file.string() + "' describes " +
                      std::to_string(j.at("num_classes").get<int>()) + " classes");
    const json listed = j.value("classes", json::object());
    for (auto it = listed.begin(); it != listed.end(); ++it) {
      const int k = std::atoi(it.key().c_str());
      if (k >= 0 && k < num_classes) names[static_cast<std::size_t>(k)] = it.value().get<std::string>();
    }
  } catch (const json::exception& e) {
    throw UserError("'" + file.string() + "' is malformed: " + e.what());
  }
  return names;
}

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

void write_history(const fs::path& dir, const json& history) {
  std::string lines;
  for (const auto& record : history) {
    json compact = record;
    compact.erase("confusion_matrix");  // metrics.jsonl stays one short line per epoch
    lines += compact.dump() + "\n";
  }
  io::write_file_atomic(dir / "metrics.jsonl", lines);
}

void write_curves(const fs::path& png, const json& history) {
  io::ChartPanel loss{"loss", "epoch", {}, {{"train", {}}, {"validation", {}}}};
  io::ChartPanel quality{"validation", "epoch", {}, {{"mIOU", {}}, {"pixel_accuracy", {}}}};
  for (const auto& r : history) {
    const double e = r.at("epoch").get<double>();
    loss.x.push_back(e);
    quality.x.push_back(e);
    loss.series[0].y.push_back(r.at("train_loss").get<double>());
    loss.series[1].y.push_back(r.at("validation_loss").get<double>());
    quality.series[0].y.push_back(r.at("mIOU").get<double>());
    quality.series[1].y.push_back(r.at("pixel_accuracy").get<double>());
  }
  io::write_line_charts(png, {loss, quality});
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

TrainResult train(const TrainOptions& options) {
  const Hyperparameters& h = options.hyperparameters;
  const std::shared_ptr<Communicator> comm = options.communicator ? options.communicator : single_process_communicator();
  const bool main_rank = comm->is_main();
  const int world = comm->world_size();
  if (h.mini_batch_size % world != 0)
    throw UserError("mini_batch_size = " + std::to_string(h.mini_batch_size) + " is the global batch and must divide evenly over " +
                    std::to_string(world) + " ranks; use a multiple of " + std::to_string(world));
  const bool progress = options.progress && main_rank;
  const int threads = io::configure_torch_threads(options.threads);
  const torch::Device device = inference::resolve_device(options.device);
  const fs::path output_dir = options.output_dir.empty() ? options.model_dir : options.output_dir;
  const fs::path checkpoint_dir = options.checkpoint_dir.empty() ? output_dir / "checkpoints" : options.checkpoint_dir;
  if (options.model_dir.empty()) throw UserError("train: no output folder for the model");
  if (main_rank) {
    fs::create_directories(options.model_dir);
    fs::create_directories(output_dir);
    fs::create_directories(checkpoint_dir);
  }
  if (has_checkpoint(checkpoint_dir) && !options.resume)
    throw UserError("'" + (checkpoint_dir / kCheckpointFile).string() +
                    "' holds a checkpoint of an earlier job: pass --resume to continue it, or choose another "
                    "--checkpoint-dir / --output");
  if (h.syncbn && world == 1) spdlog::info("syncbn = True: a single process has nothing to synchronise with");

  // --- data ---
  auto train_set = std::make_shared<data::SegmentationDataset>(options.data_dir, "train", h.num_classes);
  auto val_set = std::make_shared<data::SegmentationDataset>(options.data_dir, "validation", h.num_classes);
  if (static_cast<std::size_t>(h.num_training_samples) != train_set->size())
    throw UserError("hyperparameter num_training_samples = " + std::to_string(h.num_training_samples) + " but the train channel of '" +
                    options.data_dir.string() + "' holds " + std::to_string(train_set->size()) +
                    " image/annotation pairs; set num_training_samples = " + std::to_string(train_set->size()));
  if (val_set->size() == 0) throw UserError("the validation channel of '" + options.data_dir.string() + "' is empty");
  const std::vector<std::string> classes = load_class_names(options.data_dir, h.num_classes);

  // --- model, optimizer, schedule (seeded: the same seed gives the same job on CPU) ---
  torch::manual_seed(static_cast<std::uint64_t>(h.seed));
  ModelSetup setup = setup_model(h, options.previous_model);
  models::SegmentationModel model = setup.model;
  model->to(device);
  std::vector<torch::Tensor> params = trainable_parameters(model, h.freeze_backbone);
  std::unique_ptr<torch::optim::Optimizer> optimizer = make_optimizer(h, params);
  GradientSync gradient_sync(comm, params);
  if (h.syncbn && world > 1) models::set_batchnorm_sync(*model, std::make_shared<SyncBatchNorm>(comm));
  const json spec_json = models::to_json(model->spec());

  const int workers = h.data_workers > 0 ? h.data_workers : threads;
  data::LoaderOptions tl;
  tl.mode = data::LoaderMode::Train;
  tl.batch_size = h.mini_batch_size / world;
  tl.rank = comm->rank();
  tl.world_size = world;
  tl.shuffle = true;
  tl.drop_last = true;
  tl.workers = workers;
  tl.seed = static_cast<std::uint64_t>(h.seed);
  tl.augment.base_size = h.base_size;
  tl.augment.crop_size = h.crop_size;
  data::DataLoader train_loader(train_set, model->spec().preprocessing, tl);
  data::LoaderOptions vl;
  vl.mode = data::LoaderMode::Validation;
  vl.batch_size = (h.validation_mini_batch_size + world - 1) / world;
  vl.rank = comm->rank();
  vl.world_size = world;
  vl.shuffle = false;
  vl.drop_last = false;
  vl.workers = workers;
  vl.crop_size = h.crop_size;
  data::DataLoader val_loader(val_set, model->spec().preprocessing, vl);

  ScheduleOptions so;
  so.kind = h.lr_scheduler;
  so.base_lr = h.learning_rate;
  so.epochs = h.epochs;
  so.iters_per_epoch = static_cast<std::int64_t>(train_loader.batches_per_epoch());
  so.factor = h.lr_scheduler_factor;
  so.steps = h.lr_scheduler_step;
  so.warmup_epochs = h.warmup_epochs;
  const LrSchedule schedule(so);
  EarlyStopping early(h.early_stopping, h.early_stopping_min_epochs, h.early_stopping_patience, h.early_stopping_tolerance);

  TrainingState state;
  state.hyperparameters = to_json(h);
  state.model_spec = spec_json;
  if (options.resume && has_checkpoint(checkpoint_dir)) {
    state = load_checkpoint(checkpoint_dir, *model, *optimizer, spec_json);
    early.load_state(state.early_stopping);
    const json resolved = to_json(h);
    for (auto it = resolved.begin(); it != resolved.end(); ++it)
      if (state.hyperparameters.value(it.key(), json()) != it.value())
        spdlog::warn("resuming with {} = {} (the checkpoint's job had {})", it.key(), it.value().dump(),
                     state.hyperparameters.value(it.key(), json()).dump());
    state.hyperparameters = to_json(h);
    spdlog::info("resuming from '{}': {} epoch(s) done{}", (checkpoint_dir / kCheckpointFile).string(), state.epoch,
                 state.epoch_batches_done ? ", " + std::to_string(state.epoch_batches_done) + " batch(es) into the next" : "");
  } else if (options.resume) {
    spdlog::info("no checkpoint in '{}': starting a new job", checkpoint_dir.string());
  }
  check_same_checkpoint(*comm, options.resume && has_checkpoint(checkpoint_dir), state.iteration, checkpoint_dir);
  {
    // Every rank starts from rank 0's weights (identical anyway with the same seed; this makes sure).
    std::vector<torch::Tensor> all = model->parameters();
    for (auto& b : model->buffers()) all.push_back(b);
    broadcast_from_main(*comm, all);
  }
  if (main_rank)
    spdlog::info("training {} from {} on {} ({} threads{}): {} train / {} validation images, crop {}, {} epoch(s) of {} iterations{}",
                 models::describe(model->spec()), setup.initialised_from, device.str(), threads,
                 world > 1 ? " × " + std::to_string(world) + " ranks, " + comm->backend() : "", train_set->size(), val_set->size(),
                 h.crop_size, h.epochs, train_loader.batches_per_epoch(), h.freeze_backbone ? ", backbone frozen" : "");

  TrainResult result;
  const auto stop_now = [&] { return options.stop_requested && options.stop_requested(); };
  for (int epoch = state.epoch; epoch < h.epochs && !result.interrupted; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    set_training_mode(model, h.freeze_backbone);
    train_loader.start_epoch(static_cast<std::uint64_t>(epoch));
    io::Progress bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(h.epochs), train_loader.batches_per_epoch(),
                     progress);
    data::Batch batch;
    int batches = 0;
    double loss_sum = 0;
    for (; batches < state.epoch_batches_done && train_loader.next(batch); ++batches) bar.advance(1);  // done before the interruption
    loss_sum = state.epoch_loss_sum;
    std::size_t images = 0;
    while (train_loader.next(batch)) {
      torch::Tensor x = batch.images.to(device), y = batch.masks.to(device);
      set_learning_rate(*optimizer, schedule.lr_at(state.iteration));
      models::SegmentationOutput out = model->forward(x);
      LossValue loss = segmentation_loss(out.out, out.aux, y, h.aux_weight);
      // One small all-reduce per step: labelled pixels, loss × pixels, and whether any rank was asked
      // to stop. Each rank's loss is a mean over its own labelled pixels; weighting it by its share of
      // the global batch's makes the averaged gradient (and the logged loss) exactly the
      // single-process one, however the ignore pixels fall.
      const double local_loss = loss.total.item<double>();
      const double local_pixels = world > 1 ? static_cast<double>(y.ne(255).sum().item<std::int64_t>()) : 0.0;
      std::vector<double> step_info{local_pixels, local_loss * local_pixels, stop_now() ? 1.0 : 0.0};
      all_reduce_sum(*comm, step_info);
      const double value = world > 1 && step_info[0] > 0 ? step_info[1] / step_info[0] : local_loss;
      const bool stop_step = step_info[2] > 0;
      torch::Tensor objective = loss.total;
      if (world > 1 && step_info[0] > 0) objective = objective * (local_pixels * world / step_info[0]);
      optimizer->zero_grad();
      gradient_sync.prepare();
      objective.backward();
      gradient_sync.finish();
      optimizer->step();
      if (!std::isfinite(value))
        throw UserError("the training loss became " + std::to_string(value) + " at epoch " + std::to_string(epoch + 1) +
                        "; lower learning_rate (now " + std::to_string(h.learning_rate) + ")");
      loss_sum += value;
      ++batches;
      ++state.iteration;
      images += static_cast<std::size_t>(x.size(0)) * static_cast<std::size_t>(world);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char status[96];
      std::snprintf(status, sizeof(status), "loss %.4f  %.1f img/s", loss_sum / batches, secs > 0 ? images / secs : 0.0);
      bar.advance(1, status);
      if (stop_step) {
        state.epoch = epoch;
        state.epoch_batches_done = batches;
        state.epoch_loss_sum = loss_sum;
        state.early_stopping = early.state();
        average_buffers(*comm, *model);
        if (main_rank) save_checkpoint(checkpoint_dir, *model, *optimizer, state);
        spdlog::warn("stop requested: checkpoint written after {} batch(es) of epoch {}; continue with --resume", batches, epoch + 1);
        result.interrupted = true;
        break;
      }
    }
    bar.finish();
    if (result.interrupted) break;
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    average_buffers(*comm, *model);
    ValidationPass pass = run_validation(model, val_loader, h.num_classes, device, progress);
    if (world > 1) {  // each rank saw its shard: sum the confusion matrices and the losses
      all_reduce_sum(*comm, pass.confusion.counts());
      std::vector<double> sums{pass.loss_sum, pass.pixels, static_cast<double>(pass.images)};
      all_reduce_sum(*comm, sums);
      pass.loss_sum = sums[0];
      pass.pixels = sums[1];
      pass.loss = sums[1] > 0 ? sums[0] / sums[1] : 0.0;
      pass.images = static_cast<std::size_t>(sums[2]);
    }
    inference::SegmentationMetrics m = inference::compute_metrics(pass.confusion);
    json record = to_json(m, classes);
    record["epoch"] = epoch + 1;
    record["train_loss"] = batches ? loss_sum / batches : 0.0;
    record["validation_loss"] = pass.loss;
    record["learning_rate"] = schedule.lr_at(std::max<std::int64_t>(state.iteration - 1, 0));
    record["train_seconds"] = train_seconds;
    record["train_images_per_second"] = train_seconds > 0 ? images / train_seconds : 0.0;
    record["validation_seconds"] = pass.seconds;
    if (world > 1) {
      const std::string digest = check_replicas_identical(*comm, model->parameters());
      if (main_rank) spdlog::info("epoch {}: parameters identical on all {} ranks (sha256 {}…)", epoch + 1, world, digest.substr(0, 16));
    }
    state.history.push_back(record);
    if (main_rank) {
      inference::print_quality_metric(options.host, epoch + 1, "train loss", record["train_loss"].get<double>());
      inference::print_quality_metric(options.host, epoch + 1, "validation loss", pass.loss);
      inference::print_quality_metric(options.host, epoch + 1, "validation mIOU", m.miou);
      inference::print_quality_metric(options.host, epoch + 1, "validation pixel_accuracy", m.pixel_accuracy);
      write_history(output_dir, state.history);
    }

    if (m.miou > state.best_miou) {
      state.best_miou = m.miou;
      state.best_epoch = epoch + 1;
      state.best_weights = main_rank ? inference_weights(model, classes) : std::string("(rank 0 keeps the weights)");
    }
    const bool stop = early.update(epoch + 1, m.miou);
    state.epoch = epoch + 1;
    state.epoch_batches_done = 0;
    state.epoch_loss_sum = 0;
    state.early_stopping = early.state();
    if (main_rank) save_checkpoint(checkpoint_dir, *model, *optimizer, state);
    if (options.on_epoch) options.on_epoch(record);
    if (stop) {
      if (main_rank)
        spdlog::info("early stopping after epoch {}: validation mIOU has not improved by more than {} for {} epoch(s) (best {:.4f} at epoch {})",
                   epoch + 1, h.early_stopping_tolerance, early.epochs_without_improvement(), state.best_miou, state.best_epoch);
      result.stopped_early = true;
      break;
    }
    if (any_rank(*comm, stop_now())) {
      result.interrupted = true;
      spdlog::warn("stop requested: checkpoint written after epoch {}; continue with --resume", epoch + 1);
    }
  }

  result.history = state.history;
  result.epochs_completed = state.epoch;
  result.gradient_bytes_per_step = world > 1 ? gradient_sync.stats().bytes_per_step : 0;
  result.gradient_wait_seconds = gradient_sync.stats().wait_seconds;
  result.steps = gradient_sync.stats().steps;
  result.parameters_sha256 = check_replicas_identical(*comm, model->parameters());
  if (!main_rank) {
    comm->barrier();  // leave with rank 0, after it has written the artifact
    return result;
  }
  if (state.best_weights.empty()) {
    comm->barrier();
    return result;
  }  // interrupted before the first validation
  result.best_metrics = state.history.at(static_cast<std::size_t>(state.best_epoch - 1));
  if (!state.history.empty()) write_curves(output_dir / "curves.png", state.history);

  inference::ModelArtifact artifact;
  artifact.spec = model->spec();
  artifact.spec.aux = false;
  artifact.spec.input_size = h.crop_size;  // the scale the network was validated at
  artifact.classes = classes;
  artifact.hyperparameters = to_json(h);
  artifact.metrics = result.best_metrics;
  artifact.weights = state.best_weights;
  if (options.unpacked_model) {
    inference::write_artifact_dir(options.model_dir, artifact);
    result.model = options.model_dir;
  } else {
    result.model = options.model_dir / "model.tar.gz";
    inference::write_artifact(result.model, artifact);
  }
  spdlog::info("best validation mIOU {:.4f} (pixel accuracy {:.4f}) at epoch {}; model written to '{}'", state.best_miou,
               result.best_metrics.at("pixel_accuracy").get<double>(), state.best_epoch, result.model.string());
  comm->barrier();
  return result;
}

}  // namespace segmaker::train
