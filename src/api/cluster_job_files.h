#pragma once
// What a job on a cluster (training or transform, api/training_task.h, api/transform_task.h) shares
// with the service through the job's folder, which every node sees (the service's --root on the
// cluster's file system): the job's document, the batch script, the first instance's progress and
// one result file per instance.
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace segmaker::api {

// The files a cluster job shares with the service, under <job folder>/cluster/.
struct ClusterJobFiles {
  std::filesystem::path job_dir;
  std::filesystem::path dir() const { return job_dir / "cluster"; }
  std::filesystem::path document() const { return dir() / "job.json"; }      // the job's Describe document
  std::filesystem::path script() const { return dir() / "batch.sh"; }        // what sbatch runs
  std::filesystem::path progress() const { return dir() / "progress"; }      // the first instance's phase (training: Downloading | Training | Uploading)
  std::filesystem::path result(const std::string& host) const { return dir() / (host + ".json"); }
  // Every instance's result file (host, node, exit_status, stopped, failure, ...), by host (algo-1, algo-2, ...).
  nlohmann::json results() const;
};

// Which instance of the job this task is: rank 0 .. instances-1 and its node.
struct ClusterTask {
  int rank = 0;
  int instances = 1;
  std::string node;
  std::string host() const { return "algo-" + std::to_string(rank + 1); }
};

// From Slurm's task environment (SLURM_PROCID, SLURM_NTASKS, SLURMD_NODENAME), read through `lookup`.
// Throws UserError when one is missing or not a number.
ClusterTask cluster_task_from_slurm_environment(const std::function<const char*(const char*)>& lookup);

}  // namespace segmaker::api
