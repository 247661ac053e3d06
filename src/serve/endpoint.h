#pragma once
// `segmaker serve`: resolves the model (a model.tar.gz, an unpacked folder, or SageMaker's
// <root>/model), starts the Server and serves until SIGTERM or SIGINT, then drains gracefully:
// no new connections, every request in flight is answered, exit status 0.
#include <filesystem>

#include "inference/predictor.h"
#include "serve/server.h"

namespace segmaker::serve {

struct EndpointConfig {
  std::filesystem::path model;  // model.tar.gz or an unpacked artifact folder
  // SageMaker container mode: the model is <sagemaker_root>/model (unpacked by the platform).
  bool sagemaker = false;
  std::filesystem::path sagemaker_root = "/opt/ml";
  int threads = 0;  // LibTorch threads; 0 = all cores
  inference::PredictorOptions predictor;
  ServerOptions server;
};

// The model path the config names (UserError when neither or both are given, or it is missing).
std::filesystem::path resolve_model_path(const EndpointConfig& config);

// Serves until SIGTERM/SIGINT; returns 0 after a graceful drain. Throws (UserError/DataError)
// when the port cannot be bound or the model cannot be loaded.
int run_endpoint(const EndpointConfig& config);

}  // namespace segmaker::serve
