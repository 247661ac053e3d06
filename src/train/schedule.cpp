#include "train/schedule.h"

#include <algorithm>
#include <cmath>

#include "io/error.h"

namespace segmaker::train {

LrSchedule::LrSchedule(ScheduleOptions options) : options_(std::move(options)) {
  if (options_.kind != "poly" && options_.kind != "cosine" && options_.kind != "step")
    throw UserError("lr_scheduler must be poly, step or cosine, got '" + options_.kind + "'");
  if (options_.iters_per_epoch < 1) throw UserError("a schedule needs at least 1 iteration per epoch");
  total_ = static_cast<std::int64_t>(options_.epochs) * options_.iters_per_epoch;
  warmup_ = std::min<std::int64_t>(static_cast<std::int64_t>(options_.warmup_epochs) * options_.iters_per_epoch, total_);
}

double LrSchedule::lr_at(std::int64_t iteration) const {
  const double base = options_.base_lr;
  const std::int64_t t = std::clamp<std::int64_t>(iteration, 0, std::max<std::int64_t>(total_ - 1, 0));
  if (t < warmup_) return base * static_cast<double>(t) / static_cast<double>(warmup_);
  if (options_.kind == "step") {
    int passed = 0;
    for (int s : options_.steps)
      if (static_cast<std::int64_t>(s) * options_.iters_per_epoch <= t) ++passed;
    return base * std::pow(options_.factor, passed);
  }
  const double span = static_cast<double>(total_ - warmup_);
  const double progress = span > 0 ? static_cast<double>(t - warmup_) / span : 0.0;
  if (options_.kind == "poly") return base * std::pow(1.0 - progress, options_.power);
  return base * (1.0 + std::cos(M_PI * progress)) / 2.0;  // cosine
}

}  // namespace segmaker::train
