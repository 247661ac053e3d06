// segmaker launch: N local ranks of a data-parallel training job (like torchrun).
#include <CLI/CLI.hpp>

#include <memory>

#include "commands.h"
#include "io/stop_signal.h"
#include "train/distributed/launcher.h"

namespace segmaker::app {

namespace {

struct LaunchFlags {
  train::LaunchOptions options;
  double grace = 60;
};

int run_launch(LaunchFlags& f, const GlobalOptions& global) {
  io::StopSignal stop;  // before any thread starts; the ranks get an unblocked mask (launcher.cpp)
  f.options.executable = std::filesystem::read_symlink("/proc/self/exe");
  if (f.options.threads_per_rank == 0 && global.threads > 0) f.options.threads_per_rank = global.threads;
  f.options.grace = std::chrono::milliseconds(static_cast<long long>(f.grace * 1000));
  return train::launch(f.options, stop.poll());
}

}  // namespace

Command add_launch_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("launch", "Run a training job as N data-parallel ranks on this machine (like torchrun)");
  auto f = std::make_shared<LaunchFlags>();
  auto& o = f->options;
  sub->add_option("--nproc", o.nproc, "Ranks on this machine")->capture_default_str();
  sub->add_option("--nnodes", o.nnodes, "Machines in the job")->capture_default_str();
  sub->add_option("--node-rank", o.node_rank, "This machine's index (0 hosts the rendezvous)")->capture_default_str();
  sub->add_option("--master-addr", o.master_addr, "Address of node 0, reachable from every machine")->capture_default_str();
  sub->add_option("--master-port", o.master_port, "Rendezvous port (0: a free one, single machine only)")->capture_default_str();
  sub->add_option("--threads-per-rank", o.threads_per_rank, "LibTorch threads of each rank (0: cores / nproc)")
      ->capture_default_str();
  sub->add_option("--grace", f->grace, "Seconds the other ranks get to stop on their own after one fails")->capture_default_str();
  sub->add_option("command", o.command, "-- train <train flags>")->required();
  sub->footer(
      "Example: segmaker launch --nproc 2 -- train --data prepared --hyperparameters hp.json --output out\n"
      "Two machines: run on each  segmaker launch --nnodes 2 --node-rank K --nproc 1 --master-addr HOST0 "
      "--master-port 29500 -- train ...");
  return {sub, [f, &global] { return run_launch(*f, global); }};
}

}  // namespace segmaker::app
