#pragma once
// Learning-rate schedules, per iteration as GluonCV's LRScheduler computes them, torch-free.
//   poly:   lr = base × (1 − t/T)^power            (power 0.9)
//   cosine: lr = base × (1 + cos(π t/T)) / 2
//   step:   lr = base × factor^(number of steps s with s × iters_per_epoch ≤ iteration)
// t and T count iterations after the warm-up; during the warm-up (warmup_epochs × iters_per_epoch
// iterations) lr rises linearly from 0 towards base, as GluonCV's linear warm-up does.
#include <cstdint>
#include <string>
#include <vector>

namespace segmaker::train {

struct ScheduleOptions {
  std::string kind = "poly";  // poly | cosine | step
  double base_lr = 0.001;
  int epochs = 10;
  std::int64_t iters_per_epoch = 1;
  double power = 0.9;
  double factor = 0.1;     // step
  std::vector<int> steps;  // step: epochs at which lr is multiplied by factor
  int warmup_epochs = 0;
};

class LrSchedule {
 public:
  explicit LrSchedule(ScheduleOptions options);  // throws UserError on an unknown kind

  // Learning rate for 0-based global iteration `iteration` (clamped to the last one).
  double lr_at(std::int64_t iteration) const;
  std::int64_t total_iterations() const { return total_; }
  const ScheduleOptions& options() const { return options_; }

 private:
  ScheduleOptions options_;
  std::int64_t total_;
  std::int64_t warmup_;
};

}  // namespace segmaker::train
