// The `segmaker api` HTTP service (see service.h).
#include "api/service.h"

#include <arpa/inet.h>
#include <signal.h>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <ctime>
#include <mutex>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/api_error.h"
#include "api/auth.h"
#include "api/endpoint_manager.h"
#include "api/hyperparameter_catalog.h"
#include "api/invocation_metrics.h"
#include "api/log_ingester.h"
#include "api/log_sources.h"
#include "api/log_store.h"
#include "api/metric_store.h"
#include "api/operations.h"
#include "api/query_protocol.h"
#include "api/request.h"
#include "api/runtime.h"
#include "api/store.h"
#include "api/training_runner.h"
#include "api/transform_runner.h"
#include "api/tuning_runner.h"
#include "api/validation.h"
#include "io/error.h"
#include "io/sha256.h"
#include "io/stop_signal.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kAmzJson = "application/x-amz-json-1.1";
constexpr const char* kAmzJson10 = "application/x-amz-json-1.0";

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpRequestView view_of(const httplib::Request& req) {
  HttpRequestView v;
  v.method = req.method;
  v.target = req.target;
  for (const auto& [name, value] : req.headers) v.headers.emplace_back(name, value);
  v.body = &req.body;
  return v;
}

void answer_error(httplib::Response& res, const ApiError& e, bool runtime) {
  res.status = e.status();
  if (runtime) {
    res.set_header("x-amzn-ErrorType", e.type());
    res.set_content(dump({{"message", e.what()}}), "application/json");
  } else {
    res.set_content(dump(e.body()), kAmzJson);
  }
}

bool valid_name(const std::string& name) {
  Validator v;
  return v.check(name, "name", rules::kResourceName);
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

std::string read_log(const fs::path& root, const std::string& kind, const std::string& name) {
  if (!valid_name(name) || !fs::exists(root / "logs.db")) return {};
  return log_text(LogStore(root / "logs.db"), kind, name);
}

struct Service::State {
  ServiceOptions options;
  std::optional<AccessKeys> keys;
  std::unique_ptr<Store> store;
  std::unique_ptr<LogStore> logs;
  std::unique_ptr<MetricStore> metrics;
  std::unique_ptr<InvocationMetrics> invocations;
  std::unique_ptr<LogIngester> ingester;
  std::unique_ptr<TrainingRunner> training;
  std::unique_ptr<EndpointManager> endpoints;
  std::unique_ptr<TransformRunner> transforms;
  std::unique_ptr<HyperparameterCatalog> hyperparameters;
  std::unique_ptr<TuningRunner> tuning;
  std::unique_ptr<Context> context;
  httplib::Server http;
  std::thread listener;
  int port = 0;
  bool started = false, stopped = false;

  // Verifies the signature when --auth is on; answers 403 and returns false otherwise.
  bool authorized(const httplib::Request& req, httplib::Response& res, bool runtime) {
    if (!keys) return true;
    try {
      verify_signature(*keys, view_of(req), static_cast<long long>(std::time(nullptr)));
      return true;
    } catch (const ApiError& e) {
      spdlog::warn("{} {}: refused: {} ({})", req.method, req.path, e.type(), e.what());
      answer_error(res, e, runtime);
      return false;
    }
  }

  void control_plane(const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res, false)) return;
    if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0) return query(req, res);
    std::string operation = "?";
    ApiService service = ApiService::SageMaker;
    try {
      const ApiTarget target = target_of(req.get_header_value("X-Amz-Target"));
      service = target.service;
      operation = target.operation;
      const OperationTable& table = service == ApiService::Logs         ? log_operations()
                                    : service == ApiService::CloudWatch ? metric_operations()
                                                                        : operations();
      const auto it = table.find(operation);
      if (it == table.end()) throw unknown_operation(req.get_header_value("X-Amz-Target"));
      const json request = parse_request_body(req.body);
      const json answer = it->second(*context, request);
      res.set_content(dump(answer), service == ApiService::CloudWatch ? kAmzJson10 : kAmzJson);
      spdlog::debug("{}: 200", operation);
    } catch (const ApiError& e) {
      spdlog::info("{}: {} {}: {}", operation, e.status(), e.type(), e.what());
      json_error(res, e, service);
    } catch (const UserError& e) {
      spdlog::info("{}: 400 ValidationException: {}", operation, e.what());
      json_error(res, validation_error(e.what()), service);
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", operation, e.what());
      json_error(res, ApiError(500, "InternalFailure", std::string("segmaker api failed: ") + e.what()), service);
    }
  }

  // awsJson errors; CloudWatch's JSON 1.0 clients also read the query-compatible code from a header.
  static void json_error(httplib::Response& res, const ApiError& e, ApiService service) {
    answer_error(res, e, false);
    if (service == ApiService::CloudWatch) {
      res.set_header("x-amzn-query-error", e.type() + (e.status() >= 500 ? ";Receiver" : ";Sender"));
      res.set_content(dump(e.body()), kAmzJson10);
    }
  }

  // awsQuery: CloudWatch (Version 2010-08-01) and STS (2011-06-15), form in, XML out.
  void query(const httplib::Request& req, httplib::Response& res) {
    const std::string request_id = io::sha256_hex(req.body + std::to_string(std::time(nullptr))).substr(0, 32);
    std::string xml_namespace = query_namespace(req.get_param_value("Version"));
    std::string action = "?";
    try {
      QueryRequest q = query_request(std::multimap<std::string, std::string>(req.params.begin(), req.params.end()));
      action = q.action;
      xml_namespace = query_namespace(q.version);
      const OperationTable* table = q.version == "2010-08-01" ? &metric_operations()
                                    : q.version == "2011-06-15" ? &sts_operations()
                                                                : nullptr;
      if (!table) throw ApiError(400, "InvalidParameterValue", "Version '" + q.version.substr(0, 32) +
                                  "' names no query API segmaker api serves (CloudWatch 2010-08-01, STS 2011-06-15)");
      const auto it = table->find(q.action);
      if (it == table->end())
        throw ApiError(400, "InvalidAction", "The action " + q.action + " is not valid for this web service.");
      if (q.action == "GetCallerIdentity") q.request["_CallerAccessKey"] = claimed_caller(view_of(req)).access_key;
      res.set_content(query_answer_xml(q.action, xml_namespace, it->second(*context, q.request), request_id), "text/xml");
    } catch (const ApiError& e) {
      spdlog::info("{}: {} {}: {}", action, e.status(), e.type(), e.what());
      res.status = e.status();
      res.set_content(query_error_xml(e, xml_namespace, request_id), "text/xml");
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", action, e.what());
      res.status = 500;
      res.set_content(query_error_xml(ApiError(500, "InternalFailure", e.what()), xml_namespace, request_id), "text/xml");
    }
  }

  void runtime(const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res, true)) return;
    Invocation in;
    in.endpoint = req.matches[1];
    in.body = req.body;
    in.content_type = req.get_header_value("Content-Type");
    in.accept = req.get_header_value("Accept");
    in.custom_attributes = req.get_header_value("X-Amzn-SageMaker-Custom-Attributes");
    in.target_variant = req.get_header_value("X-Amzn-SageMaker-Target-Variant");
    RuntimeAnswer a;
    const auto received = std::chrono::steady_clock::now();
    try {
      a = invoke_endpoint(*store, *endpoints, in, options.account);
    } catch (const std::exception& e) {
      a = runtime_error(500, "InternalFailure", e.what());
    }
    if (!a.variant.empty())
      invocations->record({in.endpoint, a.variant, a.variant_instances, a.model_status, a.model_microseconds,
                           std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - received).count()});
    res.status = a.status;
    for (const auto& [k, v] : a.headers) res.set_header(k, v);
    res.set_content(std::move(a.body), a.content_type.empty() ? "application/octet-stream" : a.content_type);
  }

  // The job's or endpoint's log as text, from the log store (it outlives the resource).
  void log_route(const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res, false)) return;
    const std::string kind = req.matches[1], name = req.matches[2];
    const std::string text = valid_name(name) ? log_text(*logs, kind, name) : std::string();
    const char* store_kind = kind == "training-jobs" ? "TrainingJob" : kind == "transform-jobs" ? "TransformJob" : "Endpoint";
    if (text.empty() && (!valid_name(name) || !store->get(store_kind, name))) {
      answer_error(res, validation_error("Requested resource not found: " + kind + "/" + name), false);
      return;
    }
    res.set_content(text, "text/plain; charset=utf-8");
  }

  void routes() {
    http.Post("/", [this](const httplib::Request& q, httplib::Response& r) { control_plane(q, r); });
    http.Post(R"(/endpoints/([^/]+)/invocations)", [this](const httplib::Request& q, httplib::Response& r) { runtime(q, r); });
    http.Get(R"(/logs/(training-jobs|transform-jobs|endpoints)/([^/]+))",
             [this](const httplib::Request& q, httplib::Response& r) { log_route(q, r); });
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      const std::string message = res.status == 404 ? "No route for " + req.method + " " + req.path +
                                                          ": the control plane is POST / with X-Amz-Target, the runtime "
                                                          "POST /endpoints/{EndpointName}/invocations"
                                                    : "HTTP " + std::to_string(res.status);
      res.set_content(dump({{"__type", res.status == 404 ? "UnknownOperationException" : "ValidationException"},
                            {"message", message}}),
                      kAmzJson);
    });
    http.new_task_queue = [n = options.http_threads] { return new httplib::ThreadPool(static_cast<std::size_t>(n)); };
    http.set_payload_max_length(std::size_t(100) << 20);
    http.set_read_timeout(std::chrono::seconds(60));
    http.set_write_timeout(std::chrono::seconds(60));
    // httplib writes an answer's head and body separately: with Nagle's algorithm the body waits for
    // the client's delayed ACK of the head (~40 ms on Linux) -- on every small answer.
    http.set_tcp_nodelay(true);
  }
};

Service::Service(ServiceOptions options) : state_(std::make_unique<State>()) {
  if (!options.auth_keyfile.empty()) state_->keys = AccessKeys::load(options.auth_keyfile);
  if (!is_loopback_host(options.host) && !state_->keys && !options.insecure)
    throw UserError("refusing to serve the SageMaker API on '" + options.host +
                    "' without authentication: anyone who reaches it could run jobs on this machine. Give --auth KEYFILE "
                    "(requests must then be SigV4-signed with one of its keys), or --insecure if the network is trusted");
  if (options.max_jobs < 1) throw UserError("--max-jobs must be at least 1, got " + std::to_string(options.max_jobs));
  if (options.executable.empty()) throw UserError("the segmaker executable to run jobs with is unknown");
  options.storage.local_access = storage::LocalAccess::only_under(
      options.allowed_local_paths,
      "segmaker api reads and writes s3:// URIs; its operator admits local folders with --allow-local-path DIR");
  if (options.slurm) options.slurm->allowed_local_paths = options.allowed_local_paths;  // the nodes keep to them too
  state_->options = std::move(options);
}

Service::~Service() { stop(); }

int Service::port() const { return state_->port; }

int Service::start() {
  State& s = *state_;
  const ServiceOptions& o = s.options;
  fs::create_directories(o.root);
  s.store = std::make_unique<Store>(o.root / "segmaker-api.db");
  s.logs = std::make_unique<LogStore>(o.root / "logs.db");
  s.metrics = std::make_unique<MetricStore>(o.root / "metrics.db");
  s.invocations = std::make_unique<InvocationMetrics>(*s.metrics);
  if (o.log_retention_days > 0)
    s.logs->remove_older_than(now_milliseconds() - static_cast<std::int64_t>(o.log_retention_days) * 86400000LL);
  s.ingester = std::make_unique<LogIngester>(*s.logs, *s.metrics);
  RunnerOptions children;
  children.executable = o.executable;
  children.threads = o.threads;
  children.storage = o.storage;
  children.logs = s.ingester.get();
  children.keep_job_files = o.keep_job_files;
  TrainingRunnerOptions t;
  static_cast<RunnerOptions&>(t) = children;
  t.stop_grace = o.stop_grace;
  t.jobs_dir = o.root / "training-jobs";
  t.max_jobs = o.max_jobs;
  t.slurm = o.slurm;
  s.training = std::make_unique<TrainingRunner>(*s.store, t);
  EndpointManagerOptions e;
  static_cast<RunnerOptions&>(e) = children;  // instances stop within the default 30 s grace
  e.endpoints_dir = o.root / "endpoints";
  e.slurm = o.slurm;
  s.endpoints = std::make_unique<EndpointManager>(*s.store, e);
  TransformRunnerOptions x;
  static_cast<RunnerOptions&>(x) = children;
  x.stop_grace = o.stop_grace;
  x.jobs_dir = o.root / "transform-jobs";
  x.slurm = o.slurm;
  s.transforms = std::make_unique<TransformRunner>(*s.store, x);
  s.hyperparameters = std::make_unique<HyperparameterCatalog>(o.executable);
  TuningRunnerHooks hooks;
  hooks.create_training_job = [&s](const json& request, const json& extra) { create_training_job(*s.context, request, extra); };
  hooks.stop_training_job = [&s](const std::string& name) {
    if (const auto r = s.store->get("TrainingJob", name); r && r->status == "InProgress") s.training->stop(name);
  };
  s.tuning = std::make_unique<TuningRunner>(*s.store, *s.metrics, hooks);
  s.context.reset(new Context{*s.store, *s.training, *s.endpoints, *s.transforms, *s.tuning, *s.hyperparameters, *s.logs,
                              *s.metrics, o.region, o.account, o.limits, o.storage.local_access, {}});

  s.routes();
  s.port = o.port == 0 ? s.http.bind_to_any_port(o.host) : (s.http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (s.port <= 0)
    throw UserError("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use, or not an address of this machine)");
  s.training->start();
  s.transforms->start();
  s.endpoints->start();
  s.tuning->start();
  s.listener = std::thread([&s] { s.http.listen_after_bind(); });
  s.started = true;
  spdlog::info("SageMaker API on http://{}:{} (state in '{}'; {}{})", o.host, s.port, o.root.string(),
               o.slurm ? std::string("training jobs on Slurm") : std::to_string(o.max_jobs) + " training job(s) at once",
               s.keys ? "; SigV4 authentication on" : "");
  return s.port;
}

void Service::stop() {
  State& s = *state_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.http.stop();
  if (s.listener.joinable()) s.listener.join();
  s.tuning->shutdown();  // first: it must not create trials while the runners stop
  s.training->shutdown();
  s.transforms->shutdown();
  s.endpoints->shutdown();
  s.ingester->stop();
  s.invocations->stop();
}

int run_service(const ServiceOptions& options) {
  io::StopSignal stop;  // before any thread exists: SIGTERM / SIGINT reach only its waiter
  Service service(options);
  service.start();
  std::mutex mutex;
  std::condition_variable stopped;
  bool requested = false;
  stop.on_stop([&](int sig) {
    spdlog::info("{}: stopping; running jobs checkpoint and resume when the service starts again",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT");
    std::lock_guard lock(mutex);
    requested = true;
    stopped.notify_all();
  });
  std::unique_lock lock(mutex);
  stopped.wait(lock, [&] { return requested; });
  lock.unlock();
  service.stop();
  return 0;
}

}  // namespace segmaker::api
