#pragma once
// The endpoints' serving processes. Each endpoint has a supervisor thread that owns its instances
// (serving_instance.h) and publishes the ones that answer /ping in a routing table the runtime reads:
//   Creating   stage each variant's model (ModelDataUrl → <root>/models/<model>/model.tar.gz), start
//              InitialInstanceCount instances per variant; InService once all answer /ping; Failed
//              (FailureReason: the instance's own last log lines) when one exits or none is ready in time.
//   InService  an instance that dies is restarted on a new port; the others keep answering meanwhile.
//   Updating   the new config's instances start next to the old ones; once all answer /ping the
//              routing switches and the old ones drain (SIGTERM: requests in flight are answered).
//              If the new ones fail the endpoint stays on the old config (RollingBack → InService).
//   Deleting   the instances drain and stop, then the endpoint is removed from the store.
// After a restart of the service, endpoints come back (SystemUpdating → InService).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/runner_options.h"
#include "api/slurm_client.h"

namespace segmaker::api {

class Store;

// threads 0: this machine's cores / the endpoint's instances; keep_job_files: a deleted endpoint keeps
// its staged models.
struct EndpointManagerOptions : RunnerOptions {
  std::filesystem::path endpoints_dir;  // <root>/endpoints/<name>/{models,logs}
  std::chrono::milliseconds start_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds poll_interval{std::chrono::milliseconds(100)};
  // Each instance a one-node Slurm job on its node (serving_instance.h); none: child processes.
  std::optional<SlurmOptions> slurm;
};

// Where one request goes.
struct InstanceTarget {
  std::string variant;
  int port = 0;
  std::string host = "127.0.0.1";
  int variant_instances = 1;  // ready instances of the variant
};

class EndpointManager {
 public:
  EndpointManager(Store& store, EndpointManagerOptions options);
  ~EndpointManager();
  EndpointManager(const EndpointManager&) = delete;
  EndpointManager& operator=(const EndpointManager&) = delete;

  // Brings back the endpoints a previous run of the service had (on Slurm the instances' old jobs are
  // cancelled first: instances are started again, not adopted).
  void start();
  // ApiError ValidationException when a variant's instance type cannot be placed on the cluster.
  void check_placement(const std::string& instance_type) const;
  // The endpoint's document exists (Creating, with its variants): start its instances.
  void create(const std::string& name);
  // The endpoint is Updating to `variants` (from the new config): switch without a failed request.
  void update(const std::string& name, const std::string& config_name, const nlohmann::json& variants);
  // The endpoint is Deleting: stop its instances, then remove it from the store.
  void remove(const std::string& name);
  // Stops every instance (the endpoints stay in the store and come back on the next start).
  void shutdown();

  // An instance that answers /ping, round robin within the variant; the variant is chosen by
  // `target_variant` or by weight. Nothing when the endpoint has no ready instance.
  std::optional<InstanceTarget> route(const std::string& name, const std::string& target_variant = "");
  // All ready instances of the endpoint (the runtime tries another when one refuses a connection).
  std::vector<InstanceTarget> instances(const std::string& name);
  // Serving processes running or being started, over all endpoints.
  int instance_count() const;

  std::filesystem::path endpoint_dir(const std::string& name) const { return options_.endpoints_dir / name; }

 private:
  struct Supervisor;
  struct Routing;
  struct Supervision;  // one endpoint's phases (endpoint_manager.cpp)
  void supervise(Supervisor& s);
  std::shared_ptr<Supervisor> find(const std::string& name) const;
  void launch(const std::string& name, const nlohmann::json& variants, bool recovering);

  Store& store_;
  EndpointManagerOptions options_;
  std::unique_ptr<SlurmClient> slurm_;  // with options_.slurm
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Supervisor>> supervisors_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace segmaker::api
