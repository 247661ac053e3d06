// segmaker evaluate: a model artifact against a channel of a prepared data folder.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <optional>

#include "commands.h"
#include "inference/evaluate.h"
#include "storage/stage.h"

namespace segmaker::app {

Command add_evaluate_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("evaluate", "Compute mIOU, pixel accuracy and per-class IoU of a model on a data channel");
  auto o = std::make_shared<inference::EvaluateOptions>();
  auto no_progress = std::make_shared<bool>(false);
  auto full_size = std::make_shared<bool>(false);
  auto paths = std::make_shared<std::array<std::string, 3>>();  // model, data, output
  sub->add_option("--model", (*paths)[0], "model.tar.gz or an unpacked model folder, local or s3://")->required();
  sub->add_option("--data", (*paths)[1], "Prepared data folder or s3:// prefix (only the channel is downloaded)")
      ->required();
  sub->add_option("--channel", o->channel, "Channel to evaluate")->capture_default_str();
  sub->add_option("--output", (*paths)[2], "Write the metrics (with the confusion matrix) to this JSON file (local or s3://)");
  auto* input_size = add_predictor_options(sub, o->predictor);
  sub->add_flag("--full-size", *full_size, "The network sees every image at its own size (= --input-size -1)")->excludes(input_size);
  sub->add_flag("--center-crop", o->center_crop,
                "Score training's validation crops instead (short side → input size, centre crop), so the figures match "
                "training's validation:mIOU (default: every image whole, exactly as `predict --accept image/png` answers it)");
  sub->add_option("--batch-size", o->batch_size, "--center-crop: images per batch (default: the model's validation_mini_batch_size)");
  sub->add_flag("--no-progress", *no_progress, "Plain log lines instead of a progress bar");
  return {sub, [o, no_progress, full_size, paths, &global] {
            using storage::StagedInput;
            const auto config = storage_config(global);
            std::optional<storage::StagedOutput> output;
            if (!(*paths)[2].empty()) output.emplace((*paths)[2], StagedInput::Kind::File, config);
            StagedInput model((*paths)[0], StagedInput::Kind::Any, config);
            StagedInput data((*paths)[1], StagedInput::Kind::Folder, config,
                             {o->channel + "/", o->channel + "_annotation/", "label_map/", "classes.json"});
            o->model = model.path();
            o->data_dir = data.path();
            if (output) o->output = output->path();
            o->threads = global.threads;
            o->progress = !*no_progress;
            if (*full_size) o->predictor.input_size = -1;
            auto j = inference::evaluate_model(*o);
            if (output) output->commit();
            spdlog::info("evaluate: mIOU {:.4f}, pixel accuracy {:.4f} on {} images{}", j["mIOU"].get<double>(),
                         j["pixel_accuracy"].get<double>(), j["images"].get<std::size_t>(),
                         (*paths)[2].empty() ? "" : " (written to " + (*paths)[2] + ")");
            return 0;
          }};
}

}  // namespace segmaker::app
