// segmaker train: a training job from SageMaker-style hyperparameters, locally or in SageMaker's
// container layout (--sagemaker). The job's assembly lives in the library (train/job_request.h).
#include <CLI/CLI.hpp>

#include <memory>

#include "commands.h"
#include "io/stop_signal.h"
#include "train/hyperparameters.h"
#include "train/job_request.h"

namespace segmaker::app {

Command add_train_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("train", "Train FCN / PSPNet / DeepLabV3 with SageMaker's hyperparameters");
  auto r = std::make_shared<train::TrainJobRequest>();
  auto no_progress = std::make_shared<bool>(false);
  sub->add_option("--data", r->data_dir,
                  "Prepared data folder or s3:// prefix (train/, validation/, *_annotation/, optional label_map/); "
                  "s3:// channels are downloaded first (File mode, through the download cache); or the train channel's "
                  "augmented manifest (Ground Truth's JSON Lines, local or s3://) with --validation-data");
  sub->add_option("--validation-data", r->validation_data, "The validation channel's augmented manifest, when --data is one");
  sub->add_option("--attribute-names", r->attribute_names,
                  "The manifests' image and annotation attributes (default: source-ref and the other -ref of the first line)")
      ->delimiter(',')
      ->expected(2);
  sub->add_option("--hyperparameters", r->hyperparameters_file,
                  "hyperparameters.json (SageMaker's names; strings or JSON values), local or s3://");
  sub->add_option("--output", r->output_dir,
                  "Folder or s3:// prefix for model.tar.gz, metrics.jsonl, curves.png, checkpoints/ (uploaded at the end)");
  sub->add_option("--checkpoint-dir", r->checkpoint_dir,
                  "Checkpoint folder or s3:// prefix, uploaded after every epoch (default: <output>/checkpoints)");
  sub->add_flag("--resume", r->resume, "Continue the job from its last checkpoint");
  sub->add_option("--device", r->device, "cpu or cuda[:N]")->capture_default_str();
  sub->add_option("--model", r->previous_model, "Previous model.tar.gz to continue training from (incremental training), local or s3://");
  sub->add_option("--set", r->overrides, "Override a hyperparameter: NAME=VALUE (repeatable)");
  sub->add_flag("--sagemaker", r->sagemaker, "SageMaker container mode: read and write the /opt/ml layout");
  sub->add_option("--sm-root", r->sagemaker_root, "Root of the SageMaker layout")->capture_default_str();
  sub->add_flag("--no-progress", *no_progress, "Plain log lines instead of a progress bar");
  sub->add_flag("--distributed", r->distributed,
                "Join a data-parallel job as one rank: MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK from the "
                "environment (segmaker launch sets them)");
  sub->add_option("--backend", r->backend, "Distributed backend: gloo, nccl or auto (nccl for CUDA when available)")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}))
      ->capture_default_str();
  sub->add_option("--dist-timeout", r->dist_timeout_seconds,
                  "Seconds a rank waits for the others (rendezvous, collectives) before failing with the rank(s) to blame")
      ->capture_default_str();
  sub->add_option("--dist-port", r->dist_port, "Rendezvous port for SageMaker multi-host jobs (resourceconfig.json)")
      ->capture_default_str();
  sub->footer("Hyperparameters (name = default: allowed):\n" + train::describe_hyperparameters());
  return {sub, [r, no_progress, &global] {
            io::StopSignal stop;  // before any thread starts
            train::TrainJobRequest request = *r;
            request.threads = global.threads;
            request.progress = !*no_progress;
            request.stop_requested = stop.poll();
            request.storage = storage_config(global);
            train::run_train_job(request);
            return 0;
          }};
}

}  // namespace segmaker::app
