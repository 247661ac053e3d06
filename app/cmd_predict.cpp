// segmaker predict: batch transform over a folder of images (SageMaker's answer files).
#include <CLI/CLI.hpp>

#include <array>
#include <memory>

#include "commands.h"
#include "serve/batch_transform.h"
#include "storage/stage.h"

namespace segmaker::app {

Command add_predict_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand(
      "predict", "Batch transform: an answer file per image (<name>.out, or <stem>.png for --accept image/png)");
  auto o = std::make_shared<serve::BatchTransformOptions>();
  auto paths = std::make_shared<std::array<std::string, 3>>();  // model, input, output
  sub->add_option("--model", (*paths)[0], "model.tar.gz (or an unpacked artifact folder), local or s3://")->required();
  sub->add_option("--input", (*paths)[1], "A folder of images or one image, local or s3:// (a prefix or an object)")
      ->required();
  sub->add_option("--output", (*paths)[2], "Folder or s3:// prefix for the answers (one <input name>.out per image)")
      ->required();
  sub->add_option("--accept", o->accept,
                  "Answer type: image/png, application/x-recordio-protobuf, application/x-protobuf, application/json")
      ->capture_default_str();
  sub->add_flag("--overlay", o->overlay, "Also write <output>/overlays/<stem>.png (mask over the image, legend)");
  sub->add_option("--workers", o->workers, "Images in flight at once (0 = min(cores, 4))")->capture_default_str();
  sub->add_option("--max-pixels", o->max_pixels, "Image size limit, width x height (larger images are skipped)")
      ->capture_default_str();
  sub->add_option("--max-network-pixels", o->predictor.max_network_pixels,
                  "Network input limit, width x height after scaling (larger images are skipped)")
      ->capture_default_str();
  sub->add_option("--max-aspect-ratio", o->predictor.max_aspect_ratio, "Long side / short side limit")
      ->capture_default_str();
  add_predictor_options(sub, o->predictor);
  return {sub, [o, paths, &global] {
            using storage::StagedInput;
            const auto config = storage_config(global);
            storage::StagedOutput output((*paths)[2], StagedInput::Kind::Folder, config);
            StagedInput model((*paths)[0], StagedInput::Kind::Any, config);
            StagedInput input((*paths)[1], StagedInput::Kind::Any, config);
            auto options = *o;
            options.model = model.path();
            options.input = input.path();
            options.output = output.path();
            options.threads = global.threads;
            const auto summary = serve::run_batch_transform(options);
            output.commit();
            return summary.failed.empty() || summary.written + summary.skipped > 0 ? 0 : 1;
          }};
}

}  // namespace segmaker::app
