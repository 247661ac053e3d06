#pragma once
// SageMaker's early stopping of tuning trials (TrainingJobEarlyStoppingType Auto): after each epoch
// k, a trial whose objective at k is worse than the median of the earlier trials' running averages of
// the objective up to k is stopped. "Earlier trials" are those the tuning job started before it that
// reached epoch k; with none, the trial goes on.
#include <vector>

namespace segmaker::tuning {

// `own`: the trial's objective after each epoch so far (larger is better), `earlier`: the earlier
// trials' per-epoch objectives. True when the trial should stop after its latest epoch.
bool median_rule_stops(const std::vector<double>& own, const std::vector<std::vector<double>>& earlier);

// The median of `values` (the mean of the two middle ones for an even count); 0 for none.
double median(std::vector<double> values);

}  // namespace segmaker::tuning
