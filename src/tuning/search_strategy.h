#pragma once
// The search strategies of a tuning job: each proposes the tuned hyperparameters of trial `index`
// from the trials before it. Strategies keep no state of their own: the same seed, index and history
// give the same proposal, so a tuning job the service resumes after a restart goes on exactly where
// it was (the history is in the API's store). What serves each SageMaker strategy name:
//   Random     independent uniform samples of the unit cube (parameter_range.h maps each coordinate
//              through the range's scaling), from a generator seeded by (RandomSeed, trial index);
//   Grid       every combination of the categorical ranges' values, in order (the grid's size is the
//              most trials it gives);
//   Bayesian   dlib's global_function_search (MaxLIPO upper bound + trust-region quadratic model,
//              Malherbe & Vayatis 2017, King 2017) over the unit cube (a categorical range's coordinate
//              cut into one cell per value, as Random samples it); the finished trials are its evaluations and each trial still running is an
//              outstanding request, so parallel trials get different points;
//   Hyperband  Random's samples; the early stopping between epochs is hyperband.h's.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tuning/parameter_range.h"

namespace segmaker::tuning {

enum class Strategy { Bayesian, Random, Grid, Hyperband };

// "Bayesian" | "Random" | "Grid" | "Hyperband". UserError on anything else.
Strategy parse_strategy(const std::string& name);
std::string to_string(Strategy strategy);

// An earlier trial: its tuned hyperparameters and, once it has one, its objective oriented so that
// larger is better (a minimized metric is negated by the caller).
struct Evaluation {
  Assignment hyperparameters;
  std::optional<double> objective;
};

class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  // The hyperparameters of trial `index` (0-based; `history` holds trials 0 … index-1 and may hold
  // warm-start parents' trials first), or nothing when the strategy has no more to give.
  virtual std::optional<Assignment> propose(std::size_t index, const std::vector<Evaluation>& history) const = 0;
  // The most trials it can give (Grid: the grid's size); nothing when unbounded.
  virtual std::optional<std::size_t> capacity() const { return std::nullopt; }
};

// Throws UserError for a space the strategy cannot search (Grid with a non-categorical range).
std::unique_ptr<SearchStrategy> make_search_strategy(Strategy strategy, std::vector<ParameterRange> space,
                                                     std::uint64_t seed);

// The separate implementations (random_search.cpp, grid_search.cpp, bayesian_search.cpp).
std::unique_ptr<SearchStrategy> make_random_search(std::vector<ParameterRange> space, std::uint64_t seed);
std::unique_ptr<SearchStrategy> make_grid_search(std::vector<ParameterRange> space);
std::unique_ptr<SearchStrategy> make_bayesian_search(std::vector<ParameterRange> space, std::uint64_t seed);

// The seeded generator's draw for trial `index`: the unit-cube point Random proposes.
std::vector<double> random_unit_point(std::size_t dimensions, std::uint64_t seed, std::size_t index);

}  // namespace segmaker::tuning
