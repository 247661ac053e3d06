#pragma once
// Training checkpoints: one file (<checkpoint_dir>/checkpoint.pt) holding everything needed to continue
// a job exactly where it stopped: model, optimizer state, schedule position (global iteration),
// completed epochs, torch's CPU RNG state, early-stopping state, metric history, and the best
// weights so far with their mIOU. Written atomically (temporary sibling + rename): a job killed at
// any moment, even with SIGKILL while writing, leaves the previous checkpoint intact.
// Serialised with LibTorch's archive (torch.jit-style zip); the JSON part is readable on its own.
#include <cstdint>
#include <filesystem>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace segmaker::train {

struct TrainingState {
  int epoch = 0;                // epochs completed
  std::int64_t iteration = 0;   // optimizer steps taken (the schedule's position)
  int epoch_batches_done = 0;   // > 0 when interrupted inside epoch `epoch` (0-based) after that many batches
  double epoch_loss_sum = 0;    // their summed loss
  double best_miou = -1;        // -1 until a validation has run
  int best_epoch = 0;
  nlohmann::json early_stopping = nlohmann::json::object();
  nlohmann::json history = nlohmann::json::array();  // one metrics record per epoch
  nlohmann::json hyperparameters = nlohmann::json::object();  // resolved, of the job that wrote it
  nlohmann::json model_spec = nlohmann::json::object();
  std::string best_weights;     // models/weights.h bytes of the best model so far ("" before any)
  at::Tensor rng_state;         // torch's default CPU generator
};

inline constexpr const char* kCheckpointFile = "checkpoint.pt";

// Writes <dir>/checkpoint.pt atomically. The RNG state is captured here (state.rng_state is ignored).
void save_checkpoint(const std::filesystem::path& dir, const torch::nn::Module& model,
                     const torch::optim::Optimizer& optimizer, const TrainingState& state);

// True when <dir>/checkpoint.pt exists.
bool has_checkpoint(const std::filesystem::path& dir);

// Loads <dir>/checkpoint.pt into `model` and `optimizer` (built as for a fresh job, same structure),
// restores torch's CPU RNG state and returns the rest. Throws DataError on a damaged file, UserError
// when it was written for a different model (its model_spec differs from `expected_model_spec`).
// Leftover temporary files of a killed writer are removed.
TrainingState load_checkpoint(const std::filesystem::path& dir, torch::nn::Module& model,
                              torch::optim::Optimizer& optimizer, const nlohmann::json& expected_model_spec);

}  // namespace segmaker::train
