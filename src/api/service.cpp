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
#include "api/request.h"
#include "api/runtime.h"
#include "api/store.h"
#include "api/training_runner.h"
#include "api/transform_runner.h"
#include "api/validation.h"
#include "io/error.h"
#include "io/stop_signal.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kAmzJson = "application/x-amz-json-1.1";

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
  if (!valid_name(name)) return {};
  auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  if (kind == "endpoints") {
    std::string all;
    const fs::path dir = root / "endpoints" / name / "logs";
    if (!fs::is_directory(dir)) return {};
    std::vector<fs::path> logs;
    for (const auto& e : fs::directory_iterator(dir)) logs.push_back(e.path());
    std::sort(logs.begin(), logs.end());
    for (const auto& p : logs) all += "==> " + p.stem().string() + " <==\n" + read(p);
    return all;
  }
  if (kind != "training-jobs" && kind != "transform-jobs") return {};
  const fs::path log = root / kind / name / "log.txt";
  return fs::exists(log) ? read(log) : std::string();
}

struct Service::State {
  ServiceOptions options;
  std::optional<AccessKeys> keys;
  std::unique_ptr<Store> store;
  std::unique_ptr<TrainingRunner> training;
  std::unique_ptr<EndpointManager> endpoints;
  std::unique_ptr<TransformRunner> transforms;
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
    std::string operation = "?";
    try {
      operation = operation_of(req.get_header_value("X-Amz-Target"));
      const auto& table = operations();
      const auto it = table.find(operation);
      if (it == table.end()) throw unknown_operation(req.get_header_value("X-Amz-Target"));
      const json request = parse_request_body(req.body);
      const json answer = it->second(*context, request);
      res.set_content(dump(answer), kAmzJson);
      spdlog::debug("{}: 200", operation);
    } catch (const ApiError& e) {
      spdlog::info("{}: {} {}: {}", operation, e.status(), e.type(), e.what());
      answer_error(res, e, false);
    } catch (const UserError& e) {
      spdlog::info("{}: 400 ValidationException: {}", operation, e.what());
      answer_error(res, validation_error(e.what()), false);
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", operation, e.what());
      answer_error(res, ApiError(500, "InternalFailure", std::string("segmaker api failed: ") + e.what()), false);
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
    try {
      a = invoke_endpoint(*store, *endpoints, in, options.account);
    } catch (const std::exception& e) {
      a = runtime_error(500, "InternalFailure", e.what());
    }
    res.status = a.status;
    for (const auto& [k, v] : a.headers) res.set_header(k, v);
    res.set_content(std::move(a.body), a.content_type.empty() ? "application/octet-stream" : a.content_type);
  }

  void logs(const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res, false)) return;
    const std::string kind = req.matches[1], name = req.matches[2];
    const std::string kinds[] = {"training-jobs", "transform-jobs", "endpoints"};
    const char* store_kinds[] = {"TrainingJob", "TransformJob", "Endpoint"};
    for (int i = 0; i < 3; ++i) {
      if (kind != kinds[i]) continue;
      if (!valid_name(name) || !store->get(store_kinds[i], name)) {
        answer_error(res, validation_error("Requested resource not found: " + kind + "/" + name), false);
        return;
      }
      res.set_content(read_log(options.root, kind, name), "text/plain; charset=utf-8");
      return;
    }
  }

  void routes() {
    http.Post("/", [this](const httplib::Request& q, httplib::Response& r) { control_plane(q, r); });
    http.Post(R"(/endpoints/([^/]+)/invocations)", [this](const httplib::Request& q, httplib::Response& r) { runtime(q, r); });
    http.Get(R"(/logs/(training-jobs|transform-jobs|endpoints)/([^/]+))",
             [this](const httplib::Request& q, httplib::Response& r) { logs(q, r); });
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
  state_->options = std::move(options);
}

Service::~Service() { stop(); }

int Service::port() const { return state_->port; }

int Service::start() {
  State& s = *state_;
  const ServiceOptions& o = s.options;
  fs::create_directories(o.root);
  s.store = std::make_unique<Store>(o.root / "segmaker-api.db");
  TrainingRunnerOptions t;
  t.jobs_dir = o.root / "training-jobs";
  t.executable = o.executable;
  t.max_jobs = o.max_jobs;
  t.threads = o.threads;
  t.stop_grace = o.stop_grace;
  t.storage = o.storage;
  s.training = std::make_unique<TrainingRunner>(*s.store, t);
  EndpointManagerOptions e;
  e.endpoints_dir = o.root / "endpoints";
  e.models_dir = o.root / "models";
  e.executable = o.executable;
  e.threads = o.threads;
  e.storage = o.storage;
  s.endpoints = std::make_unique<EndpointManager>(*s.store, e);
  TransformRunnerOptions x;
  x.jobs_dir = o.root / "transform-jobs";
  x.executable = o.executable;
  x.threads = o.threads;
  x.stop_grace = o.stop_grace;
  x.storage = o.storage;
  s.transforms = std::make_unique<TransformRunner>(*s.store, x);
  s.context.reset(new Context{*s.store, *s.training, *s.endpoints, *s.transforms, o.region, o.account, o.limits,
                               o.storage.local_access, {}});

  s.routes();
  s.port = o.port == 0 ? s.http.bind_to_any_port(o.host) : (s.http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (s.port <= 0)
    throw UserError("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (in use, or not an address of this machine)");
  s.training->start();
  s.transforms->start();
  s.endpoints->start();
  s.listener = std::thread([&s] { s.http.listen_after_bind(); });
  s.started = true;
  spdlog::info("SageMaker API on http://{}:{} (state in '{}'; {} training job(s) at once{})", o.host, s.port, o.root.string(),
               o.max_jobs, s.keys ? "; SigV4 authentication on" : "");
  return s.port;
}

void Service::stop() {
  State& s = *state_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.http.stop();
  if (s.listener.joinable()) s.listener.join();
  s.training->shutdown();
  s.transforms->shutdown();
  s.endpoints->shutdown();
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
