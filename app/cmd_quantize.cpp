// segmaker quantize: calibrates a model for int8 inference and writes an artifact that carries the
// calibration; reports fp32 / bf16 / int8 validation mIOU side by side.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "commands.h"
#include "inference/quantize.h"

namespace segmaker::app {

Command add_quantize_command(CLI::App& app, const GlobalOptions& global) {
  auto* sub = app.add_subcommand("quantize", "Calibrate a model for int8 (activation ranges from training crops) and "
                                             "compare fp32 / bf16 / int8 on the validation channel");
  auto o = std::make_shared<inference::QuantizeOptions>();
  sub->add_option("--model", o->model, "model.tar.gz or an unpacked model folder")->required();
  sub->add_option("--data", o->data_dir, "Prepared data folder")->required();
  sub->add_option("--channel", o->channel, "Channel whose images calibrate the ranges")->capture_default_str();
  sub->add_option("--samples", o->samples, "Calibration crops")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--method", o->method, "Range per activation: mse (least quantization error) or minmax")
      ->check(CLI::IsMember({"mse", "minmax"}))
      ->capture_default_str();
  sub->add_option("--evaluation-channel", o->evaluation_channel, "Labelled channel of the side-by-side report")
      ->capture_default_str();
  sub->add_option("--output", o->output, "The calibrated model.tar.gz")->required();
  return {sub, [o, &global] {
            o->threads = global.threads;
            const auto report = inference::quantize_model(*o);
            if (!report.scores.empty()) {
              std::fputs(inference::precision_table(report.scores, o->evaluation_channel).c_str(), stdout);
              std::fflush(stdout);
            }
            spdlog::info("quantize: wrote {} (predict / serve run it in int8 by default)", o->output.string());
            return 0;
          }};
}

}  // namespace segmaker::app
