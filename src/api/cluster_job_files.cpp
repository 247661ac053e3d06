// The files a cluster job shares with the service (see cluster_job_files.h).
#include "api/cluster_job_files.h"

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

json ClusterJobFiles::results() const {
  json out = json::object();
  if (!fs::is_directory(dir())) return out;
  for (const auto& entry : fs::directory_iterator(dir())) {
    const auto name = entry.path().filename().string();
    if (name.rfind("algo-", 0) != 0 || entry.path().extension() != ".json") continue;
    const json r = json::parse(io::read_file(entry.path()), nullptr, false);
    if (r.is_object()) out[entry.path().stem().string()] = r;
  }
  return out;
}

ClusterTask cluster_task_from_slurm_environment(const std::function<const char*(const char*)>& lookup) {
  ClusterTask o;
  auto need = [&](const char* name) {
    const char* v = lookup(name);
    if (!v || !*v) throw UserError(std::string("a cluster task runs under Slurm's srun: ") + name + " is not set (start it with srun)");
    return std::string(v);
  };
  auto number = [&](const char* name, int min) {
    const std::string v = need(name);
    try {
      std::size_t used = 0;
      const int n = std::stoi(v, &used);
      if (used == v.size() && n >= min) return n;
    } catch (const std::exception&) {
    }
    throw UserError(std::string(name) + "='" + v + "' is not a number");
  };
  o.rank = number("SLURM_PROCID", 0);
  o.instances = number("SLURM_NTASKS", 1);
  if (o.rank >= o.instances) throw UserError("SLURM_PROCID is not below SLURM_NTASKS");
  o.node = need("SLURMD_NODENAME");
  return o;
}

}  // namespace segmaker::api
