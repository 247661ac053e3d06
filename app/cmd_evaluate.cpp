// segmaker evaluate: a model artifact against a channel of a prepared data folder.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <memory>

#include "commands.h"
#include "train/evaluate.h"

namespace segmaker::app {

Command add_evaluate_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("evaluate", "Compute mIOU, pixel accuracy and per-class IoU of a model on a data channel");
  auto o = std::make_shared<train::EvaluateOptions>();
  auto no_progress = std::make_shared<bool>(false);
  sub->add_option("--model", o->model, "model.tar.gz or an unpacked model folder")->required();
  sub->add_option("--data", o->data_dir, "Prepared data folder")->required();
  sub->add_option("--channel", o->channel, "Channel to evaluate")->capture_default_str();
  sub->add_option("--output", o->output, "Write the metrics (with the confusion matrix) to this JSON file");
  sub->add_option("--device", o->device, "cpu or cuda[:N]")->capture_default_str();
  sub->add_option("--batch-size", o->batch_size, "Images per batch (default: the model's validation_mini_batch_size)");
  sub->add_flag("--full-size", o->full_size,
                "Evaluate every image whole at its own size (default: training's validation crop, so figures match)");
  sub->add_flag("--no-progress", *no_progress, "Plain log lines instead of a progress bar");
  return {sub, [o, no_progress, &global] {
            o->threads = global.threads;
            o->progress = !*no_progress;
            auto j = train::evaluate_model(*o);
            spdlog::info("evaluate: mIOU {:.4f}, pixel accuracy {:.4f} on {} images{}", j["mIOU"].get<double>(),
                         j["pixel_accuracy"].get<double>(), j["images"].get<std::size_t>(),
                         o->output.empty() ? "" : " (written to " + o->output.string() + ")");
            return 0;
          }};
}

}  // namespace segmaker::app
