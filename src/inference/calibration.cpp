// Calibration data, its JSON form and uint8 parameters (see calibration.h).
#include "inference/calibration.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "io/error.h"

namespace segmaker::inference {

nlohmann::json to_json(const Calibration& c) {
  nlohmann::json ranges = nlohmann::json::object();
  for (const auto& [name, r] : c.ranges) ranges[name] = {r.min, r.max};
  return {{"format_version", c.format_version}, {"method", c.method}, {"samples", c.samples}, {"ranges", ranges}};
}

Calibration calibration_from_json(const nlohmann::json& j) {
  auto fail = [](const std::string& what) { throw DataError("int8 calibration: " + what); };
  if (!j.is_object()) fail("expected a JSON object, got " + std::string(j.type_name()));
  Calibration c;
  c.format_version = j.value("format_version", 0);
  if (c.format_version != 1)
    fail("format_version " + std::to_string(c.format_version) + " is not supported (this segmaker reads 1): "
         "re-run segmaker quantize");
  c.method = j.value("method", std::string("minmax"));
  c.samples = j.value("samples", 0);
  if (!j.contains("ranges") || !j["ranges"].is_object()) fail("\"ranges\" must be an object of name: [min, max]");
  for (const auto& [name, v] : j["ranges"].items()) {
    if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
      fail("range of \"" + name + "\" must be [min, max], got " + v.dump());
    ActivationRange r{v[0].get<float>(), v[1].get<float>()};
    if (!std::isfinite(r.min) || !std::isfinite(r.max) || r.min > r.max)
      fail("range of \"" + name + "\" is not a finite [min <= max]: " + v.dump());
    c.ranges[name] = r;
  }
  return c;
}

QuantParams uint8_params(const ActivationRange& range) {
  const double lo = std::min(0.0, static_cast<double>(range.min));
  const double hi = std::max(0.0, static_cast<double>(range.max));
  QuantParams q;
  q.scale = std::max((hi - lo) / 255.0, 1e-8);
  q.zero_point = std::clamp<int64_t>(std::llround(-lo / q.scale), 0, 255);
  return q;
}

}  // namespace segmaker::inference
