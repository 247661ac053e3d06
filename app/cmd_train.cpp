// segmaker train: a training job from SageMaker-style hyperparameters, locally or in SageMaker's
// container layout (--sagemaker).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "stop_signal.h"
#include "io/error.h"
#include "io/paths.h"
#include "train/distributed/communicator.h"
#include "train/distributed/distributed_config.h"
#include "train/hyperparameters.h"
#include "train/sagemaker_env.h"
#include "train/trainer.h"

namespace segmaker::app {

namespace {

struct TrainFlags {
  std::string data, hyperparameters, output, checkpoint_dir, device = "cpu", model, sm_root = "/opt/ml";
  std::vector<std::string> overrides;
  bool resume = false, sagemaker = false, no_progress = false;
  bool distributed = false;
  std::string backend = "auto";
  double dist_timeout = 300;
  int dist_port = 29500;
};

nlohmann::json with_overrides(nlohmann::json hp, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) throw UserError("--set expects NAME=VALUE, got '" + o + "'");
    hp[o.substr(0, eq)] = o.substr(eq + 1);
  }
  return hp;
}

// Joins the process group; a CUDA device becomes this rank's own (cuda:LOCAL_RANK).
void join(train::TrainOptions& o, train::DistributedConfig config, const TrainFlags& f) {
  config.backend = f.backend;
  config.timeout = train::timeout_from_seconds(f.dist_timeout);
  if (o.device == "cuda") o.device = "cuda:" + std::to_string(config.local_rank);
  o.communicator = train::connect(config, o.device);
}

// Runs the job; on failure tells the other ranks why before the process ends.
void run_job(const train::TrainOptions& o, const char* resume_hint) {
  try {
    train::TrainResult r = train::train(o);
    if (r.interrupted) spdlog::info("train: stopped; {}", resume_hint);
    if (o.communicator && o.communicator->distributed() && r.steps > 0)
      spdlog::info("rank {}: {:.1f} MB of gradients all-reduced per step; {:.1f} ms per step spent waiting for them",
                   o.communicator->rank(), r.gradient_bytes_per_step / 1e6, 1000.0 * r.gradient_wait_seconds / r.steps);
  } catch (const std::exception& e) {
    if (o.communicator) o.communicator->report_failure(e.what());
    throw;
  }
}

int run_train(const TrainFlags& f, const GlobalOptions& global) {
  const auto stop_requested = install_stop_signal_handlers();
  train::TrainOptions o;
  o.device = f.device;
  o.threads = global.threads;
  o.progress = !f.no_progress;
  o.stop_requested = stop_requested;
  if (f.sagemaker) {
    train::SageMakerLayout layout{f.sm_root};
    try {
      train::SageMakerJob job = train::read_sagemaker_job(layout);
      o.hyperparameters = train::parse_hyperparameters(with_overrides(job.hyperparameters, f.overrides));
      o.data_dir = layout.data_dir();
      o.model_dir = layout.model_dir();
      o.unpacked_model = true;
      o.output_dir = layout.output_data_dir();
      o.checkpoint_dir = f.checkpoint_dir.empty() ? layout.checkpoint_dir() : std::filesystem::path(f.checkpoint_dir);
      o.resume = true;  // a restarted (e.g. spot) job continues from its checkpoints
      o.previous_model = f.model.empty() ? job.previous_model : std::filesystem::path(f.model);
      o.host = job.current_host;
      if (f.distributed) {
        // Ranks started by `segmaker launch` (the API's multi-instance jobs) share one layout: the
        // environment says which rank this is; it plays the host of that index (algo-1, algo-2, …).
        const auto config = train::distributed_config_from_env(train::process_environment());
        o.host = "algo-" + std::to_string(config.rank + 1);
        join(o, config, f);
      } else if (auto config = train::distributed_config_from_hosts(job.current_host, job.hosts, f.dist_port)) {
        join(o, *config, f);
      }
      run_job(o, "the next run continues from the checkpoint");
      return 0;
    } catch (const std::exception& e) {
      train::write_failure(layout, e.what());
      throw;
    }
  }
  if (f.data.empty() || f.hyperparameters.empty() || f.output.empty())
    throw UserError("train needs --data, --hyperparameters and --output (or --sagemaker)");
  nlohmann::json hp;
  try {
    hp = nlohmann::json::parse(io::read_file(f.hyperparameters));
  } catch (const nlohmann::json::parse_error& e) {
    throw UserError("'" + f.hyperparameters + "' is not valid JSON: " + e.what());
  }
  o.hyperparameters = train::parse_hyperparameters(with_overrides(hp, f.overrides));
  o.data_dir = f.data;
  o.model_dir = f.output;
  o.checkpoint_dir = f.checkpoint_dir;
  o.resume = f.resume;
  o.previous_model = f.model;
  if (f.distributed) join(o, train::distributed_config_from_env(train::process_environment()), f);
  run_job(o, "run the same command with --resume to continue");
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("train", "Train FCN / PSPNet / DeepLabV3 with SageMaker's hyperparameters");
  auto f = std::make_shared<TrainFlags>();
  sub->add_option("--data", f->data, "Prepared data folder (train/, validation/, *_annotation/, optional label_map/)");
  sub->add_option("--hyperparameters", f->hyperparameters, "hyperparameters.json (SageMaker's names; strings or JSON values)");
  sub->add_option("--output", f->output, "Folder for model.tar.gz, metrics.jsonl, curves.png, checkpoints/");
  sub->add_option("--checkpoint-dir", f->checkpoint_dir, "Checkpoint folder (default: <output>/checkpoints)");
  sub->add_flag("--resume", f->resume, "Continue the job from its last checkpoint");
  sub->add_option("--device", f->device, "cpu or cuda[:N]")->capture_default_str();
  sub->add_option("--model", f->model, "Previous model.tar.gz to continue training from (incremental training)");
  sub->add_option("--set", f->overrides, "Override a hyperparameter: NAME=VALUE (repeatable)");
  sub->add_flag("--sagemaker", f->sagemaker, "SageMaker container mode: read and write the /opt/ml layout");
  sub->add_option("--sm-root", f->sm_root, "Root of the SageMaker layout")->capture_default_str();
  sub->add_flag("--no-progress", f->no_progress, "Plain log lines instead of a progress bar");
  sub->add_flag("--distributed", f->distributed,
                "Join a data-parallel job as one rank: MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK from the "
                "environment (segmaker launch sets them)");
  sub->add_option("--backend", f->backend, "Distributed backend: gloo, nccl or auto (nccl for CUDA when available)")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}))
      ->capture_default_str();
  sub->add_option("--dist-timeout", f->dist_timeout,
                  "Seconds a rank waits for the others (rendezvous, collectives) before failing with the rank(s) to blame")
      ->capture_default_str();
  sub->add_option("--dist-port", f->dist_port, "Rendezvous port for SageMaker multi-host jobs (resourceconfig.json)")
      ->capture_default_str();
  sub->footer("Hyperparameters (name = default: allowed):\n" + train::describe_hyperparameters());
  return {sub, [f, &global] { return run_train(*f, global); }};
}

}  // namespace segmaker::app
