// segmaker training-task / transform-task: one instance of a training or batch transform job on a
// Slurm node -- what the batch scripts that `segmaker api --scheduler slurm` submits run in each task
// (api/training_task.h, api/transform_task.h).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <memory>
#include <vector>

#include "api/training_task.h"
#include "api/transform_task.h"
#include "commands.h"
#include "io/stop_signal.h"

namespace segmaker::app {

namespace {

// The local folders the service admits (its --allow-local-path), passed on by it.
struct LocalPaths {
  bool restricted = false;
  std::vector<std::filesystem::path> allowed;
  void add_to(CLI::App* sub) {
    sub->add_flag("--restrict-local-paths", restricted, "Read local paths (file:// URIs) only under --allow-local-path");
    sub->add_option("--allow-local-path", allowed, "A local folder the job may read (with --restrict-local-paths)");
  }
};

// What both take from Slurm's environment, the global flags and the service's local folders.
template <typename Options>
void fill_from_environment(Options& o, const LocalPaths& local, const GlobalOptions& global) {
  o.task = api::cluster_task_from_slurm_environment([](const char* name) { return std::getenv(name); });
  o.executable = std::filesystem::read_symlink("/proc/self/exe");
  o.threads = global.threads;
  o.storage = storage_config(global);
  o.storage.progress = false;
  if (local.restricted)
    o.storage.local_access = storage::LocalAccess::only_under(
        local.allowed, "the service admits local folders with segmaker api --allow-local-path DIR");
}

struct TrainingFlags {
  api::TrainingTaskOptions options;
  int port_base = 20000;
  LocalPaths local;
};

struct TransformFlags {
  api::TransformTaskOptions options;
  LocalPaths local;
};

int run_training_task(TrainingFlags& f, const GlobalOptions& global) {
  io::StopSignal stop;  // scancel's SIGTERM: the trainer checkpoints, the checkpoints go up
  fill_from_environment(f.options, f.local, global);
  if (f.options.master_port == 0) {
    const char* id = std::getenv("SLURM_JOB_ID");
    f.options.master_port = f.port_base + (id ? std::atoi(id) % 10000 : 0);
  }
  return api::run_training_task(f.options, stop.poll());
}

int run_transform_task(TransformFlags& f, const GlobalOptions& global) {
  io::StopSignal stop;  // scancel's SIGTERM stops the prediction
  fill_from_environment(f.options, f.local, global);
  return api::run_transform_task(f.options, stop.poll());
}

}  // namespace

Command add_training_task_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("training-task",
                                 "One instance of a training job on a Slurm node (run by the batch script of segmaker api "
                                 "--scheduler slurm, under srun)");
  auto f = std::make_shared<TrainingFlags>();
  auto& o = f->options;
  sub->add_option("--job", o.job_file, "The job's document (<job folder>/cluster/job.json), visible on every node")->required();
  sub->add_option("--scratch", o.scratch, "Node-local folder for the instance's /opt/ml copy")->required();
  sub->add_option("--master-addr", o.master_addr, "The first node's address (the rendezvous)")->required();
  sub->add_option("--master-port", o.master_port, "Rendezvous port (0: --master-port-base + SLURM_JOB_ID % 10000)")
      ->capture_default_str();
  sub->add_option("--master-port-base", f->port_base, "See --master-port")->capture_default_str();
  f->local.add_to(sub);
  return {sub, [f, &global] { return run_training_task(*f, global); }};
}

Command add_transform_task_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("transform-task",
                                 "One instance of a batch transform job on a Slurm node (run by the batch script of segmaker "
                                 "api --scheduler slurm, under srun)");
  auto f = std::make_shared<TransformFlags>();
  sub->add_option("--job", f->options.job_file, "The job's document (<job folder>/cluster/job.json), visible on every node")->required();
  sub->add_option("--scratch", f->options.scratch, "Node-local folder for the instance's copy")->required();
  f->local.add_to(sub);
  return {sub, [f, &global] { return run_transform_task(*f, global); }};
}

}  // namespace segmaker::app
