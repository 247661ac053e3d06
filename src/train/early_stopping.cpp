#include "train/early_stopping.h"

#include <nlohmann/json.hpp>

#include "io/error.h"

namespace segmaker::train {

EarlyStopping::EarlyStopping(bool enabled, int min_epochs, int patience, double tolerance)
    : enabled_(enabled), min_epochs_(min_epochs), patience_(patience), tolerance_(tolerance) {}

bool EarlyStopping::update(int epoch, double score) {
  bool improved;
  if (!has_best_) {
    improved = true;
  } else if (best_ > 0) {
    improved = (score - best_) / best_ > tolerance_;
  } else {
    improved = score > best_;
  }
  if (improved) {
    has_best_ = true;
    best_ = score;
    bad_epochs_ = 0;
  } else {
    ++bad_epochs_;
  }
  return enabled_ && epoch >= min_epochs_ && bad_epochs_ >= patience_;
}

nlohmann::json EarlyStopping::state() const {
  return {{"has_best", has_best_}, {"best", best_}, {"bad_epochs", bad_epochs_}};
}

void EarlyStopping::load_state(const nlohmann::json& state) {
  try {
    has_best_ = state.at("has_best").get<bool>();
    best_ = state.at("best").get<double>();
    bad_epochs_ = state.at("bad_epochs").get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("malformed early-stopping state in checkpoint: ") + e.what());
  }
}

}  // namespace segmaker::train
