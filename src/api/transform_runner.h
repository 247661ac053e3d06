#pragma once
// Runs the batch transform jobs of the store: each one downloads its TransformInput prefix into
// <root>/transform-jobs/<name>/input, stages the model, runs the batch transform as a child
// `segmaker predict --model … --input … --output … --accept <TransformOutput.Accept>`, and uploads
// every answer to TransformOutput.S3OutputPath as "<input file name>.out" (SageMaker's names).
// InProgress → Completed, or Failed (FailureReason), or Stopping → Stopped. A job the service was
// running when it stopped runs again on the next start (answers already written are kept).
// Its log: <root>/transform-jobs/<name>/log.txt, followed into the log store (/aws/sagemaker/TransformJobs);
// once the job is final its folder keeps only that file (api/working_copy.h).
//
// On a Slurm cluster (options.slurm): one Slurm batch job of TransformResources.InstanceCount nodes,
// one `segmaker transform-task` per node, each on its share of the input objects (api/transform_task.h);
// Completed when every instance answered all of its share, else Failed naming the instance and node.
// The Slurm job id is kept in the store: a restarted service follows the job again.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/runner_options.h"
#include "api/slurm_client.h"

namespace segmaker::api {

class Store;

// threads 0: all cores.
struct TransformRunnerOptions : RunnerOptions {
  std::filesystem::path jobs_dir;  // <root>/transform-jobs
  std::optional<SlurmOptions> slurm;  // none: child processes of the service
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(250)};  // Slurm's state
};

class TransformRunner {
 public:
  TransformRunner(Store& store, TransformRunnerOptions options);
  ~TransformRunner();
  TransformRunner(const TransformRunner&) = delete;
  TransformRunner& operator=(const TransformRunner&) = delete;

  // Resumes the jobs a previous run of the service left InProgress; finishes the Stopping ones.
  void start();
  // Starts a job whose document is in the store (InProgress).
  void run(const std::string& name);
  // StopTransformJob: Stopping, then Stopped once its process has ended.
  void stop(const std::string& name);
  void shutdown();
  // ApiError ValidationException when the job's instance type cannot be placed on the cluster.
  void check_placement(const nlohmann::json& request) const;

  std::filesystem::path job_dir(const std::string& name) const { return options_.jobs_dir / name; }
  std::filesystem::path log_path(const std::string& name) const { return job_dir(name) / "log.txt"; }

 private:
  struct Job {
    std::thread thread;
    std::atomic<bool> stop{false};
    std::atomic<bool> done{false};
  };
  void execute(const std::string& name, Job& job);
  // The Slurm path (transform_runner_slurm.cpp).
  void execute_on_slurm(const std::string& name, Job& job);
  std::string submit_to_slurm(const std::string& name, const nlohmann::json& document);
  void finish_on_slurm(const std::string& name, const std::string& id, const std::optional<SlurmJobState>& state, bool stopped);
  void reap();
  void append_log(const std::string& name, const std::string& line) const;
  void set_status(const std::string& name, const std::string& status, const std::string& failure = "");
  // A job whose status is final loses its working copy (unless keep_job_files) and its log is complete.
  void discard_if_finished(const std::string& name);

  Store& store_;
  TransformRunnerOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Job>> jobs_;
  std::atomic<bool> shutting_down_{false};
  std::unique_ptr<SlurmClient> slurm_;  // with options_.slurm
};

}  // namespace segmaker::api
