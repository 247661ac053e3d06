// segmaker serve: the model behind an HTTP endpoint with SageMaker's hosting contract.
#include <CLI/CLI.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include "commands.h"
#include "serve/endpoint.h"
#include "storage/stage.h"

namespace segmaker::app {

namespace {
struct ServeFlags {
  serve::EndpointConfig config;
  double max_payload_mb = 6.0;
  double request_timeout_s = 60.0;
};
}  // namespace

Command add_serve_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand(
      "serve", "Serve a model over HTTP with SageMaker's endpoint contract (/ping, /invocations, demo page at /)");
  auto f = std::make_shared<ServeFlags>();
  auto& c = f->config;
  auto model_uri = std::make_shared<std::string>();
  auto* model = sub->add_option("--model", *model_uri, "model.tar.gz (or an unpacked artifact folder), local or s3://");
  sub->add_flag("--sagemaker", c.sagemaker,
                "SageMaker container mode: model from <sm-root>/model, listen on 0.0.0.0 unless --host is given")
      ->excludes(model);
  sub->add_option("--sm-root", c.sagemaker_root, "SageMaker's root folder")->capture_default_str();
  auto* host = sub->add_option("--host", c.server.host, "Address to listen on")->capture_default_str();
  sub->add_option("--port", c.server.port, "Port (0 = any free port)")
      ->envname("SAGEMAKER_BIND_TO_PORT")
      ->capture_default_str();
  sub->add_option("--workers", c.server.batching.workers, "Batches running at once")->capture_default_str();
  sub->add_option("--max-batch", c.server.batching.max_batch, "Images per forward pass (dynamic batching)")
      ->capture_default_str();
  sub->add_option("--max-delay-ms", c.server.batching.max_delay_ms,
                  "How long a request may wait for others of its size to share a batch")
      ->capture_default_str();
  sub->add_option("--max-queue", c.server.batching.max_queue, "Requests waiting before answering 503")
      ->capture_default_str();
  sub->add_option("--max-payload-mb", f->max_payload_mb, "Request body limit in MB (413 above)")
      ->envname("SAGEMAKER_MAX_PAYLOAD_IN_MB")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--max-pixels", c.server.max_pixels, "Decoded image size limit, width x height (413 above)")
      ->capture_default_str();
  sub->add_option("--max-output-values", c.server.max_output_values,
                  "Answer size limit: classes x width x height probabilities (413 above)")
      ->capture_default_str();
  sub->add_option("--max-network-pixels", c.predictor.max_network_pixels,
                  "Network input limit, width x height after scaling (413 above)")
      ->capture_default_str();
  sub->add_option("--max-aspect-ratio", c.predictor.max_aspect_ratio, "Long side / short side limit (413 above)")
      ->capture_default_str();
  sub->add_option("--http-threads", c.server.http_threads,
                  "Requests with a body served at once (as many more wait; then 503); /ping has its own threads")
      ->capture_default_str();
  sub->add_option("--inference-nice", c.server.inference_nice,
                  "How much lower the inference threads' CPU priority is (keeps /ping answering when inference saturates the cores)")
      ->capture_default_str();
  sub->add_option("--max-connections", c.server.http.max_connections, "Open connections (more are closed at once)")
      ->capture_default_str();
  sub->add_option("--request-timeout-s", f->request_timeout_s, "A whole request must arrive within this (408 after)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_predictor_options(sub, c.predictor, " (off by default: each request would cost 2 or 12 forward passes)");
  return {sub, [f, host, model_uri, &global] {
            auto config = f->config;
            std::optional<storage::StagedInput> staged;  // an s3:// model is downloaded (and cached) first
            if (!model_uri->empty()) {
              staged.emplace(*model_uri, storage::StagedInput::Kind::Any, storage_config(global));
              config.model = staged->path();
            }
            config.threads = global.threads;
            config.server.max_payload_bytes = static_cast<std::size_t>(f->max_payload_mb * 1024.0 * 1024.0);
            config.server.http.request_timeout = std::chrono::milliseconds(static_cast<long long>(f->request_timeout_s * 1000));
            if (config.sagemaker && host->count() == 0) config.server.host = "0.0.0.0";
            return serve::run_endpoint(config);
          }};
}

}  // namespace segmaker::app
