#pragma once
// Each workflow step is one subcommand, defined in its own app/cmd_<name>.cpp.
// A subcommand parses flags and calls one library function; it holds no logic of its own.
#include <functional>
#include <string>

#include "storage/storage.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace segmaker::inference {
struct PredictorOptions;
}

namespace segmaker::app {

// Options every subcommand shares.
struct GlobalOptions {
  int threads = 0;  // 0 = all cores
  bool verbose = false;
  std::string s3_endpoint;  // --s3-endpoint (else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL / the profile / AWS)
  bool no_cache = false;    // --no-cache: download S3 objects even when the download cache has them
};

// The storage configuration for these options (flags first, then the AWS variables and ~/.aws files).
storage::StorageConfig storage_config(const GlobalOptions& global);

// A registered subcommand: run() is called when it was the one parsed; returns the exit code.
struct Command {
  CLI::App* sub = nullptr;
  std::function<int()> run;
};


// --device, --precision, --tta and --input-size of a command that runs a Predictor (the commands
// default --precision to auto); `tta_note` is appended to --tta's help. Returns --input-size.
CLI::Option* add_predictor_options(CLI::App* sub, inference::PredictorOptions& options, const std::string& tta_note = "");

Command add_prepare_command(CLI::App& app, const GlobalOptions& global);
Command add_visualize_command(CLI::App& app, const GlobalOptions& global);
Command add_serve_command(CLI::App& app, const GlobalOptions& global);
Command add_predict_command(CLI::App& app, const GlobalOptions& global);
Command add_train_command(CLI::App& app, const GlobalOptions& global);
Command add_evaluate_command(CLI::App& app, const GlobalOptions& global);
Command add_weights_command(CLI::App& app, const GlobalOptions& global);
Command add_launch_command(CLI::App& app, const GlobalOptions& global);
Command add_sync_command(CLI::App& app, const GlobalOptions& global);
Command add_quantize_command(CLI::App& app, const GlobalOptions& global);
Command add_api_command(CLI::App& app, const GlobalOptions& global);
Command add_hyperparameters_command(CLI::App& app, const GlobalOptions& global);
Command add_training_task_command(CLI::App& app, const GlobalOptions& global);
Command add_transform_task_command(CLI::App& app, const GlobalOptions& global);

}  // namespace segmaker::app
