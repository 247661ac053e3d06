// segmaker training-task: one instance of a training job on a Slurm node (what the batch script that
// `segmaker api --scheduler slurm` submits runs in each task; api/training_task.h).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <memory>

#include "api/training_task.h"
#include "commands.h"
#include "io/stop_signal.h"

namespace segmaker::app {

namespace {

struct TaskFlags {
  api::TrainingTaskOptions options;
  int port_base = 20000;
};

int run_training_task(TaskFlags& f, const GlobalOptions& global) {
  io::StopSignal stop;  // scancel's SIGTERM: the trainer checkpoints, the checkpoints go up
  auto& o = f.options;
  o.task = api::cluster_task_from_slurm_environment([](const char* name) { return std::getenv(name); });
  if (o.master_port == 0) {
    const char* id = std::getenv("SLURM_JOB_ID");
    o.master_port = f.port_base + (id ? std::atoi(id) % 10000 : 0);
  }
  o.executable = std::filesystem::read_symlink("/proc/self/exe");
  o.threads = global.threads;
  o.storage = storage_config(global);
  o.storage.progress = false;
  return api::run_training_task(o, stop.poll());
}

}  // namespace

Command add_training_task_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("training-task",
                                 "One instance of a training job on a Slurm node (run by the batch script of segmaker api "
                                 "--scheduler slurm, under srun)");
  auto f = std::make_shared<TaskFlags>();
  auto& o = f->options;
  sub->add_option("--job", o.job_file, "The job's document (<job folder>/cluster/job.json), visible on every node")->required();
  sub->add_option("--scratch", o.scratch, "Node-local folder for the instance's /opt/ml copy")->required();
  sub->add_option("--master-addr", o.master_addr, "The first node's address (the rendezvous)")->required();
  sub->add_option("--master-port", o.master_port, "Rendezvous port (0: --master-port-base + SLURM_JOB_ID % 10000)")
      ->capture_default_str();
  sub->add_option("--master-port-base", f->port_base, "See --master-port")->capture_default_str();
  return {sub, [f, &global] { return run_training_task(*f, global); }};
}

}  // namespace segmaker::app
