#include "data/label_map.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::data {
namespace {

// SageMaker writes numbers as strings ("3"); accept both.
double number_of(const nlohmann::json& v, const std::string& what) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    try {
      std::size_t used = 0;
      double d = std::stod(v.get<std::string>(), &used);
      if (used == v.get<std::string>().size()) return d;
    } catch (const std::exception&) {
    }
  }
  throw UserError("label map: " + what + " must be a number, got " + v.dump());
}

// A class id or pixel value written as a string: decimal digits only ("0x1", "1e0", " 1" are
// refused: std::stod would read them as numbers nobody meant).
bool is_decimal(const std::string& s) {
  return !s.empty() && s.size() <= 3 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

int integer_of(const nlohmann::json& v, const std::string& what, int max) {
  double d = -1;
  if (v.is_number()) d = v.get<double>();
  else if (v.is_string() && is_decimal(v.get<std::string>())) d = std::stod(v.get<std::string>());
  else throw UserError("label map: " + what + " must be a decimal integer in 0.." + std::to_string(max) + ", got " + v.dump());
  if (d < 0 || d > max || d != std::floor(d))
    throw UserError("label map: " + what + " must be a decimal integer in 0.." + std::to_string(max) + ", got " + v.dump());
  return static_cast<int>(d);
}

// "#rrggbb" → 0xRRGGBB.
std::uint32_t color_of(const nlohmann::json& v, const std::string& cls) {
  const std::string s = v.is_string() ? v.get<std::string>() : "";
  const bool ok = s.size() == 7 && s[0] == '#' &&
                  std::all_of(s.begin() + 1, s.end(), [](unsigned char c) { return std::isxdigit(c); });
  if (!ok) throw UserError("label map: the colour of class " + cls + " must be \"#rrggbb\", got " + v.dump());
  return static_cast<std::uint32_t>(std::stoul(s.substr(1), nullptr, 16));
}

std::string hex_of(std::uint32_t rgb) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%06x", rgb & 0xffffffu);
  return buf;
}

}  // namespace

LabelMap::LabelMap() {
  for (int i = 0; i < 256; ++i) lut_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
}

LabelMap LabelMap::from_json_text(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers like 4e2000000000
    throw UserError(std::string("label map is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw UserError("label map must be a JSON object with \"scale\" or \"map\"");
  LabelMap m;
  if (j.contains("colors")) {
    if (j.contains("scale") || j.contains("map")) throw UserError("label map: give one of \"scale\", \"map\" and \"colors\"");
    const auto& colors = j["colors"];
    if (!colors.is_object() || colors.empty())
      throw UserError("label map: \"colors\" must be an object {\"class id\": \"#rrggbb\"}");
    for (const auto& [key, value] : colors.items()) {
      if (!is_decimal(key)) throw UserError("label map: class id \"" + key + "\" must be a decimal integer in 0..254");
      const int cls = integer_of(nlohmann::json(key), "class id \"" + key + "\"", 254);
      const std::uint32_t rgb = color_of(value, key);
      if (auto [it, fresh] = m.class_of_color_.emplace(rgb, static_cast<std::uint8_t>(cls)); !fresh)
        throw UserError("label map: classes " + std::to_string(it->second) + " and " + key + " share the colour " + hex_of(rgb));
    }
    m.identity_ = false;
    return m;
  }
  if (j.contains("map")) {
    if (j.contains("scale")) throw UserError("label map: give either \"scale\" or \"map\", not both");
    const auto& map = j["map"];
    if (!map.is_object()) throw UserError("label map: \"map\" must be an object {\"class id\": pixel value}");
    m.lut_.fill(255);
    std::array<int, 256> class_of_pixel;
    class_of_pixel.fill(-1);
    for (const auto& [key, value] : map.items()) {
      if (!is_decimal(key))
        throw UserError("label map: class id \"" + key + "\" must be a decimal integer in 0..254 (e.g. \"3\")");
      const int cls = integer_of(nlohmann::json(key), "class id \"" + key + "\"", 254);
      const int px = integer_of(value, "pixel value of class " + key, 255);
      if (class_of_pixel[static_cast<std::size_t>(px)] >= 0)
        throw UserError("label map: classes " + std::to_string(class_of_pixel[static_cast<std::size_t>(px)]) + " and " +
                        std::to_string(cls) + " both map to pixel value " + std::to_string(px) +
                        ": each class needs its own value");
      class_of_pixel[static_cast<std::size_t>(px)] = cls;
      m.lut_[static_cast<std::size_t>(px)] = static_cast<std::uint8_t>(cls);
    }
    m.identity_ = false;
    return m;
  }
  if (j.contains("scale")) {
    double scale = number_of(j["scale"], "\"scale\"");
    if (scale < 1 || scale > 255 || scale != std::floor(scale))
      throw UserError("label map: \"scale\" must be an integer in 1..255, got " + j["scale"].dump());
    const int s = static_cast<int>(scale);
    for (int v = 0; v < 255; ++v) m.lut_[static_cast<std::size_t>(v)] = static_cast<std::uint8_t>(v / s);
    m.lut_[255] = 255;
    m.identity_ = s == 1;
    return m;
  }
  throw UserError("label map must have \"scale\", \"map\" or \"colors\" (e.g. {\"scale\": \"1\"})");
}

LabelMap LabelMap::from_file(const std::filesystem::path& path) {
  try {
    return from_json_text(io::read_file(path));
  } catch (const UserError& e) {
    throw UserError(path.string() + ": " + e.what());
  }
}

void LabelMap::apply(cv::Mat& mask) const {
  if (identity_) return;
  for (int y = 0; y < mask.rows; ++y) {
    auto* row = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) row[x] = lut_[row[x]];
  }
}

cv::Mat LabelMap::classes_of_colors(const cv::Mat& rgb, const std::string& file) const {
  CV_Assert(rgb.type() == CV_8UC3);
  cv::Mat mask(rgb.size(), CV_8UC1);
  std::uint32_t last_color = 0xffffffffu;
  std::uint8_t last_class = 0;
  for (int y = 0; y < rgb.rows; ++y) {
    const auto* in = rgb.ptr<cv::Vec3b>(y);
    auto* out = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < rgb.cols; ++x) {
      const std::uint32_t c = (std::uint32_t{in[x][0]} << 16) | (std::uint32_t{in[x][1]} << 8) | in[x][2];
      if (c != last_color) {
        const auto it = class_of_color_.find(c);
        if (it == class_of_color_.end())
          throw DataError(file + ": pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") has the colour " + hex_of(c) +
                          ", which no class of the colour map has");
        last_color = c;
        last_class = it->second;
      }
      out[x] = last_class;
    }
  }
  return mask;
}

}  // namespace segmaker::data
