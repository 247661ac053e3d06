#pragma once
// The HTTP endpoint with SageMaker's hosting contract (cpp-httplib):
//   GET  /ping                  200, empty body, once the model is loaded; 503 before
//   POST /invocations           image in (Content-Type image/jpeg, image/png, application/x-image, ...;
//                               none, application/x-www-form-urlencoded or application/octet-stream:
//                               decoded by content), answer by Accept: image/png |
//                               application/x-recordio-protobuf | application/x-protobuf | application/json
//   GET  /execution-parameters  what batch transform may send us
//   GET  /                      the demo page
// Every error is a JSON body {"error": {"code", "message"}}: 400 undecodable image, 404 no route,
// 405 wrong method (Allow names the right one), 406 Accept we cannot produce, 408 request too slow,
// 411 POST without a length, 413 body, image, network input or answer too large, 415 Content-Type
// that is not an image or any Content-Encoding, 431 request head too large, 503 model not loaded
// yet or busy, 500 inference failure. Nothing a client sends ends the process.
//
// Limits apply before anything is allocated for them: the head's size, lines and time (HttpLimits,
// serve/http_front.h); the body's bytes as they arrive, for Content-Length and chunked bodies alike;
// the image's pixels from its header; the network input and the answer (classes × height × width)
// before inference. A request whose client is gone is dropped before inference.
//
// Memory of one request above the idle server is bounded by (bytes; BENCHMARKS.md "Hostile load"):
//   max(P + 9·M, 11·M + A·N + 12·V)   P = max_payload_bytes, M = max_pixels,
//   N = max_network_pixels, V = max_output_values, A = the model's forward bytes per network pixel
// (decoding: body + decoder buffers; inference: the image and argmax indices, the forward pass, the
// upsampled logits, softmax and probabilities, then the RecordIO record and the answer).
// Torch-free: inference goes through the ModelBackend's callbacks (the Predictor in production).
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
#include <vector>

#include <opencv2/core.hpp>

#include "serve/batcher.h"
#include "serve/http_limits.h"

namespace httplib {
struct Request;
struct Response;
class ContentReader;
}  // namespace httplib

namespace segmaker::inference {
class Predictor;
}

namespace segmaker::serve {

class HttpFront;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = any free port (see Server::port())
  std::size_t max_payload_bytes = 6u * 1024u * 1024u;  // SageMaker's real-time limit
  std::int64_t max_pixels = 4096LL * 4096LL;          // decoded width × height
  // num_classes × height × width of one answer's probabilities (the Predictor computes them for
  // every answer): 64 Mi values = 256 MiB of float32.
  std::int64_t max_output_values = 64LL * 1024 * 1024;
  int http_threads = 32;  // requests (with a body) served at once; more wait, then get 503
  // Inference threads run this much nicer (lower CPU priority) than the HTTP threads, so that when
  // inference saturates the cores, /ping and request parsing still get them at once. 0 = same.
  int inference_nice = 10;
  HttpLimits http;
  BatcherOptions batching;
};

// What the server needs from a loaded model: torch-free callbacks (predictor_backend.h builds them
// from a Predictor; tests and fuzzing may pass their own).
struct ModelBackend {
  std::vector<std::string> classes;  // one name per class id
  std::string device;
  std::string precision, precision_reason;  // what the model runs in, and why (execution parameters)
  // The network input size for an image; throws data::ImageTooLarge when the image cannot run.
  std::function<cv::Size(cv::Size)> network_size;
  Batcher::RunFn run;
  std::function<void()> worker_init;  // once on each inference thread
  int num_classes() const { return static_cast<int>(classes.size()); }
};

class Server {
 public:
  // `load` builds the predictor; it runs on a background thread after the port is bound, so that
  // /ping answers 503 (not "connection refused") while a large model loads.
  using Loader = std::function<std::shared_ptr<const inference::Predictor>()>;
  using BackendLoader = std::function<ModelBackend()>;

  Server(ServerOptions options, Loader load);  // defined in predictor_backend.cpp
  Server(ServerOptions options, BackendLoader load);
  // Stops and joins (see stop()).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the port (UserError when it cannot), starts loading the model and serving. Returns the port.
  int start();
  // Loads the model on the calling thread without listening: serve_connection() only (fuzzing).
  void load_without_listening();
  // Graceful stop: no new connections; requests in flight finish and are answered. Thread-safe.
  void stop();
  // Blocks until the server has stopped and every request is answered, then shuts the batcher down.
  // Rethrows the loader's exception when the model failed to load (the server stops itself then).
  void wait();

  // Serves the requests on an already connected socket on the calling thread until it closes
  // (tests and fuzzing: one end of a socket pair); closes it.
  void serve_connection(int fd);

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
  // The checks a POST /invocations passes on its head alone (before its body is read).
  bool refuse_from_head(const httplib::Request& req, httplib::Response& res);
  void invoke(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read);
  bool read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read,
                 std::string& body);
  void on_error(const httplib::Request& req, httplib::Response& res);
  // This response is the connection's last (its body was not read, or an error).
  void close_after(const httplib::Request& req);

  ServerOptions options_;
  BackendLoader load_;
  std::unique_ptr<HttpFront> http_;
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
