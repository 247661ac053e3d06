// A tuning job's trials (see tuning_trials.h).
#include "api/tuning_trials.h"

#include "api/log_sources.h"
#include "api/metric_store.h"
#include "api/training_status.h"

namespace segmaker::api {

using json = nlohmann::json;

bool TrialState::ended() const { return job && is_terminal_training_status(job->status); }

std::optional<double> TrialState::final_objective() const {
  if (!ended() || curve.empty() || job->status == "Failed") return std::nullopt;
  return curve.back();
}

std::string TrialState::objective_status() const {
  if (!ended()) return "Pending";
  return final_objective() ? "Succeeded" : "Failed";
}

std::vector<TrialState> load_trials(const Store& store, const MetricStore& metrics, const Resource& tuning_job,
                                    const TuningSpec& spec) {
  std::vector<TrialState> out;
  for (const auto& record : tuning_job.document.value("_Trials", json::array())) {
    TrialState t;
    t.index = out.size();
    t.name = record.at("name");
    t.tuned = record.at("tuned").get<tuning::Assignment>();
    t.record = record;
    t.job = store.get("TrainingJob", t.name);
    if (t.job) t.curve = metrics.values(MetricId{kTrainingMetricsNamespace, spec.objective_metric, {{"TrainingJobName", t.name}}});
    out.push_back(std::move(t));
  }
  return out;
}

json trial_summary(const TrialState& t, const std::string& tuning_job, const TuningSpec& spec) {
  const json& d = t.job->document;
  json s = {{"TrainingJobName", t.name},
            {"TrainingJobArn", t.job->arn},
            {"TuningJobName", tuning_job},
            {"CreationTime", t.job->creation_time},
            {"TrainingJobStatus", t.job->status},
            {"TunedHyperParameters", t.tuned},
            {"ObjectiveStatus", t.objective_status()}};
  for (const char* key : {"TrainingStartTime", "TrainingEndTime", "FailureReason"})
    if (d.contains(key)) s[key] = d[key];
  if (const auto objective = t.final_objective())
    s["FinalHyperParameterTuningJobObjectiveMetric"] = {
        {"Type", spec.maximize ? "Maximize" : "Minimize"}, {"MetricName", spec.objective_metric}, {"Value", *objective}};
  return s;
}

void summarize_trials(json& doc, const std::vector<TrialState>& trials, const TuningSpec& spec) {
  int completed = 0, in_progress = 0, failed = 0, stopped = 0, succeeded = 0, pending = 0, objective_failed = 0;
  const TrialState* best = nullptr;
  for (const auto& t : trials) {
    const std::string status = t.job ? t.job->status : "InProgress";
    completed += status == "Completed";
    in_progress += status == "InProgress" || status == "Stopping";
    failed += status == "Failed";
    stopped += status == "Stopped";
    const std::string o = t.objective_status();
    succeeded += o == "Succeeded";
    pending += o == "Pending";
    objective_failed += o == "Failed";
    if (o == "Succeeded" && (!best || spec.oriented(*t.final_objective()) > spec.oriented(*best->final_objective()))) best = &t;
  }
  doc["TrainingJobStatusCounters"] = {
      {"Completed", completed}, {"InProgress", in_progress}, {"RetryableError", 0}, {"NonRetryableError", failed}, {"Stopped", stopped}};
  doc["ObjectiveStatusCounters"] = {{"Succeeded", succeeded}, {"Pending", pending}, {"Failed", objective_failed}};
  if (best) doc["BestTrainingJob"] = trial_summary(*best, doc.value("HyperParameterTuningJobName", ""), spec);
}

std::vector<tuning::Evaluation> search_history(const Store& store, const TuningSpec& spec, const std::vector<TrialState>& trials) {
  std::vector<tuning::Evaluation> history;
  for (const auto& parent : spec.warm_start_parents) {
    const auto p = store.get(kTuningJobKind, parent);
    if (!p) continue;
    const TuningSpec parent_spec = tuning_spec(p->document);
    const bool same_direction = parent_spec.maximize == spec.maximize && parent_spec.objective_metric == spec.objective_metric;
    for (const auto& record : p->document.value("_Trials", json::array()))
      if (same_direction && record.contains("objective") && record["objective"].is_number())
        history.push_back({record.at("tuned").get<tuning::Assignment>(), spec.oriented(record["objective"].get<double>())});
  }
  for (const auto& t : trials) {
    if (!t.ended()) history.push_back({t.tuned, std::nullopt});
    else if (const auto o = t.final_objective()) history.push_back({t.tuned, spec.oriented(*o)});
  }
  return history;
}

}  // namespace segmaker::api
