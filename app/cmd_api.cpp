// segmaker api: the SageMaker API (control plane and runtime, with CloudWatch logs and metrics) for the
// AWS CLI, boto3 and the SageMaker Python SDK; `segmaker api logs NAME` prints a job's log from its
// --root; `segmaker api sdk-config --bucket B` writes the SDK's config file for a notebook.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "api/service.h"
#include "commands.h"
#include "io/paths.h"
#include "io/error.h"
#include "sagemaker/sdk_config.h"

namespace segmaker::app {

namespace {

struct ApiFlags {
  api::ServiceOptions options;
  double stop_grace = 120;
  std::string log_name;
  bool log_transform = false, log_endpoint = false;
  std::string s3_endpoint;
  std::string sdk_bucket;
  std::filesystem::path sdk_file;
  bool sdk_force = false;
  std::string scheduler = "local";
  api::SlurmOptions slurm;
  std::filesystem::path instance_types;
};

int write_sdk_config(const ApiFlags& f) {
  const std::string text = sagemaker::sdk_config_yaml(f.sdk_bucket);
  const std::filesystem::path file = f.sdk_file.empty() ? sagemaker::default_sdk_config_path() : f.sdk_file;
  if (std::filesystem::exists(file) && !f.sdk_force)
    throw UserError("'" + file.string() + "' exists; --force replaces it, --file writes another one (then "
                    "SAGEMAKER_USER_CONFIG_OVERRIDE=<that file>)");
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  io::write_file_atomic(file, text);
  std::cout << "wrote " << file.string() << " (Session().default_bucket() = " << f.sdk_bucket
            << ", telemetry off)\nthen, in the notebook's environment:\n"
            << "  export AWS_ENDPOINT_URL=http://127.0.0.1:" << f.options.port
            << " AWS_ENDPOINT_URL_S3=<your S3 endpoint> AWS_DEFAULT_REGION=" << f.options.region << "\n";
  if (!f.sdk_file.empty()) std::cout << "  export SAGEMAKER_USER_CONFIG_OVERRIDE=" << std::filesystem::absolute(file).string() << "\n";
  return 0;
}

int show_log(const ApiFlags& f) {
  const std::string kind = f.log_endpoint ? "endpoints" : f.log_transform ? "transform-jobs" : "training-jobs";
  const std::string log = api::read_log(f.options.root, kind, f.log_name);
  if (log.empty())
    throw UserError("no log for " + kind + "/" + f.log_name + " under '" + f.options.root.string() +
                    "' (check the name and --root; --transform-job or --endpoint for those)");
  std::cout << log << std::flush;
  return 0;
}

}  // namespace

Command add_api_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("api", "The SageMaker API for the AWS CLI, boto3 and the SageMaker Python SDK: training jobs, models, endpoints, "
                                        "transform jobs, with their CloudWatch logs and metrics (aws --endpoint-url http://127.0.0.1:8700 sagemaker ...)");
  auto f = std::make_shared<ApiFlags>();
  auto& o = f->options;
  sub->add_option("--host", o.host, "Address to listen on (a non-loopback one needs --auth or --insecure)")->capture_default_str();
  sub->add_option("--port", o.port, "Port (0 = any free port)")->capture_default_str();
  sub->add_option("--root", o.root, "Folder for the database, jobs, models and logs")->capture_default_str();
  sub->add_option("--auth", o.auth_keyfile, "Key file ('ACCESS_KEY_ID SECRET_ACCESS_KEY' per line): every request must be SigV4-signed with one");
  sub->add_flag("--insecure", o.insecure, "Allow a non-loopback --host without --auth");
  sub->add_option("--max-jobs", o.max_jobs, "Training jobs running at once (the rest wait in Starting)")->capture_default_str();
  sub->add_option("--max-waiting-jobs", o.limits.max_waiting_jobs, "Jobs in progress or waiting before ResourceLimitExceeded")
      ->capture_default_str();
  sub->add_option("--max-instances", o.limits.max_serving_instances, "Serving processes over all endpoints before ResourceLimitExceeded")
      ->capture_default_str();
  sub->add_option("--region", o.region, "Region written in ARNs")->capture_default_str();
  sub->add_option("--account", o.account, "Account id written in ARNs")->capture_default_str();
  sub->add_option("--stop-grace", f->stop_grace, "Seconds a stopped job gets to checkpoint before SIGKILL (SageMaker: 120)")
      ->capture_default_str();
  sub->add_option("--http-threads", o.http_threads, "Requests served at once")->capture_default_str();
  sub->add_option("--allow-local-path", o.allowed_local_paths,
                  "A folder whose local paths (file:// URIs, /absolute/paths) requests may name for channels, models, "
                  "transform input and output and checkpoints (repeatable; default: none, s3:// only)");
  sub->add_option("--log-retention-days", o.log_retention_days,
                  "Days the jobs' and endpoints' logs are kept (CloudWatch Logs' retention; dropped when the service "
                  "starts; 0 = forever)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--scheduler", f->scheduler,
                  "Where training jobs run: local (child processes of the service) or slurm (one Slurm batch job per "
                  "training job, InstanceCount nodes; sbatch/squeue/scontrol/scancel on PATH, SLURM_CONF)")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->capture_default_str();
  sub->add_option("--slurm-partition", f->slurm.partition, "Slurm partition for jobs whose instance type names none (default: the cluster's)");
  sub->add_option("--instance-types", f->instance_types,
                  "JSON file: SageMaker instance type -> Slurm resources {partition, cpus, memory_mib, gpus, exclusive} "
                  "(default: every instance type is one whole node)");
  sub->add_option("--slurm-port-base", f->slurm.port_base,
                  "Multi-instance rendezvous port on the first node: this + Slurm job id % 10000")
      ->capture_default_str();
  sub->add_option("--node-scratch", f->slurm.scratch, "Node-local folder for each instance's /opt/ml copy (Slurm)")->capture_default_str();
  sub->add_flag("--keep-job-files", o.keep_job_files,
                "Keep a finished job's working copy (channels, checkpoints, weights) for debugging; by default only "
                "its log file stays, as SageMaker discards an instance's storage");

  auto* logs = sub->add_subcommand("logs", "Print a training job's log (or a transform job's, or an endpoint's instances')");
  logs->add_option("name", f->log_name, "Job or endpoint name")->required();
  logs->add_option("--root", o.root, "The service's --root")->capture_default_str();
  logs->add_flag("--transform-job", f->log_transform, "NAME is a transform job");
  logs->add_flag("--endpoint", f->log_endpoint, "NAME is an endpoint");

  auto* sdk = sub->add_subcommand("sdk-config", "Write the SageMaker Python SDK's config file for a notebook outside AWS: "
                                                "the Session's default bucket and telemetry off");
  sdk->add_option("--bucket", f->sdk_bucket, "The bucket Session().default_bucket() returns")->required();
  sdk->add_option("--file", f->sdk_file, "Where to write it (default: ~/.config/sagemaker/config.yaml, which the SDK reads)");
  sdk->add_flag("--force", f->sdk_force, "Replace an existing file");
  sdk->add_option("--port", f->options.port, "The service's port, for the printed AWS_ENDPOINT_URL")->capture_default_str();
  sdk->add_option("--region", f->options.region, "The region, for the printed AWS_DEFAULT_REGION")->capture_default_str();
  sub->require_subcommand(0, 1);

  return {sub, [f, logs, sdk, &global] {
            if (logs->parsed()) return show_log(*f);
            if (sdk->parsed()) return write_sdk_config(*f);
            auto options = f->options;
            options.threads = global.threads;
            options.stop_grace = std::chrono::milliseconds(static_cast<long long>(f->stop_grace * 1000));
            options.executable = std::filesystem::read_symlink("/proc/self/exe");
            options.storage = storage_config(global);  // --s3-endpoint / --no-cache, then the AWS settings
            if (f->scheduler == "slurm") {
              options.slurm = f->slurm;
              if (!f->instance_types.empty()) options.slurm->instances = api::InstanceResourceTable::load(f->instance_types);
            } else if (!f->instance_types.empty() || !f->slurm.partition.empty()) {
              throw UserError("--instance-types and --slurm-partition need --scheduler slurm");
            }
            return api::run_service(options);
          }};
}

}  // namespace segmaker::app
