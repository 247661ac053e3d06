// The options every command that runs a Predictor shares (--device, --precision, --tta, --input-size):
// declared once here, for evaluate, predict and serve.
#include <CLI/CLI.hpp>

#include "commands.h"
#include "inference/engine/precision.h"
#include "inference/predictor.h"

namespace segmaker::app {

CLI::Option* add_predictor_options(CLI::App* sub, inference::PredictorOptions& o, const std::string& tta_note) {
  sub->add_option("--device", o.device, "cpu, cuda or cuda:<index>")->capture_default_str();
  o.precision = "auto";  // the commands run the fastest precision the CPU and the model allow
  sub->add_option("--precision", o.precision,
                  "Network precision: fp32, bf16, int8 or auto (the fastest this CPU supports and the model allows; "
                  "int8 needs segmaker quantize)")
      ->check(CLI::IsMember(inference::precision_names(), CLI::ignore_case))
      ->capture_default_str();
  sub->add_option("--tta", o.tta,
                  "Test-time augmentation: none, flip (+ the mirrored image) or multiscale (scales 0.5-1.75, each mirrored; "
                  "softmax probabilities averaged)" +
                      tta_note)
      ->check(CLI::IsMember({"none", "flip", "multiscale"}, CLI::ignore_case))
      ->capture_default_str();
  return sub
      ->add_option("--input-size", o.input_size,
                   "Short side the network sees: 0 = the model's input size (its training crop_size), -1 = the image's "
                   "own size")
      ->capture_default_str();
}

}  // namespace segmaker::app
