// Calibration data, its JSON form and uint8 parameters (see calibration.h).
#include "inference/engine/calibration.h"

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
  // Every member's type is checked before it is read: a wrong type is this DataError, never a JSON exception.
  auto member = [&](const char* key, bool (nlohmann::json::*is)() const, const char* what) -> const nlohmann::json* {
    if (!j.contains(key)) return nullptr;
    if (!(j[key].*is)()) fail(std::string("\"") + key + "\" must be " + what + ", got " + j[key].dump().substr(0, 100));
    return &j[key];
  };
  const auto* version = member("format_version", &nlohmann::json::is_number_integer, "an integer");
  c.format_version = version != nullptr ? version->get<int>() : 0;
  if (c.format_version != 1)
    fail("format_version " + std::to_string(c.format_version) + " is not supported (this segmaker reads 1): "
         "re-run segmaker quantize");
  if (const auto* method = member("method", &nlohmann::json::is_string, "a string")) c.method = method->get<std::string>();
  if (const auto* samples = member("samples", &nlohmann::json::is_number_integer, "an integer")) c.samples = samples->get<int>();
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
