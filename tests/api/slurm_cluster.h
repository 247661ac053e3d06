#pragma once
// A real Slurm cluster for a test: slurmctld and N slurmd (n1..nN at 127.0.1.x, free ports, a private
// munge key) from scripts/slurm-cluster, in a folder of the test; taken down (jobs cancelled first)
// when the object goes. Skips where Slurm is not installed or the test does not run as root.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "io/paths.h"

namespace segmaker::test {

class SlurmCluster {
 public:
  // Why a cluster cannot start here ("" when it can).
  static std::string unavailable_reason() {
    for (const char* tool : {"/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch"})
      if (!std::filesystem::exists(tool)) return std::string(tool) + " is not installed (scripts/install-deps installs Slurm)";
    if (::geteuid() != 0) return "slurmd needs root to start jobs (the test runs as another user)";
    return "";
  }

  SlurmCluster(const std::filesystem::path& dir, int nodes) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    const int rc = std::system((script() + " up '" + dir_.string() + "' " + std::to_string(nodes) + " > '" + (dir_ / "up.out").string() +
                                "' 2> '" + (dir_ / "up.log").string() + "'").c_str());
    const std::string out = io::read_file(dir_ / "up.out");
    const std::string prefix = "export SLURM_CONF=";
    const auto at = out.find(prefix);
    if (rc != 0 || at == std::string::npos) {
      error_ = "scripts/slurm-cluster up failed: " + io::read_file(dir_ / "up.log");
      return;
    }
    conf_ = out.substr(at + prefix.size());
    conf_ = conf_.substr(0, conf_.find_first_of("\r\n"));
  }
  ~SlurmCluster() { std::system((script() + " down '" + dir_.string() + "' > /dev/null 2>&1").c_str()); }
  SlurmCluster(const SlurmCluster&) = delete;
  SlurmCluster& operator=(const SlurmCluster&) = delete;

  const std::string& error() const { return error_; }
  const std::string& conf() const { return conf_; }
  // A Slurm client command's output (stdout and stderr) against this cluster.
  std::string run(const std::string& command) const {
    const auto out = dir_ / "command.out";
    std::system(("SLURM_CONF='" + conf_ + "' " + command + " > '" + out.string() + "' 2>&1").c_str());
    return io::read_file(out);
  }
  // The node dies with its jobs' processes (kill -9 of its slurmd and job steps).
  int kill_node(const std::string& name) const {
    return std::system((script() + " kill-node '" + dir_.string() + "' " + name + " >> '" + (dir_ / "nodes.log").string() + "' 2>&1").c_str());
  }

 private:
  static std::string script() { return std::string(SEGMAKER_SOURCE_DIR) + "/scripts/slurm-cluster"; }
  std::filesystem::path dir_;
  std::string conf_, error_;
};

}  // namespace segmaker::test
