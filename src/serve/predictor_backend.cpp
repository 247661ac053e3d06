// The server's model callbacks from a Predictor, and the Server constructor that takes one.
#include "serve/predictor_backend.h"
#include "inference/torch_threads.h"

#include <stdexcept>


namespace segmaker::serve {

ModelBackend backend_of(std::shared_ptr<const inference::Predictor> predictor) {
  if (!predictor) throw std::logic_error("the model loader returned no predictor");
  ModelBackend b;
  b.classes = predictor->classes();
  b.device = predictor->device() + ", precision " + predictor->precision();
  b.precision = predictor->precision();
  b.precision_reason = predictor->precision_reason();
  b.network_size = [predictor](cv::Size image) { return predictor->network_size(image); };
  b.run = [predictor](const std::vector<cv::Mat>& images, bool probabilities) {
    return predictor->predict_batch(images, probabilities);
  };
  b.worker_init = [] { inference::adopt_torch_threads(); };
  return b;
}

Server::Server(ServerOptions options, Loader load)
    : Server(std::move(options), BackendLoader([load = std::move(load)] { return backend_of(load()); })) {}

}  // namespace segmaker::serve
