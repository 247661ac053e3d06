#pragma once
// Runs the tuning jobs of the store. One thread walks every InProgress or Stopping tuning job each
// poll (and at once when woken):
//   - trials: while fewer than MaxParallelTrainingJobs run and fewer than MaxNumberOfTrainingJobs
//     exist, the search strategy proposes the next trial's hyperparameters; the trial's record is
//     written to the tuning job first and its training job created after, through CreateTrainingJob's
//     own path (same runner, limits, logs and metrics) -- a service restarted between the two creates
//     the missing job, so no trial is lost and none runs twice;
//   - early stopping: TrainingJobEarlyStoppingType Auto applies the median rule, Hyperband its rungs,
//     to each running trial's per-epoch objective (its metric stream); a stopped trial ends Stopped;
//   - the end: every trial ended and none left to start (or TargetObjectiveMetricValue reached,
//     BestObjectiveNotImproving, MaxRuntimeInSeconds: the running trials are stopped first) →
//     Completed (Failed when no trial gave an objective); StopHyperParameterTuningJob → Stopping → Stopped.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace segmaker::api {

class Store;
class MetricStore;
struct Resource;
struct TrialState;
struct TuningSpec;

struct TuningRunnerHooks {
  // CreateTrainingJob with `request`, its document also holding `extra` (TuningJobArn). Throws ApiError.
  std::function<void(const nlohmann::json& request, const nlohmann::json& extra)> create_training_job;
  // StopTrainingJob.
  std::function<void(const std::string& name)> stop_training_job;
};

class TuningRunner {
 public:
  TuningRunner(Store& store, MetricStore& metrics, TuningRunnerHooks hooks,
               std::chrono::milliseconds poll_interval = std::chrono::milliseconds(500));
  ~TuningRunner();
  TuningRunner(const TuningRunner&) = delete;
  TuningRunner& operator=(const TuningRunner&) = delete;

  void start();
  // A tuning job was created or asked to stop: look at once.
  void wake();
  void shutdown();

 private:
  void loop();
  void advance(const std::string& name);
  bool early_stop_trials(const Resource& job, const TuningSpec& spec, std::vector<TrialState>& trials);
  bool launch_trials(const Resource& job, const TuningSpec& spec, std::vector<TrialState>& trials);
  void create_trial_job(const Resource& job, const TrialState& trial);
  std::string ending_reason(const Resource& job, const TuningSpec& spec, const std::vector<TrialState>& trials) const;

  Store& store_;
  MetricStore& metrics_;
  TuningRunnerHooks hooks_;
  std::chrono::milliseconds poll_interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  std::atomic<bool> shutting_down_{false};
  std::thread thread_;
};

}  // namespace segmaker::api
