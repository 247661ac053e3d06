// segmaker transform-task: one instance of a batch transform job on a Slurm node (what the batch
// script that `segmaker api --scheduler slurm` submits runs in each task; api/transform_task.h).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <memory>

#include "api/transform_task.h"
#include "commands.h"
#include "io/stop_signal.h"

namespace segmaker::app {

namespace {

int run_transform_task(api::TransformTaskOptions& o, const GlobalOptions& global) {
  io::StopSignal stop;  // scancel's SIGTERM stops the prediction
  o.task = api::cluster_task_from_slurm_environment([](const char* name) { return std::getenv(name); });
  o.executable = std::filesystem::read_symlink("/proc/self/exe");
  o.threads = global.threads;
  o.storage = storage_config(global);
  o.storage.progress = false;
  return api::run_transform_task(o, stop.poll());
}

}  // namespace

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
