// The median stopping rule (see median_rule.h).
#include "tuning/median_rule.h"

#include <algorithm>
#include <numeric>

namespace segmaker::tuning {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

bool median_rule_stops(const std::vector<double>& own, const std::vector<std::vector<double>>& earlier) {
  if (own.empty()) return false;
  const std::size_t k = own.size();
  std::vector<double> averages;
  for (const auto& e : earlier)
    if (e.size() >= k) averages.push_back(std::accumulate(e.begin(), e.begin() + static_cast<long>(k), 0.0) / static_cast<double>(k));
  return !averages.empty() && own.back() < median(averages);
}

}  // namespace segmaker::tuning
