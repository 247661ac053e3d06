#pragma once
// One instance of a training job on a cluster node (`segmaker training-task`, started by Slurm's srun
// in the batch script the service submits; see training_runner.h). It does on its node what the
// service does for a local job: lays out its own /opt/ml-style folder (<scratch>/<job>/algo-<rank+1>),
// downloads the channels and the managed checkpoints from S3, runs `segmaker train --sagemaker` (through
// `segmaker launch` as one rank of InstanceCount ranks when there are several: the rendezvous is on the
// first node's address), and afterwards -- on the first instance -- uploads the checkpoints, model.tar.gz
// and output.tar.gz to S3. SIGTERM (scancel) reaches the trainer, which checkpoints; the checkpoints
// still go up.
//
// What it tells the service goes through the job's folder, shared with the nodes (the service's --root
// on a cluster file system): the job document it reads, its progress (first instance), and one result
// file per instance. Its output (and the trainer's) is the job's log, which Slurm appends to.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "storage/storage.h"

namespace segmaker::api {

// The files a cluster job shares with the service, under <job folder>/cluster/.
struct ClusterJobFiles {
  std::filesystem::path job_dir;
  std::filesystem::path dir() const { return job_dir / "cluster"; }
  std::filesystem::path document() const { return dir() / "job.json"; }      // the DescribeTrainingJob document
  std::filesystem::path script() const { return dir() / "batch.sh"; }        // what sbatch runs
  std::filesystem::path progress() const { return dir() / "progress"; }      // Downloading | Training | Uploading
  std::filesystem::path result(const std::string& host) const { return dir() / (host + ".json"); }
  // Every instance's result (host, node, exit_status, stopped, failure, model_uri, final_metrics), by host.
  nlohmann::json results() const;
};

struct TrainingTaskOptions {
  std::filesystem::path job_file;  // ClusterJobFiles::document() of the job
  std::filesystem::path scratch;   // node-local folder for the instance's /opt/ml
  int rank = 0;                    // 0 .. instances-1 (SLURM_PROCID)
  int instances = 1;               // SLURM_NTASKS
  std::string node;                // the node's name (SLURMD_NODENAME)
  std::string master_addr;         // the first node's address
  int master_port = 0;
  std::filesystem::path executable;  // the segmaker binary
  int threads = 0;
  storage::StorageConfig storage;
};

// rank, instances and node from Slurm's task environment (SLURM_PROCID, SLURM_NTASKS,
// SLURMD_NODENAME), read through `lookup`. Throws UserError when one is missing.
void task_from_slurm_environment(TrainingTaskOptions& options, const std::function<const char*(const char*)>& lookup);

// Runs the instance; returns the trainer's exit status (0 = trained and uploaded). Throws UserError
// for what stops it before training (no job file, a channel that cannot be downloaded); its result
// file says so too.
int run_training_task(const TrainingTaskOptions& options, const std::function<bool()>& stop_requested);

}  // namespace segmaker::api
