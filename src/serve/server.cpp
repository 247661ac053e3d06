// The endpoint's routes and their checks (SageMaker's hosting contract); connections: http_front.cpp.
#include "serve/server.h"

#include <httplib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "data/image_header.h"
#include "data/image_io.h"
#include "io/error.h"
#include "serve/codecs.h"
#include "sagemaker/content_type.h"
#include "serve/demo_page.h"
#include "serve/http_front.h"

namespace segmaker::serve {

// The loaded model and the batcher in front of it; shared by the request handlers.
struct Server::Model {
  ModelBackend backend;
  std::unique_ptr<Batcher> batcher;
};

namespace {

constexpr const char* kInvocations = "/invocations";

// No answer is ever cut to a Range: a multi-range request could multiply an answer, and httplib
// parses Range before any handler runs (a malformed one, e.g. "bytes=0-1,2-1", becomes its own 416
// whose error body it would then cut to the ranges it had parsed). Called by the pre-routing, error
// and exception handlers, so every answer -- ours or httplib's -- goes out whole.
void never_serve_ranges(const httplib::Request& req) { const_cast<httplib::Request&>(req).ranges.clear(); }

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(error_body(status, message), "application/json");
}

const char* reason_phrase(int status) {
  switch (status) {
    case 400: return "bad request: malformed request line, header or body";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 408: return "the request did not arrive in time";
    case 413: return "payload too large";
    case 414: return "request URI too long";
    case 416: return "range not satisfiable";
    case 431: return "request headers too large";
    case 503: return "service unavailable";
    default: return status >= 500 ? "server error" : "request error";
  }
}

std::string mb(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

bool is_body_method(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// The methods a path answers ("" for no such path).
std::string allowed_methods(const std::string& path) {
  if (path == kInvocations) return "POST";
  if (path == "/ping" || path == "/execution-parameters" || path == "/") return "GET, HEAD";
  return "";
}

std::string lower_trimmed(std::string s) {
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), [](unsigned char c) { return !std::isspace(c); }));
  s.erase(std::find_if(s.rbegin(), s.rend(), [](unsigned char c) { return !std::isspace(c); }).base(), s.end());
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Lowers the calling thread's CPU priority by `nice` (threads it starts later, such as the OpenMP
// team LibTorch creates on it, inherit it).
void lower_this_thread_priority(int nice) {
  if (nice <= 0) return;
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) ::setpriority(PRIO_PROCESS, tid, std::min(19, current + nice));
}

std::string list_of(const std::vector<std::string>& items) {
  std::string list;
  for (const auto& t : items) list += (list.empty() ? "" : ", ") + t;
  return list;
}

}  // namespace

Server::Server(ServerOptions options, BackendLoader load) : options_(std::move(options)), load_(std::move(load)) {
  if (options_.max_payload_bytes == 0) throw UserError("the payload limit must be positive");
  if (options_.max_pixels <= 0) throw UserError("--max-pixels must be positive");
  if (options_.max_output_values <= 0) throw UserError("--max-output-values must be positive");
  if (options_.http_threads < 1) throw UserError("--http-threads must be at least 1");
  if (options_.batching.max_queue >= static_cast<std::size_t>(options_.http_threads))
    throw UserError("--max-queue (" + std::to_string(options_.batching.max_queue) + ") must be below --http-threads (" +
                    std::to_string(options_.http_threads) +
                    "): every waiting request holds an HTTP thread, so a longer queue never fills and 503 never fires");
  // The body on the wire: the payload plus room for chunked framing (a chunk header per chunk).
  const std::size_t wire_bytes = 2 * options_.max_payload_bytes + (1u << 20);
  http_ = std::make_unique<HttpFront>(options_.http, options_.http_threads, wire_bytes);
  http_->set_payload_max_length(options_.max_payload_bytes);
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

void Server::close_after(const httplib::Request& req) {
  if (auto state = http_->connection_of(req)) state->close_after_response();
  // httplib writes "Connection: close" when the request asked for it; the request object is a
  // non-const local of httplib's request loop, handed to us as const.
  auto& mutable_req = const_cast<httplib::Request&>(req);
  mutable_req.headers.erase("Connection");
  mutable_req.headers.emplace("Connection", "close");
}

bool Server::refuse_from_head(const httplib::Request& req, httplib::Response& res) {
  const auto refuse = [&](int status, const std::string& message) {
    send_error(res, status, message);
    close_after(req);
    return true;
  };
  if (!model()) return refuse(503, "the model is still loading; retry when GET /ping answers 200");
  const std::string encoding = lower_trimmed(req.get_header_value("Content-Encoding"));
  if (req.has_header("Content-Encoding") && encoding != "identity")
    return refuse(415, "Content-Encoding '" + quote_client_value(req.get_header_value("Content-Encoding")) +
                           "' is not accepted: send the image bytes as they are");
  const bool chunked = req.has_header("Transfer-Encoding");
  if (chunked && lower_trimmed(req.get_header_value("Transfer-Encoding")) != "chunked")
    return refuse(400, "Transfer-Encoding '" + quote_client_value(req.get_header_value("Transfer-Encoding")) +
                           "' is not supported (only chunked)");
  const std::size_t lengths = req.get_header_value_count("Content-Length");
  if (chunked && lengths > 0) return refuse(400, "both Content-Length and Transfer-Encoding: send one");
  if (lengths > 1) return refuse(400, "more than one Content-Length header");
  if (!chunked && lengths == 0)
    return refuse(411, "POST /invocations needs a Content-Length header (or Transfer-Encoding: chunked)");
  if (lengths == 1) {
    const std::string value = req.get_header_value("Content-Length");
    if (value.empty() || value.size() > 19 || !std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); }))
      return refuse(400, "Content-Length '" + quote_client_value(value) + "' is not a number of bytes");
    const unsigned long long length = std::stoull(value);
    if (length > options_.max_payload_bytes)
      return refuse(413, "request body of " + mb(length) + " exceeds the limit of " + mb(options_.max_payload_bytes) +
                             " (SAGEMAKER_MAX_PAYLOAD_IN_MB)");
  }
  const std::string content_type = req.get_header_value("Content-Type");
  if (!sagemaker::is_supported_request_type(content_type))
    return refuse(415, "unsupported Content-Type '" + quote_client_value(content_type) + "': send an image (" +
                           list_of(sagemaker::supported_request_types()) + "; no Content-Type: decoded by content)");
  if (!sagemaker::negotiate_accept(req.get_header_value("Accept")))
    return refuse(406, "cannot answer with Accept '" + quote_client_value(req.get_header_value("Accept")) +
                           "': use one of " + list_of(sagemaker::supported_accept_types()));
  return false;
}

bool Server::read_body(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read,
                       std::string& body) {
  if (req.has_header("Content-Length")) body.reserve(std::stoull(req.get_header_value("Content-Length")));
  bool over = false;
  const bool ok = read([&](const char* data, std::size_t n) {
    if (body.size() + n > options_.max_payload_bytes) {
      over = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (ok) return true;
  const auto state = http_->connection_of(req);
  close_after(req);
  if (over || (state && state->body_over_cap))
    send_error(res, 413, "request body exceeds the limit of " + mb(options_.max_payload_bytes) + " (SAGEMAKER_MAX_PAYLOAD_IN_MB)");
  else if (state && state->timed_out)
    send_error(res, 408, "the request body did not arrive within " +
                             std::to_string(options_.http.request_timeout.count() / 1000) + " s");
  else
    send_error(res, 400, "the request body ended early or its chunked framing is malformed");
  return false;
}

void Server::invoke(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
  const auto model = this->model();
  const auto answer = sagemaker::negotiate_accept(req.get_header_value("Accept"));
  if (!model || !answer) return (void)refuse_from_head(req, res);
  std::string body;
  if (!read_body(req, res, read, body)) return;
  if (body.empty()) return send_error(res, 400, "empty request body: send the image bytes");

  cv::Mat image;
  try {
    image = data::decode_image_rgb(body, data::ImageLimits{options_.max_pixels, "--max-pixels"});
  } catch (const data::ImageTooLarge& e) {
    return send_error(res, 413, e.what());
  } catch (const std::exception& e) {
    return send_error(res, 400, std::string("cannot decode the image: ") + e.what());
  }
  std::string().swap(body);  // the bytes are not needed during inference

  const auto& backend = model->backend;
  try {
    (void)backend.network_size(image.size());
  } catch (const data::ImageTooLarge& e) {
    return send_error(res, 413, e.what());
  }
  const std::int64_t values = static_cast<std::int64_t>(backend.num_classes()) * image.cols * image.rows;
  if (values > options_.max_output_values)
    return send_error(res, 413, "the answer for a " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                                    " image holds " + std::to_string(backend.num_classes()) + " x " +
                                    std::to_string(image.cols) + " x " + std::to_string(image.rows) + " = " +
                                    std::to_string(values) + " probabilities, over the limit of " +
                                    std::to_string(options_.max_output_values) +
                                    " (--max-output-values): send a smaller image");

  const auto connection = http_->connection_of(req);
  std::future<inference::Prediction> future;
  try {
    future = model->batcher->submit(std::move(image), needs_probabilities(answer->format),
                                    [connection] { return connection && connection->client_gone(); });
  } catch (const QueueFull& e) {
    res.set_header("Retry-After", "1");
    return send_error(res, 503, e.what());
  } catch (const std::logic_error&) {
    return send_error(res, 503, "the server is shutting down");
  } catch (const data::ImageTooLarge& e) {
    return send_error(res, 413, e.what());
  }
  try {
    inference::Prediction prediction = future.get();
    res.status = 200;
    res.body = encode_answer(answer->format, std::move(prediction), backend.classes);  // no copy of the answer
    res.set_header("Content-Type", answer->content_type);
  } catch (const ClientGone&) {
    close_after(req);
    send_error(res, 503, "the client went away before inference");
  } catch (const std::exception& e) {
    spdlog::error("inference failed: {}", e.what());
    send_error(res, 500, std::string("inference failed: ") + e.what());
  }
}

void Server::on_error(const httplib::Request& req, httplib::Response& res) {
  try {
    const auto state = http_->connection_of(req);
    if (res.status == 400 && state) {
      if (state->head_too_large) res.status = 431;
      else if (state->timed_out) res.status = 408;
      else if (state->body_over_cap) res.status = 413;
    }
    const std::string allowed = allowed_methods(req.path);
    if (res.status == 404 && !allowed.empty()) {
      res.status = 405;
      res.set_header("Allow", allowed);
      res.body.clear();
    }
    close_after(req);
    if (!res.body.empty()) return;
    std::string message = reason_phrase(res.status);
    if (res.status == 404) message = "no route for " + quote_client_value(req.method) + " " + quote_client_value(req.path);
    if (res.status == 405) message = quote_client_value(req.method) + " " + req.path + " is not allowed: use " + allowed;
    if (res.status == 413)
      message = "request body exceeds the limit of " + mb(options_.max_payload_bytes) + " (SAGEMAKER_MAX_PAYLOAD_IN_MB)";
    if (res.status == 431)
      message = "request head over " + std::to_string(options_.http.max_head_bytes) + " bytes or " +
                std::to_string(options_.http.max_header_count) + " header lines";
    send_error(res, res.status, message);
  } catch (...) {
    res.body = R"({"error":{"code":500,"message":"internal error while answering an error"}})";
    res.set_header("Content-Type", "application/json");
  }
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
      j["Precision"] = m->backend.precision;
      j["PrecisionReason"] = m->backend.precision_reason;
    }
    res.set_content(j.dump(), "application/json");
  });

  http_->Get("/", [page = demo_page_html()](const httplib::Request&, httplib::Response& res) {
    res.set_content(page, "text/html; charset=utf-8");
  });

  http_->Post(kInvocations, [this](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& read) { invoke(req, res, read); });

  // Before any body is read: what the head alone decides.
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    using R = httplib::Server::HandlerResponse;
    never_serve_ranges(req);
    if (const auto state = http_->connection_of(req)) {
      if (state->head_too_large || state->timed_out) {
        res.status = state->head_too_large ? 431 : 408;
        on_error(req, res);
        return R::Handled;
      }
      if (state->overloaded) {
        res.set_header("Retry-After", "1");
        send_error(res, 503, "every inference thread is busy; retry later");
        close_after(req);
        return R::Handled;
      }
    }
    if (!is_body_method(req.method)) return R::Unhandled;
    if (req.path != kInvocations) {  // no other route reads a body: refused before reading it
      res.status = 404;
      on_error(req, res);
      return R::Handled;
    }
    return refuse_from_head(req, res) ? R::Handled : R::Unhandled;
  });
  http_->set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "POST" && req.path == kInvocations && refuse_from_head(req, res)) return res.status;
    return 100;
  });

  // Errors httplib produces itself (404, 400 for a malformed request, 414) get the same JSON body
  // as ours; no exception text ever reaches a header.
  http_->set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    never_serve_ranges(req);
    on_error(req, res);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http_->set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
    never_serve_ranges(req);
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("request {} failed: {}", quote_client_value(req.path), e.what());
    } catch (...) {
      spdlog::error("request {} failed", quote_client_value(req.path));
    }
    res.headers.clear();
    send_error(res, 500, "internal error");
    close_after(req);
  });
}

void Server::load_model() {
  try {
    ModelBackend backend = load_();
    if (backend.classes.empty() || !backend.network_size || !backend.run)
      throw std::logic_error("the model loader returned an incomplete model");
    auto model = std::make_shared<Model>();
    model->backend = std::move(backend);
    const auto network_size = model->backend.network_size;
    auto worker_init = [nice = options_.inference_nice, init = model->backend.worker_init] {
      lower_this_thread_priority(nice);
      if (init) init();
    };
    model->batcher = std::make_unique<Batcher>([network_size](const cv::Mat& image) { return network_size(image.size()); },
                                               model->backend.run, options_.batching, worker_init);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      model_ = model;
      load_finished_ = true;
    }
    ready_ = true;
    spdlog::info("model ready: {} classes on {}", model->backend.num_classes(), model->backend.device);
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
  http_->widen_backlog(std::max(128, 2 * options_.http.max_connections));
  listen_thread_ = std::thread([this] {
    http_->listen_after_bind();
    listen_done_ = true;
  });
  started_ = true;
  load_thread_ = std::thread([this] { load_model(); });
  spdlog::info("listening on http://{}:{} (model loading)", options_.host, port_);
  return port_;
}

void Server::load_without_listening() {
  load_model();
  std::lock_guard<std::mutex> lock(mutex_);
  if (load_error_) std::rethrow_exception(load_error_);
}

void Server::serve_connection(int fd) { http_->serve_blocking(fd); }

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
