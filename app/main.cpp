// segmaker: self-hosted semantic segmentation with SageMaker's workflow.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <exception>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace segmaker::app;
  // A peer that closes its socket (a rank of a distributed job, an HTTP client, S3) must surface as an
  // error from send()/write(), never end the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"segmaker: semantic segmentation (FCN / PSPNet / DeepLabV3) with SageMaker's workflow, self-hosted"};
  app.set_version_flag("--version", std::string("segmaker ") + SEGMAKER_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--threads", global.threads, "Worker and LibTorch threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("-v,--verbose", global.verbose, "Debug logging");
  app.add_option("--s3-endpoint", global.s3_endpoint,
                 "S3-compatible endpoint for s3:// paths, e.g. http://127.0.0.1:4568 (default: AWS_ENDPOINT_URL_S3, "
                 "AWS_ENDPOINT_URL, the AWS profile, else AWS)");
  app.add_flag("--no-cache", global.no_cache, "Download s3:// inputs again even when the download cache has them");

  std::vector<Command> commands;
  commands.push_back(add_prepare_command(app, global));
  commands.push_back(add_visualize_command(app, global));
  commands.push_back(add_serve_command(app, global));
  commands.push_back(add_predict_command(app, global));
  commands.push_back(add_train_command(app, global));
  commands.push_back(add_evaluate_command(app, global));
  commands.push_back(add_weights_command(app, global));
  commands.push_back(add_launch_command(app, global));
  commands.push_back(add_sync_command(app, global));
  commands.push_back(add_quantize_command(app, global));
  commands.push_back(add_api_command(app, global));
  commands.push_back(add_hyperparameters_command(app, global));
  commands.push_back(add_training_task_command(app, global));
  commands.push_back(add_transform_task_command(app, global));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  spdlog::set_level(global.verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  try {
    for (auto& command : commands) {
      if (command.sub->parsed()) return command.run();
    }
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}
