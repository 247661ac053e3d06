#pragma once
// A CreateHyperParameterTuningJob request: its validation (SageMaker's field rules and wording, the
// ranges checked against the algorithm's hyperparameters), the search it describes (TuningSpec), the
// DescribeHyperParameterTuningJob document it starts as, and each trial's CreateTrainingJob request
// (the TrainingJobDefinition with the static and the tuned hyperparameters), named as SageMaker names
// them: <tuning job>-<NNN>-<8 hex>.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/local_access.h"
#include "tuning/hyperband.h"
#include "tuning/parameter_range.h"
#include "tuning/search_strategy.h"

namespace segmaker::api {

class HyperparameterCatalog;
class Store;

struct TuningSpec {
  tuning::Strategy strategy = tuning::Strategy::Bayesian;
  std::string objective_metric;  // "validation:mIOU"
  bool maximize = true;
  int max_jobs = 0;              // the most trials (Grid: at most the grid's size)
  int max_parallel = 1;
  std::optional<double> max_runtime_seconds;
  std::vector<tuning::ParameterRange> ranges;
  bool early_stopping = false;   // TrainingJobEarlyStoppingType Auto (the median rule)
  std::optional<double> target_objective;
  std::optional<int> max_not_improving;  // BestObjectiveNotImproving
  tuning::HyperbandPlan hyperband;       // Strategy Hyperband: epochs between Min and MaxResource
  std::uint64_t seed = 0;
  std::vector<std::string> warm_start_parents;

  // The objective oriented so that larger is better.
  double oriented(double value) const { return maximize ? value : -value; }
};

// Throws ApiError ValidationException naming what is wrong; `store` answers whether warm-start
// parents exist and have ended.
void validate_create_tuning_job(const nlohmann::json& request, const storage::LocalAccess& local,
                                const HyperparameterCatalog& catalog, const Store& store);

// The search a stored (validated) document describes.
TuningSpec tuning_spec(const nlohmann::json& document);

// The DescribeHyperParameterTuningJob document of a new tuning job (InProgress, no trials yet);
// `default_epochs` is the algorithm's (Hyperband's MaxResource when neither it nor epochs is given).
nlohmann::json new_tuning_job_document(const nlohmann::json& request, const std::string& arn, double now,
                                       int default_epochs);

// The name of trial `index` (0-based): "<tuning job>-<index + 1, 3 digits>-<8 hex of the tuning job's ARN and index>".
std::string trial_name(const std::string& tuning_job, const std::string& tuning_arn, std::size_t index);

// Trial `name`'s CreateTrainingJob request: the definition's fields, ResourceConfig from
// HyperParameterTuningResourceConfig when that is what was given, the static hyperparameters, the
// tuned ones, `_tuning_objective_metric` (as SageMaker adds it) and, for Hyperband, epochs = MaxResource.
nlohmann::json trial_training_request(const nlohmann::json& tuning_document, const std::string& name,
                                      const tuning::Assignment& tuned);

}  // namespace segmaker::api
