#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "data/random.h"
#include "io/error.h"

namespace segmaker::data {

std::vector<bool> stratified_split(const std::vector<std::string>& groups, const std::vector<std::string>& keys,
                                   double fraction, std::uint64_t seed) {
  if (groups.size() != keys.size()) throw UserError("stratified_split: groups and keys differ in length");
  if (!(fraction >= 0.0 && fraction <= 1.0))
    throw UserError("validation fraction must be between 0 and 1, got " + std::to_string(fraction));
  if (fraction == 0.0 || fraction == 1.0) return std::vector<bool>(groups.size(), fraction == 1.0);  // one channel only
  std::map<std::string, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < groups.size(); ++i) members[groups[i]].push_back(i);
  std::vector<bool> validation(groups.size(), false);
  std::mt19937_64 rng(seed);
  for (auto& [group, items] : members) {
    std::sort(items.begin(), items.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
    shuffle(items, rng);
    const std::size_t n = items.size();
    auto take = static_cast<std::size_t>(std::llround(static_cast<double>(n) * fraction));
    if (n >= 2) take = std::clamp<std::size_t>(take, 1, n - 1);
    else take = 0;
    for (std::size_t k = 0; k < take; ++k) validation[items[k]] = true;
  }
  return validation;
}

}  // namespace segmaker::data
