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
#include "train/artifact.h"
#include "train/checkpoint.h"
#include "train/device.h"
#include "train/early_stopping.h"
#include "train/loss.h"
#include "train/metrics.h"
#include "train/model_setup.h"
#include "train/optimizer.h"
#include "train/schedule.h"
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

void print_metric(const std::string& host, int epoch, const std::string& what, double value) {
  std::printf("#quality_metric: host=%s, epoch=%d, %s <score>=%.6f\n", host.c_str(), epoch, what.c_str(), value);
  std::fflush(stdout);
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

}  // namespace

TrainResult train(const TrainOptions& options) {
  const Hyperparameters& h = options.hyperparameters;
  const int threads = io::configure_torch_threads(options.threads);
  const torch::Device device = resolve_device(options.device);
  const fs::path output_dir = options.output_dir.empty() ? options.model_dir : options.output_dir;
  const fs::path checkpoint_dir = options.checkpoint_dir.empty() ? output_dir / "checkpoints" : options.checkpoint_dir;
  if (options.model_dir.empty()) throw UserError("train: no output folder for the model");
  fs::create_directories(options.model_dir);
  fs::create_directories(output_dir);
  fs::create_directories(checkpoint_dir);
  if (has_checkpoint(checkpoint_dir) && !options.resume)
    throw UserError("'" + (checkpoint_dir / kCheckpointFile).string() +
                    "' holds a checkpoint of an earlier job: pass --resume to continue it, or choose another "
                    "--checkpoint-dir / --output");
  if (h.syncbn) spdlog::info("syncbn = True: batch-norm statistics are per process on a single device");

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
  const json spec_json = models::to_json(model->spec());

  const int workers = h.data_workers > 0 ? h.data_workers : threads;
  data::LoaderOptions tl;
  tl.mode = data::LoaderMode::Train;
  tl.batch_size = h.mini_batch_size;
  tl.shuffle = true;
  tl.drop_last = true;
  tl.workers = workers;
  tl.seed = static_cast<std::uint64_t>(h.seed);
  tl.augment.base_size = h.base_size;
  tl.augment.crop_size = h.crop_size;
  data::DataLoader train_loader(train_set, model->spec().preprocessing, tl);
  data::LoaderOptions vl;
  vl.mode = data::LoaderMode::Validation;
  vl.batch_size = h.validation_mini_batch_size;
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
  spdlog::info("training {} from {} on {} ({} threads): {} train / {} validation images, crop {}, {} epoch(s) of {} iterations{}",
               models::describe(model->spec()), setup.initialised_from, device.str(), threads, train_set->size(), val_set->size(),
               h.crop_size, h.epochs, train_loader.batches_per_epoch(), h.freeze_backbone ? ", backbone frozen" : "");

  TrainResult result;
  const auto stop_now = [&] { return options.stop_requested && options.stop_requested(); };
  for (int epoch = state.epoch; epoch < h.epochs && !result.interrupted; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    set_training_mode(model, h.freeze_backbone);
    train_loader.start_epoch(static_cast<std::uint64_t>(epoch));
    io::Progress bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(h.epochs), train_loader.batches_per_epoch(),
                     options.progress);
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
      optimizer->zero_grad();
      loss.total.backward();
      optimizer->step();
      const double value = loss.total.item<double>();
      if (!std::isfinite(value))
        throw UserError("the training loss became " + std::to_string(value) + " at epoch " + std::to_string(epoch + 1) +
                        "; lower learning_rate (now " + std::to_string(h.learning_rate) + ")");
      loss_sum += value;
      ++batches;
      ++state.iteration;
      images += static_cast<std::size_t>(x.size(0));
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char status[96];
      std::snprintf(status, sizeof(status), "loss %.4f  %.1f img/s", loss_sum / batches, secs > 0 ? images / secs : 0.0);
      bar.advance(1, status);
      if (stop_now()) {
        state.epoch = epoch;
        state.epoch_batches_done = batches;
        state.epoch_loss_sum = loss_sum;
        state.early_stopping = early.state();
        save_checkpoint(checkpoint_dir, *model, *optimizer, state);
        spdlog::warn("stop requested: checkpoint written after {} batch(es) of epoch {}; continue with --resume", batches, epoch + 1);
        result.interrupted = true;
        break;
      }
    }
    bar.finish();
    if (result.interrupted) break;
    const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    ValidationPass pass = run_validation(model, val_loader, h.num_classes, device, options.progress);
    SegmentationMetrics m = compute_metrics(pass.confusion);
    json record = to_json(m, classes);
    record["epoch"] = epoch + 1;
    record["train_loss"] = batches ? loss_sum / batches : 0.0;
    record["validation_loss"] = pass.loss;
    record["learning_rate"] = schedule.lr_at(std::max<std::int64_t>(state.iteration - 1, 0));
    record["train_seconds"] = train_seconds;
    record["train_images_per_second"] = train_seconds > 0 ? images / train_seconds : 0.0;
    record["validation_seconds"] = pass.seconds;
    print_metric(options.host, epoch + 1, "train loss", record["train_loss"].get<double>());
    print_metric(options.host, epoch + 1, "validation loss", pass.loss);
    print_metric(options.host, epoch + 1, "validation mIOU", m.miou);
    print_metric(options.host, epoch + 1, "validation pixel_accuracy", m.pixel_accuracy);
    state.history.push_back(record);
    write_history(output_dir, state.history);

    if (m.miou > state.best_miou) {
      state.best_miou = m.miou;
      state.best_epoch = epoch + 1;
      state.best_weights = inference_weights(model, classes);
    }
    const bool stop = early.update(epoch + 1, m.miou);
    state.epoch = epoch + 1;
    state.epoch_batches_done = 0;
    state.epoch_loss_sum = 0;
    state.early_stopping = early.state();
    save_checkpoint(checkpoint_dir, *model, *optimizer, state);
    if (options.on_epoch) options.on_epoch(record);
    if (stop) {
      spdlog::info("early stopping after epoch {}: validation mIOU has not improved by more than {} for {} epoch(s) (best {:.4f} at epoch {})",
                   epoch + 1, h.early_stopping_tolerance, early.epochs_without_improvement(), state.best_miou, state.best_epoch);
      result.stopped_early = true;
      break;
    }
    if (stop_now()) {
      result.interrupted = true;
      spdlog::warn("stop requested: checkpoint written after epoch {}; continue with --resume", epoch + 1);
    }
  }

  result.history = state.history;
  result.epochs_completed = state.epoch;
  if (state.best_weights.empty()) return result;  // interrupted before the first validation
  result.best_metrics = state.history.at(static_cast<std::size_t>(state.best_epoch - 1));
  if (!state.history.empty()) write_curves(output_dir / "curves.png", state.history);

  ModelArtifact artifact;
  artifact.spec = model->spec();
  artifact.spec.aux = false;
  artifact.classes = classes;
  artifact.hyperparameters = to_json(h);
  artifact.metrics = result.best_metrics;
  artifact.weights = state.best_weights;
  if (options.unpacked_model) {
    write_artifact_dir(options.model_dir, artifact);
    result.model = options.model_dir;
  } else {
    result.model = options.model_dir / "model.tar.gz";
    write_artifact(result.model, artifact);
  }
  spdlog::info("best validation mIOU {:.4f} (pixel accuracy {:.4f}) at epoch {}; model written to '{}'", state.best_miou,
               result.best_metrics.at("pixel_accuracy").get<double>(), state.best_epoch, result.model.string());
  return result;
}

}  // namespace segmaker::train
