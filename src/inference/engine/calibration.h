#pragma once
// Int8 calibration: the activation range observed at every activation point of the network
// (inference/engine/precision_network.h names them) over a few hundred training crops. It travels in the
// model artifact (docs/artifact.md) so that int8 inference needs no data. Torch-free.
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace segmaker::inference {

struct ActivationRange {
  float min = 0.0f;
  float max = 0.0f;
};

struct Calibration {
  int format_version = 1;
  std::string method = "minmax";  // how the ranges were reduced over the calibration batches
  int samples = 0;                // images observed
  std::map<std::string, ActivationRange> ranges;

  bool empty() const { return ranges.empty(); }
};

nlohmann::json to_json(const Calibration& calibration);
// UserError/DataError on a malformed or unknown-version calibration.
Calibration calibration_from_json(const nlohmann::json& j);

// Affine uint8 parameters covering [min, max] (0 always representable, as quantized ReLU needs).
struct QuantParams {
  double scale = 1.0;
  int64_t zero_point = 0;
};
QuantParams uint8_params(const ActivationRange& range);

}  // namespace segmaker::inference
