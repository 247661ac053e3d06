#pragma once
// A tuning job's trials as the store and the metric store know them: each trial's record (its index,
// name and tuned hyperparameters, written before its training job is created), its training job, and
// the objective after each epoch from the job's metric stream (the same one CloudWatch metrics carry).
// From them: each trial's final objective and ObjectiveStatus, its HyperParameterTrainingJobSummary,
// and the tuning job's counters and BestTrainingJob.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/store.h"
#include "api/tuning_job.h"

namespace segmaker::api {

class MetricStore;

inline constexpr const char* kTuningJobKind = "HyperParameterTuningJob";

struct TrialState {
  std::size_t index = 0;
  std::string name;
  tuning::Assignment tuned;
  nlohmann::json record;          // the tuning job's record of it (internal fields)
  std::optional<Resource> job;    // its training job; nothing while it is not created yet
  std::vector<double> curve;      // the objective after each epoch, as the job emitted it

  bool ended() const;             // its training job reached a final status
  // The objective it ended with (its last epoch's): a Completed or Stopped job that emitted one.
  std::optional<double> final_objective() const;
  std::string objective_status() const;  // Succeeded | Pending | Failed
};

// Every trial of the tuning job (whose search is `spec`), in order.
std::vector<TrialState> load_trials(const Store& store, const MetricStore& metrics, const Resource& tuning_job,
                                    const TuningSpec& spec);

// HyperParameterTrainingJobSummary of a trial with a training job.
nlohmann::json trial_summary(const TrialState& trial, const std::string& tuning_job, const TuningSpec& spec);

// TrainingJobStatusCounters, ObjectiveStatusCounters and BestTrainingJob written into the document.
void summarize_trials(nlohmann::json& document, const std::vector<TrialState>& trials, const TuningSpec& spec);

// The trials of earlier tuning jobs (warm start) and this one's, as the search strategy sees them:
// ended trials with their oriented objective, running ones without; failed trials left out.
std::vector<tuning::Evaluation> search_history(const Store& store, const TuningSpec& spec,
                                               const std::vector<TrialState>& trials);

}  // namespace segmaker::api
