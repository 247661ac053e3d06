#pragma once
// One instance of a batch transform job on a cluster node (`segmaker transform-task`, one per node
// under srun; see transform_runner.h): lists the job's TransformInput prefix, takes its share of the
// objects (sorted by key, every instances-th one from its rank: the instances' shares are disjoint and
// together are every object), downloads them and the model into <scratch>/<job>/algo-<rank+1>, runs
// `segmaker predict` on them and uploads each answer to TransformOutput.S3OutputPath as
// "<input file name>.out". SIGTERM (scancel) stops the prediction. Its result file
// (api/cluster_job_files.h) says how many inputs it had and answered, and why not.
#include <filesystem>
#include <functional>

#include "api/cluster_job_files.h"
#include "storage/storage.h"

namespace segmaker::api {

struct TransformTaskOptions {
  std::filesystem::path job_file;  // ClusterJobFiles::document() of the transform job
  std::filesystem::path scratch;   // node-local folder for the instance's copy
  ClusterTask task;
  std::filesystem::path executable;
  int threads = 0;
  storage::StorageConfig storage;
};

// The keys of `keys` (sorted) that instance `rank` of `instances` transforms.
std::vector<std::string> transform_share(std::vector<std::string> keys, int rank, int instances);

// Runs the instance; 0 when every input of its share has its answer uploaded. Throws UserError for
// what stops it before predicting (no job file, the input or model cannot be downloaded).
int run_transform_task(const TransformTaskOptions& options, const std::function<bool()>& stop_requested);

}  // namespace segmaker::api
