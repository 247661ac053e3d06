#include "train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <mutex>
#include <sstream>

#include "io/durable_file.h"
#include "io/error.h"
#include "io/paths.h"

namespace segmaker::train {

namespace fs = std::filesystem;

namespace {

at::Tensor cpu_rng_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_cpu_rng_state(const at::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

}  // namespace

void save_checkpoint(const fs::path& dir, const torch::nn::Module& model, const torch::optim::Optimizer& optimizer,
                     const TrainingState& state) {
  nlohmann::json meta = {{"format", "segmaker-checkpoint"},
                         {"version", 1},
                         {"epoch", state.epoch},
                         {"iteration", state.iteration},
                         {"epoch_batches_done", state.epoch_batches_done},
                         {"epoch_loss_sum", state.epoch_loss_sum},
                         {"best_miou", state.best_miou},
                         {"best_epoch", state.best_epoch},
                         {"early_stopping", state.early_stopping},
                         {"history", state.history},
                         {"hyperparameters", state.hyperparameters},
                         {"model_spec", state.model_spec}};
  torch::serialize::OutputArchive archive;
  archive.write("meta", c10::IValue(meta.dump()));
  archive.write("best_weights", c10::IValue(state.best_weights));
  archive.write("rng_state", cpu_rng_state(), /*is_buffer=*/true);
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  io::write_file_durable(dir / kCheckpointFile, bytes.str());  // survives a crash whole
}

bool has_checkpoint(const fs::path& dir) { return fs::is_regular_file(dir / kCheckpointFile); }

TrainingState load_checkpoint(const fs::path& dir, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                              const nlohmann::json& expected_model_spec) {
  const fs::path file = dir / kCheckpointFile;
  if (fs::is_directory(dir)) {  // a writer killed mid-write leaves checkpoint.pt.tmp.<pid>
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(std::string(kCheckpointFile) + ".tmp.", 0) == 0) {
        std::error_code ec;
        fs::remove(entry.path(), ec);
      }
    }
  }
  if (!fs::is_regular_file(file)) throw UserError("no checkpoint to resume from: '" + file.string() + "' does not exist");
  TrainingState state;
  nlohmann::json meta;
  torch::serialize::InputArchive archive;
  try {
    std::istringstream in(io::read_file(file));
    archive.load_from(in);
    c10::IValue meta_value, best_value;
    archive.read("meta", meta_value);
    archive.read("best_weights", best_value);
    meta = nlohmann::json::parse(meta_value.toStringRef());
    state.best_weights = best_value.toStringRef();
    archive.read("rng_state", state.rng_state, /*is_buffer=*/true);
  } catch (const std::exception& e) {
    throw DataError("checkpoint '" + file.string() + "' is damaged or not a segmaker checkpoint: " + e.what());
  }
  if (meta.value("format", "") != "segmaker-checkpoint")
    throw DataError("'" + file.string() + "' is not a segmaker checkpoint");
  if (meta.value("model_spec", nlohmann::json()) != expected_model_spec)
    throw UserError("checkpoint '" + file.string() + "' was written for model " + meta.value("model_spec", nlohmann::json()).dump() +
                    ", this job builds " + expected_model_spec.dump() +
                    "; use a fresh --checkpoint-dir or the job's original hyperparameters");
  try {
    torch::serialize::InputArchive model_archive, optimizer_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optimizer_archive);
    model.load(model_archive);
    optimizer.load(optimizer_archive);
  } catch (const c10::Error& e) {
    throw UserError("checkpoint '" + file.string() + "' was written for a different model or optimizer (" +
                    e.what_without_backtrace() + "); use a fresh --checkpoint-dir or the job's original hyperparameters");
  }
  try {
    state.epoch = meta.at("epoch").get<int>();
    state.iteration = meta.at("iteration").get<std::int64_t>();
    state.epoch_batches_done = meta.at("epoch_batches_done").get<int>();
    state.epoch_loss_sum = meta.at("epoch_loss_sum").get<double>();
    state.best_miou = meta.at("best_miou").get<double>();
    state.best_epoch = meta.at("best_epoch").get<int>();
    state.early_stopping = meta.at("early_stopping");
    state.history = meta.at("history");
    state.hyperparameters = meta.at("hyperparameters");
    state.model_spec = meta.at("model_spec");
  } catch (const nlohmann::json::exception& e) {
    throw DataError("checkpoint '" + file.string() + "' has malformed metadata: " + e.what());
  }
  if (state.rng_state.defined()) set_cpu_rng_state(state.rng_state);
  return state;
}

}  // namespace segmaker::train
