#pragma once
// The algorithm's hyperparameters as the API knows them: names, types, bounds and values, read from
// the one table that owns them (train/hyperparameters.cpp) through `segmaker hyperparameters --json`
// -- the API links no model code, so it asks the executable its jobs run, once, on first use -- and
// whole hyperparameter sets checked by the one parser (`segmaker hyperparameters --check`). Tuning
// jobs check their ranges and their trials' hyperparameters with it. Thread-safe.
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuning/parameter_range.h"

namespace segmaker::api {

struct HyperparameterInfo {
  std::string name;
  std::string type;                     // Integer | Continuous | Categorical | IntegerList
  std::optional<double> min, max;       // Integer / Continuous bounds (open ends per *_open)
  bool min_open = false, max_open = false;
  std::vector<std::string> values;      // Categorical
  std::string allowed;                  // the table's sentence ("an integer >= 1 (at most 1024)")
  nlohmann::json default_value;         // null for a required one
};

class HyperparameterCatalog {
 public:
  // Asks `executable hyperparameters --json` on first use.
  explicit HyperparameterCatalog(std::filesystem::path executable);
  // What is wrong with a set of hyperparameters ("" when nothing).
  using Checker = std::function<std::string(const nlohmann::json& hyperparameters)>;
  // From the table itself and, optionally, the parser (tests, fuzzing); without one every set passes.
  explicit HyperparameterCatalog(const nlohmann::json& table, Checker checker = {});

  // Nothing when no hyperparameter has that name. Throws UserError when the executable cannot tell.
  std::optional<HyperparameterInfo> find(const std::string& name) const;
  // Why `range` cannot be tuned ("" when it can): an unknown name, a range type that does not fit the
  // hyperparameter's (Continuous on an integer, Integer or Continuous on a categorical), bounds or
  // values outside what the hyperparameter allows.
  std::string range_problem(const tuning::ParameterRange& range) const;
  // What the algorithm's parser says of each set, in order ("" for one that parses). One
  // `segmaker hyperparameters --check` for them all. Throws UserError when the executable cannot tell.
  std::vector<std::string> problems(const nlohmann::json& sets) const;

 private:
  void load() const;
  std::filesystem::path executable_;
  Checker checker_;
  mutable std::mutex mutex_;
  mutable std::optional<std::vector<HyperparameterInfo>> table_;
};

// The rows of `segmaker hyperparameters --json`. Throws UserError on another shape.
std::vector<HyperparameterInfo> parse_hyperparameter_table(const nlohmann::json& table);

}  // namespace segmaker::api
