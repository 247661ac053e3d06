#pragma once
// Runs the training jobs of the store: each one a child process `segmaker train --sagemaker
// --sm-root <job folder>` (`segmaker launch --nproc N -- train --sagemaker …` for InstanceCount N),
// at most `max_jobs` at once; the rest wait in Starting, oldest first. One supervisor thread per
// running job walks it through Downloading (channels), Training (the child; StopTrainingJob and
// MaxRuntimeInSeconds send SIGTERM: it checkpoints and exits, SIGKILL after `stop_grace`),
// Uploading (model.tar.gz, output.tar.gz) and Completed / Failed / Stopped, writing each step to
// the store. Each job's log (the child's output and the runner's own lines) is <job>/log.txt, followed
// into the log store (CloudWatch's /aws/sagemaker/TrainingJobs); once the job is final its folder keeps
// only that file (api/working_copy.h).
//
// Restarts: jobs that were running when the service stopped (or was killed: the child gets
// SIGTERM then, and checkpoints) go Interrupted → Starting and resume from their last checkpoint.
//
// On a Slurm cluster (options.slurm): every job is one Slurm batch job (`-N InstanceCount
// --ntasks-per-node=1`, named after the training job, `--time` from MaxRuntimeInSeconds, the instance
// type's resources from the instance table) whose tasks each run one instance on its node
// (api/training_task.h); queueing is Slurm's, so --max-jobs does not apply. Its status comes from
// Slurm (pending → Starting; COMPLETED / FAILED / NODE_FAIL / TIMEOUT / CANCELLED → the final status
// with a FailureReason naming the node and Slurm's reason) and from the first instance's progress
// (Downloading / Training / Uploading). Stop and MaxRuntimeInSeconds: `scancel --signal=TERM` (the
// tasks, which checkpoint), then
// `scancel` after the grace period. The Slurm job id is kept in the store: a service that stops leaves
// the job running, and on its next start adopts it again (a job submitted just before the service died,
// with its id not yet stored, is found by name and ARN) -- never lost, never run twice.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/runner_options.h"
#include "api/slurm_client.h"
#include "sagemaker/pipe_feeder.h"

namespace segmaker::api {

class Store;


// threads 0: the child's default (all cores); stop_grace: SageMaker's 120 s unless the service says.
struct TrainingRunnerOptions : RunnerOptions {
  TrainingRunnerOptions() { stop_grace = std::chrono::seconds(120); }
  std::filesystem::path jobs_dir;  // <root>/training-jobs
  int max_jobs = 1;
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(100)};
  std::optional<SlurmOptions> slurm;  // none: child processes of the service
};

class TrainingRunner {
 public:
  TrainingRunner(Store& store, TrainingRunnerOptions options);
  ~TrainingRunner();
  TrainingRunner(const TrainingRunner&) = delete;
  TrainingRunner& operator=(const TrainingRunner&) = delete;

  // Recovers the jobs a previous run left in progress, then starts scheduling.
  void start();
  // A job was created: schedule it when a slot is free.
  void wake();
  // Throws ApiError ValidationException when the job's ResourceConfig cannot be placed (an instance
  // type the cluster's table does not know). Nothing to check for local jobs.
  void check_placement(const nlohmann::json& request) const;
  // StopTrainingJob: a waiting job is Stopped at once; a running one goes Stopping and gets SIGTERM.
  void stop(const std::string& name);
  // Service shutdown: every running job's process gets SIGTERM (it checkpoints); their jobs stay
  // InProgress and resume on the next start.
  void shutdown();

  std::filesystem::path job_dir(const std::string& name) const { return options_.jobs_dir / name; }
  std::filesystem::path log_path(const std::string& name) const { return job_dir(name) / "log.txt"; }

 private:
  enum class StopReason { None, Requested, MaxRuntime };
  struct Running {
    std::thread thread;
    std::atomic<bool> done{false};
    std::atomic<int> stop{0};  // StopReason
  };

  void recover();
  void schedule_loop();
  bool needs_supervisor(const nlohmann::json& document) const;
  void supervise(const std::string& name, Running& running);
  void run_phases(const std::string& name, Running& running);
  // Runs the child; returns its exit status, or nothing when the service is shutting down.
  std::optional<int> run_training_process(const std::string& name, Running& running);
  // Pipe mode: a feeder per channel in `piped`, its pipes in the job's input/data (throws UserError).
  std::vector<std::unique_ptr<sagemaker::PipeFeeder>> start_pipes(const std::string& name, const nlohmann::json& doc,
                                                                  const std::set<std::string>& piped);
  void finish(const std::string& name, StopReason reason, std::optional<int> exit_status);
  // The Slurm path (training_runner_slurm.cpp): submit or adopt, follow, finish.
  void run_on_slurm(const std::string& name, Running& running);
  std::string submit_to_slurm(const std::string& name, const nlohmann::json& document);
  // Follows the Slurm job until it ends (its last state; nullopt when Slurm forgot it) or the service stops.
  std::optional<std::optional<SlurmJobState>> follow_slurm_job(const std::string& name, const std::string& id,
                                                               Running& running);
  void finish_on_slurm(const std::string& name, const std::string& id, const std::optional<SlurmJobState>& state,
                       StopReason reason);
  // Enters every phase after `last` up to `now` (Downloading, Training, Uploading); `last` becomes `now`.
  void enter_phases(const std::string& name, std::string& last, const std::string& now, const std::string& nodes);
  void sync_checkpoints(const std::string& name, const nlohmann::json& document, bool upload);
  void append_log(const std::string& name, const std::string& line) const;
  // The log store has every line of the job's log so far; with `final` (the job ended) it stops following it.
  void publish_log(const std::string& name, bool final) const;
  void set_status(const std::string& name, const std::string& secondary, const std::string& message);
  // Failed with `reason` as FailureReason ("ClientError: …"), unless the job is final already; with
  // `log`, the job's log says it first.
  void fail(const std::string& name, const std::string& reason, bool log = true);

  Store& store_;
  TrainingRunnerOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, std::unique_ptr<Running>> running_;
  std::atomic<bool> shutting_down_{false};
  std::thread scheduler_;
  std::unique_ptr<SlurmClient> slurm_;  // with options_.slurm
};

}  // namespace segmaker::api
