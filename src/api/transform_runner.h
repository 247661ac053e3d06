#pragma once
// Runs the batch transform jobs of the store: each one downloads its TransformInput prefix into
// <root>/transform-jobs/<name>/input, stages the model, runs the batch transform as a child
// `segmaker predict --model … --input … --output … --accept <TransformOutput.Accept>`, and uploads
// every answer to TransformOutput.S3OutputPath as "<input file name>.out" (SageMaker's names).
// InProgress → Completed, or Failed (FailureReason), or Stopping → Stopped. A job the service was
// running when it stopped runs again on the next start (answers already written are kept).
// Its log: <root>/transform-jobs/<name>/log.txt, followed into the log store (/aws/sagemaker/TransformJobs);
// once the job is final its folder keeps only that file (api/working_copy.h).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/runner_options.h"

namespace segmaker::api {

class Store;

// threads 0: all cores.
struct TransformRunnerOptions : RunnerOptions {
  std::filesystem::path jobs_dir;  // <root>/transform-jobs
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

  std::filesystem::path job_dir(const std::string& name) const { return options_.jobs_dir / name; }
  std::filesystem::path log_path(const std::string& name) const { return job_dir(name) / "log.txt"; }

 private:
  struct Job {
    std::thread thread;
    std::atomic<bool> stop{false};
    std::atomic<bool> done{false};
  };
  void execute(const std::string& name, Job& job);
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
};

}  // namespace segmaker::api
