// Fuzz target: SageMaker's label map JSON ({"scale": ...} or {"map": {...}}). Invariants: only
// UserError escapes; 255 always stays 255; a map never sends two classes to one pixel value.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/label_map.h"
#include "io/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using segmaker::data::LabelMap;
  try {
    const LabelMap m = LabelMap::from_json_text(std::string(reinterpret_cast<const char*>(data), size));
    if (m.is_identity())
      for (int v = 0; v < 256; ++v)
        if (m.apply(static_cast<std::uint8_t>(v)) != v) __builtin_trap();
    cv::Mat mask(1, 256, CV_8UC1);
    for (int v = 0; v < 256; ++v) mask.at<std::uint8_t>(0, v) = static_cast<std::uint8_t>(v);
    m.apply(mask);
    for (int v = 0; v < 256; ++v)
      if (mask.at<std::uint8_t>(0, v) != m.apply(static_cast<std::uint8_t>(v))) __builtin_trap();
  } catch (const segmaker::UserError&) {
  }
  return 0;
}
