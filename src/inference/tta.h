#pragma once
// Test-time augmentation (--tta none|flip|multiscale): the views of an image the Predictor runs the
// network on and averages, as GluonCV's MultiEvalModel does -- the softmax probabilities of every
// view, resized to the image's size, averaged; the mask is their argmax.
//   none        one view: the network size (short side = the model's input size).
//   flip        that view and its horizontal mirror (2 forward passes).
//   multiscale  scales 0.5, 0.75, 1.0, 1.25, 1.5, 1.75 of the network size, each with its mirror
//               (12 forward passes, ~17× the arithmetic of one).
// Torch-free: the CLI and the server include it.
#include <string>
#include <vector>

namespace segmaker::inference {

enum class Tta { none, flip, multiscale };

// "none" | "flip" | "multiscale" (case-insensitive). UserError on anything else.
Tta parse_tta(const std::string& text);
std::string to_string(Tta tta);
// The names parse_tta accepts, in the order --help lists them.
const std::vector<std::string>& tta_names();

struct TtaView {
  double scale = 1.0;  // of the network size
  bool flip = false;   // horizontally mirrored (the answer is mirrored back)
};

// The views of one mode, the plain view first.
std::vector<TtaView> tta_views(Tta tta);

// GluonCV MultiEvalModel's scales.
const std::vector<double>& multiscale_scales();

}  // namespace segmaker::inference
