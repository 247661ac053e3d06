#pragma once
// `segmaker launch`: starts the ranks of a data-parallel training job on this machine, like
// `torchrun`: N processes of this executable, each with MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK,
// LOCAL_RANK and LOCAL_WORLD_SIZE set and `train --distributed` added; for several machines each
// runs it with its own --node-rank. Torch-free.
//
// Watches its ranks: when one exits with an error or is killed, it says which (rank, pid, exit code
// or signal), gives the others `grace` to fail on their own (they notice within the distributed
// timeout and report which rank stopped), then stops them (SIGTERM, then SIGKILL). SIGTERM / SIGINT
// to the launcher are forwarded: the ranks agree on a step, rank 0 checkpoints, all stop.
//
// A rank never outlives its launcher: each gets SEGMAKER_LAUNCHER_PID and, at its start
// (bind_to_launcher), asks the kernel for SIGKILL when its parent dies -- a launcher killed with
// SIGKILL (a scheduler's scancel, a node's OOM killer) takes its ranks with it instead of leaving
// orphans that hold the node (Slurm's proctrack/linuxproc tracks processes by parentage).
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace segmaker::train {

struct LaunchOptions {
  int nproc = 1;       // ranks on this machine
  int nnodes = 1;      // machines
  int node_rank = 0;   // this machine's index, 0..nnodes-1
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0: a free port (single machine), 29500 with several machines
  int threads_per_rank = 0;  // 0: this machine's cores / nproc (at least 1)
  std::chrono::milliseconds grace{std::chrono::seconds(60)};
  std::filesystem::path executable;  // the segmaker binary
  std::vector<std::string> command;  // "train", its flags...
};

// The argument vector of local rank `local_rank` (without the executable).
std::vector<std::string> rank_arguments(const LaunchOptions& options);
// The environment variables set for local rank `local_rank` (on top of the launcher's own).
std::vector<std::pair<std::string, std::string>> rank_environment(const LaunchOptions& options, int local_rank, int port);

// In a rank: when SEGMAKER_LAUNCHER_PID (from `lookup`) names the launcher, the rank is killed when its
// parent process dies; a launcher already gone (the parent is another process) is a UserError.
// Nothing without the variable (a rank started by hand, or by another launcher).
void bind_to_launcher(const std::function<const char*(const char*)>& lookup);

// Runs the job; returns 0 when every rank succeeded, else the first failing rank's exit code
// (128 + signal for a killed rank). `stop_requested` is polled (SIGTERM / SIGINT forwarding).
// Throws UserError for invalid options.
int launch(const LaunchOptions& options, const std::function<bool()>& stop_requested);

}  // namespace segmaker::train
