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

#include "api/cluster_job_files.h"
#include "storage/storage.h"

namespace segmaker::api {


struct TrainingTaskOptions {
  std::filesystem::path job_file;  // ClusterJobFiles::document() of the job
  std::filesystem::path scratch;   // node-local folder for the instance's /opt/ml
  ClusterTask task;                 // which instance, on which node
  std::string master_addr;         // the first node's address
  int master_port = 0;
  std::filesystem::path executable;  // the segmaker binary
  int threads = 0;
  storage::StorageConfig storage;
};

// Runs the instance; returns the trainer's exit status (0 = trained and uploaded). Throws UserError
// for what stops it before training (no job file, a channel that cannot be downloaded); its result
// file says so too.
int run_training_task(const TrainingTaskOptions& options, const std::function<bool()>& stop_requested);

}  // namespace segmaker::api
