#pragma once
// The HTTP endpoint with SageMaker's hosting contract (cpp-httplib):
//   GET  /ping                  200, empty body, once the model is loaded; 503 before
//   POST /invocations           image in (Content-Type image/jpeg, image/png, application/x-image, ...),
//                               answer by Accept: image/png | application/x-recordio-protobuf |
//                               application/x-protobuf | application/json
//   GET  /execution-parameters  what batch transform may send us
//   GET  /                      the demo page
// Every error is a JSON body {"error": {"code", "message"}}: 400 undecodable image, 406 Accept we
// cannot produce, 413 body or image too large, 415 Content-Type that is not an image, 503 model not
// loaded yet or queue full, 500 inference failure. Torch-free: inference goes through the Predictor.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "serve/batcher.h"

namespace httplib {
class Server;
}

namespace segmaker::inference {
class Predictor;
}

namespace segmaker::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = any free port (see Server::port())
  std::size_t max_payload_bytes = 6u * 1024u * 1024u;  // SageMaker's real-time limit
  std::int64_t max_pixels = 4096LL * 4096LL;          // decoded width × height
  int http_threads = 32;  // connections served at once (keep-alive connections hold one each)
  BatcherOptions batching;
};

class Server {
 public:
  // `load` builds the predictor; it runs on a background thread after the port is bound, so that
  // /ping answers 503 (not "connection refused") while a large model loads.
  using Loader = std::function<std::shared_ptr<const inference::Predictor>()>;

  Server(ServerOptions options, Loader load);
  // Stops and joins (see stop()).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the port (UserError when it cannot), starts loading the model and serving. Returns the port.
  int start();
  // Graceful stop: no new connections; requests in flight finish and are answered. Thread-safe.
  void stop();
  // Blocks until the server has stopped and every request is answered, then shuts the batcher down.
  // Rethrows the loader's exception when the model failed to load (the server stops itself then).
  void wait();

  int port() const { return port_; }
  bool ready() const { return ready_.load(); }
  // Blocks until the model is loaded (true), loading failed or the timeout passed (false).
  bool wait_until_ready(std::chrono::milliseconds timeout) const;
  std::optional<BatcherStats> batcher_stats() const;

 private:
  struct Model;
  void register_routes();
  void load_model();
  std::shared_ptr<Model> model() const;

  ServerOptions options_;
  Loader load_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
  std::thread listen_thread_;
  std::thread load_thread_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> listen_done_{false};
  std::atomic<bool> started_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable ready_cv_;
  std::shared_ptr<Model> model_;
  std::exception_ptr load_error_;
  bool load_finished_ = false;
  bool waited_ = false;
};

}  // namespace segmaker::serve
