#include "serve/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "data/image_io.h"
#include "io/error.h"
#include "inference/predictor.h"
#include "serve/codecs.h"
#include "serve/content_type.h"
#include "serve/demo_page.h"

namespace segmaker::serve {

// The loaded model and the batcher in front of it; shared by the request handlers.
struct Server::Model {
  std::shared_ptr<const inference::Predictor> predictor;
  std::unique_ptr<Batcher> batcher;
};

namespace {

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(error_body(status, message), "application/json");
}

const char* reason_phrase(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 413: return "payload too large";
    case 414: return "URI too long";
    case 416: return "range not satisfiable";
    case 503: return "service unavailable";
    default: return status >= 500 ? "server error" : "request error";
  }
}

std::string mb(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

}  // namespace

Server::Server(ServerOptions options, Loader load)
    : options_(std::move(options)), load_(std::move(load)), http_(std::make_unique<httplib::Server>()) {
  if (options_.max_payload_bytes == 0) throw UserError("the payload limit must be positive");
  if (options_.max_pixels <= 0) throw UserError("--max-pixels must be positive");
  if (options_.http_threads < 1) throw UserError("--http-threads must be at least 1");
  const int threads = options_.http_threads;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  // httplib answers 413 itself (with our JSON body, see the error handler) before reading a body this large.
  http_->set_payload_max_length(options_.max_payload_bytes);
  http_->set_keep_alive_max_count(1000);
  register_routes();
}

Server::~Server() {
  stop();
  try {
    wait();
  } catch (const std::exception& e) {
    spdlog::debug("server: {}", e.what());
  }
}

std::shared_ptr<Server::Model> Server::model() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return model_;
}

void Server::register_routes() {
  http_->Get("/ping", [this](const httplib::Request&, httplib::Response& res) {
    if (ready()) {
      res.status = 200;
      res.set_content("", "text/plain");
    } else {
      send_error(res, 503, "the model is still loading");
    }
  });

  http_->Get("/execution-parameters", [this](const httplib::Request&, httplib::Response& res) {
    const auto& b = options_.batching;
    nlohmann::json j{{"MaxConcurrentTransforms", b.workers * b.max_batch},
                     {"BatchStrategy", "SINGLE_RECORD"},  // one image per request
                     {"MaxPayloadInMB", std::max<std::size_t>(1, options_.max_payload_bytes / (1024 * 1024))}};
    // segmaker's addition (SageMaker reads the three above): the precision the model runs in, and why.
    if (const auto m = model()) {
      j["Precision"] = m->predictor->precision();
      j["PrecisionReason"] = m->predictor->precision_reason();
    }
    res.set_content(j.dump(), "application/json");
  });

  http_->Get("/", [page = demo_page_html()](const httplib::Request&, httplib::Response& res) {
    res.set_content(page, "text/html; charset=utf-8");
  });

  http_->Post("/invocations", [this](const httplib::Request& req, httplib::Response& res) {
    const auto model = this->model();
    if (!model) return send_error(res, 503, "the model is still loading; retry when GET /ping answers 200");
    const std::string content_type = req.get_header_value("Content-Type");
    if (!is_supported_request_type(content_type)) {
      std::string list;
      for (const auto& t : supported_request_types()) list += (list.empty() ? "" : ", ") + t;
      return send_error(res, 415, "unsupported Content-Type '" + content_type + "': send an image (" + list + ")");
    }
    const auto answer = negotiate_accept(req.get_header_value("Accept"));
    if (!answer) {
      std::string list;
      for (const auto& t : supported_accept_types()) list += (list.empty() ? "" : ", ") + t;
      return send_error(res, 406, "cannot answer with Accept '" + req.get_header_value("Accept") + "': use one of " + list);
    }
    if (req.body.size() > options_.max_payload_bytes)
      return send_error(res, 413, "request body of " + mb(req.body.size()) + " exceeds the limit of " +
                                      mb(options_.max_payload_bytes) + " (SAGEMAKER_MAX_PAYLOAD_IN_MB)");
    if (req.body.empty()) return send_error(res, 400, "empty request body: send the image bytes");
    cv::Mat image;
    try {
      image = data::decode_image_rgb(req.body);
    } catch (const std::exception& e) {
      return send_error(res, 400, std::string("cannot decode the image: ") + e.what());
    }
    const std::int64_t pixels = static_cast<std::int64_t>(image.cols) * image.rows;
    if (pixels > options_.max_pixels)
      return send_error(res, 413, "image of " + std::to_string(image.cols) + "x" + std::to_string(image.rows) + " = " +
                                      std::to_string(pixels) + " pixels exceeds the limit of " +
                                      std::to_string(options_.max_pixels) + " pixels (--max-pixels)");
    std::future<inference::Prediction> future;
    try {
      future = model->batcher->submit(std::move(image), needs_probabilities(answer->format));
    } catch (const QueueFull& e) {
      res.set_header("Retry-After", "1");
      return send_error(res, 503, e.what());
    } catch (const std::logic_error&) {
      return send_error(res, 503, "the server is shutting down");
    }
    try {
      const inference::Prediction prediction = future.get();
      res.status = 200;
      res.set_content(encode_answer(answer->format, prediction, model->predictor->classes()), answer->content_type);
    } catch (const std::exception& e) {
      spdlog::error("inference failed: {}", e.what());
      send_error(res, 500, std::string("inference failed: ") + e.what());
    }
  });

  // Errors httplib produces itself (404, 413 for an oversized body, 400 for a malformed request)
  // get the same JSON body as ours.
  http_->set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                          httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message = reason_phrase(res.status);
    if (res.status == 404) message = "no route for " + req.method + " " + req.path;
    if (res.status == 413)
      message = "request body exceeds the limit of " + mb(options_.max_payload_bytes) + " (SAGEMAKER_MAX_PAYLOAD_IN_MB)";
    send_error(res, res.status, message);
    return httplib::Server::HandlerResponse::Handled;
  }));
}

void Server::load_model() {
  try {
    auto predictor = load_();
    if (!predictor) throw std::logic_error("the model loader returned no predictor");
    auto model = std::make_shared<Model>();
    model->predictor = predictor;
    model->batcher = std::make_unique<Batcher>(
        [predictor](const cv::Mat& image) { return predictor->network_size(image.size()); },
        [predictor](const std::vector<cv::Mat>& images, bool probabilities) {
          return predictor->predict_batch(images, probabilities);
        },
        options_.batching);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      model_ = model;
      load_finished_ = true;
    }
    ready_ = true;
    spdlog::info("model ready: {} classes on {}, precision {}", predictor->num_classes(), predictor->device(),
                 predictor->precision());
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      load_error_ = std::current_exception();
      load_finished_ = true;
    }
    stop();
  }
  ready_cv_.notify_all();
}

int Server::start() {
  if (options_.port < 0 || options_.port > 65535) throw UserError("--port must be 0..65535");
  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ < 0) throw UserError("cannot bind any port on " + options_.host);
  } else {
    if (!http_->bind_to_port(options_.host, options_.port))
      throw UserError("cannot bind " + options_.host + ":" + std::to_string(options_.port) +
                      " (in use? set --port or SAGEMAKER_BIND_TO_PORT)");
    port_ = options_.port;
  }
  listen_thread_ = std::thread([this] {
    http_->listen_after_bind();
    listen_done_ = true;
  });
  started_ = true;
  load_thread_ = std::thread([this] { load_model(); });
  spdlog::info("listening on http://{}:{} (model loading)", options_.host, port_);
  return port_;
}

void Server::stop() {
  // httplib's stop() does nothing before its listen loop runs: wait for it (a SIGTERM may come early).
  if (!started_) return;
  while (!http_->is_running() && !listen_done_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  http_->stop();
}

void Server::wait() {
  if (listen_thread_.joinable()) listen_thread_.join();  // every request has been answered
  if (load_thread_.joinable()) load_thread_.join();
  std::shared_ptr<Model> model;
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    model = model_;
    error = load_error_;
    if (waited_) return;
    waited_ = true;
  }
  if (model) model->batcher->shutdown();
  if (error) std::rethrow_exception(error);
}

bool Server::wait_until_ready(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_cv_.wait_for(lock, timeout, [this] { return load_finished_; });
  return ready();
}

std::optional<BatcherStats> Server::batcher_stats() const {
  const auto model = this->model();
  if (!model) return std::nullopt;
  return model->batcher->stats();
}

}  // namespace segmaker::serve
