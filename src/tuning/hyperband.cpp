// Hyperband brackets and rung decisions (see hyperband.h).
#include "tuning/hyperband.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "io/error.h"

namespace segmaker::tuning {

namespace {

// The bracket of each trial of one cycle: the most aggressive brackets (most trials) first.
std::vector<int> cycle(const HyperbandPlan& plan) {
  std::vector<int> order;
  const int s_max = plan.max_bracket();
  for (int s = s_max; s >= 0; --s) {
    const int n = static_cast<int>(std::ceil(static_cast<double>(s_max + 1) / (s + 1) * std::pow(plan.eta, s)));
    order.insert(order.end(), static_cast<std::size_t>(n), s);
  }
  return order;
}

}  // namespace

void HyperbandPlan::check() const {
  if (min_resource < 1 || max_resource < min_resource)
    throw UserError("Hyperband needs 1 <= MinResource <= MaxResource, got MinResource " + std::to_string(min_resource) +
                    " and MaxResource " + std::to_string(max_resource));
  if (eta < 2) throw UserError("Hyperband's reduction factor must be at least 2");
}

int HyperbandPlan::max_bracket() const {
  int s = 0;
  double r = max_resource;
  while (r / eta >= min_resource - 1e-9) {
    r /= eta;
    ++s;
  }
  return s;
}

int HyperbandPlan::bracket_of(std::size_t trial_index) const {
  const auto order = cycle(*this);
  return order[trial_index % order.size()];
}

std::vector<int> HyperbandPlan::rungs(int bracket) const {
  std::vector<int> r;
  for (int k = bracket; k >= 1; --k) {
    const int epochs = std::max(min_resource, static_cast<int>(std::lround(max_resource / std::pow(eta, k))));
    if (epochs < max_resource && (r.empty() || epochs > r.back())) r.push_back(epochs);
  }
  return r;
}

bool hyperband_continues(const HyperbandPlan& plan, int bracket, int epoch, double objective,
                         const std::vector<double>& peers_at_epoch) {
  const auto rungs = plan.rungs(bracket);
  if (std::find(rungs.begin(), rungs.end(), epoch) == rungs.end()) return true;
  const std::size_t n = peers_at_epoch.size() + 1;
  const std::size_t keep = std::max<std::size_t>(1, (n + plan.eta - 1) / plan.eta);
  const std::size_t better = std::count_if(peers_at_epoch.begin(), peers_at_epoch.end(), [&](double v) { return v > objective; });
  return better < keep;
}

}  // namespace segmaker::tuning
