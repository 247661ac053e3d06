// Test-time augmentation modes and their views (inference/tta.h).
#include "inference/tta.h"

#include <algorithm>
#include <cctype>

#include "io/error.h"

namespace segmaker::inference {

const std::vector<std::string>& tta_names() {
  static const std::vector<std::string> names{"none", "flip", "multiscale"};
  return names;
}

Tta parse_tta(const std::string& text) {
  std::string s = text;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "none") return Tta::none;
  if (s == "flip") return Tta::flip;
  if (s == "multiscale") return Tta::multiscale;
  throw UserError("test-time augmentation must be one of none, flip, multiscale, got \"" + text + "\"");
}

std::string to_string(Tta tta) {
  switch (tta) {
    case Tta::none: return "none";
    case Tta::flip: return "flip";
    case Tta::multiscale: return "multiscale";
  }
  return "?";
}

const std::vector<double>& multiscale_scales() {
  static const std::vector<double> scales{0.5, 0.75, 1.0, 1.25, 1.5, 1.75};
  return scales;
}

std::vector<TtaView> tta_views(Tta tta) {
  switch (tta) {
    case Tta::none: return {{1.0, false}};
    case Tta::flip: return {{1.0, false}, {1.0, true}};
    case Tta::multiscale: {
      std::vector<TtaView> views{{1.0, false}, {1.0, true}};
      for (double s : multiscale_scales())
        if (s != 1.0) {
          views.push_back({s, false});
          views.push_back({s, true});
        }
      return views;
    }
  }
  return {{1.0, false}};
}

}  // namespace segmaker::inference
