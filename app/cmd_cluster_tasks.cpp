// segmaker training-task / transform-task: one instance of a training or batch transform job on a
// Slurm node -- what the batch scripts that `segmaker api --scheduler slurm` submits run in each task
// (api/training_task.h, api/transform_task.h).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <memory>

#include "api/training_task.h"
#include "api/transform_task.h"
#include "commands.h"
#include "io/stop_signal.h"

namespace segmaker::app {

namespace {

// What both take from Slurm's environment and the global flags.
template <typename Options>
void fill_from_environment(Options& o, const GlobalOptions& global) {
  o.task = api::cluster_task_from_slurm_environment([](const char* name) { return std::getenv(name); });
  o.executable = std::filesystem::read_symlink("/proc/self/exe");
  o.threads = global.threads;
  o.storage = storage_config(global);
  o.storage.progress = false;
}

struct TrainingFlags {
  api::TrainingTaskOptions options;
  int port_base = 20000;
};

int run_training_task(TrainingFlags& f, const GlobalOptions& global) {
  io::StopSignal stop;  // scancel's SIGTERM: the trainer checkpoints, the checkpoints go up
  fill_from_environment(f.options, global);
  if (f.options.master_port == 0) {
    const char* id = std::getenv("SLURM_JOB_ID");
    f.options.master_port = f.port_base + (id ? std::atoi(id) % 10000 : 0);
  }
  return api::run_training_task(f.options, stop.poll());
}

int run_transform_task(api::TransformTaskOptions& o, const GlobalOptions& global) {
  io::StopSignal stop;  // scancel's SIGTERM stops the prediction
  fill_from_environment(o, global);
  return api::run_transform_task(o, stop.poll());
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
  return {sub, [f, &global] { return run_training_task(*f, global); }};
}

Command add_transform_task_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("transform-task",
                                 "One instance of a batch transform job on a Slurm node (run by the batch script of segmaker "
                                 "api --scheduler slurm, under srun)");
  auto o = std::make_shared<api::TransformTaskOptions>();
  sub->add_option("--job", o->job_file, "The job's document (<job folder>/cluster/job.json), visible on every node")->required();
  sub->add_option("--scratch", o->scratch, "Node-local folder for the instance's copy")->required();
  return {sub, [o, &global] { return run_transform_task(*o, global); }};
}

}  // namespace segmaker::app
