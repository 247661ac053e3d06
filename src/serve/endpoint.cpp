#include "serve/endpoint.h"

#include <pthread.h>
#include <signal.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <ctime>
#include <thread>

#include "io/error.h"
#include "io/threads.h"

namespace segmaker::serve {
namespace {

// Blocks SIGTERM and SIGINT in this thread (and the threads it starts from now on), so that one
// thread can wait for them with sigtimedwait; restores the previous mask on destruction.
class BlockedSignals {
 public:
  BlockedSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  }
  ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  const sigset_t& set() const { return set_; }

 private:
  sigset_t set_;
  sigset_t previous_;
};

}  // namespace

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
  // Before any thread exists: every thread inherits the blocked mask, only our waiter sees the signals.
  BlockedSignals signals;
  const int threads = io::configure_torch_threads(config.threads);

  const inference::PredictorOptions predictor_options = config.predictor;
  Server server(config.server, [model_path, predictor_options] {
    spdlog::info("loading {}", model_path.string());
    return std::shared_ptr<const inference::Predictor>(inference::Predictor::load(model_path, predictor_options));
  });
  server.start();
  spdlog::info("serving on http://{}:{} with {} LibTorch threads; SIGTERM or Ctrl-C stops gracefully",
               config.server.host, server.port(), threads);

  std::atomic<bool> finished{false};
  std::thread waiter([&] {
    const timespec tick{0, 100 * 1000 * 1000};
    while (!finished) {
      siginfo_t info;
      const int sig = sigtimedwait(&signals.set(), &info, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info("{}: no new connections, finishing the requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        server.stop();
        return;
      }
    }
  });
  try {
    server.wait();
  } catch (...) {
    finished = true;
    waiter.join();
    throw;
  }
  finished = true;
  waiter.join();
  if (const auto stats = server.batcher_stats())
    spdlog::info("stopped: {} requests in {} batches (largest {}), {} refused with 503", stats->requests,
                 stats->batches, stats->largest_batch(), stats->rejected);
  return 0;
}

}  // namespace segmaker::serve
