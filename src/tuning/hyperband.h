#pragma once
// Hyperband (Li et al. 2018) as asynchronous successive halving (Li et al. 2020, "ASHA"), with epochs
// as the resource: trials are spread over brackets s = 0 … s_max, s_max = floor(log_eta(Max / Min));
// bracket s gives n_s = ceil((s_max + 1) / (s + 1) * eta^s) of every cycle's trials and has rungs at
// Max / eta^s, Max / eta^(s-1), … (below Max). Every trial is asked for Max epochs; when it reaches a
// rung it goes on only while its objective there is among the best ceil(n / eta) of the n trials of
// its bracket that reached that rung so far (itself included), else it is stopped. Bracket 0 has no
// rungs: its trials always train for Max epochs.
#include <cstddef>
#include <vector>

namespace segmaker::tuning {

struct HyperbandPlan {
  int min_resource = 1;  // epochs
  int max_resource = 1;
  int eta = 3;

  // Throws UserError unless 1 <= min_resource <= max_resource.
  void check() const;
  int max_bracket() const;                               // s_max
  int bracket_of(std::size_t trial_index) const;         // the trial's bracket
  std::vector<int> rungs(int bracket) const;             // epochs, increasing, each < max_resource
};

// Whether a trial of `bracket` goes on after `epoch` with `objective` (larger is better), given the
// objectives at that epoch of the other trials of its bracket that reached it. True when `epoch` is not
// one of the bracket's rungs.
bool hyperband_continues(const HyperbandPlan& plan, int bracket, int epoch, double objective,
                         const std::vector<double>& peers_at_epoch);

}  // namespace segmaker::tuning
