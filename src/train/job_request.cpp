// Assembling and running a training job from its request (train/job_request.h).
#include "train/job_request.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <optional>

#include "io/error.h"
#include "train/distributed/communicator.h"
#include "train/distributed/distributed_config.h"
#include "train/distributed/launcher.h"
#include "train/hyperparameters.h"
#include "train/job_storage.h"
#include "sagemaker/container_layout.h"

namespace segmaker::train {

namespace {

// Joins the process group; a CUDA device becomes this rank's own (cuda:LOCAL_RANK).
void join(TrainOptions& o, DistributedConfig config, const TrainJobRequest& r) {
  config.backend = r.backend;
  config.timeout = timeout_from_seconds(r.dist_timeout_seconds);
  if (o.device == "cuda") o.device = "cuda:" + std::to_string(config.local_rank);
  o.communicator = connect(config, o.device);
}

TrainOptions common_options(const TrainJobRequest& r) {
  TrainOptions o;
  o.device = r.device;
  o.threads = r.threads;
  o.progress = r.progress;
  o.stop_requested = r.stop_requested;
  return o;
}

TrainOptions assemble_sagemaker(const TrainJobRequest& r) {
  const sagemaker::SageMakerLayout layout{r.sagemaker_root};
  const sagemaker::SageMakerJob job = sagemaker::read_sagemaker_job(layout);
  TrainOptions o = common_options(r);
  o.hyperparameters = parse_hyperparameters(with_overrides(job.hyperparameters, r.overrides));
  o.data_dir = layout.data_dir();
  o.pipes = job.pipes;
  o.sharded = job.sharded;
  o.pipe_layout = layout;
  o.model_dir = layout.model_dir();
  o.unpacked_model = true;
  o.output_dir = layout.output_data_dir();
  o.checkpoint_dir = r.checkpoint_dir.empty() ? layout.checkpoint_dir() : r.checkpoint_dir;
  o.resume = true;  // a restarted (e.g. spot) job continues from its checkpoints
  o.previous_model = r.previous_model.empty() ? job.previous_model : r.previous_model;
  o.host = job.current_host;
  if (r.distributed) {
    // Ranks started by `segmaker launch` (the API's multi-instance jobs) share one layout: the
    // environment says which rank this is; it plays the host of that index (algo-1, algo-2, …).
    const DistributedConfig config = distributed_config_from_env(process_environment());
    o.host = "algo-" + std::to_string(config.rank + 1);
    join(o, config, r);
  } else if (auto config = distributed_config_from_hosts(job.current_host, job.hosts, r.dist_port)) {
    join(o, *config, r);
  }
  return o;
}

TrainOptions assemble_local(const TrainJobRequest& r) {
  if (r.data_dir.empty() || r.hyperparameters_file.empty() || r.output_dir.empty())
    throw UserError("train needs --data, --hyperparameters and --output (or --sagemaker)");
  TrainOptions o = common_options(r);
  o.hyperparameters = load_hyperparameters(r.hyperparameters_file.string(), true, r.overrides);
  o.data_dir = r.data_dir;
  o.model_dir = r.output_dir;
  o.checkpoint_dir = r.checkpoint_dir;
  o.resume = r.resume;
  o.previous_model = r.previous_model;
  if (r.distributed) join(o, distributed_config_from_env(process_environment()), r);
  return o;
}

}  // namespace

TrainOptions assemble_train_job(const TrainJobRequest& r) {
  if (!r.sagemaker) return assemble_local(r);
  try {
    return assemble_sagemaker(r);
  } catch (const std::exception& e) {
    sagemaker::write_failure(sagemaker::SageMakerLayout{r.sagemaker_root}, e.what());
    throw;
  }
}

namespace {

TrainResult run(const TrainJobRequest& r, const TrainOptions& o) {
  try {
    TrainResult result = train(o);
    if (result.interrupted)
      spdlog::info("train: stopped; {}", r.sagemaker ? "the next run continues from the checkpoint"
                                                     : "run the same command with --resume to continue");
    if (o.communicator && o.communicator->distributed() && result.steps > 0)
      spdlog::info("rank {}: {:.1f} MB of gradients all-reduced per step; {:.1f} ms per step spent waiting for them",
                   o.communicator->rank(), result.gradient_bytes_per_step / 1e6,
                   1000.0 * result.gradient_wait_seconds / result.steps);
    return result;
  } catch (const std::exception& e) {
    if (o.communicator) o.communicator->report_failure(e.what());
    if (r.sagemaker) sagemaker::write_failure(sagemaker::SageMakerLayout{r.sagemaker_root}, e.what());
    throw;
  }
}

}  // namespace

TrainResult run_train_job(const TrainJobRequest& r) {
  if (r.distributed) bind_to_launcher([](const char* name) { return std::getenv(name); });  // die with `segmaker launch`
  if (r.sagemaker) return run(r, assemble_train_job(r));
  if (r.data_dir.empty() || r.hyperparameters_file.empty() || r.output_dir.empty())
    throw UserError("train needs --data, --hyperparameters and --output (or --sagemaker)");
  // Local mode on any storage: the hyperparameters are checked before the data is downloaded.
  using storage::StagedInput;
  const StagedInput hyperparameters(r.hyperparameters_file.string(), StagedInput::Kind::File, r.storage);
  load_hyperparameters(hyperparameters.path().string(), true, r.overrides);
  JobStorage files(r.data_dir.string(), r.output_dir.string(), r.checkpoint_dir.string(), r.storage,
                   {r.validation_data, r.attribute_names});
  std::optional<StagedInput> previous_model;
  if (!r.previous_model.empty()) previous_model.emplace(r.previous_model.string(), StagedInput::Kind::Any, r.storage);
  TrainJobRequest local = r;
  local.hyperparameters_file = hyperparameters.path();
  local.data_dir = files.data_dir();
  local.output_dir = files.model_dir();
  local.checkpoint_dir = files.checkpoint_dir();
  if (previous_model) local.previous_model = previous_model->path();
  TrainOptions o = assemble_train_job(local);
  o.on_epoch = [&files](const nlohmann::json&) { files.save_checkpoints(); };
  files.set_uploads(!o.communicator || o.communicator->rank() == 0);  // rank 0 writes the files
  TrainResult result = run(r, o);
  files.finish();
  return result;
}

}  // namespace segmaker::train
