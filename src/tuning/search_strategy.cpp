// Strategy names and the factory (see search_strategy.h).
#include "tuning/search_strategy.h"

#include <random>

#include "io/error.h"

namespace segmaker::tuning {

Strategy parse_strategy(const std::string& name) {
  if (name == "Bayesian") return Strategy::Bayesian;
  if (name == "Random") return Strategy::Random;
  if (name == "Grid") return Strategy::Grid;
  if (name == "Hyperband") return Strategy::Hyperband;
  throw UserError("Strategy must be one of Bayesian, Random, Grid, Hyperband, got '" + name + "'");
}

std::string to_string(Strategy s) {
  switch (s) {
    case Strategy::Bayesian: return "Bayesian";
    case Strategy::Random: return "Random";
    case Strategy::Grid: return "Grid";
    case Strategy::Hyperband: return "Hyperband";
  }
  return "Bayesian";
}

std::unique_ptr<SearchStrategy> make_search_strategy(Strategy strategy, std::vector<ParameterRange> space,
                                                     std::uint64_t seed) {
  switch (strategy) {
    case Strategy::Grid: return make_grid_search(std::move(space));
    case Strategy::Bayesian: return make_bayesian_search(std::move(space), seed);
    default: return make_random_search(std::move(space), seed);
  }
}

std::vector<double> random_unit_point(std::size_t dimensions, std::uint64_t seed, std::size_t index) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), 0x5e9u};
  std::mt19937_64 rng(seq);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> u(dimensions);
  for (auto& x : u) x = uniform(rng);
  return u;
}

}  // namespace segmaker::tuning
