#pragma once
// SageMaker's early stopping on validation mIOU, torch-free:
// an epoch "improves" when its mIOU beats the best so far by more than early_stopping_tolerance,
// relatively ((score - best) / best > tolerance; with tolerance 0, any increase). Training stops after
// `patience` consecutive epochs without improvement, but never before `min_epochs` epochs have run.
#include <nlohmann/json_fwd.hpp>

namespace segmaker::train {

class EarlyStopping {
 public:
  EarlyStopping(bool enabled, int min_epochs, int patience, double tolerance);

  // Records the score of 1-based epoch `epoch`; returns true when training should stop now.
  bool update(int epoch, double score);

  bool enabled() const { return enabled_; }
  double best() const { return best_; }
  int epochs_without_improvement() const { return bad_epochs_; }

  // State for checkpoints.
  nlohmann::json state() const;
  void load_state(const nlohmann::json& state);

 private:
  bool enabled_;
  int min_epochs_;
  int patience_;
  double tolerance_;
  bool has_best_ = false;
  double best_ = 0;
  int bad_epochs_ = 0;
};

}  // namespace segmaker::train
