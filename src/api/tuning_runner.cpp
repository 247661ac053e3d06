// The tuning job runner (see tuning_runner.h).
#include "api/tuning_runner.h"

#include <spdlog/spdlog.h>

#include "api/api_error.h"
#include "api/metric_store.h"
#include "api/names.h"
#include "api/store.h"
#include "api/tuning_trials.h"
#include "tuning/median_rule.h"

namespace segmaker::api {

using json = nlohmann::json;

namespace {

std::vector<double> oriented(const TuningSpec& spec, const std::vector<double>& curve) {
  std::vector<double> out;
  for (double v : curve) out.push_back(spec.oriented(v));
  return out;
}

bool running(const TrialState& t) { return !t.job || !t.ended(); }

// Whether the trial should stop after its latest epoch, and why.
std::string early_stop_reason(const TuningSpec& spec, const std::vector<TrialState>& trials, const TrialState& t) {
  if (t.curve.empty()) return "";
  const int epoch = static_cast<int>(t.curve.size());
  if (spec.strategy == tuning::Strategy::Hyperband) {
    const int bracket = spec.hyperband.bracket_of(t.index);
    const int passed = t.record.value("rung", 0);
    for (int rung : spec.hyperband.rungs(bracket)) {
      if (rung <= passed || rung > epoch) continue;
      std::vector<double> peers;
      for (const auto& o : trials)
        if (o.index != t.index && spec.hyperband.bracket_of(o.index) == bracket && static_cast<int>(o.curve.size()) >= rung)
          peers.push_back(spec.oriented(o.curve[static_cast<std::size_t>(rung - 1)]));
      if (!tuning::hyperband_continues(spec.hyperband, bracket, rung, spec.oriented(t.curve[static_cast<std::size_t>(rung - 1)]), peers))
        return "Hyperband: not among the best third of bracket " + std::to_string(bracket) + " at epoch " + std::to_string(rung);
    }
    return "";
  }
  if (!spec.early_stopping) return "";
  std::vector<std::vector<double>> earlier;
  for (const auto& o : trials)
    if (o.index < t.index) earlier.push_back(oriented(spec, o.curve));
  if (tuning::median_rule_stops(oriented(spec, t.curve), earlier))
    return "early stopping: the objective after epoch " + std::to_string(epoch) +
           " is worse than the median of the earlier trials' running averages";
  return "";
}

}  // namespace

TuningRunner::TuningRunner(Store& store, MetricStore& metrics, TuningRunnerHooks hooks, std::chrono::milliseconds poll)
    : store_(store), metrics_(metrics), hooks_(std::move(hooks)), poll_interval_(poll) {}

TuningRunner::~TuningRunner() { shutdown(); }

void TuningRunner::start() { thread_ = std::thread([this] { loop(); }); }

void TuningRunner::wake() {
  std::lock_guard lock(mutex_);
  woken_ = true;
  wake_.notify_all();
}

void TuningRunner::shutdown() {
  if (shutting_down_.exchange(true)) return;
  wake();
  if (thread_.joinable()) thread_.join();
}

void TuningRunner::loop() {
  while (!shutting_down_) {
    for (const auto& r : store_.with_status(kTuningJobKind, {"InProgress", "Stopping"})) {
      if (shutting_down_) break;
      try {
        advance(r.name);
      } catch (const std::exception& e) {
        spdlog::error("tuning job {}: {}", r.name, e.what());
        store_.update(kTuningJobKind, r.name, [&](Resource& t) {
          t.status = "Failed";
          t.document["HyperParameterTuningJobStatus"] = "Failed";
          t.document["FailureReason"] = std::string("InternalServerError: ") + e.what();
          t.last_modified_time = t.document["LastModifiedTime"] = t.document["HyperParameterTuningEndTime"] = now_seconds();
        });
      }
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, poll_interval_, [this] { return woken_ || shutting_down_.load(); });
    woken_ = false;
  }
}

void TuningRunner::create_trial_job(const Resource& job, const TrialState& trial) {
  try {
    hooks_.create_training_job(trial_training_request(job.document, trial.name, trial.tuned),
                               {{"TuningJobArn", job.arn}});
  } catch (const ApiError& e) {
    if (e.type() == "ResourceLimitExceeded" || e.type() == "ResourceInUse") {
      spdlog::info("tuning job {}: trial {} waits: {}", job.name, trial.name, e.what());
      return;  // tried again on the next poll
    }
    throw;
  }
}

bool TuningRunner::early_stop_trials(const Resource& job, const TuningSpec& spec, std::vector<TrialState>& trials) {
  bool changed = false;
  for (auto& t : trials) {
    if (!t.job || t.job->status != "InProgress" || t.record.value("stop", false)) continue;
    const std::string reason = early_stop_reason(spec, trials, t);
    if (spec.strategy == tuning::Strategy::Hyperband && reason.empty() && !t.curve.empty()) {
      int passed = t.record.value("rung", 0);
      for (int rung : spec.hyperband.rungs(spec.hyperband.bracket_of(t.index)))
        if (rung <= static_cast<int>(t.curve.size())) passed = std::max(passed, rung);
      if (passed != t.record.value("rung", 0)) {
        t.record["rung"] = passed;
        changed = true;
      }
    }
    if (reason.empty()) continue;
    spdlog::info("tuning job {}: stopping trial {}: {}", job.name, t.name, reason);
    t.record["stop"] = true;
    t.record["stop_reason"] = reason;
    changed = true;
    hooks_.stop_training_job(t.name);
  }
  return changed;
}

bool TuningRunner::launch_trials(const Resource& job, const TuningSpec& spec, std::vector<TrialState>& trials) {
  const auto strategy = tuning::make_search_strategy(spec.strategy, spec.ranges, spec.seed);
  bool added = false;
  auto active = [&] { return std::count_if(trials.begin(), trials.end(), running); };
  while (active() < spec.max_parallel && static_cast<int>(trials.size()) < spec.max_jobs) {
    const auto proposal = strategy->propose(trials.size(), search_history(store_, spec, trials));
    if (!proposal) break;
    TrialState t;
    t.index = trials.size();
    t.name = trial_name(job.name, job.arn, t.index);
    t.tuned = *proposal;
    t.record = {{"name", t.name}, {"tuned", t.tuned}};
    trials.push_back(t);
    added = true;
  }
  return added;
}

std::string TuningRunner::ending_reason(const Resource& job, const TuningSpec& spec, const std::vector<TrialState>& trials) const {
  if (spec.max_runtime_seconds && now_seconds() - job.creation_time > *spec.max_runtime_seconds)
    return "MaxRuntimeInSeconds reached";
  std::optional<double> best;
  int not_improving = 0;
  for (const auto& t : trials) {
    const auto o = t.final_objective();
    if (!o) continue;
    if (spec.target_objective && spec.oriented(*o) >= spec.oriented(*spec.target_objective))
      return "TargetObjectiveMetricValue reached by " + t.name;
    if (!best || spec.oriented(*o) > *best) {
      best = spec.oriented(*o);
      not_improving = 0;
    } else {
      ++not_improving;
    }
  }
  if (spec.max_not_improving && not_improving >= *spec.max_not_improving)
    return "the best objective did not improve in " + std::to_string(not_improving) + " training jobs";
  return "";
}

void TuningRunner::advance(const std::string& name) {
  auto job = store_.get(kTuningJobKind, name);
  if (!job) return;
  const TuningSpec spec = tuning_spec(job->document);
  std::vector<TrialState> trials = load_trials(store_, metrics_, *job, spec);
  const bool stopping = job->status == "Stopping";
  std::string ending = job->document.value("_Ending", "");
  if (ending.empty() && !stopping) ending = ending_reason(*job, spec, trials);
  bool changed = early_stop_trials(*job, spec, trials);
  bool exhausted = false;
  if (!stopping && ending.empty()) {
    const std::size_t before = trials.size();
    changed = launch_trials(*job, spec, trials) || changed;
    exhausted = trials.size() == before && static_cast<int>(trials.size()) < spec.max_jobs &&
                std::none_of(trials.begin(), trials.end(), running);
  }
  for (auto& t : trials) {  // the records first, then the jobs: a restart in between creates the missing ones
    if (t.ended() && !t.record.contains("objective")) {
      t.record["objective"] = t.final_objective() ? json(*t.final_objective()) : json();
      changed = true;
    }
  }
  if (changed) {
    store_.update(kTuningJobKind, name, [&](Resource& r) {
      json records = json::array();
      for (const auto& t : trials) records.push_back(t.record);
      r.document["_Trials"] = records;
      if (!ending.empty()) r.document["_Ending"] = ending;
    });
    job = store_.get(kTuningJobKind, name);
  }
  for (auto& t : trials) {
    if (!t.job && !stopping && ending.empty()) {
      create_trial_job(*job, t);
      t.job = store_.get("TrainingJob", t.name);
    } else if (t.job && t.job->status == "InProgress" && (stopping || !ending.empty())) {
      hooks_.stop_training_job(t.name);
      t.job = store_.get("TrainingJob", t.name);
    }
  }
  const bool all_ended = std::all_of(trials.begin(), trials.end(), [&](const TrialState& t) {
    return t.ended() || (!t.job && (stopping || !ending.empty()));
  });
  const bool done = all_ended && (stopping || !ending.empty() || exhausted || static_cast<int>(trials.size()) >= spec.max_jobs);
  store_.update(kTuningJobKind, name, [&](Resource& r) {
    const json before = r.document;
    summarize_trials(r.document, trials, spec);
    if (done) {
      const bool any = r.document["ObjectiveStatusCounters"]["Succeeded"].get<int>() > 0;
      r.status = stopping ? "Stopped" : any || trials.empty() ? "Completed" : "Failed";
      if (r.status == "Failed")
        r.document["FailureReason"] = "No training job produced the objective metric " + spec.objective_metric +
                                      (trials.empty() || !trials.front().job ? std::string()
                                                                             : ": " + trials.front().job->document.value("FailureReason", std::string("")));
      r.document["HyperParameterTuningJobStatus"] = r.status;
      r.document["HyperParameterTuningEndTime"] = now_seconds();
      r.document["ConsumedResources"] = {{"RuntimeInSeconds", static_cast<int>(now_seconds() - r.creation_time)}};
    }
    if (r.document != before) r.last_modified_time = r.document["LastModifiedTime"] = now_seconds();
  });
}

}  // namespace segmaker::api
