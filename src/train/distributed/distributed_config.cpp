#include "train/distributed/distributed_config.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "io/error.h"

namespace segmaker::train {

namespace {

int parse_int(const std::string& name, const std::string& text, int low, int high) {
  std::size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || value < low || value > high)
    throw UserError("environment variable " + name + " = '" + text + "' is not an integer in " + std::to_string(low) + ".." +
                    std::to_string(high));
  return static_cast<int>(value);
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

DistributedConfig distributed_config_from_env(const EnvLookup& env) {
  DistributedConfig c;
  const auto world = env("WORLD_SIZE");
  const auto rank = env("RANK");
  if (!world || !rank)
    throw UserError(std::string("distributed training needs the environment variable ") + (!world ? "WORLD_SIZE" : "RANK") +
                    " (set WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT as torchrun does, or start the job with "
                    "`segmaker launch --nproc N -- train ...`)");
  c.world_size = parse_int("WORLD_SIZE", *world, 1, 65536);
  c.rank = parse_int("RANK", *rank, 0, c.world_size - 1);
  c.local_rank = c.rank;
  if (auto local = env("LOCAL_RANK")) c.local_rank = parse_int("LOCAL_RANK", *local, 0, 65535);
  if (auto addr = env("MASTER_ADDR")) {
    if (addr->empty()) throw UserError("environment variable MASTER_ADDR is empty: set it to rank 0's host name or address");
    c.master_addr = *addr;
  }
  if (auto port = env("MASTER_PORT")) c.master_port = parse_int("MASTER_PORT", *port, 1, 65535);
  return c;
}

std::optional<DistributedConfig> distributed_config_from_hosts(const std::string& current_host, std::vector<std::string> hosts,
                                                               int port) {
  if (hosts.size() <= 1) return std::nullopt;
  std::sort(hosts.begin(), hosts.end());
  hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
  const auto it = std::find(hosts.begin(), hosts.end(), current_host);
  if (it == hosts.end())
    throw UserError("resourceconfig.json: current_host '" + current_host + "' is not one of its hosts");
  DistributedConfig c;
  c.world_size = static_cast<int>(hosts.size());
  c.rank = static_cast<int>(it - hosts.begin());
  c.local_rank = 0;
  c.master_addr = hosts.front();
  c.master_port = port;
  return c;
}

std::string resolve_backend(const std::string& backend, const std::string& device, bool nccl_available) {
  const bool cuda = device.rfind("cuda", 0) == 0;
  if (backend == "auto") return cuda && nccl_available ? "nccl" : "gloo";
  if (backend == "gloo") return backend;
  if (backend == "nccl") {
    if (!nccl_available)
      throw UserError("backend nccl: this LibTorch was built without NCCL; use --backend gloo (it also reduces CUDA tensors)");
    if (!cuda) throw UserError("backend nccl needs a CUDA device (--device cuda); use --backend gloo on CPU");
    return backend;
  }
  throw UserError("unknown distributed backend '" + backend + "': use gloo, nccl or auto");
}

std::chrono::milliseconds timeout_from_seconds(double seconds) {
  if (!(seconds > 0) || seconds > 7 * 24 * 3600.0)
    throw UserError("distributed timeout must be between 0 and 604800 seconds, got " + std::to_string(seconds));
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

}  // namespace segmaker::train
