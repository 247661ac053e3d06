// The endpoints' serving processes (see endpoint_manager.h).
#include "api/endpoint_manager.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <fstream>
#include <random>

#include "api/log_ingester.h"
#include "api/log_sources.h"
#include "api/names.h"
#include "api/serving_instance.h"
#include "api/store.h"
#include "api/working_copy.h"
#include "io/sha256.h"
#include "storage/transfer.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Instances = std::vector<std::unique_ptr<ServingInstance>>;

namespace {
constexpr const char* kKind = "Endpoint";
}

struct EndpointManager::Routing {
  struct Variant {
    std::string name;
    double weight = 1;
    std::vector<std::pair<std::string, int>> addresses;  // host, port of each ready instance
  };
  std::vector<Variant> variants;
};

struct EndpointManager::Supervisor {
  std::string name;
  json variants;  // the variants being served (resolved: model URL, counts, weights)
  bool recovering = false;
  std::thread thread;
  std::mutex join_mutex;  // one joiner at a time (DeleteEndpoint, shutdown)
  std::mutex mutex;
  std::condition_variable cv;
  std::optional<std::pair<std::string, json>> update;  // config name, variants
  bool delete_requested = false;
  bool stop_requested = false;
  std::shared_ptr<const Routing> routing = std::make_shared<Routing>();
  std::atomic<unsigned> counter{0};
  std::atomic<int> processes{0};
};

namespace {

// The endpoint's status and variant summaries in its document.
void set_endpoint_status(Store& store, const std::string& name, const std::string& status, const json& variants,
                         const std::string& failure = "", const std::string& config_name = "") {
  store.update(kKind, name, [&](Resource& r) {
    const double now = now_seconds();
    r.status = status;
    r.last_modified_time = now;
    json& d = r.document;
    d["EndpointStatus"] = status;
    d["LastModifiedTime"] = now;
    if (!failure.empty()) d["FailureReason"] = failure;
    else if (status == "InService" || status == "Creating") d.erase("FailureReason");
    if (!config_name.empty()) d["EndpointConfigName"] = config_name;
    if (!variants.is_null()) {
      json summaries = json::array();
      const bool serving = status == "InService" || status == "Updating" || status == "SystemUpdating";
      for (const auto& v : variants)
        summaries.push_back({{"VariantName", v["VariantName"]},
                             {"DeployedImages", json::array({{{"SpecifiedImage", v.value("Image", "semantic-segmentation")},
                                                              {"ResolvedImage", v.value("Image", "semantic-segmentation")},
                                                              {"ResolutionTime", now}}})},
                             {"CurrentWeight", v["InitialVariantWeight"]},
                             {"DesiredWeight", v["InitialVariantWeight"]},
                             {"CurrentInstanceCount", serving ? v["InitialInstanceCount"].get<int>() : 0},
                             {"DesiredInstanceCount", v["InitialInstanceCount"]}});
      d["ProductionVariants"] = summaries;
      d["_Variants"] = variants;
    }
  });
}

std::string first_line_of_failure(const ServingInstance& instance, int status) {
  const std::string tail = log_tail(instance.log(), 3);
  return "The serving instance of variant '" + instance.variant() + "' exited with status " + std::to_string(status) +
         (tail.empty() ? "" : ": " + tail);
}

}  // namespace

EndpointManager::EndpointManager(Store& store, EndpointManagerOptions options) : store_(store), options_(std::move(options)) {
  if (options_.slurm) slurm_ = std::make_unique<SlurmClient>();
}

EndpointManager::~EndpointManager() { shutdown(); }

void EndpointManager::check_placement(const std::string& instance_type) const {
  if (options_.slurm) options_.slurm->instances.resolve(instance_type);
}

void EndpointManager::start() {
  for (const auto& r : store_.with_status(kKind)) {
    if (slurm_)  // a killed service left its instances' jobs running: they are started again below
      for (const auto& id : slurm_->find(r.name, "segmaker:" + r.arn)) slurm_->cancel(id);
    if (r.status == "Deleting") {
      store_.remove(kKind, r.name);
    } else if (r.status != "Failed" && r.status != "OutOfService") {
      if (r.status == "Updating") set_endpoint_status(store_, r.name, "SystemUpdating", r.document.value("_Variants", json::array()),
                                                     "The update was interrupted by a restart of the service; the endpoint keeps its previous configuration");
      else set_endpoint_status(store_, r.name, r.status == "Creating" ? "Creating" : "SystemUpdating", json());
      launch(r.name, r.document.value("_Variants", json::array()), r.status != "Creating");
    }
  }
}

void EndpointManager::create(const std::string& name) {
  const auto r = store_.get(kKind, name);
  if (r) launch(name, r->document.value("_Variants", json::array()), false);
}

void EndpointManager::launch(const std::string& name, const json& variants, bool recovering) {
  auto s = std::make_shared<Supervisor>();
  s->name = name;
  s->variants = variants;
  s->recovering = recovering;
  std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  if (const auto old = supervisors_.find(name); old != supervisors_.end()) {
    // A failed endpoint's supervisor that was never deleted cannot exist here (names are unique in
    // the store); a finished one is joined before it is replaced.
    std::lock_guard join_lock(old->second->join_mutex);
    if (old->second->thread.joinable()) old->second->thread.join();
  }
  supervisors_[name] = s;
  s->thread = std::thread([this, s] {
    try {
      supervise(*s);
    } catch (const std::exception& e) {
      spdlog::error("endpoint {}: {}", s->name, e.what());
      set_endpoint_status(store_, s->name, "Failed", json(), std::string("InternalServerError: ") + e.what());
    }
  });
}

std::shared_ptr<EndpointManager::Supervisor> EndpointManager::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  const auto it = supervisors_.find(name);
  return it == supervisors_.end() ? nullptr : it->second;
}

void EndpointManager::update(const std::string& name, const std::string& config_name, const json& variants) {
  if (auto s = find(name)) {
    std::lock_guard lock(s->mutex);
    s->update = std::make_pair(config_name, variants);
    s->cv.notify_all();
  }
}

void EndpointManager::remove(const std::string& name) {
  auto s = find(name);
  if (!s) {
    store_.remove(kKind, name);
    return;
  }
  {
    std::lock_guard lock(s->mutex);
    s->delete_requested = true;
    s->cv.notify_all();
  }
  // Answer once the instances have drained and the endpoint is gone, so that a DescribeEndpoint
  // right after DeleteEndpoint (the CLI's `wait endpoint-deleted` polls at once) finds nothing.
  std::lock_guard join_lock(s->join_mutex);
  if (s->thread.joinable()) s->thread.join();
  std::lock_guard lock(mutex_);
  const auto it = supervisors_.find(name);
  if (it != supervisors_.end() && it->second == s) supervisors_.erase(it);
}

void EndpointManager::shutdown() {
  std::map<std::string, std::shared_ptr<Supervisor>> all;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_.exchange(true)) return;
    all = supervisors_;
  }
  for (auto& [name, s] : all) {
    std::lock_guard lock(s->mutex);
    s->stop_requested = true;
    s->cv.notify_all();
  }
  for (auto& [name, s] : all) {
    std::lock_guard join_lock(s->join_mutex);
    if (s->thread.joinable()) s->thread.join();
  }
}

std::optional<InstanceTarget> EndpointManager::route(const std::string& name, const std::string& target_variant) {
  const auto s = find(name);
  if (!s) return std::nullopt;
  std::shared_ptr<const Routing> routing;
  {
    std::lock_guard lock(s->mutex);
    routing = s->routing;
  }
  const Routing::Variant* chosen = nullptr;
  if (!target_variant.empty()) {
    for (const auto& v : routing->variants)
      if (v.name == target_variant && !v.addresses.empty()) chosen = &v;
  } else {
    double total = 0;
    for (const auto& v : routing->variants)
      if (!v.addresses.empty()) total += v.weight;
    thread_local std::mt19937 rng{std::random_device{}()};
    double pick = std::uniform_real_distribution<double>(0, total)(rng);
    for (const auto& v : routing->variants) {
      if (v.addresses.empty()) continue;
      chosen = &v;
      if ((pick -= v.weight) < 0) break;
    }
  }
  if (!chosen) return std::nullopt;
  const unsigned i = s->counter.fetch_add(1);
  const auto& [host, port] = chosen->addresses[i % chosen->addresses.size()];
  return InstanceTarget{chosen->name, port, host, static_cast<int>(chosen->addresses.size())};
}

std::vector<InstanceTarget> EndpointManager::instances(const std::string& name) {
  std::vector<InstanceTarget> out;
  if (const auto s = find(name)) {
    std::lock_guard lock(s->mutex);
    for (const auto& v : s->routing->variants)
      for (const auto& [host, port] : v.addresses) out.push_back({v.name, port, host});
  }
  return out;
}

int EndpointManager::instance_count() const {
  std::lock_guard lock(mutex_);
  int n = 0;
  for (const auto& [name, s] : supervisors_) n += s->processes;
  return n;
}

namespace {

struct Outcome {
  bool ok = true;
  std::string failure;
};

// Whether every instance of `set` is ready; a failure when one of them exited.
Outcome poll_set(Instances& set, bool restart_dead, const std::string& endpoint) {
  Outcome o;
  for (auto& instance : set) {
    if (auto status = instance->exited()) {
      if (!restart_dead) return {false, first_line_of_failure(*instance, *status)};
      // One that keeps dying (a damaged model) is restarted every few seconds, not in a tight loop.
      if (instance->uptime() < std::chrono::seconds(std::min(30, 1 << std::min(instance->starts(), 5)))) continue;
      spdlog::warn("endpoint {}: an instance of variant {} exited with status {}; restarting it", endpoint,
                   instance->variant(), *status);
      instance->start();
    }
    instance->check_ready();
  }
  return o;
}

bool all_ready(const Instances& set) {
  for (const auto& i : set)
    if (!i->ready()) return false;
  return !set.empty();
}

// Stops every instance (SIGTERM, then SIGKILL after `grace`); their logs' last lines go to the store,
// which stops following them when the endpoint is `leaving` (a new set of an update may write the same files).
void stop_set(Instances& set, std::chrono::milliseconds grace, LogIngester* logs, bool leaving = false) {
  for (auto& i : set) {
    i->stop(grace);
    if (logs && leaving) logs->stop_following(i->log());
    else if (logs) logs->flush(i->log());
  }
  set.clear();
}

}  // namespace

// One endpoint's supervision, in named phases (the supervisor thread runs it):
//   starting    the first instances start: InService once all answer /ping; Failed when one exits or
//               none is ready in time;
//   in service  an instance that dies is restarted; an update starts a pending set beside the active
//               one, which either takes over (routing switches, the old set drains) or is dropped
//               (RollingBack → InService on the old config);
//   failed      nothing runs; the endpoint waits for DeleteEndpoint or the service's stop;
//   leaving     on DeleteEndpoint or the service's stop, every instance drains and stops.
struct EndpointManager::Supervision {
  using Clock = std::chrono::steady_clock;
  enum class Phase { starting, in_service, failed };
  struct Requests {
    bool stop = false;
    bool remove = false;
    std::optional<std::pair<std::string, json>> update;  // config name, variants
  };

  EndpointManager& manager;
  Supervisor& s;
  fs::path dir = manager.endpoint_dir(s.name);
  Phase phase = Phase::starting;
  Instances active, pending;
  std::string pending_config;
  json pending_variants;
  Clock::time_point deadline = Clock::now() + manager.options_.start_timeout, pending_deadline = deadline;

  void run() {
    try {
      active = start_instances(s.variants, s.recovering);
    } catch (const std::exception& e) {
      fail(std::string("ClientError: could not stage the model: ") + e.what());
    }
    while (true) {
      Requests r = wait_for_requests();
      if (r.stop || r.remove) return leave(r.remove);
      if (phase == Phase::starting) starting();
      else if (phase == Phase::in_service) in_service(std::move(r.update));
    }
  }

  // Waits one poll interval (less when a stop or delete arrives) and takes what was asked meanwhile.
  Requests wait_for_requests() {
    Requests r;
    std::unique_lock lock(s.mutex);
    s.cv.wait_for(lock, manager.options_.poll_interval, [&] { return s.stop_requested || s.delete_requested; });
    r.stop = s.stop_requested;
    r.remove = s.delete_requested;
    r.update.swap(s.update);
    s.processes = static_cast<int>(active.size() + pending.size());
    return r;
  }

  void starting() {
    const Outcome health = poll_set(active, /*restart_dead=*/false, s.name);
    publish(active, s.variants);
    if (!health.ok || Clock::now() > deadline) {
      stop_set(active, manager.options_.stop_grace, manager.options_.logs);
      publish({}, s.variants);
      return fail(health.ok ? "The serving instances did not answer /ping within " +
                                  std::to_string(manager.options_.start_timeout.count() / 1000) + " s"
                            : health.failure);
    }
    if (all_ready(active)) {
      phase = Phase::in_service;
      set_endpoint_status(manager.store_, s.name, "InService", s.variants);
    }
  }

  void in_service(std::optional<std::pair<std::string, json>> update) {
    poll_set(active, /*restart_dead=*/true, s.name);
    publish(active, s.variants);
    if (update && pending.empty()) begin_update(update->first, update->second);
    if (!pending.empty()) updating();
  }

  void begin_update(const std::string& config, const json& variants) {
    pending_config = config;
    pending_variants = variants;
    pending_deadline = Clock::now() + manager.options_.start_timeout;
    try {
      pending = start_instances(pending_variants, false);
    } catch (const std::exception& e) {
      set_endpoint_status(manager.store_, s.name, "InService", s.variants,
                          std::string("Update failed: could not stage the model: ") + e.what());
    }
  }

  void updating() {
    const Outcome p = poll_set(pending, /*restart_dead=*/false, s.name);
    if (!p.ok || Clock::now() > pending_deadline) {
      set_endpoint_status(manager.store_, s.name, "RollingBack", s.variants);
      stop_set(pending, manager.options_.stop_grace, manager.options_.logs);
      set_endpoint_status(manager.store_, s.name, "InService", s.variants,
                          "Update to endpoint config '" + pending_config + "' failed: " +
                              (p.ok ? "its instances did not answer /ping in time" : p.failure));
    } else if (all_ready(pending)) {
      Instances old = std::move(active);
      active = std::move(pending);
      pending.clear();
      s.variants = pending_variants;
      publish(active, s.variants);                    // new requests go to the new instances from here on
      stop_set(old, manager.options_.stop_grace, manager.options_.logs);     // the old ones answer what they have, then exit
      set_endpoint_status(manager.store_, s.name, "InService", s.variants, "", pending_config);
    }
  }

  void fail(const std::string& why) {
    set_endpoint_status(manager.store_, s.name, "Failed", json(), why);
    phase = Phase::failed;
  }

  void leave(bool remove) {
    publish({}, s.variants);
    stop_set(pending, manager.options_.stop_grace, manager.options_.logs, /*leaving=*/true);
    stop_set(active, manager.options_.stop_grace, manager.options_.logs, /*leaving=*/true);
    s.processes = 0;
    if (!remove) return;
    manager.store_.remove(kKind, s.name);
    // Deleted: the staged models go (the instances' log files stay, as a finished job's log does).
    if (!manager.options_.keep_job_files) spdlog::info("endpoint {} deleted: {}", s.name, describe(discard_working_copy(dir, "logs")));
  }

  // Stages the variants' models and starts their instances; throws on a model that cannot be staged.
  Instances start_instances(const json& variants, bool reuse_staged) {
    Instances set;
    int total = 0;
    for (const auto& v : variants) total += v["InitialInstanceCount"].get<int>();
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = manager.options_.threads > 0 ? manager.options_.threads : std::max(1, cores / std::max(1, total));
    for (const auto& v : variants) {
      const std::string url = v["ModelDataUrl"];
      const fs::path model = dir / "models" / (io::sha256_hex(url).substr(0, 16) + ".tar.gz");
      if (!reuse_staged || !fs::exists(model)) storage::download_file(url, model, manager.options_.storage);
      InstanceSpec spec;
      spec.executable = manager.options_.executable;
      spec.model = model;
      spec.threads = threads;
      for (const auto& [key, value] : v.value("Environment", json::object()).items())
        spec.environment.emplace_back(key, value.get<std::string>());
      if (manager.slurm_) {
        spec.slurm = manager.slurm_.get();
        spec.batch.name = s.name;
        const auto endpoint = manager.store_.get(kKind, s.name);
        spec.batch.comment = "segmaker:" + (endpoint ? endpoint->arn : s.name);
        spec.batch.resources = manager.options_.slurm->instances.resolve(v.value("InstanceType", ""));
        spec.batch.default_partition = manager.options_.slurm->partition;
        spec.batch.chdir = dir;
      }
      for (int k = 0; k < v["InitialInstanceCount"].get<int>(); ++k) {
        spec.log = dir / "logs" / (v["VariantName"].get<std::string>() + "-" + std::to_string(k + 1) + ".log");
        if (manager.options_.logs) manager.options_.logs->follow(endpoint_log_source(spec.log, s.name, v["VariantName"], k + 1));
        set.push_back(std::make_unique<ServingInstance>(v["VariantName"], spec));
        set.back()->start();
      }
    }
    return set;
  }

  // The ready instances of `set` become the routing table the runtime reads.
  void publish(const Instances& set, const json& variants) {
    auto routing = std::make_shared<Routing>();
    for (const auto& v : variants) routing->variants.push_back({v["VariantName"], v["InitialVariantWeight"].get<double>(), {}});
    for (const auto& i : set)
      if (i->ready())
        for (auto& v : routing->variants)
          if (v.name == i->variant()) v.addresses.emplace_back(i->host(), i->port());
    std::lock_guard lock(s.mutex);
    s.routing = routing;
  }
};

void EndpointManager::supervise(Supervisor& s) { Supervision{*this, s}.run(); }

}  // namespace segmaker::api
