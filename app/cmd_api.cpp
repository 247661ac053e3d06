// segmaker api: the SageMaker API (control plane and runtime) for the AWS CLI and boto3, and
// `segmaker api logs NAME` to read a job's log (there is no CloudWatch).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "api/service.h"
#include "commands.h"
#include "io/error.h"

namespace segmaker::app {

namespace {

struct ApiFlags {
  api::ServiceOptions options;
  double stop_grace = 120;
  std::string log_name;
  bool log_transform = false, log_endpoint = false;
  std::string s3_endpoint;
};

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
  auto* sub = app.add_subcommand("api", "The SageMaker API for the AWS CLI and boto3: training jobs, models, endpoints, "
                                        "transform jobs (aws --endpoint-url http://127.0.0.1:8700 sagemaker ...)");
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

  auto* logs = sub->add_subcommand("logs", "Print a training job's log (or a transform job's, or an endpoint's instances')");
  logs->add_option("name", f->log_name, "Job or endpoint name")->required();
  logs->add_option("--root", o.root, "The service's --root")->capture_default_str();
  logs->add_flag("--transform-job", f->log_transform, "NAME is a transform job");
  logs->add_flag("--endpoint", f->log_endpoint, "NAME is an endpoint");
  sub->require_subcommand(0, 1);

  return {sub, [f, logs, &global] {
            if (logs->parsed()) return show_log(*f);
            auto options = f->options;
            options.threads = global.threads;
            options.stop_grace = std::chrono::milliseconds(static_cast<long long>(f->stop_grace * 1000));
            options.executable = std::filesystem::read_symlink("/proc/self/exe");
            options.storage = storage_config(global);  // --s3-endpoint / --no-cache, then the AWS settings
            return api::run_service(options);
          }};
}

}  // namespace segmaker::app
