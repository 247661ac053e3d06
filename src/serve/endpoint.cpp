// `segmaker serve`: the endpoint until SIGTERM / SIGINT (serve/endpoint.h).
#include "serve/endpoint.h"

#include <spdlog/spdlog.h>

#include "inference/torch_threads.h"
#include "io/error.h"
#include "io/stop_signal.h"

namespace segmaker::serve {

std::filesystem::path resolve_model_path(const EndpointConfig& config) {
  std::filesystem::path path;
  if (config.sagemaker) {
    if (!config.model.empty()) throw UserError("give either --model or --sagemaker, not both");
    path = config.sagemaker_root / "model";
  } else {
    if (config.model.empty()) throw UserError("no model: give --model model.tar.gz (or --sagemaker)");
    path = config.model;
  }
  if (!std::filesystem::exists(path)) throw UserError("model not found: " + path.string());
  return path;
}

int run_endpoint(const EndpointConfig& config) {
  const auto model_path = resolve_model_path(config);
  // Before any thread exists: every thread inherits the blocked mask, only its waiter sees the signals.
  io::StopSignal stop;
  const int threads = inference::configure_torch_threads(config.threads);

  const inference::PredictorOptions predictor_options = config.predictor;
  Server server(config.server, [model_path, predictor_options] {
    spdlog::info("loading {}", model_path.string());
    return std::shared_ptr<const inference::Predictor>(inference::Predictor::load(model_path, predictor_options));
  });
  server.start();
  spdlog::info("serving on http://{}:{} with {} LibTorch threads; SIGTERM or Ctrl-C stops gracefully",
               config.server.host, server.port(), threads);

  stop.on_stop([&server](int sig) {
    spdlog::info("{}: no new connections, finishing the requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server.stop();
  });
  struct ForgetServer {  // before `server` goes (also when wait() throws): no stop action may reach it
    io::StopSignal& stop;
    ~ForgetServer() { stop.on_stop(nullptr); }
  } forget{stop};
  server.wait();
  if (const auto stats = server.batcher_stats())
    spdlog::info("stopped: {} requests in {} batches (largest {}), {} refused with 503", stats->requests,
                 stats->batches, stats->largest_batch(), stats->rejected);
  return 0;
}

}  // namespace segmaker::serve
