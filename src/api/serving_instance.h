#pragma once
// One instance of an endpoint: a child `segmaker serve --model <staged model.tar.gz> --host
// 127.0.0.1 --port <free port>` with the model's Environment, its log in the endpoint's folder.
// Ready once it answers GET /ping with 200.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/child_process.h"

namespace segmaker::api {

struct InstanceSpec {
  std::filesystem::path executable;
  std::filesystem::path model;  // local model.tar.gz
  std::filesystem::path log;
  int threads = 0;              // --threads (0: the child's default)
  std::vector<std::pair<std::string, std::string>> environment;
};

class ServingInstance {
 public:
  ServingInstance(std::string variant, InstanceSpec spec);
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
  bool ready() const { return ready_; }
  int starts() const { return starts_; }
  // Time since the last start (a crashing instance is restarted at most every few seconds).
  std::chrono::steady_clock::duration uptime() const { return std::chrono::steady_clock::now() - started_at_; }
  const std::filesystem::path& log() const { return spec_.log; }

 private:
  std::string variant_;
  InstanceSpec spec_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  bool ready_ = false;
  int starts_ = 0;
  std::chrono::steady_clock::time_point started_at_{};
};

}  // namespace segmaker::api
