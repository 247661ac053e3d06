#pragma once
// Where a rank finds its process group, torch-free: the variables PyTorch users know
// (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK, as torchrun and `segmaker launch` set
// them), or SageMaker's multi-host description (/opt/ml/input/config/resourceconfig.json).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace segmaker::train {

struct DistributedConfig {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // gloo | nccl | auto (nccl for CUDA devices when LibTorch has it, else gloo).
  std::string backend = "auto";
  // A collective, or the rendezvous, that takes longer than this fails with a message naming the
  // rank(s) that stopped responding.
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
};

// Looks a variable up; returns nothing when it is unset. Tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

// From MASTER_ADDR (default 127.0.0.1), MASTER_PORT (default 29500), WORLD_SIZE and RANK (both
// required), LOCAL_RANK (default: RANK). Throws UserError naming the variable that is missing or
// malformed, or a RANK outside 0..WORLD_SIZE-1.
DistributedConfig distributed_config_from_env(const EnvLookup& env);

// SageMaker multi-host training: one rank per host, ranks in the order of `hosts` sorted by name,
// the first host is the master. Returns nothing for a single host. Throws UserError when
// `current_host` is not among `hosts`.
std::optional<DistributedConfig> distributed_config_from_hosts(const std::string& current_host,
                                                               std::vector<std::string> hosts, int port);

// Resolves backend "auto" for a device ("cpu", "cuda", "cuda:1"); checks that the backend is one
// LibTorch offers here (`nccl_available`) and suits the device. Throws UserError.
std::string resolve_backend(const std::string& backend, const std::string& device, bool nccl_available);

// Seconds as a timeout, checked (> 0).
std::chrono::milliseconds timeout_from_seconds(double seconds);

}  // namespace segmaker::train
