#pragma once
// One instance of an endpoint: a child `segmaker serve --model <staged model.tar.gz> --host
// 127.0.0.1 --port <free port>` with the model's Environment, its log in the endpoint's folder.
// Ready once it answers GET /ping with 200.
//
// On a Slurm cluster (InstanceSpec::slurm): the instance is a long-running one-node Slurm job serving
// the model (on the cluster's shared file system) on its node's address (NodeAddr) and the port the
// service picked; the service learns the node from Slurm and routes there once /ping answers. A job
// that ends (its node died, the port was taken) is an exited instance: the endpoint's supervisor starts
// it again, i.e. submits a new job. Stop: scancel --signal=TERM (requests in flight finish), scancel
// after the grace period.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/child_process.h"
#include "api/slurm_client.h"

namespace segmaker::api {

struct InstanceSpec {
  std::filesystem::path executable;
  std::filesystem::path model;  // local model.tar.gz
  std::filesystem::path log;
  int threads = 0;              // --threads (0: the child's default)
  std::vector<std::pair<std::string, std::string>> environment;
  // On Slurm: the client and the job's template (name, comment, resources, partition, folder).
  const SlurmClient* slurm = nullptr;
  SlurmBatch batch;
};

class ServingInstance {
 public:
  ServingInstance(std::string variant, InstanceSpec spec);
  ~ServingInstance();  // a Slurm job still running is cancelled
  ServingInstance(const ServingInstance&) = delete;
  ServingInstance& operator=(const ServingInstance&) = delete;
  // Starts the process on a free loopback port (again, after it died).
  void start();
  // Probes /ping when not ready yet; returns readiness.
  bool check_ready();
  // The exit status once the process has ended.
  std::optional<int> exited();
  // SIGTERM (it finishes the requests in flight), SIGKILL after `grace`.
  void stop(std::chrono::milliseconds grace);

  const std::string& variant() const { return variant_; }
  int port() const { return port_; }
  // Where it listens: 127.0.0.1, or its Slurm node's address once known.
  const std::string& host() const { return host_; }
  bool ready() const { return ready_; }
  int starts() const { return starts_; }
  // Time since the last start (a crashing instance is restarted at most every few seconds).
  std::chrono::steady_clock::duration uptime() const { return std::chrono::steady_clock::now() - started_at_; }
  const std::filesystem::path& log() const { return spec_.log; }

 private:
  std::string variant_;
  InstanceSpec spec_;
  std::unique_ptr<ChildProcess> process_;
  // Slurm: the job's state, asked at most every second; nullopt once it ended (its exit status).
  std::optional<int> slurm_poll();
  std::string job_id_;
  std::optional<int> slurm_exit_;
  std::chrono::steady_clock::time_point last_asked_{};
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  bool ready_ = false;
  int starts_ = 0;
  std::chrono::steady_clock::time_point started_at_{};
};

}  // namespace segmaker::api
